import hashlib
import io
import struct
import sys
import zlib

import numpy as np
import pdqhash
import pytest
from PIL import Image

from alliance.core.errors import HashingError, InvalidRequest
from alliance.core.media.decode import eight_bit, open_formats
from alliance.core.media.hashing import HashingLimits, hash_image, pdq_from_pixels

# PDQ of the demo photos, pinned: a change here changes what every bank built with Alliance matches.
PINNED_PDQ = {
    "brick_wall.jpg": "bed7058ba2005a4b071bb8a4cc7278789fbc02cfcd30d1d73fa71673c67944d2",
    "chelsea_cat.jpg": "5feb5321f01da156898e2bf629a5d3438412cdbd23f48942464526315db33ffd",
    "coffee_cup.jpg": "8c629e779a663698b9a33866c026726c21a679f61eb6e1f8c79ba7e23c8299e0",
    "coins.jpg": "8ee552196df86aa552b514e6e505e0319aeb1aaea4a5d935dd4a675a1a56a555",
    "gravel.jpg": "175218961ce0d0e173a59bdf48d052f73a3c1632c4927712365efbbe569c8177",
    "hubble_deep_field.jpg": "1c6715e46266634f72d42df2324ad397e70e86be9c64dc59a42ec19c3369b919",
    "rocket_launch.jpg": "c792786c87937064af1bc0e43f1fc0e03f1cc2e33da4c2537cec821b2ce4f376",
}


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def reference_pdq_hex(pixels: np.ndarray) -> tuple[str, int]:
    """The bit-string-to-hex conversion python-threatexchange uses, over pdqhash's output."""
    bits, quality = pdqhash.compute(pixels)
    return format(int("".join(str(int(b)) for b in bits), 2), "064x"), quality


def test_demo_photos_hash_to_pinned_values(photos):
    assert {p.name for p in photos} == set(PINNED_PDQ)
    for path in photos:
        pdq = hash_image(path.read_bytes()).get("pdq")
        assert pdq is not None
        assert (pdq.value, pdq.quality) == (PINNED_PDQ[path.name], 100)


def test_pdq_equals_the_reference_binding_on_the_same_pixels(photos):
    for path in photos:
        pixels = np.asarray(Image.open(path).convert("RGB"))
        ours = pdq_from_pixels(pixels)
        assert (ours.value, ours.quality) == reference_pdq_hex(pixels)


def test_exact_hashes_are_digests_of_the_file_bytes(photo_bytes):
    hashes = hash_image(photo_bytes)
    for name in ("md5", "sha1", "sha256"):
        signal = hashes.get(name)
        assert signal is not None and signal.value == hashlib.new(name, photo_bytes).hexdigest()


LOSSLESS = {"WEBP": {"lossless": True}, "HEIF": {"quality": -1}, "AVIF": {"quality": 100}}


@pytest.mark.parametrize("fmt", ["PNG", "GIF", "WEBP", "BMP", "TIFF", "HEIF", "AVIF", "JPEG2000"])
def test_every_supported_format_hashes_close_to_the_jpeg(photos, fmt):
    """HEIF (HEIC) through pillow-heif, AVIF and JPEG 2000 through Pillow: encoded here, never downloaded."""
    open_formats()  # registers HEIF, for the encoder too
    image = Image.open(photos[2]).convert("RGB")
    options = LOSSLESS.get(fmt, {})
    data = encode(image, fmt, **options)
    hashes = hash_image(data)
    reference = hash_image(encode(image, "PNG")).get("pdq")
    pdq = hashes.get("pdq")
    assert hashes.image_format == fmt
    assert pdq is not None and reference is not None
    distance = (int(pdq.value, 16) ^ int(reference.value, 16)).bit_count()
    assert distance <= 20  # GIF's 256-colour palette moves a few bits; the rest are identical or close


def distance(a, b) -> int:
    assert a is not None and b is not None
    return (int(a.value, 16) ^ int(b.value, 16)).bit_count()


def gradient_with_rings(width: int, height: int) -> np.ndarray:
    """A generated 8-bit picture with structure in both directions."""
    y, x = np.mgrid[0:height, 0:width]
    rings = np.sin(np.hypot(x - width / 3, y - height / 2) / 17) * 60
    return np.clip(x * 180 / width + rings + 40, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
@pytest.mark.parametrize("size", [(300, 200), (1400, 900)])  # hashed exactly; reduced first
def test_16_bit_greyscale_hashes_as_its_8_bit_version(fmt, size):
    """Pillow clips 16-bit values to white when it converts: the picture hashed as blank (quality 0)."""
    grey = gradient_with_rings(*size)
    noise = np.random.default_rng(7).integers(0, 256, grey.shape, dtype=np.uint16)  # a real low byte
    deep = Image.fromarray(grey.astype(np.uint16) * 256 + noise)
    assert Image.open(io.BytesIO(encode(deep, fmt))).mode.startswith("I;16")
    eight = hash_image(encode(Image.fromarray(grey), "PNG")).get("pdq")
    for exact_reference in (False, True):
        hashes = hash_image(encode(deep, fmt), exact_reference=exact_reference)
        pdq = hashes.get("pdq")
        assert pdq is not None and pdq.quality == 100 and not hashes.pdq_low_quality
        assert distance(pdq, eight) <= 4


def test_32_bit_integer_greyscale_is_scaled_only_when_it_holds_16_bit_values():
    """Older Pillow opens 16-bit greyscale PNG as mode I; an I image of 8-bit values stays as it is."""
    grey = gradient_with_rings(64, 48)
    deep = eight_bit(Image.fromarray(grey.astype(np.int32) * 257))
    assert deep.mode == "L" and np.array_equal(np.asarray(deep), grey)
    shallow = Image.fromarray(grey.astype(np.int32))
    assert eight_bit(shallow) is shallow


def test_exif_orientation_is_applied(photos):
    image = Image.open(photos[2]).convert("RGB")
    upright = hash_image(encode(image, "JPEG", quality=95)).get("pdq")
    # Stored rotated, with EXIF saying "rotate 90° clockwise to display": a viewer shows it upright.
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = image.transpose(Image.Transpose.ROTATE_90)
    tagged = hash_image(encode(stored, "JPEG", quality=95, exif=exif.tobytes())).get("pdq")
    untagged = hash_image(encode(stored, "JPEG", quality=95)).get("pdq")
    assert upright and tagged and untagged
    assert (int(upright.value, 16) ^ int(tagged.value, 16)).bit_count() <= 10
    assert (int(upright.value, 16) ^ int(untagged.value, 16)).bit_count() > 60


def test_animation_is_hashed_by_its_first_frame(photos):
    first = Image.open(photos[2]).convert("RGB")
    second = Image.open(photos[3]).convert("RGB").resize(first.size)
    animated = encode(first, "GIF", save_all=True, append_images=[second], duration=100)
    still = encode(first, "GIF")
    assert hash_image(animated).get("pdq") == hash_image(still).get("pdq")


def test_flat_image_is_low_quality():
    flat = encode(Image.new("RGB", (200, 200), (120, 130, 140)), "PNG")
    hashes = hash_image(flat)
    pdq = hashes.get("pdq")
    assert pdq is not None and pdq.quality is not None and pdq.quality < 50
    assert hashes.pdq_low_quality


def png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def zeroed_png_data(jpeg: bytes) -> bytes:
    """A PNG whose compressed pixel data has a run of zeros in the middle."""
    data = bytearray(encode(Image.open(io.BytesIO(jpeg)), "PNG"))
    start = data.index(b"IDAT") + 50
    data[start : start + 400] = bytes(400)
    return bytes(data)


@pytest.mark.parametrize(
    ("make", "reason", "words"),
    [
        (lambda b: b"", "empty", "empty"),
        (lambda b: b[: len(b) // 2], "truncated", "truncated"),
        (lambda b: b"just some notes, not a picture\n" * 20, "not_an_image", "not an image"),
        (lambda b: png_header_only(60000, 60000), "too_many_pixels", "3,600,000,000 pixels"),
        (lambda b: png_header_only(12000, 9000), "too_many_pixels", "12000x9000"),
        (lambda b: zeroed_png_data(b), "corrupt", "corrupt"),
    ],
    ids=["zero-bytes", "truncated-jpeg", "text-named-jpg", "png-60000x60000", "png-over-limit", "garbled-png"],
)
def test_bad_input_is_a_hashing_error_with_a_reason(photo_bytes, make, reason, words):
    with pytest.raises(HashingError, match=words) as caught:
        hash_image(make(photo_bytes))
    assert caught.value.reason == reason


def test_file_size_limit(photo_bytes):
    with pytest.raises(HashingError, match="above the limit") as caught:
        hash_image(photo_bytes, HashingLimits(max_bytes=1000))
    assert caught.value.reason == "too_large"


def test_formats_we_do_not_support_are_never_handed_to_a_decoder():
    """An EPS file would reach Ghostscript through Pillow; it must be refused before any decoder runs."""
    eps = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    with pytest.raises(HashingError) as caught:
        hash_image(eps)
    assert caught.value.reason == "not_an_image"
    ico = encode(Image.new("RGB", (32, 32), (10, 200, 30)), "ICO")
    with pytest.raises(HashingError) as caught:
        hash_image(ico)
    assert caught.value.reason == "not_an_image"


def test_without_the_reference_binding_exact_reference_says_how_to_install_it(photo_bytes, monkeypatch):
    """`pdqhash` is the optional `reference` extra: without it the fast path works and the exact
    reference is one clear error (422, exit 4), not an ImportError."""
    monkeypatch.setitem(sys.modules, "pdqhash", None)  # what Python does for a module that is not there
    assert hash_image(photo_bytes).get("pdq") is not None
    for views in (False, True):
        with pytest.raises(InvalidRequest, match=r"pip install 'alliance\[reference\]'") as caught:
            hash_image(photo_bytes, exact_reference=True, views=views)
        assert (caught.value.status, caught.value.exit_code) == (422, 4)
