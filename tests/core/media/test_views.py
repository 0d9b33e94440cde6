"""The views of an image an entry stores and a query sends: their names, and what each one buys."""

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from alliance.core.media import pdq, pdq_views
from alliance.core.media.hashing import decode_for_pdq, hash_image, query_signals
from alliance.core.media.pdq import DIHEDRAL_NAMES
from alliance.core.media.pdq_views import (
    BORDER_OUTLIERS,
    BORDER_TOLERANCE,
    CROP_SETS,
    CROP_VIEWS,
    FRAMED,
    FRAMED_ALONG,
    INSIDE,
    MASKS,
    NORMALISED,
    NUDGE_VIEWS,
    REFILL_VIEWS,
    TRIMMED,
    TURN_VIEWS,
    UNTRIMMED,
    UPRIGHT,
    _flat_band,
)
from alliance.core.signals import signal_type
from alliance.demo import alterations

distance = signal_type("pdq").distance


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def small(path: Path, side: int) -> bytes:
    image = Image.open(path).convert("RGB")
    image.thumbnail((side, side))
    return png(image)


def sky_over_ground(seed: int = 18) -> bytes:
    """A bright sky (luma ~185-245) over a textured ground: brightened 30%, the sky burns out."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:360, 0:480]
    clouds = 215 + 30 * np.sin(x / 29.0 + rng.uniform(0, 6)) * np.sin(y / 23.0 + rng.uniform(0, 6))
    ground = 90 + 50 * np.sin(x / 11.0 + rng.uniform(0, 6)) * np.cos(y / 9.0) + rng.normal(0, 15, (360, 480))
    horizon = (180 + 25 * np.sin(x[0] / 60.0 + rng.uniform(0, 6))).astype(int)
    luma = np.where(y < horizon[None, :], clouds, ground)
    return png(Image.fromarray(np.clip(np.dstack([luma * 0.95, luma, luma * 1.02]), 0, 255).astype(np.uint8)))


FOUND = {INSIDE, FRAMED, FRAMED_ALONG, UPRIGHT}  # a picture found inside the image: only when there is one


def test_an_image_has_a_normalised_view_and_crops_on_request(photos):
    data = photos[1].read_bytes()
    assert [v.view for v in hash_image(data).views if v.view not in FOUND] == [NORMALISED]
    with_crops = hash_image(data, crops=True)
    turns = sorted(TURN_VIEWS - set(NUDGE_VIEWS.values()) - REFILL_VIEWS)  # not on a flat backdrop
    expected = [NORMALISED, *CROP_SETS["bank-crops"], *CROP_SETS["windows"], *turns, *MASKS]
    assert sorted(v.view for v in with_crops.views if v.view not in FOUND) == sorted(expected)
    assert with_crops.signals == hash_image(data).signals  # views never change the file's own signals


def test_a_bordered_image_also_keeps_the_whole_image_and_its_corners(photos):
    bordered = alterations.letterbox(0.2)(png(Image.open(photos[1]).convert("RGB")))
    views = [v.view for v in hash_image(bordered, crops=True).views if v.view not in FOUND]
    assert views[:2] == [UNTRIMMED, NORMALISED]
    crops = set(CROP_SETS["bank-crops"]) | set(CROP_SETS["bank-untrimmed-corners"])
    assert set(views[2:]) - TURN_VIEWS - set(MASKS) - set(CROP_SETS["windows"]) == crops
    reference = hash_image(bordered, exact_reference=True)
    assert [v.view for v in reference.views if v.view not in FOUND] == [TRIMMED, NORMALISED]  # its own PDQ: the whole
    assert reference.view(TRIMMED) == hash_image(bordered).get("pdq")


def test_a_query_names_each_view_and_sends_crops_only_when_asked(photos):
    data = photos[1].read_bytes()
    media, signals, names = query_signals(data)
    assert [n for n in names if n not in FOUND] == ["original"] * 4 + list(DIHEDRAL_NAMES[1:]) + [NORMALISED]
    assert signals[:4] == list(media.signals)
    _, cropped, crop_names = query_signals(data, crops=True)
    nudges = list(NUDGE_VIEWS.values())
    sent = [*names, *CROP_SETS["query-crops"], *CROP_SETS["query-sides"], *CROP_SETS["windows"], *nudges, *MASKS]
    assert crop_names == sent
    assert cropped[: len(signals)] == signals
    assert not set(names) & CROP_VIEWS


def test_a_view_of_one_straight_step_is_matched_on_nothing(photos):
    """PDQ's block leaves out each axis's zero frequency: a picture changing along one axis only
    hashes noise. Its own hash keeps PDQ's quality (as the reference gives it); its views are
    never indexed nor sent. A photo's views keep PDQ's quality."""
    step = Image.new("RGB", (400, 300), (240, 240, 240))
    step.paste((25, 30, 40), (0, 90, 400, 300))
    data = png(step)
    entry = hash_image(data, crops=True)
    assert entry.get("pdq").quality >= 50
    upright = {NORMALISED, *CROP_SETS["bank-crops"], *CROP_SETS["windows"]}  # turned ones are not one step
    assert all(v.signal.quality == 0 for v in entry.views if v.view in upright)
    assert pdq_views.hash_region(decode_for_pdq(data)[0], (0, 0, 400, 300)).quality >= 50  # PDQ's own says fine
    _, signals, names = query_signals(data, crops=True)
    sent = dict(zip(names, signals, strict=True))
    assert sent[NORMALISED].quality == 0 and sent["window-20-20"].quality == 0
    photo = hash_image(photos[1].read_bytes(), crops=True)
    assert all(v.signal.quality > 0 for v in photo.views)


def test_view_names_fit_a_match_variant():
    """A match names the query's view and the entry's, joined by '@', in 64 characters."""
    query = max(len(n) for n in [*DIHEDRAL_NAMES, UNTRIMMED, NORMALISED, *FOUND, *CROP_VIEWS])
    entry = max(len(n) for n in [UNTRIMMED, TRIMMED, NORMALISED, *FOUND, *CROP_VIEWS])
    assert query + 1 + entry <= 64 and entry <= 32


@pytest.mark.parametrize(("name", "side"), [("gravel.jpg", 320), ("brick_wall.jpg", 480)])
def test_the_normalised_view_meets_a_half_size_copy_of_a_small_photo(photos, name, side):
    """Plain PDQ, ours and the reference's alike, puts these 40-50 bits apart; normalised, they meet."""
    original = small(next(p for p in photos if p.name == name), side)
    half = alterations.resize(0.5)(original)
    for exact in (False, True):
        a, b = (
            hash_image(original, exact_reference=exact).get("pdq"),
            hash_image(half, exact_reference=exact).get("pdq"),
        )
        assert a and b and distance(a.value, b.value) > 31
    a, b = hash_image(original).view(NORMALISED), hash_image(half).view(NORMALISED)
    assert a and b and distance(a.value, b.value) <= 31


def test_the_normalised_view_meets_a_copy_whose_highlights_burnt_out():
    original = sky_over_ground()
    brighter = alterations.brightness(1.3)(original)
    a, b = hash_image(original), hash_image(brighter)
    own, copy = a.get("pdq"), b.get("pdq")
    assert own and copy and distance(own.value, copy.value) > 31
    normalised, copy_normalised = a.view(NORMALISED), b.view(NORMALISED)
    assert normalised and copy_normalised and distance(normalised.value, copy_normalised.value) <= 31
    assert normalised.quality is not None and normalised.quality >= 50


def test_crops_of_a_small_image_are_within_a_few_bits_of_the_exact_hash(photos):
    """Images decoded in full have their crops hashed by the banded filter, a quarter of the cost."""
    from alliance.core.media.hashing import decode_for_pdq
    from alliance.core.media.pdq_views import hash_crops, hash_region, picture_box, sub_box

    reduced, _ = decode_for_pdq(photos[1].read_bytes())
    assert reduced.rgb is not None  # decoded in full: the exact filter would apply
    picture = picture_box(reduced, trim=True)
    crops = CROP_SETS["bank-crops"]
    for name, region in hash_crops(reduced, picture, crops).items():
        exact = hash_region(reduced, sub_box(picture, crops[name]))
        assert region.box == exact.box and abs(region.quality - exact.quality) <= 5
        assert distance(region.hash().hex(), exact.hash().hex()) <= 6, name


def test_hashing_that_stores_nothing_leaves_out_the_views_that_cost(photos):
    bordered = alterations.letterbox(0.2)(png(Image.open(photos[1]).convert("RGB")))
    assert [v.view for v in hash_image(bordered, views=False).views] == [UNTRIMMED]  # free: kept
    assert hash_image(bordered, exact_reference=True, views=False).views == ()
    assert hash_image(bordered, views=False).signals == hash_image(bordered).signals


def test_the_normalised_view_flattens_at_the_80th_percentile_as_numpy_defines_it():
    """The highlight level comes from a partial sort; numpy's quantile is the definition it keeps."""
    from alliance.core.media import pdq
    from alliance.core.media.decode import ReducedLuma
    from alliance.core.media.pdq_views import NORMALISED_HIGHLIGHTS, NORMALISED_SIDE, normalised_hash

    rng = np.random.default_rng(3)
    for _ in range(20):
        luma = rng.integers(0, 256, (300, 400), dtype=np.uint8)
        luma[:, 200:] = 255 - luma[:, 200:] // 4  # a bright half: many pixels at the quantile's edge
        reduced = ReducedLuma(luma, 800, 600, 2, 2)
        grey = np.asarray(
            Image.fromarray(luma).resize((NORMALISED_SIDE, NORMALISED_SIDE), Image.Resampling.BOX), dtype=np.float32
        )
        expected = pdq.pdq_float256_of_luma(
            np.ascontiguousarray(np.minimum(grey, np.float32(np.quantile(grey, NORMALISED_HIGHLIGHTS))))
        )
        block, quality = expected
        found = normalised_hash(reduced, (0, 0, 400, 300))
        assert found.quality == quality and np.array_equal(found.block, block)


@pytest.mark.parametrize("size", [(1400, 1000), (1001, 1333)])
def test_dihedral_hashes_of_a_reduced_decode_are_those_of_the_turned_pictures(photos, size):
    """Four blurs give the eight turns (a transposed picture's samples are the transposed samples);
    each must be the hash the turned picture itself gets."""
    from alliance.core.media import pdq
    from alliance.core.media.hashing import decode_for_pdq
    from alliance.core.media.pdq_views import dihedral_region_hashes

    out = io.BytesIO()
    Image.open(photos[1]).convert("RGB").resize(size).save(out, "JPEG", quality=85)
    reduced, _ = decode_for_pdq(out.getvalue())
    assert reduced.rgb is None and reduced.scale_x == reduced.scale_y > 1  # the reduced path
    scale = reduced.scale_x
    h, w = reduced.luma.shape
    box = (2, 3, w - 5, h - 1)
    full_w = min(box[2] * reduced.scale_x, reduced.full_width) - box[0] * reduced.scale_x
    full_h = min(box[3] * reduced.scale_y, reduced.full_height) - box[1] * reduced.scale_y
    expected = []
    for k, turned in enumerate(turns_of(reduced.luma[box[1] : box[3], box[0] : box[2]])):
        swapped = k in (1, 3, 6, 7)
        th, tw = (full_w, full_h) if swapped else (full_h, full_w)
        block, quality = pdq.pdq_float256_reduced(np.ascontiguousarray(turned), th, tw, scale, scale)
        expected.append(pdq.block_to_hash(block) if quality or block.any() else bytes(32))
    assert dihedral_region_hashes(reduced, box) == expected
    assert len(set(expected)) == 8


def turns_of(a: np.ndarray) -> list[np.ndarray]:
    """The 8 rotations and flips of a picture, in `pdq.DIHEDRAL_NAMES` order (as pdqhash turns them)."""
    return [a, np.rot90(a, 1), np.rot90(a, 2), np.rot90(a, 3), a[::-1], a[:, ::-1], a.T, np.rot90(a, 2).T]


def test_dihedral_hashes_of_a_small_image_are_the_reference_hashes_of_the_turned_pictures(photos):
    """Small images are decoded whole and hashed exactly; their turns, by the reference's linear
    map from four flips, must still be what the reference gives each turned picture."""
    from alliance.core.media import pdq
    from alliance.core.media.hashing import decode_for_pdq
    from alliance.core.media.pdq_views import dihedral_region_hashes

    for path in photos[:4]:
        for size in ((480, 360), (211, 302)):
            out = io.BytesIO()
            Image.open(path).convert("RGB").resize(size).save(out, "JPEG", quality=90)
            reduced, _ = decode_for_pdq(out.getvalue())
            assert reduced.rgb is not None  # the exact path
            box = (0, 0, size[0], size[1])
            luma = pdq.luma_of(reduced.rgb)
            expected = [pdq.block_to_hash(pdq.pdq_float256_of_luma(np.array(t, np.float32))[0]) for t in turns_of(luma)]
            assert dihedral_region_hashes(reduced, box) == expected, (path.name, size)


def test_dihedral_hashes_follow_unequal_scales_through_the_turns():
    """A reduced decode may be scaled differently along each axis; a turned picture swaps them."""
    from alliance.core.media import pdq
    from alliance.core.media.decode import ReducedLuma
    from alliance.core.media.pdq_views import dihedral_region_hashes

    rng = np.random.default_rng(11)
    luma = np.clip(rng.normal(128, 50, (150, 310)), 0, 255).astype(np.uint8)
    reduced = ReducedLuma(luma, full_width=310 * 3, full_height=150 * 5, scale_x=3, scale_y=5)
    box = (0, 0, 310, 150)
    expected = []
    for k, turned in enumerate(turns_of(luma)):
        swapped = k in (1, 3, 6, 7)
        h, w = (310 * 3, 150 * 5) if swapped else (150 * 5, 310 * 3)
        sy, sx = (3, 5) if swapped else (5, 3)
        block, _ = pdq.pdq_float256_reduced(np.ascontiguousarray(turned), h, w, sy, sx)
        expected.append(pdq.block_to_hash(block))
    assert dihedral_region_hashes(reduced, box) == expected


def _flat_band_by_definition(lines: np.ndarray) -> tuple[int, int]:
    """How many of `lines` (outermost first) are flat in the outermost line's median colour: the
    plain numpy statement of what the compiled band finder computes."""
    if len(lines) == 0:
        return 0, 0
    colour = int(np.median(lines[0]))
    off = np.abs(lines.astype(np.int16) - colour) > BORDER_TOLERANCE
    flat = off.mean(axis=1) <= BORDER_OUTLIERS
    return (len(lines) if flat.all() else int(np.argmin(flat))), colour


def test_the_compiled_band_finder_agrees_with_its_definition_on_every_side():
    """Bands of random depth and colour on random sides, with scattered outliers near the 2% limit
    and odd and even line lengths (the median of an even line is the mean of its middle two)."""
    rng = np.random.default_rng(5)
    depths: list[int] = []
    for trial in range(300):
        h, w = (int(n) for n in rng.integers(12, 90, 2))
        grey = rng.integers(0, 256, (h, w)).astype(np.uint8)
        for side in rng.choice(4, size=int(rng.integers(0, 5)), replace=False):
            depth, colour = int(rng.integers(1, 30)), int(rng.integers(0, 256))
            band = (slice(0, depth), slice(None)), (slice(h - depth, h), slice(None))
            band += (slice(None), slice(0, depth)), (slice(None), slice(w - depth, w))
            region = grey[band[side]]
            region[...] = np.clip(colour + rng.integers(-10, 11, region.shape), 0, 255)
            stray = rng.random(region.shape) < rng.uniform(0, 0.04)  # about the 2% allowed per line
            region[stray] = rng.integers(0, 256, int(stray.sum()))
        limits = {"top": int(h * 0.45), "bottom": int(h * 0.45), "left": int(w * 0.45), "right": int(w * 0.45)}
        lines = {"top": grey, "bottom": grey[::-1], "left": grey.T, "right": grey.T[::-1]}
        for number, name in enumerate(("top", "bottom", "left", "right")):
            found = _flat_band(grey, number, limits[name], BORDER_TOLERANCE, BORDER_OUTLIERS)
            assert found == _flat_band_by_definition(lines[name][: limits[name]]), (trial, name)
            depths.append(found[0])
    assert sum(d >= 2 for d in depths) > 30 and sum(d == 0 for d in depths) > 100  # both kinds were tried


def test_the_flips_samples_are_those_of_the_flipped_copies_bit_for_bit():
    """One pair of first passes serves the picture and its three mirror images: the same sums in
    the same order as blurring each flipped copy, reduced or not, uint8 or float luma."""
    rng = np.random.default_rng(11)
    for _ in range(120):
        scale = int(rng.integers(1, 5))
        h, w = (int(n) for n in rng.integers(3, 300, 2))
        full_h, full_w = h * scale - int(rng.integers(0, scale)), w * scale - int(rng.integers(0, scale))
        if min(full_h, full_w) < pdq.MIN_HASHABLE_DIM:
            continue
        luma = rng.integers(0, 256, (h, w)).astype(np.uint8)
        if scale == 1 and rng.random() < 0.5:
            luma = pdq.luma_of(np.dstack([luma] * 3))  # a small image's float luma
        found = pdq.samples_reduced_flips(luma, full_h, full_w, scale, scale)
        for mine, flipped in zip(found, (luma, luma[:, ::-1], luma[::-1], luma[::-1, ::-1]), strict=True):
            assert np.array_equal(mine, pdq.samples_reduced(flipped, full_h, full_w, scale, scale))
