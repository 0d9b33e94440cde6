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
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

from alliance.core.media.inside import inscribed_scale

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


# ------------------------------------------------------------------ the wide classes (issue 16)
#
# Memes, screenshots, small turns and overlays as people make them: each class draws its
# parameters (sizes, positions, fonts, colours, angles) from a seeded generator, so every photo gets
# its own draw and the same seed always gives the same copy. `held_out` picks a second pool of
# fonts, colours and words, so a bench can tune on one half of its photos and pools and report the
# other half as well.

WideAlteration = Callable[[bytes, int, bool], bytes]
"""(image bytes, seed, held_out) -> altered image bytes."""

FONT_FILES = {
    False: (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
        "",  # Pillow's own font
    ),
    True: (
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
        "",
    ),
}
"""Debian's DejaVu and Liberation fonts when installed, else Pillow's default (a missing file falls
back to it): two pools, the second for held-out copies."""

_WORDS_TUNED = "when you see it nobody me trying to explain why the weekend is over again"
_WORDS_HELD_OUT = "that moment my face after monday coffee finally works look at this sunset wow"
WORDS = {False: tuple(_WORDS_TUNED.split()), True: tuple(_WORDS_HELD_OUT.split())}
CANVAS_COLOURS = {
    False: ((255, 255, 255), (0, 0, 0), (24, 25, 26), (240, 242, 245)),
    True: ((250, 250, 250), (18, 18, 18), (21, 32, 43), (229, 236, 246), (255, 252, 232)),
}
STICKER_COLOURS = {
    False: ((250, 205, 40), (230, 50, 60), (40, 170, 90)),
    True: ((255, 140, 0), (60, 120, 230), (250, 120, 200), (255, 255, 255)),
}


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _pick(rng: np.random.Generator, items: tuple[Colour, ...] | tuple[str, ...] | list[str]) -> Any:
    return items[int(rng.integers(len(items)))]


def _font_of(path: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if path:
        try:
            return ImageFont.truetype(path, max(8, size))
        except OSError:
            pass
    return _font(size)


def _phrase(rng: np.random.Generator, held_out: bool, words: int) -> str:
    return " ".join(_pick(rng, WORDS[held_out]) for _ in range(words))


def _contrast_to(colour: Colour) -> Colour:
    return (0, 0, 0) if sum(colour) > 380 else (255, 255, 255)


def _text_lines(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], lines: list[str], font: Any, fill: Colour, align: str
) -> None:
    """Lines of text stacked in `box`, centred vertically, aligned left or centred."""
    x0, y0, x1, y1 = box
    heights = [draw.textbbox((0, 0), line, font=font) for line in lines]
    total = sum(b[3] - b[1] for b in heights) + 4 * (len(lines) - 1)
    y = y0 + max(0, (y1 - y0 - total) // 2)
    for line, (left, top, right, bottom) in zip(lines, heights, strict=True):
        x = x0 + (max(0, (x1 - x0 - (right - left)) // 2) if align == "centre" else 0)
        draw.text((x - left, y - top), line, font=font, fill=fill)
        y += bottom - top + 4


def _fit_font(draw: ImageDraw.ImageDraw, text: str, path: str, size: int, width: int) -> Any:
    """The font at `size`, smaller while `text` is wider than `width`."""
    font = _font_of(path, size)
    while size > 8 and draw.textlength(text, font=font) > width:
        size = int(size * 0.85)
        font = _font_of(path, size)
    return font


def meme_caption(where: str) -> WideAlteration:
    """Caption bars with text added above, below or both ("top", "bottom", "both"): the canvas
    grows by 8-30% of the picture's height per bar, in a bar colour with one or two lines of text."""

    def alter(data: bytes, seed: int, held_out: bool = False) -> bytes:
        rng = _rng(seed)
        image = _open(data)
        w, h = image.size
        colour: Colour = _pick(rng, CANVAS_COLOURS[held_out])
        ink = _contrast_to(colour)
        font_path = _pick(rng, FONT_FILES[held_out])
        sides = ("top", "bottom") if where == "both" else (where,)
        bars = {side: max(8, round(h * rng.uniform(0.08, 0.30))) for side in sides}
        canvas = Image.new("RGB", (w, h + sum(bars.values())), colour)
        top = bars.get("top", 0)
        canvas.paste(image, (0, top))
        draw = ImageDraw.Draw(canvas)
        for side, bar in bars.items():
            lines = [_phrase(rng, held_out, int(rng.integers(2, 6))) for _ in range(int(rng.integers(1, 3)))]
            size = max(8, int(bar * rng.uniform(0.25, 0.45)))
            font = _fit_font(draw, max(lines, key=len), font_path, size, int(w * 0.94))
            y0 = 0 if side == "top" else top + h
            _text_lines(draw, (round(w * 0.03), y0, round(w * 0.97), y0 + bar), lines, font, ink, "centre")
        return _encode(canvas, "PNG")

    return alter


def caption_over(data: bytes, seed: int, held_out: bool = False) -> bytes:
    """A caption bar with text laid over the top or bottom 8-15% of the picture (the canvas stays)."""
    rng = _rng(seed)
    image = _open(data)
    w, h = image.size
    colour: Colour = _pick(rng, CANVAS_COLOURS[held_out])
    bar = max(6, round(h * rng.uniform(0.08, 0.15)))
    y0 = 0 if rng.random() < 0.5 else h - bar
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, y0, w, y0 + bar), fill=colour)
    line = _phrase(rng, held_out, int(rng.integers(2, 6)))
    font = _fit_font(draw, line, _pick(rng, FONT_FILES[held_out]), int(bar * 0.55), int(w * 0.94))
    _text_lines(draw, (0, y0, w, y0 + bar), [line], font, _contrast_to(colour), "centre")
    return _encode(image, "PNG")


def _scaled(image: Image.Image, width: int, height: int) -> Image.Image:
    """The picture fitted inside width x height, keeping its aspect."""
    factor = min(width / image.width, height / image.height)
    size = (max(8, round(image.width * factor)), max(8, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _interface_text(
    draw: ImageDraw.ImageDraw, rng: np.random.Generator, box: tuple[int, int, int, int], ink: Colour, held_out: bool
) -> None:
    """A few short left-aligned lines of interface text (names, counts, comments) in `box`."""
    x0, y0, x1, y1 = box
    if y1 - y0 < 10 or x1 - x0 < 40:
        return
    size = max(9, int(min(y1 - y0, 60) * rng.uniform(0.18, 0.35)))
    font = _font_of(_pick(rng, FONT_FILES[held_out]), size)
    y = y0 + size // 2
    while y + size < y1:
        line = _phrase(rng, held_out, int(rng.integers(1, 6)))
        if rng.random() < 0.3:
            line = f"{int(rng.integers(2, 999))} likes  {line}"
        while line and draw.textlength(line, font=font) > x1 - x0:  # interface text stays in its column
            line = line[:-1]
        draw.text((x0, y), line, font=font, fill=ink)
        y += int(size * rng.uniform(1.4, 2.2))


def phone_screenshot(data: bytes, seed: int, held_out: bool = False) -> bytes:
    """The picture in a phone screen: a tall canvas, status bar and app header with text above it,
    interface text below, side margins of 0-8% of the screen's width."""
    rng = _rng(seed)
    image = _open(data)
    screen_w = int(rng.integers(360, 720))
    screen_h = int(screen_w * rng.uniform(1.8, 2.2))
    colour: Colour = _pick(rng, CANVAS_COLOURS[held_out])
    ink = _contrast_to(colour)
    canvas = Image.new("RGB", (screen_w, screen_h), colour)
    draw = ImageDraw.Draw(canvas)
    status = int(screen_h * 0.03)
    draw.text(
        (int(screen_w * 0.05), status // 4),
        f"{int(rng.integers(0, 24))}:{int(rng.integers(10, 60))}",
        font=_font_of("", max(8, status * 2 // 3)),
        fill=ink,
    )
    draw.rectangle((int(screen_w * 0.85), status // 3, int(screen_w * 0.92), status * 2 // 3), fill=ink)
    header = int(screen_h * rng.uniform(0.05, 0.12))
    margin = int(screen_w * rng.uniform(0.0, 0.08))
    _interface_text(draw, rng, (margin + 8, status, screen_w - margin, status + header), ink, held_out)
    picture = _scaled(image, screen_w - 2 * margin, int(screen_h * 0.6))
    top = status + header + int(rng.integers(0, max(1, screen_h // 30)))
    canvas.paste(picture, (margin + (screen_w - 2 * margin - picture.width) // 2, top))
    _interface_text(draw, rng, (margin + 8, top + picture.height + 6, screen_w - margin, screen_h - 10), ink, held_out)
    return _encode(canvas, "PNG")


def browser_screenshot(data: bytes, seed: int, held_out: bool = False) -> bytes:
    """The picture in a browser window: tab and address bars with text on top, page text beside
    and below it, margins of 2-30% of the window's width, the picture anywhere in the page."""
    rng = _rng(seed)
    image = _open(data)
    win_w = int(rng.integers(800, 1400))
    win_h = int(win_w * rng.uniform(0.55, 0.7))
    page: Colour = _pick(rng, CANVAS_COLOURS[held_out])
    ink = _contrast_to(page)
    canvas = Image.new("RGB", (win_w, win_h), page)
    draw = ImageDraw.Draw(canvas)
    chrome = int(win_h * rng.uniform(0.07, 0.12))
    bar_colour = (222, 225, 230) if sum(page) > 380 else (53, 54, 58)
    draw.rectangle((0, 0, win_w, chrome), fill=bar_colour)
    draw.rounded_rectangle((int(win_w * 0.12), chrome // 2, int(win_w * 0.8), chrome - 4), radius=6, fill=page)
    draw.text(
        (int(win_w * 0.14), chrome // 2 + 2),
        f"https://example.org/{_phrase(rng, held_out, 2).replace(' ', '/')}",
        font=_font_of("", max(8, chrome // 4)),
        fill=ink,
    )
    draw.text((10, 4), _phrase(rng, held_out, 3), font=_font_of("", max(8, chrome // 4)), fill=_contrast_to(bar_colour))
    left = int(win_w * rng.uniform(0.02, 0.30))
    room_w = int(win_w * rng.uniform(0.45, 0.65))
    room_w = min(room_w, win_w - left - 10)
    top = chrome + int(win_h * rng.uniform(0.03, 0.15))
    picture = _scaled(image, room_w, win_h - top - 10)
    canvas.paste(picture, (left, top))
    _interface_text(draw, rng, (left, chrome + 4, win_w - 10, top - 4), ink, held_out)
    _interface_text(draw, rng, (left + picture.width + 20, top, win_w - 10, win_h - 10), ink, held_out)
    _interface_text(draw, rng, (10, top, max(10, left - 10), win_h - 10), ink, held_out)
    return _encode(canvas, "PNG")


def textured_background(width: int, height: int, rng: np.random.Generator) -> Image.Image:
    """A generated photo-like background: smooth colour gradients with blotches and grain."""
    coarse = rng.uniform(40, 220, (int(rng.integers(3, 7)), int(rng.integers(3, 7)), 3)).astype(np.uint8)
    base = Image.fromarray(coarse).resize((width, height), Image.Resampling.BICUBIC)
    detail = rng.uniform(-40, 40, (height // 8 + 1, width // 8 + 1, 3)).astype(np.float32)
    detail_img = np.asarray(
        Image.fromarray(np.uint8(detail + 128)).resize((width, height), Image.Resampling.BILINEAR), np.float32
    )
    grain = rng.normal(0, 6, (height, width, 3))
    pixels = np.asarray(base, np.float32) + (detail_img - 128) + grain
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def photo_in_photo(data: bytes, seed: int, held_out: bool = False) -> bytes:
    """The picture, 35-75% of the scene's width, anywhere on a textured photo-like scene,
    with a white print border, a dark frame or nothing around it."""
    rng = _rng(seed)
    image = _open(data)
    scene_w = int(rng.integers(640, 1280))
    scene_h = int(scene_w * rng.uniform(0.6, 1.2))
    scene = textured_background(scene_w, scene_h, rng)
    picture = _scaled(image, int(scene_w * rng.uniform(0.35, 0.75)), int(scene_h * 0.8))
    frame = _pick(rng, ["none", "print", "dark"] if not held_out else ["none", "print", "dark", "shadow"])
    pad = 0 if frame == "none" else max(2, int(picture.width * rng.uniform(0.01, 0.05)))
    x = int(rng.integers(pad, max(pad + 1, scene_w - picture.width - pad)))
    y = int(rng.integers(pad, max(pad + 1, scene_h - picture.height - pad)))
    draw = ImageDraw.Draw(scene)
    box = (x - pad, y - pad, x + picture.width + pad, y + picture.height + pad)
    if frame == "print":
        draw.rectangle(box, fill=(245, 245, 240))
    elif frame == "dark":
        draw.rectangle(box, fill=(30, 25, 20))
    elif frame == "shadow":
        draw.rectangle((box[0] + pad, box[1] + pad, box[2] + pad, box[3] + pad), fill=(20, 20, 20))
    scene.paste(picture, (x, y))
    return _encode(scene, "PNG")


def small_rotation(low: float, high: float, cropped: bool) -> WideAlteration:
    """Turned by `low`-`high` degrees either way; the canvas grows and its corners are filled in a
    flat colour, or with `cropped` the corners are cut away (the largest upright picture of the
    same aspect inside the turned one, as a photo editor's straighten tool does)."""

    def alter(data: bytes, seed: int, held_out: bool = False) -> bytes:
        rng = _rng(seed)
        image = _open(data)
        degrees = float(rng.uniform(low, high)) * (1 if rng.random() < 0.5 else -1)
        fill: Colour = _pick(rng, CANVAS_COLOURS[held_out])
        turned = image.rotate(degrees, Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
        if cropped:
            scale = inscribed_scale(image.width, image.height, degrees) * float(rng.uniform(0.97, 1.0))
            w, h = image.width * scale, image.height * scale
            cx, cy = turned.width / 2, turned.height / 2
            turned = turned.crop((round(cx - w / 2), round(cy - h / 2), round(cx + w / 2), round(cy + h / 2)))
        return _encode(turned, "PNG")

    return alter


def _emoji(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], colour: Colour, rng: np.random.Generator) -> None:
    x0, y0, x1, y1 = box
    size = x1 - x0
    kind = int(rng.integers(4))
    if kind == 0:  # a face
        draw.ellipse(box, fill=colour, outline=(60, 40, 0), width=max(1, size // 30))
        eye = max(1, size // 10)
        for ex in (x0 + size * 0.3, x0 + size * 0.6):
            draw.ellipse((ex, y0 + size * 0.3, ex + eye, y0 + size * 0.3 + eye * 1.5), fill=(40, 30, 10))
        draw.arc(
            (x0 + size * 0.25, y0 + size * 0.35, x0 + size * 0.75, y0 + size * 0.78),
            20,
            160,
            fill=(40, 30, 10),
            width=max(1, size // 25),
        )
    elif kind == 1:  # a heart
        r = size / 4
        draw.ellipse((x0, y0, x0 + 2 * r, y0 + 2 * r), fill=colour)
        draw.ellipse((x0 + 2 * r, y0, x1, y0 + 2 * r), fill=colour)
        draw.polygon([(x0 + 0.1 * r, y0 + 1.4 * r), (x1 - 0.1 * r, y0 + 1.4 * r), ((x0 + x1) / 2, y1)], fill=colour)
    elif kind == 2:  # a star
        cx, cy, outer = (x0 + x1) / 2, (y0 + y1) / 2, size / 2
        points = [
            (
                cx + (outer if i % 2 == 0 else outer * 0.45) * np.sin(i * np.pi / 5),
                cy - (outer if i % 2 == 0 else outer * 0.45) * np.cos(i * np.pi / 5),
            )
            for i in range(10)
        ]
        draw.polygon(points, fill=colour, outline=(30, 30, 30))
    else:  # a rounded label
        draw.rounded_rectangle(box, radius=max(2, size // 6), fill=colour)


def overlay(max_area: float, min_area: float) -> WideAlteration:
    """Stickers, emoji-like shapes or a block of text covering `min_area`-`max_area` of the picture
    in all, anywhere on it (centre, sides or corners): one to three pieces."""

    def alter(data: bytes, seed: int, held_out: bool = False) -> bytes:
        rng = _rng(seed)
        image = _open(data)
        w, h = image.size
        draw = ImageDraw.Draw(image)
        area = float(rng.uniform(min_area, max_area)) * w * h
        pieces = int(rng.integers(1, 4))
        for _ in range(pieces):
            share = area / pieces
            kind = _pick(rng, ["emoji", "text"])
            if kind == "emoji":
                side = int(min(np.sqrt(share), w - 2, h - 2))
                x, y = int(rng.integers(0, w - side)), int(rng.integers(0, h - side))
                _emoji(draw, (x, y, x + side, y + side), _pick(rng, STICKER_COLOURS[held_out]), rng)
            else:  # text on a label: about 4 times wider than high
                bw = int(min(np.sqrt(share * 4), w - 2))
                bh = int(min(share / max(bw, 1), h - 2))
                x, y = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
                label: Colour = _pick(rng, STICKER_COLOURS[held_out] + CANVAS_COLOURS[held_out])
                draw.rectangle((x, y, x + bw, y + bh), fill=label)
                line = _phrase(rng, held_out, int(rng.integers(1, 4)))
                font = _fit_font(draw, line, _pick(rng, FONT_FILES[held_out]), int(bh * 0.6), int(bw * 0.95))
                _text_lines(draw, (x, y, x + bw, y + bh), [line], font, _contrast_to(label), "centre")
        return _encode(image, "PNG")

    return alter


WIDE_ALTERATIONS: dict[str, tuple[str, WideAlteration]] = {
    "meme caption top": ("caption bars with text", meme_caption("top")),
    "meme caption bottom": ("caption bars with text", meme_caption("bottom")),
    "meme caption both": ("caption bars with text", meme_caption("both")),
    "caption over picture": ("caption bars with text", caption_over),
    "phone screenshot": ("picture inside a larger canvas", phone_screenshot),
    "browser screenshot": ("picture inside a larger canvas", browser_screenshot),
    "photo in photo": ("picture inside a larger canvas", photo_in_photo),
    "turn 2-5° filled": ("rotation 2-10°", small_rotation(2, 5, cropped=False)),
    "turn 5-10° filled": ("rotation 2-10°", small_rotation(5, 10, cropped=False)),
    "turn 2-5° cropped": ("rotation 2-10°", small_rotation(2, 5, cropped=True)),
    "turn 5-10° cropped": ("rotation 2-10°", small_rotation(5, 10, cropped=True)),
    "turn 10-15° filled": ("rotation 10-15°", small_rotation(10, 15, cropped=False)),
    "turn 10-15° cropped": ("rotation 10-15°", small_rotation(10, 15, cropped=True)),
    "overlays 2-5%": ("overlays up to 15%", overlay(0.05, 0.02)),
    "overlays 5-10%": ("overlays up to 15%", overlay(0.10, 0.05)),
    "overlays 10-15%": ("overlays up to 15%", overlay(0.15, 0.10)),
}
"""The wide classes bench/robustness.py applies to every photo with its own seeded parameters,
by name: (class the issue judges it in, alteration)."""
