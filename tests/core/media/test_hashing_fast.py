"""The fast hashing path: our PDQ bit for bit the reference's, the reduced decode within the PDQ
conformance rule, the reference path unchanged, and bad input failing the same way on both paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image

from alliance.core.errors import HashingError
from alliance.core.media.decode import REDUCED_MIN_SIDE, load_reduced_luma, open_image
from alliance.core.media.hashing import HashingLimits, hash_image, pdq_block
from alliance.core.media.pdq import (
    DIHEDRAL_NAMES,
    _downsample_banded,
    _downsample_exact,
    _luma,
    pdq_dihedral,
    pdq_float256,
    pdq_hash,
    reduced_kernel,
)
from alliance.services.hashing import hash_file, hash_files
from tests.core.media.test_hashing import PINNED_PDQ, encode, png_header_only, zeroed_png_data

CONFORMANCE_DISTANCE = 10
"""The PDQ reference README's rule: for quality >= 80, a conforming hasher is within distance 10."""


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def reference(pixels: np.ndarray) -> tuple[bytes, int]:
    bits, quality = pdqhash.compute(np.ascontiguousarray(pixels))
    return np.packbits(bits.astype(np.uint8)).tobytes(), int(quality)


def rgb(path: Path, size: tuple[int, int] | None = None) -> Image.Image:
    image = Image.open(path).convert("RGB")
    return image.resize(size, Image.Resampling.LANCZOS) if size else image


def odd_arrays() -> list[np.ndarray]:
    rng = np.random.default_rng(4)
    shapes = [(5, 5), (7, 300), (64, 64), (129, 255), (300, 37), (640, 480)]
    arrays = [rng.integers(0, 256, (*shape, 3), dtype=np.uint8) for shape in shapes]
    # smooth gradients give many near-ties around the median: the hard case for bit-exactness
    y, x = np.mgrid[0:333, 0:517]
    arrays.append(np.dstack([(x * 255 // 516), (y * 255 // 332), ((x + y) % 256)]).astype(np.uint8))
    return arrays


# ------------------------------------------------------------------ our PDQ against the reference


def test_our_pdq_is_the_reference_bit_for_bit_on_the_demo_photos(photos):
    for path in photos:
        pixels = np.asarray(rgb(path))
        assert pdq_hash(pixels) == reference(pixels), path.name
        block, quality = pdq_float256(pixels)
        reference_block, reference_quality = pdqhash.compute_float(pixels)
        assert np.array_equal(block.reshape(256)[::-1], reference_block) and quality == reference_quality


def test_our_pdq_is_the_reference_bit_for_bit_on_odd_sizes_and_gradients():
    for pixels in odd_arrays():
        assert pdq_hash(pixels) == reference(pixels), pixels.shape


def test_our_pdq_of_small_resized_and_flat_images_is_the_references(photos):
    image = rgb(photos[3])
    for size in [(64, 48), (100, 75), (128, 96), (1200, 900)]:
        pixels = np.asarray(image.resize(size))
        assert pdq_hash(pixels) == reference(pixels), size
    flat = np.full((200, 300, 3), 120, dtype=np.uint8)
    assert pdq_hash(flat) == reference(flat)
    assert pdq_hash(flat)[1] < 50
    tiny = np.zeros((4, 40, 3), dtype=np.uint8)
    assert pdq_hash(tiny) == reference(tiny) == (bytes(32), 0)


def test_grey_arrays_hash_as_their_rgb_conversion(photos):
    grey = Image.open(photos[0]).convert("L")
    assert pdq_hash(np.asarray(grey)) == reference(np.asarray(grey.convert("RGB")))


def test_our_dihedral_hashes_are_the_references(photos):
    for pixels in [np.asarray(rgb(photos[1])), odd_arrays()[3]]:
        ours, quality = pdq_dihedral(pixels)
        theirs, reference_quality = pdqhash.compute_dihedral(pixels)
        assert len(ours) == len(DIHEDRAL_NAMES) == 8
        assert quality == reference_quality
        assert ours == [np.packbits(bits.astype(np.uint8)).tobytes() for bits in theirs]


def test_dihedral_hashes_match_the_transformed_images(photos):
    image = rgb(photos[2])
    hashes, _ = pdq_dihedral(np.asarray(image))
    by_name = dict(zip(DIHEDRAL_NAMES, hashes, strict=True))
    flipped = pdq_hash(np.asarray(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))[0]
    rotated = pdq_hash(np.asarray(image.transpose(Image.Transpose.ROTATE_180)))[0]
    # The reference's filter is not quite symmetric, so a transformed image's hash is close to, not
    # equal to, the transformed hash: well inside the match threshold of 31.
    assert distance(flipped.hex(), by_name["flipy"].hex()) <= 20
    assert distance(rotated.hex(), by_name["rotate180"].hex()) <= 20


# ------------------------------------------------------------------ the reduced path


def test_reduced_kernels_are_averages_and_scale_one_is_the_reference_filter(photos):
    for n, scale in [(1024, 2), (1080, 4), (3000, 8), (1001, 3), (777, 1)]:
        m = -(-n // scale)
        starts, weights = reduced_kernel(n, scale, m)
        assert np.allclose(weights.sum(axis=1), 1.0)
        assert starts.min() >= 0 and starts.max() + weights.shape[1] <= m
    with pytest.raises(ValueError, match="not"):
        reduced_kernel(1024, 2, 500)
    pixels = np.asarray(rgb(photos[5]))
    luma = _luma(pixels)
    exact = _downsample_exact(luma.copy())
    grey = np.asarray(Image.fromarray(pixels).convert("L"))
    rows = reduced_kernel(pixels.shape[0], 1, pixels.shape[0])
    cols = reduced_kernel(pixels.shape[1], 1, pixels.shape[1])
    banded = _downsample_banded(grey, *rows, *cols)
    assert np.abs(banded - exact).max() < 1.0  # the same filter; only 8-bit rounding of luma differs


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        ("JPEG", {"quality": 90}),
        ("PNG", {"compress_level": 1}),
        ("WEBP", {"quality": 90}),
        ("WEBP", {"lossless": True, "method": 0}),
    ],
    ids=["jpeg", "png", "webp", "webp-lossless"],
)
def test_fast_path_meets_the_conformance_rule_on_reduced_decodes(photos, fmt, options):
    distances = []
    for path in photos:
        data = encode(rgb(path, (1280, 960)), fmt, **options)
        image, _ = open_image(data, 10**9, 10**9)
        assert load_reduced_luma(image, 10**9).scale_x > 1  # the fast path really reduced
        fast = hash_image(data).get("pdq")
        exact = hash_image(data, exact_reference=True).get("pdq")
        assert fast and exact and fast.quality is not None and exact.quality is not None
        assert abs(fast.quality - exact.quality) <= 5
        if exact.quality >= 80:
            distances.append(distance(fast.value, exact.value))
    assert distances and max(distances) <= CONFORMANCE_DISTANCE
    assert np.mean(distances) <= 2


def test_small_images_are_not_reduced_so_the_default_path_is_the_reference(photos):
    for path in photos:
        assert min(Image.open(path).size) < 2 * REDUCED_MIN_SIDE
        pdq = hash_image(path.read_bytes()).get("pdq")
        assert pdq is not None and (pdq.value, pdq.quality) == (PINNED_PDQ[path.name], 100)


def test_reference_path_gives_the_pinned_values(photos):
    for path in photos:
        pdq = hash_image(path.read_bytes(), exact_reference=True).get("pdq")
        assert pdq is not None and (pdq.value, pdq.quality) == (PINNED_PDQ[path.name], 100)


def test_both_paths_report_the_same_image_facts(photos):
    data = encode(rgb(photos[1], (1200, 800)), "JPEG", quality=92)
    fast, exact = hash_image(data), hash_image(data, exact_reference=True)
    assert (fast.width, fast.height, fast.image_format) == (exact.width, exact.height, exact.image_format)
    assert (fast.width, fast.height, fast.image_format) == (1200, 800, "JPEG")
    assert fast.signals[1:] == exact.signals[1:]  # md5, sha1, sha256 of the same bytes


def test_exif_orientation_is_applied_on_the_reduced_path(photos):
    image = rgb(photos[2], (1200, 800))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated; "rotate 90° clockwise to display"
    stored = image.transpose(Image.Transpose.ROTATE_90)
    tagged = hash_image(encode(stored, "JPEG", quality=95, exif=exif.tobytes()))
    upright = hash_image(encode(image, "JPEG", quality=95))
    exact = hash_image(encode(stored, "JPEG", quality=95, exif=exif.tobytes()), exact_reference=True)
    assert (tagged.width, tagged.height) == (1200, 800)
    t, u, e = (h.get("pdq") for h in (tagged, upright, exact))
    assert t and u and e
    assert distance(t.value, u.value) <= 10 and distance(t.value, e.value) <= 10


@pytest.mark.parametrize("mode", ["L", "CMYK"])
def test_grey_and_cmyk_jpegs_on_the_reduced_path(photos, mode):
    data = encode(rgb(photos[4], (1024, 1024)).convert(mode), "JPEG", quality=90)
    fast, exact = hash_image(data).get("pdq"), hash_image(data, exact_reference=True).get("pdq")
    assert fast and exact and distance(fast.value, exact.value) <= CONFORMANCE_DISTANCE


def test_pdq_block_gives_the_hash_and_its_dihedral_set(photos):
    data = encode(rgb(photos[1], (1200, 800)), "JPEG", quality=90)
    found = pdq_block(data)
    assert found.signal() == hash_image(data).get("pdq")
    dihedral = found.dihedral()
    assert len(dihedral) == 8 and dihedral[0] == found.signal()
    mirrored = hash_image(encode(rgb(photos[1], (1200, 800)).transpose(Image.Transpose.FLIP_LEFT_RIGHT), "PNG"))
    m = mirrored.get("pdq")
    assert m is not None and distance(m.value, dihedral[DIHEDRAL_NAMES.index("flipy")].value) <= 20


# ------------------------------------------------------------------ bad input, both paths


def big_jpeg(photos: list[Path]) -> bytes:
    return encode(rgb(photos[1], (1600, 1200)), "JPEG", quality=90)


@pytest.mark.parametrize("exact_reference", [False, True], ids=["fast", "reference"])
@pytest.mark.parametrize(
    ("make", "reason", "words"),
    [
        (lambda b, big: b"", "empty", "empty"),
        (lambda b, big: b[: len(b) // 2], "truncated", "truncated"),
        (lambda b, big: big[: len(big) // 2], "truncated", "truncated"),
        (lambda b, big: b"just some notes, not a picture\n" * 20, "not_an_image", "not an image"),
        (lambda b, big: png_header_only(60000, 60000), "too_many_pixels", "3,600,000,000 pixels"),
        (lambda b, big: png_header_only(12000, 9000), "too_many_pixels", "12000x9000"),
        (lambda b, big: zeroed_png_data(b), "corrupt", "corrupt"),
        (lambda b, big: zeroed_png_data(big), "corrupt", "corrupt"),
    ],
    ids=[
        "zero-bytes",
        "truncated-jpeg",
        "truncated-large-jpeg",
        "text-named-jpg",
        "png-60000x60000",
        "png-over-limit",
        "garbled-png",
        "garbled-large-png",
    ],
)
def test_bad_input_fails_the_same_way_on_both_paths(photo_bytes, photos, exact_reference, make, reason, words):
    with pytest.raises(HashingError, match=words) as caught:
        hash_image(make(photo_bytes, big_jpeg(photos)), exact_reference=exact_reference)
    assert caught.value.reason == reason


@pytest.mark.parametrize("exact_reference", [False, True], ids=["fast", "reference"])
def test_limits_hold_on_both_paths(photos, exact_reference):
    data = big_jpeg(photos)
    with pytest.raises(HashingError) as caught:
        hash_image(data, HashingLimits(max_bytes=1000), exact_reference=exact_reference)
    assert caught.value.reason == "too_large"
    with pytest.raises(HashingError) as caught:
        hash_image(data, HashingLimits(max_pixels=1_000_000), exact_reference=exact_reference)
    assert caught.value.reason == "too_many_pixels"


# ------------------------------------------------------------------ the file services


def test_hash_files_passes_the_reference_flag_through_the_process_pool(tmp_path, photos):
    big = tmp_path / "big.jpg"
    big.write_bytes(big_jpeg(photos))
    paths = [big, photos[0], big]
    exact = hash_file(big, exact_reference=True)
    assert exact.hashes is not None
    expected = exact.hashes.get("pdq")
    for jobs in (1, 2):
        results = list(hash_files(paths, jobs=jobs, exact_reference=True))
        assert [r.path for r in results] == paths
        assert results[0].hashes is not None and results[0].hashes.get("pdq") == expected
    fast = hash_file(big)
    assert fast.hashes is not None and fast.hashes.get("pdq") is not None


# ------------------------------------------------------------------ border trimming and regions


def test_trimming_matches_a_bordered_copy_and_leaves_plain_images_alone(photos):
    from alliance.demo.alterations import border, letterbox, pad_to_square

    original = encode(rgb(photos[1]), "PNG")
    plain = hash_image(original).get("pdq")
    assert plain == hash_image(original, trim_borders=False).get("pdq")  # no border: nothing changes
    for alter in (letterbox(0.2), pad_to_square(), border(0.05)):
        bordered = alter(original)
        trimmed = hash_image(bordered).get("pdq")
        untrimmed = hash_image(bordered, trim_borders=False).get("pdq")
        reference_pdq = hash_image(bordered, exact_reference=True).get("pdq")
        assert plain and trimmed and untrimmed and reference_pdq
        assert distance(trimmed.value, plain.value) <= 31 < distance(untrimmed.value, plain.value)
        assert reference_pdq == untrimmed  # the reference path never trims (and is exact here)
        assert hash_image(bordered).pdq_untrimmed == untrimmed  # kept for matching others' lists
    assert hash_image(original).pdq_untrimmed is None


def test_a_region_hash_is_the_reference_hash_of_the_cropped_pixels(photos):
    from alliance.core.media.decode import load_reduced_luma
    from alliance.core.media.pdq_views import dihedral_region_hashes, hash_region

    image = rgb(photos[5])
    reduced = load_reduced_luma(open_image(encode(image, "PNG"), 10**9, 10**9)[0], 10**9)
    box = (30, 20, 400, 300)
    assert hash_region(reduced, box).hash() == reference(np.asarray(image.crop(box)))[0]
    turned = dihedral_region_hashes(reduced, box)
    rotated = np.asarray(image.crop(box).transpose(Image.Transpose.ROTATE_90))
    assert turned[DIHEDRAL_NAMES.index("rotate90")] == reference(rotated)[0]
    assert len(set(turned)) == 8


@pytest.mark.parametrize(("fmt", "options"), [("JPEG", {"quality": 90}), ("PNG", {}), ("WEBP", {"quality": 90})])
def test_a_reduced_colour_decode_keeps_its_chroma_and_the_same_luma(photos, fmt, options):
    """The picture finders see colour steps: a colour JPEG drafted as YCbCr gives the luma the "L"
    draft gave, bit for bit, and its Cb and Cr planes; other formats reduce their colour alike.
    Hashing alone (no views) asks for no colour and decodes none."""
    picture = rgb(photos[3], (1200, 800))
    data = encode(picture, fmt, **options)
    plain = load_reduced_luma(open_image(data, 50 << 20, 10**8)[0], 10**8)
    assert plain.chroma is None
    reduced = load_reduced_luma(open_image(data, 50 << 20, 10**8)[0], 10**8, colour=True)
    assert reduced.rgb is None and reduced.chroma is not None
    assert np.array_equal(plain.luma, reduced.luma)
    assert reduced.chroma.shape == (2, *reduced.luma.shape)
    if fmt == "JPEG":
        alone = open_image(data, 50 << 20, 10**8)[0]
        alone.draft("L", (1200 // reduced.scale_x, 800 // reduced.scale_y))
        assert np.array_equal(np.asarray(alone), reduced.luma)
    expected = np.asarray(picture.reduce(reduced.scale_x).convert("YCbCr"))[..., 1:].astype(int)
    assert np.abs(np.moveaxis(reduced.chroma, 0, -1).astype(int) - expected).mean() < 3
    grey_data = encode(picture.convert("L"), fmt, **options)
    grey = load_reduced_luma(open_image(grey_data, 50 << 20, 10**8)[0], 10**8, colour=True)
    assert grey.chroma is None or not (grey.chroma.astype(int) - 128).any()  # WebP decodes grey as RGB
