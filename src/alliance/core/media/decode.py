"""Decoding media bytes for hashing: every failure a `HashingError`, two ways to get the pixels.

`open_image` checks the bytes and the header (size, format, pixel count) without decoding pixels.
Then either `load_rgb` decodes the full-size upright RGB image (the reference path), or
`load_reduced_luma` decodes only as much as PDQ needs: JPEG with DCT scaling and the luma channel
alone (Pillow's draft mode: the decoder never builds the full-size image nor converts colour),
other formats in full and then box-reduced. What a viewer shows a person is what is hashed in both
cases: EXIF orientation applied, the first frame of an animation, alpha ignored, 16 bits scaled to 8.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

from alliance.core.errors import HashingError

SUPPORTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "GIF", "WEBP", "BMP", "TIFF", "HEIF", "AVIF", "JPEG2000"})
"""Pillow format names we accept. MPO is the multi-picture JPEG that phone cameras write; HEIF
(HEIC, the iPhone's format) comes from `pillow-heif`, AVIF and JPEG 2000 from Pillow's own wheels."""

FORMAT_NAMES = "JPEG, PNG, GIF, WebP, BMP, TIFF, HEIC, AVIF, JPEG 2000"

REDUCED_MIN_SIDE = 300
"""A reduced decode keeps at least this many pixels on its shorter side. Measured (bench/hash.py,
docs/decisions/0002-hashing-path.md): at 300 and above the mean distance to the reference is under
1 bit and the largest 4; at 192 it is 1.6 and 4. Images whose shorter side is under 600 pixels are
not reduced at all, so they hash exactly as the reference does (the demo photos among them)."""

JPEG_SCALES = (8, 4, 2)
"""The DCT scalings libjpeg offers through Pillow's draft mode (1/8, 1/4, 1/2)."""

ORIENTATION = 0x0112
_TRANSPOSED = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ReducedLuma:
    """Luma of an upright image, reduced by integer factors: pixel (i, j) stands for the block of
    full-size pixels [scale_y*i, scale_y*i + scale_y) x [scale_x*j, scale_x*j + scale_x)."""

    luma: npt.NDArray[np.uint8]
    full_width: int
    full_height: int
    scale_x: int
    scale_y: int
    rgb: npt.NDArray[np.uint8] | None = None
    """The full-size RGB pixels when no reduction happened (then PDQ can be computed exactly)."""
    orientation: int = 1
    """The file's EXIF orientation (1-8), which was applied: other tools hash the image as stored."""
    chroma: npt.NDArray[np.uint8] | None = None
    """Cb and Cr (2, h, w) at the luma's size, for a reduced decode that kept them: the picture
    finders see a colour step where the luma is flat (`pdq_views.found_pictures`)."""
    derived: dict[str, npt.NDArray[np.uint8]] = field(default_factory=dict, compare=False, repr=False)
    """Arrays computed from the decode when first asked for (`pdq_views.luma8` of an rgb one), kept
    with it: one query asks for them several times."""


@contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        # Our own pixel limit decides; Pillow's bomb warning would only be noise.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield


@functools.cache
def open_formats() -> tuple[str, ...]:
    """The decoders `Image.open` may try: ours, of those this install has. Pillow opens MPO through
    its JPEG decoder; `pillow-heif` registers HEIF on first use (importing it costs start time)."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:  # an install without it reads every other format
        pass
    else:
        register_heif_opener()
    Image.init()
    return tuple(sorted(f for f in SUPPORTED_FORMATS - {"MPO"} if f in Image.OPEN))


def open_image(data: bytes, max_bytes: int, max_pixels: int) -> tuple[Image.Image, str]:
    """Check the bytes and the header; the pixels are not decoded yet."""
    if not data:
        raise HashingError("empty", "the file is empty (0 bytes)")
    if len(data) > max_bytes:
        raise HashingError("too_large", f"the file is {len(data):,} bytes, above the limit of {max_bytes:,} bytes")
    with _quiet():
        try:
            # Only the decoders we support are even tried: Pillow would otherwise hand an EPS file to
            # Ghostscript, or parse formats nobody here has audited, on untrusted bytes.
            image = Image.open(io.BytesIO(data), formats=open_formats())
        except UnidentifiedImageError:
            raise HashingError("not_an_image", f"not an image Alliance can read ({FORMAT_NAMES})") from None
        except Image.DecompressionBombError as exc:
            # Pillow refuses at twice its own limit before we see the size; its message holds the count.
            claimed = re.search(r"\((\d+) pixels\)", str(exc))
            raise too_many_pixels(int(claimed.group(1)) if claimed else None, max_pixels) from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise HashingError("corrupt", f"the image is corrupt: {exc}") from exc
    if image.format not in SUPPORTED_FORMATS:
        raise HashingError("unsupported_format", f"{image.format} images are not supported")
    width, height = image.size
    if width * height > max_pixels:
        raise too_many_pixels(width * height, max_pixels, f"{width}x{height} = ")
    if width == 0 or height == 0:
        raise HashingError("corrupt", f"the image claims a size of {width}x{height} pixels")
    return image, str(image.format)


def decoding(image: Image.Image, max_pixels: int, step: Callable[[], T]) -> T:
    """Run a decoding step, turning whatever Pillow raises into the `HashingError` that says why."""
    width, height = image.size
    with _quiet():
        try:
            return step()
        except Image.DecompressionBombError as exc:
            raise too_many_pixels(width * height, max_pixels, f"{width}x{height} = ") from exc
        except OSError as exc:
            if "truncated" in str(exc):
                raise HashingError(
                    "truncated", "the image is truncated: the file ends before the picture does"
                ) from exc
            raise HashingError("corrupt", f"the image is corrupt: {exc}") from exc
        except (SyntaxError, ValueError, EOFError, struct.error) as exc:
            raise HashingError("corrupt", f"the image is corrupt: {exc}") from exc


def load_rgb(image: Image.Image, max_pixels: int) -> Image.Image:
    """The full-size upright RGB image (the reference path's decode, unchanged)."""

    def step() -> Image.Image:
        image.seek(0)
        image.load()
        return eight_bit(ImageOps.exif_transpose(image)).convert("RGB")

    return decoding(image, max_pixels, step)


def as_stored(image: Image.Image, orientation: int) -> Image.Image:
    """An upright image turned back the way the file stores it (EXIF `orientation` undone)."""
    method = Image.Transpose
    inverse = {
        2: method.FLIP_LEFT_RIGHT,
        3: method.ROTATE_180,
        4: method.FLIP_TOP_BOTTOM,
        5: method.TRANSPOSE,
        6: method.ROTATE_90,
        7: method.TRANSVERSE,
        8: method.ROTATE_270,
    }
    return image.transpose(inverse[orientation]) if orientation in inverse else image


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(ORIENTATION, 1)
    except Exception:  # a broken EXIF block: show the image as stored, as exif_transpose would
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def reduction_for(width: int, height: int, choices: tuple[int, ...], min_side: int = REDUCED_MIN_SIDE) -> int:
    """The largest factor in `choices` that keeps the shorter side at least `min_side`, else 1."""
    shorter = min(width, height)
    return next((f for f in choices if shorter // f >= min_side), 1)


def load_reduced_luma(
    image: Image.Image,
    max_pixels: int,
    min_side: int = REDUCED_MIN_SIDE,
    *,
    upright: bool = True,
    colour: bool = False,
) -> ReducedLuma:
    """Decode only what PDQ needs (see the module docstring); without `upright`, the image as the
    file stores it (EXIF orientation not applied, `orientation` 1), as other tools hash it. With
    `colour`, a reduced decode keeps its chroma too, for the picture finders (`ReducedLuma.chroma`):
    ~0.7 ms more per 1024x768 JPEG, which hashing alone (`alliance hash`, triage) does not pay."""

    def step() -> ReducedLuma:
        image.seek(0)
        width, height = image.size
        scale = 1
        if image.format in ("JPEG", "MPO") and image.mode in ("RGB", "L", "CMYK"):
            wanted = reduction_for(width, height, JPEG_SCALES, min_side)
            if wanted > 1:
                # a colour JPEG gives its Y, Cb and Cr planes as stored: Y is the luma draft "L" gives
                mode = "YCbCr" if colour and image.mode == "RGB" else "L"
                drafted = image.draft(mode, (width // wanted, height // wanted))
                if drafted is not None:
                    scale = round(width / drafted[1][2])
        image.load()
        orientation = _orientation(image) if upright else 1
        shown = eight_bit(ImageOps.exif_transpose(image) if orientation != 1 else image)
        full_w, full_h = (height, width) if orientation in _TRANSPOSED else (width, height)
        if scale == 1:
            factor = reduction_for(full_w, full_h, tuple(range(16, 1, -1)), min_side)
            if factor == 1:
                rgb = np.asarray(shown.convert("RGB"))
                return ReducedLuma(np.empty((0, 0), np.uint8), full_w, full_h, 1, 1, rgb, orientation)
            reduced = _grey(shown).reduce(factor)
            in_colour = colour and shown.mode not in _GREY_MODES
            chroma = chroma_planes(shown.convert("RGB").reduce(factor)) if in_colour else None
            return ReducedLuma(np.asarray(reduced), full_w, full_h, factor, factor, None, orientation, chroma)
        if shown.mode == "YCbCr":
            planes = np.asarray(shown)
            luma = np.ascontiguousarray(planes[..., 0])
            return ReducedLuma(luma, full_w, full_h, scale, scale, None, orientation, _planes(planes))
        return ReducedLuma(np.asarray(_grey(shown)), full_w, full_h, scale, scale, None, orientation)

    return decoding(image, max_pixels, step)


def eight_bit(image: Image.Image) -> Image.Image:
    """16-bit greyscale (PNG, TIFF) scaled to 8 bits, as libpng does (the high byte). Pillow's own
    conversion clips every value above 255 to white, and the picture would hash as a blank one."""
    if image.mode.startswith("I;16"):
        pixels = np.asarray(image).astype(np.uint16)
    elif image.mode == "I":  # 16-bit greyscale as older Pillow opens it; 8-bit values stay as they are
        pixels = np.clip(np.asarray(image), 0, 65535).astype(np.uint16)
        if int(pixels.max(initial=0)) <= 255:
            return image
    else:
        return image
    return Image.fromarray((pixels >> 8).astype(np.uint8), "L")


_GREY_MODES = frozenset({"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"})


def chroma_planes(rgb: Image.Image) -> npt.NDArray[np.uint8]:
    """Cb and Cr (2, h, w) of an RGB image, as JPEG stores them."""
    return _planes(np.asarray(rgb.convert("YCbCr")))


def _planes(ycc: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    return np.ascontiguousarray(np.moveaxis(ycc[..., 1:], -1, 0))


def _grey(image: Image.Image) -> Image.Image:
    """Luma as Pillow computes it (ITU-R 601: the weights PDQ uses), rounded to 8 bits."""
    if image.mode == "L":
        return image
    return image.convert("L") if image.mode == "RGB" else image.convert("RGB").convert("L")


def too_many_pixels(pixels: int | None, max_pixels: int, size: str = "") -> HashingError:
    claimed = f"{size}{pixels:,} pixels" if pixels else "more pixels than is safe"
    return HashingError(
        "too_many_pixels", f"the image claims {claimed}, above the limit of {max_pixels:,} (decompression bomb?)"
    )
