"""Alterations that re-shared media go through: re-encoding, resizing, colour changes, flips,
crops, borders, rotations and overlays.

Used by the demo and the robustness benchmark (bench/robustness.py) to show which altered copies
still match. Each takes and returns encoded image bytes, in memory; lossless alterations write PNG
so that only the alteration itself changes the pixels. Random ones (noise) are seeded: the same
input always gives the same output.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

Alteration = Callable[[bytes], bytes]
Colour = tuple[int, int, int]


def _open(data: bytes) -> Image.Image:
    return ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")


def _encode(image: Image.Image, fmt: str = "JPEG", **options: int) -> bytes:
    out = io.BytesIO()
    if fmt == "PNG":
        options.setdefault("compress_level", 1)  # lossless either way; level 1 is several times faster
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _png(change: Callable[[Image.Image], Image.Image]) -> Alteration:
    def alter(data: bytes) -> bytes:
        return _encode(change(_open(data)), "PNG")

    return alter


# ------------------------------------------------------------------ encoding and size


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


def aspect_change(x_factor: float) -> Alteration:
    """Stretch the width by `x_factor`, keeping the height (a careless resize)."""
    return _png(lambda im: im.resize((max(1, round(im.width * x_factor)), im.height), Image.Resampling.LANCZOS))


# ------------------------------------------------------------------ colour and tone


def greyscale(data: bytes) -> bytes:
    return _encode(_open(data).convert("L"), "PNG")


def brightness(factor: float) -> Alteration:
    """1.3 is 30% brighter, 0.7 30% darker."""
    return _png(lambda im: ImageEnhance.Brightness(im).enhance(factor))


def contrast(factor: float) -> Alteration:
    return _png(lambda im: ImageEnhance.Contrast(im).enhance(factor))


def gamma(value: float) -> Alteration:
    """out = 255 * (in / 255) ** value."""
    table = [min(255, round(255 * (i / 255) ** value)) for i in range(256)] * 3
    return _png(lambda im: im.point(table))


def blur(radius: float) -> Alteration:
    return _png(lambda im: im.filter(ImageFilter.GaussianBlur(radius)))


def noise(sigma: float, seed: int = 7) -> Alteration:
    """Gaussian noise of standard deviation `sigma` (in 0-255 levels), seeded."""

    def change(image: Image.Image) -> Image.Image:
        pixels = np.asarray(image, dtype=np.float32)
        noisy = pixels + np.random.default_rng(seed).normal(0, sigma, pixels.shape)
        return Image.fromarray(np.clip(np.rint(noisy), 0, 255).astype(np.uint8))

    return _png(change)


# ------------------------------------------------------------------ geometry


def flip_horizontal(data: bytes) -> bytes:
    return _encode(ImageOps.mirror(_open(data)), "PNG")


def flip_vertical(data: bytes) -> bytes:
    return _encode(ImageOps.flip(_open(data)), "PNG")


def rotate_90(data: bytes) -> bytes:
    return _encode(_open(data).transpose(Image.Transpose.ROTATE_90), "PNG")


def rotate_180(data: bytes) -> bytes:
    return _encode(_open(data).transpose(Image.Transpose.ROTATE_180), "PNG")


def rotate_270(data: bytes) -> bytes:
    return _encode(_open(data).transpose(Image.Transpose.ROTATE_270), "PNG")


def rotate(degrees: float, fill: Colour = (0, 0, 0)) -> Alteration:
    """Rotate counter-clockwise by a small angle; the canvas grows, the corners are filled."""
    return _png(lambda im: im.rotate(degrees, Image.Resampling.BICUBIC, expand=True, fillcolor=fill))


def crop_centre(fraction: float) -> Alteration:
    """Cut `fraction` of the width and height away, half on each side."""

    def alter(data: bytes) -> bytes:
        image = _open(data)
        dx, dy = round(image.width * fraction / 2), round(image.height * fraction / 2)
        return _encode(image.crop((dx, dy, image.width - dx, image.height - dy)), "PNG")

    return alter


def crop_corner(fraction: float, corner: str = "top-left") -> Alteration:
    """Keep the `corner` ("top-left", "top-right", "bottom-left", "bottom-right") of the image,
    cutting `fraction` of the width and of the height from the opposite sides."""
    if corner not in ("top-left", "top-right", "bottom-left", "bottom-right"):
        raise ValueError(f"unknown corner {corner!r}")

    def change(image: Image.Image) -> Image.Image:
        dx, dy = round(image.width * fraction), round(image.height * fraction)
        left = 0 if corner.endswith("left") else dx
        top = 0 if corner.startswith("top") else dy
        return image.crop((left, top, left + image.width - dx, top + image.height - dy))

    return _png(change)


# ------------------------------------------------------------------ borders


def letterbox(fraction: float, fill: Colour = (0, 0, 0)) -> Alteration:
    """Add bars above and below, `fraction` of the height in all (as when fitting to a wider frame)."""

    def change(image: Image.Image) -> Image.Image:
        bar = round(image.height * fraction / 2)
        return ImageOps.expand(image, (0, bar, 0, bar), fill=fill)

    return _png(change)


def pad_to_square(fill: Colour = (255, 255, 255)) -> Alteration:
    """Pad the shorter side to make a square, the image centred (as square-only feeds do)."""

    def change(image: Image.Image) -> Image.Image:
        side = max(image.size)
        canvas = Image.new("RGB", (side, side), fill)
        canvas.paste(image, ((side - image.width) // 2, (side - image.height) // 2))
        return canvas

    return _png(change)


def border(fraction: float, fill: Colour = (255, 255, 255)) -> Alteration:
    """A frame around the image, each side `fraction` of the image's width."""

    def change(image: Image.Image) -> Image.Image:
        return ImageOps.expand(image, max(1, round(image.width * fraction)), fill=fill)

    return _png(change)


# ------------------------------------------------------------------ overlays


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=max(8, size))
    except (OSError, ValueError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def text_watermark(text: str = "© shared by someone 2026") -> Alteration:
    """Half-transparent white text across the lower part of the image, 1/20 of the width high."""

    def change(image: Image.Image) -> Image.Image:
        layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        font = _font(image.width // 20)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        x = max(0, (image.width - (right - left)) // 2)
        y = max(0, round(image.height * 0.8) - (bottom - top))
        draw.text((x, y), text, font=font, fill=(255, 255, 255, 140))
        return Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")

    return _png(change)


def sticker(fraction: float = 0.2, corner: str = "bottom-right") -> Alteration:
    """An opaque round sticker (a yellow disc with a face) `fraction` of the width across, in a corner."""

    def change(image: Image.Image) -> Image.Image:
        out = image.copy()
        size = max(4, round(image.width * fraction))
        margin = round(image.width * 0.02)
        x = image.width - size - margin if corner.endswith("right") else margin
        y = image.height - size - margin if corner.startswith("bottom") else margin
        draw = ImageDraw.Draw(out)
        draw.ellipse((x, y, x + size, y + size), fill=(250, 205, 40), outline=(90, 60, 0), width=max(1, size // 30))
        eye = size // 10
        for ex in (x + size * 0.33, x + size * 0.62):
            draw.ellipse((ex, y + size * 0.3, ex + eye, y + size * 0.3 + eye * 1.5), fill=(40, 30, 10))
        draw.arc(
            (x + size * 0.25, y + size * 0.35, x + size * 0.75, y + size * 0.78),
            20,
            160,
            fill=(40, 30, 10),
            width=max(1, size // 25),
        )
        return out

    return _png(change)


def caption_bar(fraction: float = 0.12, text: str = "when you see it") -> Alteration:
    """A black bar with white text over the bottom `fraction` of the image (a meme caption)."""

    def change(image: Image.Image) -> Image.Image:
        out = image.copy()
        draw = ImageDraw.Draw(out)
        bar = max(1, round(image.height * fraction))
        draw.rectangle((0, image.height - bar, image.width, image.height), fill=(0, 0, 0))
        font = _font(bar // 2)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
        x = max(0, (image.width - (right - left)) // 2)
        y = image.height - bar + max(0, (bar - (bottom - top)) // 2) - top
        draw.text((x, y), text, font=font, fill=(255, 255, 255))
        return out

    return _png(change)


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


BENCH_ALTERATIONS: dict[str, Alteration] = {
    "JPEG q90": reencode_jpeg(90),
    "JPEG q50": reencode_jpeg(50),
    "JPEG q30": reencode_jpeg(30),
    "JPEG q10": reencode_jpeg(10),
    "resize 50%": resize(0.5),
    "resize 25%": resize(0.25),
    "resize 10%": resize(0.10),
    "greyscale": greyscale,
    "brightness +30%": brightness(1.3),
    "brightness -30%": brightness(0.7),
    "contrast +30%": contrast(1.3),
    "contrast -30%": contrast(0.7),
    "gamma 0.6": gamma(0.6),
    "gamma 1.6": gamma(1.6),
    "blur r2": blur(2),
    "noise s10": noise(10),
    "crop centre 5%": crop_centre(0.05),
    "crop centre 8%": crop_centre(0.08),
    "crop centre 10%": crop_centre(0.10),
    "crop centre 20%": crop_centre(0.20),
    "crop corner 5%": crop_corner(0.05),
    "crop corner 10%": crop_corner(0.10, "bottom-right"),
    "crop corner 20%": crop_corner(0.20, "top-right"),
    "letterbox 10%": letterbox(0.10),
    "letterbox 25%": letterbox(0.25),
    "pad to square": pad_to_square(),
    "border 5%": border(0.05),
    "border 10% black": border(0.10, (0, 0, 0)),
    "rotate 90": rotate_90,
    "rotate 180": rotate_180,
    "rotate 270": rotate_270,
    "flip H": flip_horizontal,
    "flip V": flip_vertical,
    "rotate 3°": rotate(3),
    "rotate 5°": rotate(5),
    "rotate 15°": rotate(15),
    "text watermark": text_watermark(),
    "sticker corner": sticker(0.2),
    "caption bar": caption_bar(0.12),
    "aspect 4:3 -> 16:9": aspect_change(4 / 3),
}
"""What bench/robustness.py applies to every photo, by the name its tables show."""
