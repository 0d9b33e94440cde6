"""Views of one decoded image hashed with PDQ: uniform-border trimming, a normalised view, crops.

All of it works on one reduced decode (`decode.ReducedLuma`): a region's hash is what the reference
would give the full-size pixels of that region (exactly, when the decode was not reduced; through
`pdq.pdq_float256_reduced` otherwise), so trimming or cropping never decodes the image again.

* `uniform_border` finds bars and frames added around a picture (letterboxing, padding to a
  square, a coloured border): opposite sides whose outer lines are one flat colour, the same on
  both, at least `BORDER_MIN_FRACTION` deep. Hashing the picture inside them is what makes a bordered copy match.
* `normalised_hash` hashes the picture shrunk to 64x64 with its highlights flattened: PDQ of a
  small original and of its half-size copy, or of a copy brightened until its highlights burn out,
  can lie just beyond the threshold (the reference's too); their normalised views do not.
* `CROP_SETS` are named sets of regions, as fractions of the (trimmed) picture. Hashing several
  crops of each bank entry lets a cropped copy match its entry; hashing a few crops of a query lets
  a copy with a sticker or caption over one side match an entry's same crop.

Each view has a name (`UNTRIMMED`, `NORMALISED`, the crop names); a match says which views met.
bench/robustness.py measures what each view buys and costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import numpy.typing as npt
from PIL import Image

from alliance.core.media import inside, pdq
from alliance.core.media.decode import ReducedLuma, chroma_planes

Box = tuple[float, float, float, float]
"""left, top, right, bottom as fractions of the picture's width and height."""

PixelBox = tuple[int, int, int, int]
"""x0, y0, x1, y1 in the pixels of a ReducedLuma (its luma, or its rgb when not reduced)."""

BORDER_TOLERANCE = 10
"""Luma levels a border pixel may differ from its side's colour (JPEG ringing, noise)."""
BORDER_OUTLIERS = 0.02
"""Fraction of a border line's pixels allowed beyond the tolerance."""
BORDER_MIN_FRACTION = 0.02
"""A side is trimmed only when its flat band is at least this deep (of the image's height or width):
a line or two of dark edge, common in scans and frame grabs, is left alone."""
BORDER_MAX_FRACTION = 0.45
"""No side is trimmed by more than this, and the picture left must keep 20% of each dimension."""


def centre(fraction: float) -> Box:
    """Cut `fraction` of the width and height, half on each side."""
    half = fraction / 2
    return (half, half, 1 - half, 1 - half)


def corner(fraction: float, which: str) -> Box:
    """Keep a corner: cut `fraction` of the width and the height from the opposite sides."""
    left = 0.0 if which.endswith("left") else fraction
    top = 0.0 if which.startswith("top") else fraction
    return (left, top, left + 1 - fraction, top + 1 - fraction)


def without_side(fraction: float, side: str) -> Box:
    """Everything but a band of `fraction` along one side ("left", "top", "right", "bottom")."""
    return {
        "left": (fraction, 0.0, 1.0, 1.0),
        "top": (0.0, fraction, 1.0, 1.0),
        "right": (0.0, 0.0, 1 - fraction, 1.0),
        "bottom": (0.0, 0.0, 1.0, 1 - fraction),
    }[side]


CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
SIDES = ("left", "top", "right", "bottom")

BANK_CROP_STEPS = (0.04, 0.08, 0.12, 0.16, 0.20)
QUERY_CROP_STEPS = (0.01, 0.02, 0.03)
SIDE_CUT = 0.25
WINDOW_SIDE = 0.4
WINDOW_STEPS = (0.0, 0.2, 0.4, 0.6)
"""Windows 0.4 of the picture's width and height, every 0.2: 16, each hashed as a crop of its own on
both sides of a crop-matching bank. Stickers, emoji and labels covering up to 15% of a picture in
one to three pieces anywhere leave at least one window clear (or nearly) 98% of the time on
bench/robustness.py's photos, and a window's own hash then meets the entry's same window, whatever
the overlay looks like (flat or not). Half-size windows every 0.25 left one clear 68-79% of the
time at 10-15%; windows of different photos stayed 84 bits or more apart (decision 0002)."""

UNTRIMMED = "untrimmed"
"""The whole image, when the picture hashed was trimmed out of a uniform border."""
TRIMMED = "trimmed"
"""The picture inside a uniform border, when the hash itself is the whole image's (the reference path)."""
REFERENCE = "reference"
"""The whole image as the file stores it (EXIF orientation not applied): what other tools hash,
when it differs from the entry's own hash; exports give it (decision 0002)."""
NORMALISED = "normalised"
"""The picture shrunk to `NORMALISED_SIDE` pixels square, its highlights flattened (`normalised_hash`)."""


def _percent(fraction: float) -> int:
    return round(fraction * 100)


CROP_SETS: dict[str, dict[str, Box]] = {
    # what a bank entry stores for crop-robust matching: centre and corner crops every 4% up to
    # 20% (plain PDQ stops matching about 2% away from the crop it was computed on), and the four
    # side crops for overlays
    "bank-crops": {
        **{f"centre-{_percent(f)}": centre(f) for f in BANK_CROP_STEPS},
        **{f"{c}-{_percent(f)}": corner(f, c) for f in BANK_CROP_STEPS for c in CORNERS},
        **{f"no-{s}-{_percent(SIDE_CUT)}": without_side(SIDE_CUT, s) for s in SIDES},
    },
    # what a bank entry whose picture was trimmed out of a border also stores: corner crops of the
    # whole image. A corner crop of a bordered picture keeps the border on two sides only, so the
    # copy is not trimmed and meets the whole image's crop, not the picture's.
    "bank-untrimmed-corners": {
        f"{UNTRIMMED}-{c}-{_percent(f)}": corner(f, c) for f in BANK_CROP_STEPS for c in CORNERS
    },
    # what a query adds for crops: 1, 2 and 3% centre and corner crops, so that whatever a copy's
    # crop, one of them lands within half a step of the bank's 4% steps (a copy cropped 5% and cut
    # 3% more is 7.9% cropped, at the bank's 8%); PDQ stops matching about 2% away
    "query-crops": {
        f"{name}-{_percent(f)}": box
        for f in QUERY_CROP_STEPS
        for name, box in (("centre", centre(f)), *((c, corner(f, c)) for c in CORNERS))
    },
    # what a query adds for overlays: the four side crops (a sticker or caption over one side is cut away)
    "query-sides": {f"no-{s}-{_percent(SIDE_CUT)}": without_side(SIDE_CUT, s) for s in SIDES},
    # both sides, for overlays anywhere: windows of the picture, one of which an overlay leaves clear
    "windows": {
        f"window-{_percent(x)}-{_percent(y)}": (x, y, x + WINDOW_SIDE, y + WINDOW_SIDE)
        for y in WINDOW_STEPS
        for x in WINDOW_STEPS
    },
}

INSIDE = "inside"
"""The picture pasted on a flat canvas (`inside.canvas_picture`): the photo of a meme between its
caption bars, of a screenshot inside its interface."""
FRAMED = "framed"
"""The picture framed inside the image by long straight edges, steps of its luma or its colour
(`inside.inner_picture`), a frame or print border inside it trimmed: a photo inside a photo; found
only when not the `INSIDE` one."""
FRAMED_ALONG = "framed-along"
"""As `FRAMED`, each line averaged along itself first (`inside.ALONG_SMOOTHING`): a photo on a
grainy or textured photo; found only when not one of the two before."""
UPRIGHT = "upright"
"""A picture turned by a few degrees on a canvas grown to hold it, turned back (`inside.turned_picture`)."""

TURN_DEGREES = tuple(range(2, 16))
"""A crop-matching bank entry also stores its picture turned by each of these, both ways, cut just
inside the largest upright picture of its shape (`TURN_TIGHTER`): a copy turned and cropped (a straighten tool) lands
within half a degree of one; PDQ keeps ~all copies at 0.5 degrees off, two thirds at 1, an eighth
at 1.5 (bench/robustness.py's photos)."""


def turn_name(degrees: int) -> str:
    return f"turn{degrees:+d}"


QUERY_NUDGES = (0.5, -0.5)
"""A query to a crop-matching bank also sends its picture turned by half a degree each way, so that
with the bank's whole degrees every turn lies within a quarter degree of a pair."""
NUDGE_VIEWS = {degrees: f"turn{degrees:+.1f}" for degrees in QUERY_NUDGES}

REFILL_RIM = 0.9
"""A picture whose outermost pixels lie this much (of them) within `inside.TURN_FILL_TOLERANCE` of
one colour stands on a flat backdrop (an object on white): its turned copies are the object turned on
that backdrop, whatever colour filled the corners or however they were cut."""


def refill_name(degrees: int) -> str:
    return f"refill{degrees:+d}"


REFILL_VIEWS = frozenset(refill_name(sign * d) for d in TURN_DEGREES for sign in (1, -1))

TURN_VIEWS = (
    frozenset(turn_name(sign * d) for d in TURN_DEGREES for sign in (1, -1)) | set(NUDGE_VIEWS.values()) | REFILL_VIEWS
)

WINDOWS = CROP_SETS["windows"]

MASK_SIDE = 0.5
"""A masked view fills a window this wide and high (of the picture) smoothly from around it."""
MASK_STEPS = (0.0, 0.25, 0.5)
MASKS: dict[str, Box] = {
    f"masked-{round(x * 4)}{round(y * 4)}": (x, y, x + MASK_SIDE, y + MASK_SIDE) for y in MASK_STEPS for x in MASK_STEPS
}
"""Masked views, named by the window's left and top in quarters, on both sides of a crop-matching
bank (`masked_hashes`). A sticker in the middle of the picture touches every one of the `WINDOWS`,
but any piece up to a quarter of the picture's side lies inside one of these: masked alike on both
sides, the rest of the picture meets, whatever the sticker looks like."""

CROP_VIEWS = frozenset(name for boxes in CROP_SETS.values() for name in boxes) | TURN_VIEWS | frozenset(MASKS)
"""Names of every crop view, bank or query side (turned views included): they take part only in
banks with crop matching on."""

NORMALISED_SIDE = 64
"""PDQ's own working size: the 16x16 DCT of a 64x64 image is all the hash is made of."""
NORMALISED_HIGHLIGHTS = 0.80
"""Pixels brighter than this quantile are set to it, so highlights burnt out in a copy compare equal."""
_HIGHLIGHT_RANK = round(NORMALISED_HIGHLIGHTS * (NORMALISED_SIDE * NORMALISED_SIDE - 1))
"""That quantile is this pixel of the sorted 64x64 (numpy's linear quantile lands on it exactly), so
a partial sort finds it: 4 us instead of `np.quantile`'s 27."""


MIN_VIEW_ENERGY = 4.0
"""A view whose 16x16 DCT block has a root mean square under this is matched on nothing: PDQ's block
leaves out each axis's zero frequency, so a picture that changes along one axis only (one straight
step: a window across a screenshot's edge) hashes the noise of near-zero coefficients, with a
spatial quality that can pass 50. One such window of a screenshot met a crop of another photo at
24 bits; no view of quality 50 or more of any core photo is under 6 (its 0.1th percentile: 9-24
by kind of view)."""


@dataclass(frozen=True, slots=True)
class RegionHash:
    box: PixelBox
    block: npt.NDArray[np.float32]
    quality: int

    @property
    def view_quality(self) -> int:
        """The quality a view is matched by: PDQ's, or 0 when its DCT block is all but empty
        (`MIN_VIEW_ENERGY`), so that neither a bank nor a query matches on it."""
        energy = float(np.sqrt(np.mean(np.square(self.block, dtype=np.float64))))
        return self.quality if energy >= MIN_VIEW_ENERGY else 0

    def hash(self) -> bytes:
        if self.quality == 0 and not self.block.any():
            return bytes(32)
        return pdq.block_to_hash(self.block)


def picture_size(reduced: ReducedLuma) -> tuple[int, int]:
    """Width and height of the arrays regions index (the rgb when not reduced, else the luma)."""
    if reduced.rgb is not None:
        return reduced.rgb.shape[1], reduced.rgb.shape[0]
    return reduced.luma.shape[1], reduced.luma.shape[0]


def luma8(reduced: ReducedLuma) -> npt.NDArray[np.uint8]:
    """The 8-bit luma, (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16 of an rgb decode: Pillow's
    "L" conversion computes exactly that, at a third of numpy's time (0.45 against 1.3 ms at 720x480)."""
    if reduced.rgb is None:
        return reduced.luma
    grey = reduced.derived.get("luma8")
    if grey is None:
        grey = reduced.derived["luma8"] = np.asarray(Image.fromarray(reduced.rgb).convert("L"))
    return grey


def normalised_hash(reduced: ReducedLuma, box: PixelBox) -> RegionHash:
    """PDQ of the picture in `box` area-averaged to 64x64, every pixel above the 80% quantile set
    to it.

    Why: plain PDQ filters an image with a window that grows with its size, so a 320-pixel
    original and its 160-pixel copy are filtered differently and can land beyond the threshold
    (32 to 72 bits on the core photo set; the reference does the same); averaged to 64x64 first,
    they are alike. Flattening the
    brightest fifth makes a copy whose highlights were brightened until they clipped look like
    its original, whose same pixels were its brightest. Measured on bench/robustness.py's photos.
    """
    x0, y0, x1, y1 = box
    if reduced.rgb is not None:  # Pillow's luma of the region alone, not `luma8` of the whole image
        picture = Image.fromarray(np.ascontiguousarray(reduced.rgb[y0:y1, x0:x1])).convert("L")
    else:
        picture = Image.fromarray(np.ascontiguousarray(reduced.luma[y0:y1, x0:x1]))
    grey = np.asarray(picture.resize((NORMALISED_SIDE, NORMALISED_SIDE), Image.Resampling.BOX), dtype=np.float32)
    return RegionHash(box, *_flattened_pdq(grey))


def _flattened_pdq(grey: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.float32], int]:
    """PDQ's block and quality of a `NORMALISED_SIDE` square picture with every pixel above the
    `NORMALISED_HIGHLIGHTS` quantile set to it (highlights burnt out in a copy compare equal)."""
    highlight = np.partition(grey.ravel(), _HIGHLIGHT_RANK)[_HIGHLIGHT_RANK]
    return pdq.pdq_float256_of_luma(np.ascontiguousarray(np.minimum(grey, highlight), dtype=np.float32))


def hash_region(reduced: ReducedLuma, box: PixelBox) -> RegionHash:
    """The hash the reference would give the full-size pixels inside `box`."""
    x0, y0, x1, y1 = box
    if reduced.rgb is not None:
        block, quality = pdq.pdq_float256(reduced.rgb[y0:y1, x0:x1])
        return RegionHash(box, block, quality)
    full_w = min(x1 * reduced.scale_x, reduced.full_width) - x0 * reduced.scale_x
    full_h = min(y1 * reduced.scale_y, reduced.full_height) - y0 * reduced.scale_y
    region = np.ascontiguousarray(reduced.luma[y0:y1, x0:x1])
    block, quality = pdq.pdq_float256_reduced(region, full_h, full_w, reduced.scale_y, reduced.scale_x)
    return RegionHash(box, block, quality)


def dihedral_region_hashes(reduced: ReducedLuma, box: PixelBox) -> list[bytes]:
    """The hashes of the 8 rotations and flips of the pixels in `box` (`pdq.DIHEDRAL_NAMES` order),
    the hashes of the transformed pixels: not the reference's sign flips of one DCT block, which
    its slightly asymmetric blur makes up to ~30 bits off on textured or small images. Measured
    equal to hashing each turned picture on every fixture photo checked (2,304 turns of small
    images, 1,148 images of reduced ones; tests/core/test_views.py holds the rule)."""
    x0, y0, x1, y1 = box
    if reduced.rgb is not None:
        # A small image, decoded whole: its float luma by the reference's linear map, not its
        # float32 box passes (which filter rows before columns, so a transposed picture would round
        # differently); 3.8 -> 0.8 ms on a 480x360 JPEG. Query variants only: an image's own hash
        # stays exact.
        luma: npt.NDArray[Any] = pdq.luma_of(reduced.rgb[y0:y1, x0:x1])
        (full_h, full_w), scale_y, scale_x = luma.shape, 1, 1
    else:
        luma = reduced.luma[y0:y1, x0:x1]
        full_w = min(x1 * reduced.scale_x, reduced.full_width) - x0 * reduced.scale_x
        full_h = min(y1 * reduced.scale_y, reduced.full_height) - y0 * reduced.scale_y
        scale_y, scale_x = reduced.scale_y, reduced.scale_x
    if min(full_h, full_w) < pdq.MIN_HASHABLE_DIM:  # too small to hash: all-zero hashes, as the reference
        return [RegionHash(box, np.zeros((16, 16), np.float32), 0).hash()] * 8
    # The 64x64 samples of a transposed picture are the transpose of the untransposed one's (the
    # reference's blur is separable, and each axis's map depends only on that axis's length), so
    # the picture and its three flips give all eight turns; and the flips' samples share their
    # first passes (`samples_reduced_flips`): two blurs for eight turns (eight blurs to four took
    # a dihedral upload from 5.4 to 4.2 ms of server CPU in session 3; four to two took these
    # turns from 2.0 to 1.3 ms per 1024x768 JPEG in session 4, on a machine 2-3x slower).
    same, flip_x, flip_y, flip_xy = pdq.samples_reduced_flips(luma, full_h, full_w, scale_y, scale_x)
    turns = [same, flip_x.T, flip_xy, flip_y.T, flip_y, flip_x, same.T, flip_xy.T]  # `pdq.DIHEDRAL_NAMES` order
    return [RegionHash(box, *pdq.block_of_samples(a)).hash() for a in turns]


@numba.njit(cache=True, nogil=True)
def _flat_band(
    grey: npt.NDArray[np.uint8], side: int, limit: int, tolerance: int, outliers: float
) -> tuple[int, int]:  # pragma: no cover - compiled
    """How many lines from `side` (0 top, 1 bottom, 2 left, 3 right; at most `limit`) are one flat
    colour, the outermost line's median; and that colour.

    A line is flat when at most `outliers` of its pixels lie more than `tolerance` from the colour.
    Compiled, and reading outward only to the first line that is not flat: most pictures have no
    border, and the same checks in numpy cost 0.4-0.7 ms per image (a sixth of its hashing)."""
    h, w = grey.shape
    length = w if side < 2 else h
    if limit <= 0 or length == 0:
        return 0, 0
    counts = np.zeros(256, np.int64)
    for i in range(length):
        counts[_pixel(grey, side, 0, i, h, w)] += 1
    colour = _median(counts, length)
    for depth in range(limit):
        off = 0
        for i in range(length):
            if abs(np.int64(_pixel(grey, side, depth, i, h, w)) - colour) > tolerance:
                off += 1
        if off / length > outliers:
            return depth, colour
    return limit, colour


@numba.njit(cache=True, nogil=True, inline="always")
def _pixel(grey: npt.NDArray[np.uint8], side: int, line: int, i: int, h: int, w: int) -> Any:  # pragma: no cover
    if side == 0:
        return grey[line, i]
    if side == 1:
        return grey[h - 1 - line, i]
    if side == 2:
        return grey[i, line]
    return grey[i, w - 1 - line]


@numba.njit(cache=True, nogil=True)
def _median(counts: npt.NDArray[np.int64], n: int) -> int:  # pragma: no cover - compiled
    """`int(np.median(line))` of a line of `n` uint8 values from their histogram."""
    lower, upper = (n - 1) // 2, n // 2  # the middle rank(s)
    low = high = -1
    seen = 0
    for value in range(256):
        seen += counts[value]
        if low < 0 and seen > lower:
            low = value
        if seen > upper:
            high = value
            break
    return (low + high) // 2


def _paired(a: tuple[int, int], b: tuple[int, int], size: int) -> tuple[int, int]:
    """Depths to trim from two opposite sides: both flat in one colour and deep enough.

    Both sides lose the shallower depth: added bars are as deep on both sides (within a line), and
    when one band runs deeper it is the picture's own edge (as dark as a black frame, say). One more
    line goes on each trimmed side: the edge where border and picture were blended by resampling or
    JPEG."""
    (depth_a, colour_a), (depth_b, colour_b) = a, b
    least = max(2, BORDER_MIN_FRACTION * size)
    if depth_a < least or depth_b < least or abs(colour_a - colour_b) > BORDER_TOLERANCE:
        return 0, 0
    depth = min(depth_a, depth_b)
    return depth + 1, depth + 1


def uniform_border(reduced: ReducedLuma) -> PixelBox | None:
    """The picture inside flat bars or frames added around it, or None when there are none.

    Added borders come in pairs: letterbox bars above and below, pillarbox or padding left and
    right, a frame on all four sides. A flat band on one side only (a clear sky, a studio wall) is
    the picture itself and is left alone; so is a flat band without a like one opposite."""
    return _inside_border(luma8(reduced))


def _inside_border(grey: npt.NDArray[np.uint8]) -> PixelBox | None:
    h, w = grey.shape
    if h < 10 or w < 10:
        return None
    max_y, max_x = int(h * BORDER_MAX_FRACTION), int(w * BORDER_MAX_FRACTION)
    bands = [
        _flat_band(grey, side, limit, BORDER_TOLERANCE, BORDER_OUTLIERS)
        for side, limit in ((0, max_y), (1, max_y), (2, max_x), (3, max_x))
    ]
    top, bottom = _paired(bands[0], bands[1], h)
    left, right = _paired(bands[2], bands[3], w)
    if not (top or bottom or left or right):
        return None
    box = (left, top, w - right, h - bottom)
    if box[2] - box[0] < 0.2 * w or box[3] - box[1] < 0.2 * h:
        return None  # mostly flat: a flat image, not a bordered one
    return box


FRAME_MAX = 0.1
"""A frame, print border or hard shadow found inside a framed picture is at most this deep, of the
box's longer side (a frame is as deep on every side, so a wide picture's top and bottom bands may
be deeper than 10% of its height), and a band deeper than this share of the side it runs across
must end at a straight edge (`_ends_straight`)."""
FRAME_SHARE = 0.25
"""No band is deeper than this share of the side it runs across."""


def without_frame(grey: npt.NDArray[np.uint8], box: PixelBox) -> PixelBox:
    """`box` without a flat frame or print border inside it: a band of one colour at least two lines
    deep along one or more of its sides, the same colour on each, and on two or more sides in all
    counting those where that colour lies just outside the box (the box found may run along the
    frame's outer edge on some sides and the picture's own on others); the box's outermost line,
    blended with what lies outside, is passed over."""
    x0, y0, x1, y1 = box
    if x1 - x0 < 16 or y1 - y0 < 16:
        return box
    outer = np.ascontiguousarray(grey[y0:y1, x0:x1])
    h, w = outer.shape
    deepest = FRAME_MAX * max(h, w)
    limits = (int(min(deepest, FRAME_SHARE * h)),) * 2 + (int(min(deepest, FRAME_SHARE * w)),) * 2
    bands = []
    for side, limit in enumerate(limits):
        depth, colour = _flat_band(outer, side, limit, BORDER_TOLERANCE, BORDER_OUTLIERS)
        if depth < 2:  # the outermost line blended with what lies outside (flat or not): the band may start after it
            cut = _without_line(outer, side)
            inner, inner_colour = _flat_band(cut, side, limit - 1, BORDER_TOLERANCE, BORDER_OUTLIERS)
            if inner > 0 and inner + 1 > depth:
                depth, colour = inner + 1, inner_colour
        depth = _faint_edge(outer, side, depth, colour)
        if depth > FRAME_MAX * (h if side < 2 else w) and not _ends_straight(outer, side, depth, colour):
            depth = 0
        bands.append((depth, colour))
    outside = _outside_colours(grey, box)
    best: list[int] = []
    best_sides = 0
    for _, colour in bands:
        depths = [
            d if 2 <= d < limit and abs(c - colour) <= BORDER_TOLERANCE else 0
            for (d, c), limit in zip(bands, limits, strict=True)
        ]
        # a side whose frame lies just outside the box (found on the frame's inner edge there)
        beyond = sum(
            d == 0 and c is not None and abs(c - colour) <= BORDER_TOLERANCE
            for d, c in zip(depths, outside, strict=True)
        )
        sides = sum(d > 0 for d in depths) + beyond if any(depths) else 0
        if sides > best_sides:
            best, best_sides = depths, sides
    if best_sides < 2:
        return box
    top, bottom, left, right = best
    trimmed = (x0 + left, y0 + top, x1 - right, y1 - bottom)
    # the frame's outer edge often steps more than its inner one: the trimmed sides look a line in only
    return refined_box(grey, trimmed, inward=(left > 0, top > 0, right > 0, bottom > 0))


FRAME_EDGE = 0.5
"""Share of the line where a deep band ends that must differ from the band's colour: a frame ends
at the picture's straight edge; a picture's own flat margin (an object on white) at its outline."""


FAINT_STEP = 2
"""Levels the median of a line within a flat band may step from the band's colour where the band is
two colours alike within `BORDER_TOLERANCE`: a print's border and the white of the picture on it."""


def _faint_edge(grey: npt.NDArray[np.uint8], side: int, depth: int, colour: int) -> int:
    """`depth` cut at the first line (two or more in) whose median steps `FAINT_STEP` from `colour`
    and the next line's by more, both holding: a white print border and an object on white in the
    picture read as one band, their edge a faint straight step all along the line."""
    if depth < 3:
        return depth
    lines = (grey[:depth], grey[::-1][:depth], grey[:, :depth].T, grey[:, ::-1][:, :depth].T)[side]
    medians = np.abs(np.median(lines, axis=1) - colour)
    for line in range(2, depth - 1):
        if medians[line] >= FAINT_STEP and medians[line + 1] > FAINT_STEP:
            return line
    return depth


def _ends_straight(grey: npt.NDArray[np.uint8], side: int, depth: int, colour: int) -> bool:
    """Whether the band `depth` lines deep from `side` ends at a straight edge: the line past it,
    or the one after (a blended line), differs from `colour` along `FRAME_EDGE` of its length."""
    size = grey.shape[0] if side < 2 else grey.shape[1]
    best = 0.0
    for line in (depth, depth + 1):
        if line >= size:
            break
        at = (line, size - 1 - line, line, size - 1 - line)[side]
        values = grey[at] if side < 2 else grey[:, at]
        best = max(best, float(np.mean(np.abs(values.astype(np.int16) - colour) > BORDER_TOLERANCE)))
    return best >= FRAME_EDGE


def _outside_colours(grey: npt.NDArray[np.uint8], box: PixelBox) -> list[int | None]:
    """The flat colour of the two lines just outside each side of `box` (top, bottom, left, right),
    past the line blended with it, or None where they are not one colour or lie off the image."""
    x0, y0, x1, y1 = box
    h, w = grey.shape
    strips = (
        (grey[y0 - 3 : y0 - 1, x0:x1] if y0 >= 3 else None, 1),
        (grey[y1 + 1 : y1 + 3, x0:x1] if y1 + 3 <= h else None, 0),
        (grey[y0:y1, x0 - 3 : x0 - 1] if x0 >= 3 else None, 3),
        (grey[y0:y1, x1 + 1 : x1 + 3] if x1 + 3 <= w else None, 2),
    )
    out: list[int | None] = []
    for strip, side in strips:
        if strip is None:
            out.append(None)
            continue
        depth, colour = _flat_band(np.ascontiguousarray(strip), side, 2, BORDER_TOLERANCE, BORDER_OUTLIERS)
        out.append(colour if depth == 2 else None)
    return out


def _without_line(grey: npt.NDArray[np.uint8], side: int) -> npt.NDArray[np.uint8]:
    """`grey` without its outermost line on `side` (0 top, 1 bottom, 2 left, 3 right)."""
    cut = (grey[1:], grey[:-1], grey[:, 1:], grey[:, :-1])[side]
    return np.ascontiguousarray(cut)


REFINE_LINES = 3
"""A side found by its straight edge is moved to the strongest step within this many lines."""


def refined_box(
    grey: npt.NDArray[np.uint8], box: PixelBox, inward: tuple[bool, bool, bool, bool] | None = None
) -> PixelBox:
    """Each side of `box` inside the image moved to where the luma steps most between two lines,
    along the side's length, within `REFINE_LINES`: the side then lies on the picture's edge to the
    line (PDQ drifts a bit per line a box is off). Sides flagged in `inward` (left, top, right,
    bottom) move in by a line at most, or not at all: a frame's inner edge, found by the frame's
    depth, its outer edge stepping more just outside and the picture's own lines just inside."""
    h, w = grey.shape
    x0, y0, x1, y1 = box
    g = grey.astype(np.int16)
    out = list(box)
    only_in = inward if inward is not None else (False, False, False, False)
    for k, at, lo, hi, horizontal in (
        (1, y0, x0, x1, True),
        (3, y1, x0, x1, True),
        (0, x0, y0, y1, False),
        (2, x1, y0, y1, False),
    ):
        if inward is not None and not only_in[k]:
            continue
        size = h if horizontal else w
        if at <= 0 or at >= size:
            continue
        first, last = at - REFINE_LINES, at + REFINE_LINES
        if only_in[k]:  # left and top sides move in by growing, right and bottom by shrinking; by a line
            first, last = (at, at + 1) if k in (0, 1) else (at - 1, at)
        best, best_step = at, -1.0
        for line in range(max(1, first), min(size - 1, last) + 1):
            a, b = (g[line, lo:hi], g[line - 1, lo:hi]) if horizontal else (g[lo:hi, line], g[lo:hi, line - 1])
            step = float(np.abs(a - b).mean())
            if step > best_step:
                best, best_step = line, step
        out[k] = best
    return (out[0], out[1], out[2], out[3])


def sub_box(outer: PixelBox, box: Box) -> PixelBox:
    """A fractional box inside a pixel box, in pixels, at least 1x1."""
    x0, y0, x1, y1 = outer
    w, h = x1 - x0, y1 - y0
    left, top = x0 + round(box[0] * w), y0 + round(box[1] * h)
    right, bottom = x0 + round(box[2] * w), y0 + round(box[3] * h)
    return (left, top, max(left + 1, right), max(top + 1, bottom))


def picture_box(reduced: ReducedLuma, trim: bool) -> PixelBox:
    """The whole image, or with `trim` the picture inside any uniform border."""
    width, height = picture_size(reduced)
    found = uniform_border(reduced) if trim else None
    return found if found is not None else (0, 0, width, height)


def hash_crops(reduced: ReducedLuma, picture: PixelBox, crops: dict[str, Box]) -> dict[str, RegionHash]:
    """The hash of each named crop of the picture in `picture` (`CROP_SETS` has the sets).

    An image small enough to be decoded in full has its crops hashed from its 8-bit luma by the
    banded filter (`pdq.pdq_float256_reduced` at scale 1): within a few bits of the exact filter
    (mean 0.4, max 4 on 480x360 photos) at a quarter of its cost, and entries and queries crop
    alike, so they still meet.
    """
    if reduced.rgb is None:
        return {name: hash_region(reduced, sub_box(picture, box)) for name, box in crops.items()}
    grey = luma8(reduced)
    out = {}
    for name, fraction in crops.items():
        x0, y0, x1, y1 = box = sub_box(picture, fraction)
        block, quality = pdq.pdq_float256_reduced(np.ascontiguousarray(grey[y0:y1, x0:x1]), y1 - y0, x1 - x0, 1, 1)
        out[name] = RegionHash(box, block, quality)
    return out


def _hash_luma(reduced: ReducedLuma, luma: npt.NDArray[np.uint8]) -> RegionHash:
    """The hash of a luma array made from this decode's pixels (turned, cut), as the reference would
    give it at full size: at the decode's scale (1 when not reduced, by the banded filter)."""
    h, w = luma.shape
    scale_y, scale_x = (1, 1) if reduced.rgb is not None else (reduced.scale_y, reduced.scale_x)
    block, quality = pdq.pdq_float256_reduced(np.ascontiguousarray(luma), h * scale_y, w * scale_x, scale_y, scale_x)
    return RegionHash((0, 0, w, h), block, quality)


def chroma_of(reduced: ReducedLuma) -> npt.NDArray[np.uint8] | None:
    """Cb and Cr (2, h, w) of the decode, at the size `luma8` has, or None when it kept none."""
    if reduced.rgb is not None:
        return chroma_planes(Image.fromarray(reduced.rgb))
    return reduced.chroma


def found_pictures(reduced: ReducedLuma) -> dict[str, RegionHash]:
    """The picture found inside the image, hashed: `INSIDE` (on a flat canvas), `FRAMED` and
    `FRAMED_ALONG` (framed by straight edges) and `UPRIGHT` (turned by a few degrees, turned back),
    each when found and not already found. Entries and queries both compute them, so a meme, a
    screenshot, a photo of a photo or a turned copy meets its picture's own hash."""
    grey = luma8(reduced)
    out = {}
    boxes: dict[str, PixelBox | None] = {INSIDE: inside.canvas_picture(grey)}
    # the colour steps only where the luma is taken as it is: along-line averaging already finds
    # what the chroma would add there (measured: 1 copy in 135 more, for 1.9 ms per query)
    colour = chroma_of(reduced)
    for name, along in ((FRAMED, 1), (FRAMED_ALONG, inside.ALONG_SMOOTHING)):
        framed = inside.inner_picture(grey, along, colour if along == 1 else None)
        if framed is not None:
            framed = without_frame(grey, refined_box(grey, framed))
            if any(box is not None and _alike(box, framed, grey.shape) for box in boxes.values()):
                framed = None
        boxes[name] = framed
    for name, box in boxes.items():
        if box is not None:
            out[name] = hash_region(reduced, box) if reduced.rgb is None else _hash_luma(reduced, _cut(grey, box))
    turned = inside.turned_picture(grey)
    if turned is not None:
        out[UPRIGHT] = _hash_luma(reduced, inside.deskew(grey, turned[1]))
    return out


def _alike(a: PixelBox, b: PixelBox, shape: tuple[int, ...]) -> bool:
    """Two boxes whose sides lie within 1% of the image of each other: one hash serves both."""
    h, w = shape[:2]
    return max(abs(a[0] - b[0]), abs(a[2] - b[2])) <= 0.01 * w and max(abs(a[1] - b[1]), abs(a[3] - b[3])) <= 0.01 * h


def _cut(grey: npt.NDArray[np.uint8], box: PixelBox) -> npt.NDArray[np.uint8]:
    x0, y0, x1, y1 = box
    return np.ascontiguousarray(grey[y0:y1, x0:x1])


TURN_TIGHTER = max(QUERY_CROP_STEPS)
"""The bank's turns are cut this much (of the side) inside the largest upright picture: a copy cut
looser than the bank's cut is met by one of the query's centre crops (`QUERY_CROP_STEPS`), a
tighter one by none, and straighten tools and people cut a little inside the turned corners."""


def turned_hashes(reduced: ReducedLuma, picture: PixelBox) -> dict[str, RegionHash]:
    """The picture in `picture` turned by each of `TURN_DEGREES` both ways and cut `TURN_TIGHTER`
    inside the largest upright picture of its shape (what a crop-matching bank stores, `TURN_VIEWS`);
    an image on a flat backdrop turned whole, and trimmed (`_turn_source`)."""
    angles = {turn_name(sign * d): float(sign * d) for d in TURN_DEGREES for sign in (1, -1)}
    return _turned(reduced, _turn_source(reduced, picture), angles, tighter=TURN_TIGHTER)


def backdrop_colour(grey: npt.NDArray[np.uint8]) -> int | None:
    """The flat colour the picture stands on (`REFILL_RIM` of its outermost pixels), or None."""
    rim = np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]]).astype(np.int32)
    colour = int(np.median(rim))
    if np.mean(np.abs(rim - colour) <= inside.TURN_FILL_TOLERANCE) < REFILL_RIM:
        return None
    return colour


def refilled_hashes(reduced: ReducedLuma) -> dict[str, RegionHash]:
    """For an image on a flat backdrop only (`backdrop_colour`): the whole image turned by each of
    `TURN_DEGREES` both ways on a canvas grown and filled with the backdrop, inside its uniform
    border (`uniform_border`'s rule) as the query's own hash is taken (`REFILL_VIEWS`). Cut turns of
    it trim alike (both sides of a band lose the same lines), and so do turns filled in its colour,
    which `turned_picture` cannot see: the picture's edge is the fill's colour."""
    grey = luma8(reduced)
    colour = backdrop_colour(grey)
    if colour is None:
        return {}
    image = Image.fromarray(grey)
    out = {}
    for d in TURN_DEGREES:
        for sign in (1, -1):
            turned = np.asarray(image.rotate(sign * d, Image.Resampling.BILINEAR, expand=True, fillcolor=colour))
            box = _inside_border(turned)
            out[refill_name(sign * d)] = _hash_luma(reduced, turned if box is None else _cut(turned, box))
    return out


NUDGE_HALVE_FROM = 400
"""A query's picture this large (shorter side, in decoded pixels) is nudged at half size: a quarter
of the turning, and within a few bits of the full-size nudge (the bank's turns stay full size)."""


def nudged_hashes(reduced: ReducedLuma, picture: PixelBox) -> dict[str, RegionHash]:
    """The query's picture turned by `QUERY_NUDGES` and cut as `turned_hashes` cuts (`NUDGE_VIEWS`)."""
    source = _turn_source(reduced, picture)
    x0, y0, x1, y1 = source[0]
    halve = min(x1 - x0, y1 - y0) >= NUDGE_HALVE_FROM
    return _turned(reduced, source, {name: degrees for degrees, name in NUDGE_VIEWS.items()}, halve=halve)


def _turn_source(reduced: ReducedLuma, picture: PixelBox) -> tuple[PixelBox, bool]:
    """What a turn turns, and whether its cut is then trimmed as `uniform_border` trims: an image on
    a flat backdrop (`backdrop_colour`) is turned whole, as a straighten tool turns it, and the
    backdrop its cut leaves around the object trimmed as the copy's own hash trims it (the trimmed
    box turned instead cuts the object's ends away, which the copy keeps); any other picture is
    turned inside its border."""
    if backdrop_colour(luma8(reduced)) is not None:
        return picture_box(reduced, trim=False), True
    return picture, False


def _turned(
    reduced: ReducedLuma,
    source: tuple[PixelBox, bool],
    angles: dict[str, float],
    *,
    halve: bool = False,
    tighter: float = 0.0,
) -> dict[str, RegionHash]:
    picture, trim = source
    image = Image.fromarray(_cut(luma8(reduced), picture))
    factor = 1
    if halve:
        image, factor = image.reduce(2), 2
    w, h = image.size
    scale_y, scale_x = (1, 1) if reduced.rgb is not None else (reduced.scale_y, reduced.scale_x)
    out = {}
    for name, degrees in angles.items():
        turned = image.rotate(degrees, Image.Resampling.BILINEAR, expand=False)
        scale = inside.inscribed_scale(w, h, degrees) * (1 - tighter)
        cw, ch = w * scale, h * scale
        left, top = round((w - cw) / 2), round((h - ch) / 2)
        cut = np.ascontiguousarray(np.asarray(turned.crop((left, top, left + round(cw), top + round(ch)))))
        box = _inside_border(cut) if trim else None
        if box is not None:
            cut = _cut(cut, box)
        sy, sx = factor * scale_y, factor * scale_x
        block, quality = pdq.pdq_float256_reduced(cut, cut.shape[0] * sy, cut.shape[1] * sx, sy, sx)
        out[name] = RegionHash((0, 0, cut.shape[1], cut.shape[0]), block, quality)
    return out


def masked_hashes(reduced: ReducedLuma, box: PixelBox) -> dict[str, RegionHash]:
    """PDQ of the picture in `box` at `NORMALISED_SIDE` square with each `MASKS` window filled from
    around it (`inside.masked`), highlights flattened as `normalised_hash` does."""
    grey = _cut(luma8(reduced), box)
    small = np.asarray(
        Image.fromarray(grey).resize((NORMALISED_SIDE, NORMALISED_SIDE), Image.Resampling.BOX), dtype=np.float64
    )
    out = {}
    for name, window in MASKS.items():
        out[name] = RegionHash(box, *_flattened_pdq(inside.masked(small, window).astype(np.float32)))
    return out
