"""Every alteration: its output decodes, has the expected size and mode, and changes what it should."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from alliance.core.media.hashing import decode_for_pdq, hash_image
from alliance.core.media.pdq_views import uniform_border
from alliance.demo import alterations as alt

W, H = 240, 160


@pytest.fixture(scope="module")
def original(photos) -> bytes:
    image = Image.open(photos[2]).convert("RGB").resize((W, H))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_every_bench_alteration_decodes_and_hashes(original):
    for name, alter in alt.BENCH_ALTERATIONS.items():
        data = alter(original)
        assert data != original, name
        hashes = hash_image(data)
        assert hashes.get("pdq") is not None, name
    assert set(alt.DEMO_ALTERATIONS) >= {"flipped", "rotated 90°", "cropped 10%"}


@pytest.mark.parametrize("quality", [90, 30])
def test_reencode_jpeg(original, quality):
    image = opened(alt.reencode_jpeg(quality)(original))
    assert (image.format, image.size, image.mode) == ("JPEG", (W, H), "RGB")


@pytest.mark.parametrize(("factor", "size"), [(0.5, (120, 80)), (0.25, (60, 40)), (0.1, (24, 16))])
def test_resize(original, factor, size):
    assert opened(alt.resize(factor)(original)).size == size


def test_aspect_change(original):
    assert opened(alt.aspect_change(4 / 3)(original)).size == (320, H)


def test_greyscale(original):
    image = opened(alt.greyscale(original))
    assert image.mode == "L" and image.size == (W, H)


@pytest.mark.parametrize(("make", "brighter"), [(alt.brightness(1.3), True), (alt.brightness(0.7), False)])
def test_brightness(original, make, brighter):
    before, after = pixels(original).mean(), pixels(make(original)).mean()
    assert (after > before + 5) if brighter else (after < before - 5)


def test_contrast(original):
    spread = pixels(original).std()
    assert pixels(alt.contrast(1.3)(original)).std() > spread * 1.1
    assert pixels(alt.contrast(0.7)(original)).std() < spread * 0.9


def test_gamma(original):
    assert pixels(alt.gamma(0.6)(original)).mean() > pixels(original).mean()
    assert pixels(alt.gamma(1.6)(original)).mean() < pixels(original).mean()


def test_blur_smooths_and_noise_roughens(original):
    def roughness(a: np.ndarray) -> float:
        return float(np.abs(np.diff(a, axis=1)).mean())

    assert roughness(pixels(alt.blur(2)(original))) < roughness(pixels(original)) * 0.8
    noisy = alt.noise(10)(original)
    assert roughness(pixels(noisy)) > roughness(pixels(original))
    assert noisy == alt.noise(10)(original)  # seeded


def test_flips_and_quarter_turns(original):
    a = pixels(original)
    assert np.array_equal(pixels(alt.flip_horizontal(original)), a[:, ::-1])
    assert np.array_equal(pixels(alt.flip_vertical(original)), a[::-1])
    assert np.array_equal(pixels(alt.rotate_90(original)), np.rot90(a, 1))
    assert np.array_equal(pixels(alt.rotate_180(original)), np.rot90(a, 2))
    assert np.array_equal(pixels(alt.rotate_270(original)), np.rot90(a, 3))


def test_small_rotation_grows_the_canvas_with_filled_corners(original):
    image = pixels(alt.rotate(15)(original))
    assert image.shape[1] > W and image.shape[0] > H
    assert (image[0, 0] == 0).all() and (image[-1, -1] == 0).all()


def test_crop_centre(original):
    a = pixels(original)
    out = pixels(alt.crop_centre(0.10)(original))
    assert out.shape[:2] == (H - 16, W - 24)
    assert np.array_equal(out, a[8 : H - 8, 12 : W - 12])


@pytest.mark.parametrize("corner", ["top-left", "top-right", "bottom-left", "bottom-right"])
def test_crop_corner(original, corner):
    a = pixels(original)
    out = pixels(alt.crop_corner(0.10, corner)(original))
    assert out.shape[:2] == (H - 16, W - 24)
    top = 0 if corner.startswith("top") else 16
    left = 0 if corner.endswith("left") else 24
    assert np.array_equal(out, a[top : top + H - 16, left : left + W - 24])
    with pytest.raises(ValueError):
        alt.crop_corner(0.1, "middle")


def test_letterbox_pad_and_border_add_flat_bands_that_trimming_finds(original):
    a = pixels(original)
    boxed = alt.letterbox(0.25)(original)
    out = pixels(boxed)
    assert out.shape[:2] == (H + 40, W)
    assert (out[:20] == 0).all() and (out[-20:] == 0).all() and np.array_equal(out[20:-20], a)
    square = pixels(alt.pad_to_square()(original))
    assert square.shape[:2] == (W, W) and (square[:40] == 255).all()
    framed = pixels(alt.border(0.05, (10, 20, 30))(original))
    assert framed.shape[:2] == (H + 24, W + 24) and (framed[:12] == (10, 20, 30)).all()
    for data in (boxed, alt.pad_to_square()(original), alt.border(0.05)(original)):
        reduced, _ = decode_for_pdq(data)
        assert uniform_border(reduced) is not None
    reduced, _ = decode_for_pdq(original)
    assert uniform_border(reduced) is None


@pytest.mark.parametrize(
    ("make", "region"),
    [
        (alt.sticker(0.2), (slice(H - 60, H), slice(W - 60, W))),
        (alt.caption_bar(0.12), (slice(H - 19, H), slice(0, W))),
        (alt.text_watermark(), (slice(H // 2, H), slice(0, W))),
    ],
    ids=["sticker", "caption", "watermark"],
)
def test_overlays_change_only_their_region(original, make, region):
    a, out = pixels(original), pixels(make(original))
    assert out.shape == a.shape
    changed = np.abs(out - a).sum(axis=2) > 0
    assert changed[region].any()
    outside = changed.copy()
    outside[region] = False
    assert not outside.any()
