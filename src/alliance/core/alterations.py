"""Alterations that re-shared media go through: re-encoding, resizing, colour changes, flips.

Used by the demo and the robustness benchmark to show which altered copies still match. Each takes
and returns encoded image bytes, in memory.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from PIL import Image, ImageOps

Alteration = Callable[[bytes], bytes]


def _open(data: bytes) -> Image.Image:
    return ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")


def _encode(image: Image.Image, fmt: str = "JPEG", **options: int) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def reencode_jpeg(quality: int) -> Alteration:
    def alter(data: bytes) -> bytes:
        return _encode(_open(data), "JPEG", quality=quality)

    return alter


def resize(factor: float) -> Alteration:
    def alter(data: bytes) -> bytes:
        image = _open(data)
        size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
        return _encode(image.resize(size, Image.Resampling.LANCZOS), "PNG")

    return alter


def greyscale(data: bytes) -> bytes:
    return _encode(_open(data).convert("L"), "PNG")


def flip_horizontal(data: bytes) -> bytes:
    return _encode(ImageOps.mirror(_open(data)), "PNG")


def rotate_90(data: bytes) -> bytes:
    return _encode(_open(data).transpose(Image.Transpose.ROTATE_90), "PNG")


def crop_centre(fraction: float) -> Alteration:
    """Cut `fraction` of the width and height away, half on each side."""

    def alter(data: bytes) -> bytes:
        image = _open(data)
        dx, dy = round(image.width * fraction / 2), round(image.height * fraction / 2)
        return _encode(image.crop((dx, dy, image.width - dx, image.height - dy)), "PNG")

    return alter


DEMO_ALTERATIONS: dict[str, Alteration] = {
    "JPEG quality 30": reencode_jpeg(30),
    "resized to 50%": resize(0.5),
    "resized to 25%": resize(0.25),
    "greyscale": greyscale,
    "flipped": flip_horizontal,
    "rotated 90°": rotate_90,
    "cropped 10%": crop_centre(0.10),
}
"""What the demo applies to each photo; flips, rotations and crops are expected to miss for now."""
