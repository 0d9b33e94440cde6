"""Media bytes in, signals out: PDQ (with quality) and the md5, sha1 and sha256 of the file.

The bytes are decoded in memory and dropped; nothing here touches the disk. Decoding follows what
a viewer shows a person: EXIF orientation applied, the first frame of an animation, alpha ignored.
Every way an input can fail becomes a `HashingError` whose `reason` is one of `HashingError`
reasons below and whose message a user understands.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image, ImageOps, UnidentifiedImageError

from alliance.core.errors import HashingError
from alliance.core.signals import PDQ_MIN_QUALITY, Signal

SUPPORTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "GIF", "WEBP", "BMP", "TIFF"})
"""Pillow format names we accept. MPO is the multi-picture JPEG that phone cameras write."""

EXACT_DIGESTS = ("md5", "sha1", "sha256")


@dataclass(frozen=True, slots=True)
class HashingLimits:
    """Bounds that keep one hostile file from exhausting the node."""

    max_bytes: int = 50 * 1024 * 1024
    max_pixels: int = 100_000_000
    pdq_min_quality: int = PDQ_MIN_QUALITY


@dataclass(frozen=True, slots=True)
class MediaHashes:
    """The signals of one image, and what we learnt decoding it."""

    signals: tuple[Signal, ...]
    width: int
    height: int
    image_format: str
    pdq_low_quality: bool

    def get(self, signal_type: str) -> Signal | None:
        return next((s for s in self.signals if s.type == signal_type), None)


def exact_signals(data: bytes) -> tuple[Signal, ...]:
    """md5, sha1 and sha256 of the bytes: they match only an identical file."""
    return tuple(Signal(name, hashlib.new(name, data).hexdigest()) for name in EXACT_DIGESTS)


def pdq_from_pixels(pixels: npt.NDArray[np.uint8]) -> Signal:
    """PDQ of an (h, w, 3) RGB array, with the reference implementation (`pdqhash`)."""
    bits, quality = pdqhash.compute(np.ascontiguousarray(pixels, dtype=np.uint8))
    value = np.packbits(bits.astype(np.uint8)).tobytes().hex()
    return Signal("pdq", value, int(quality))


def decode_image(data: bytes, limits: HashingLimits = HashingLimits()) -> tuple[Image.Image, str]:
    """Decode to an upright RGB image and its format name, or raise `HashingError` saying why not."""
    if not data:
        raise HashingError("empty", "the file is empty (0 bytes)")
    if len(data) > limits.max_bytes:
        raise HashingError(
            "too_large", f"the file is {len(data):,} bytes, above the limit of {limits.max_bytes:,} bytes"
        )
    with warnings.catch_warnings():
        # Our own pixel limit decides; Pillow's bomb warning would only be noise.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except UnidentifiedImageError:
            raise HashingError(
                "not_an_image", "not an image Alliance can read (JPEG, PNG, GIF, WebP, BMP, TIFF)"
            ) from None
        except Image.DecompressionBombError as exc:
            # Pillow refuses at twice its own limit before we see the size; its message holds the count.
            claimed = re.search(r"\((\d+) pixels\)", str(exc))
            raise _too_many_pixels(int(claimed.group(1)) if claimed else None, limits) from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise HashingError("corrupt", f"the image is corrupt: {exc}") from exc
        if image.format not in SUPPORTED_FORMATS:
            raise HashingError("unsupported_format", f"{image.format} images are not supported")
        width, height = image.size
        if width * height > limits.max_pixels:
            raise _too_many_pixels(width * height, limits, f"{width}x{height} = ")
        if width == 0 or height == 0:
            raise HashingError("corrupt", f"the image claims a size of {width}x{height} pixels")
        try:
            image.seek(0)
            image.load()
            upright = ImageOps.exif_transpose(image)
            return upright.convert("RGB"), str(image.format)
        except Image.DecompressionBombError as exc:
            raise _too_many_pixels(width * height, limits, f"{width}x{height} = ") from exc
        except OSError as exc:
            if "truncated" in str(exc):
                raise HashingError(
                    "truncated", "the image is truncated: the file ends before the picture does"
                ) from exc
            raise HashingError("corrupt", f"the image is corrupt: {exc}") from exc
        except (SyntaxError, ValueError, EOFError, struct.error) as exc:
            raise HashingError("corrupt", f"the image is corrupt: {exc}") from exc


def hash_image(data: bytes, limits: HashingLimits = HashingLimits()) -> MediaHashes:
    """All signals of one image file's bytes."""
    image, image_format = decode_image(data, limits)
    pdq = pdq_from_pixels(np.asarray(image))
    low_quality = pdq.quality is not None and pdq.quality < limits.pdq_min_quality
    return MediaHashes(
        signals=(pdq, *exact_signals(data)),
        width=image.width,
        height=image.height,
        image_format=image_format,
        pdq_low_quality=low_quality,
    )


def _too_many_pixels(pixels: int | None, limits: HashingLimits, size: str = "") -> HashingError:
    claimed = f"{size}{pixels:,} pixels" if pixels else "more pixels than is safe"
    return HashingError(
        "too_many_pixels", f"the image claims {claimed}, above the limit of {limits.max_pixels:,} (decompression bomb?)"
    )
