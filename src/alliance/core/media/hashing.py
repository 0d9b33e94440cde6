"""Media bytes in, signals out: PDQ (with quality) and the md5, sha1 and sha256 of the file.

The bytes are decoded in memory and dropped; nothing here touches the disk. Decoding follows what
a viewer shows a person: EXIF orientation applied, the first frame of an animation, alpha ignored.
Every way an input can fail becomes a `HashingError` whose `reason` is one of `HashingError`
reasons below and whose message a user understands.

Two paths compute PDQ (docs/decisions/0002-hashing-path.md has the numbers):

* the default, fast path decodes only what PDQ needs (`decode.load_reduced_luma`: JPEG DCT scaling
  of the luma channel, box reduction for other formats) and computes the reference's 64x64 image
  from it (`pdq.pdq_float256_reduced`). Images too small to reduce are hashed exactly, bit for bit
  the reference. On larger ones it meets the PDQ conformance rule (quality >= 80: within distance
  10 of the reference) with a mean distance well under 1 bit, at 5-10 times the speed;
* `exact_reference=True` is the reference itself: a full decode to RGB and Meta's C++ through the
  `pdqhash` binding, for evidence work that must reproduce a hash bit for bit. `pdqhash` builds
  from source (it needs a C compiler), so it is an optional extra, `alliance[reference]`, imported
  only here (`reference_pdq`).

Besides the file's own signals, an image has *views* (`pdq_views`): the whole image when a border
was trimmed, a normalised small copy, and on request crops. A bank entry stores them so that
altered copies match it (`MediaHashes.views`); a query sends its own (`query_signals`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from types import ModuleType

import numpy as np
import numpy.typing as npt
from PIL import Image

from alliance.core.errors import InvalidRequest
from alliance.core.media import pdq as pdq_impl
from alliance.core.media import pdq_views
from alliance.core.media.decode import (
    SUPPORTED_FORMATS,
    ReducedLuma,
    as_stored,
    load_reduced_luma,
    load_rgb,
    open_image,
)
from alliance.core.media.pdq_views import PixelBox
from alliance.core.signals import PDQ_MIN_QUALITY, Signal, ViewSignal

__all__ = [
    "EXACT_DIGESTS",
    "SUPPORTED_FORMATS",
    "HashingLimits",
    "MediaHashes",
    "PDQBlock",
    "decode_for_pdq",
    "decode_image",
    "exact_signals",
    "hash_image",
    "pdq_block",
    "pdq_from_pixels",
    "query_signals",
    "reference_pdq",
]

EXACT_DIGESTS = ("md5", "sha1", "sha256")

TRIM_BORDERS = True
"""The default path hashes the picture inside uniform borders (`pdq_views.uniform_border`): see
docs/decisions/0002-hashing-path.md. Images without such a border hash exactly as before."""


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
    views: tuple[ViewSignal, ...] = ()
    """PDQ of other views of the picture, named by `pdq_views`: what a bank entry stores besides
    the file's own signals so that altered copies match it. Never part of an export."""

    def get(self, signal_type: str) -> Signal | None:
        return next((s for s in self.signals if s.type == signal_type), None)

    def view(self, name: str) -> Signal | None:
        return next((v.signal for v in self.views if v.view == name), None)

    @property
    def pdq_untrimmed(self) -> Signal | None:
        """When the default path trimmed a uniform border, the PDQ of the whole image (what the
        reference and other systems' hash lists hold for this file); a matcher queries both."""
        return self.view(pdq_views.UNTRIMMED)

    @property
    def pdq_reference(self) -> Signal | None:
        """The PDQ other tools compute for this file: the whole image as stored (untrimmed, EXIF
        orientation not applied). Exports give it; matching uses every view."""
        return self.view(pdq_views.REFERENCE) or self.pdq_untrimmed or self.get("pdq")


@dataclass(frozen=True, slots=True)
class PDQBlock:
    """The 16x16 DCT block PDQ thresholds, with its quality: the hash, and the 8 dihedral hashes
    (rotations and flips of the image) at no further decoding cost."""

    block: npt.NDArray[np.float32]
    quality: int
    width: int
    height: int
    image_format: str

    def signal(self) -> Signal:
        return _signal(self.block, self.quality)

    def dihedral(self) -> list[Signal]:
        """The hashes of the image rotated 0/90/180/270 and flipped (`pdq.DIHEDRAL_NAMES` order)."""
        return [Signal("pdq", h.hex(), self.quality) for h in pdq_impl.dihedral_hashes(self.block, self.quality)]


def _signal(block: npt.NDArray[np.float32], quality: int) -> Signal:
    if quality == 0 and not block.any():
        return Signal("pdq", bytes(32).hex(), 0)
    return Signal("pdq", pdq_impl.block_to_hash(block).hex(), quality)


def exact_signals(data: bytes) -> tuple[Signal, ...]:
    """md5, sha1 and sha256 of the bytes: they match only an identical file."""
    return tuple(Signal(name, hashlib.new(name, data).hexdigest()) for name in EXACT_DIGESTS)


def reference_pdq() -> ModuleType:
    """Meta's reference binding, or an `InvalidRequest` saying how to install it: the optional
    `reference` extra, so that installing Alliance needs no C compiler."""
    try:
        import pdqhash
    except ImportError:
        raise InvalidRequest(
            "the exact reference PDQ needs Meta's pdqhash, which is not installed: "
            "pip install 'alliance[reference]' (it builds with a C compiler)"
        ) from None
    binding: ModuleType = pdqhash  # untyped: mypy sees Any
    return binding


def pdq_from_pixels(pixels: npt.NDArray[np.uint8]) -> Signal:
    """PDQ of an (h, w, 3) RGB array, with the reference implementation (`pdqhash`)."""
    bits, quality = reference_pdq().compute(np.ascontiguousarray(pixels, dtype=np.uint8))
    value = np.packbits(bits.astype(np.uint8)).tobytes().hex()
    return Signal("pdq", value, int(quality))


def decode_image(data: bytes, limits: HashingLimits = HashingLimits()) -> tuple[Image.Image, str]:
    """Decode to a full-size upright RGB image and its format name, or raise `HashingError` saying why not."""
    image, image_format = open_image(data, limits.max_bytes, limits.max_pixels)
    return load_rgb(image, limits.max_pixels), image_format


def pdq_from_reduced(reduced: ReducedLuma) -> tuple[npt.NDArray[np.float32], int]:
    """The DCT block and quality of a reduced decode: exact when nothing was reduced."""
    if reduced.rgb is not None:
        return pdq_impl.pdq_float256(reduced.rgb)
    return pdq_impl.pdq_float256_reduced(
        reduced.luma, reduced.full_height, reduced.full_width, reduced.scale_y, reduced.scale_x
    )


def decode_for_pdq(
    data: bytes, limits: HashingLimits = HashingLimits(), *, upright: bool = True, colour: bool = False
) -> tuple[ReducedLuma, str]:
    """The fast path's decode: as little as PDQ needs (see `decode.load_reduced_luma`); the image
    as the file stores it when not `upright`; its chroma kept with `colour` (for the views)."""
    image, image_format = open_image(data, limits.max_bytes, limits.max_pixels)
    return load_reduced_luma(image, limits.max_pixels, upright=upright, colour=colour), image_format


def pdq_block(data: bytes, limits: HashingLimits = HashingLimits(), *, trim_borders: bool = TRIM_BORDERS) -> PDQBlock:
    """PDQ's DCT block of an image file's bytes, by the fast path; with `trim_borders`, of the
    picture inside any uniform border (letterbox bars, padding, a frame)."""
    reduced, image_format = decode_for_pdq(data, limits)
    found = pdq_views.uniform_border(reduced) if trim_borders else None
    if found is None:
        block, quality = pdq_from_reduced(reduced)
    else:
        region = pdq_views.hash_region(reduced, found)
        block, quality = region.block, region.quality
    return PDQBlock(block, quality, reduced.full_width, reduced.full_height, image_format)


def hash_image(
    data: bytes,
    limits: HashingLimits = HashingLimits(),
    *,
    exact_reference: bool = False,
    trim_borders: bool = TRIM_BORDERS,
    views: bool = True,
    crops: bool = False,
) -> MediaHashes:
    """All signals of one image file's bytes, and the views a bank entry stores.

    `exact_reference`: the reference PDQ, bit for bit, of the whole image (never trimmed; the views
    still come from the fast path, with the trimmed picture as a view); otherwise the fast path,
    inside any uniform border when `trim_borders`. `views=False` leaves out the views that cost
    time (the normalised view; with `exact_reference`, all of them), for hashing that stores
    nothing (`alliance hash`). `crops`: the views include the crops a crop-matching bank stores.
    """
    if exact_reference:
        reference_pdq()  # before any work: without it, one clear error and nothing half done
    if exact_reference and not views and not crops:
        image, image_format = decode_image(data, limits)
        pdq = pdq_from_pixels(np.asarray(image))
        return MediaHashes(
            (pdq, *exact_signals(data)), image.width, image.height, image_format, _low_quality(pdq, limits)
        )
    reduced, image_format = decode_for_pdq(data, limits, colour=views or crops)
    picture = pdq_views.picture_box(reduced, trim_borders)
    fast = _fast_hashes(data, reduced, image_format, limits, picture, normalised=views or crops, crops=crops)
    if not exact_reference:
        if (views or crops) and reduced.orientation != 1:  # other tools hash the file as stored
            stored, _format = decode_for_pdq(data, limits, upright=False)
            reference = ViewSignal(pdq_views.REFERENCE, _signal(*pdq_from_reduced(stored)))
            return dataclasses.replace(fast, views=(reference, *fast.views))
        return fast
    image, image_format = decode_image(data, limits)
    pdq = pdq_from_pixels(np.asarray(image))
    trimmed = fast.get("pdq") if fast.pdq_untrimmed is not None else None
    kept = [v for v in fast.views if v.view not in (pdq_views.UNTRIMMED, pdq_views.REFERENCE)]
    if trimmed is not None:
        kept.insert(0, ViewSignal(pdq_views.TRIMMED, trimmed))
    if reduced.orientation != 1:
        as_filed = pdq_from_pixels(np.asarray(as_stored(image, reduced.orientation)))
        kept.insert(0, ViewSignal(pdq_views.REFERENCE, as_filed))
    return MediaHashes(
        signals=(pdq, *fast.signals[1:]),
        width=image.width,
        height=image.height,
        image_format=image_format,
        pdq_low_quality=_low_quality(pdq, limits),
        views=tuple(kept),
    )


def _fast_hashes(
    data: bytes,
    reduced: ReducedLuma,
    image_format: str,
    limits: HashingLimits,
    picture: PixelBox,
    *,
    normalised: bool,
    crops: bool,
) -> MediaHashes:
    """The fast path's signals of the picture in `picture` (the whole image, or inside a border),
    and its views: the untrimmed whole (free), the normalised view and crops when asked."""
    whole = pdq_views.picture_box(reduced, trim=False)
    whole_pdq = _signal(*pdq_from_reduced(reduced))
    pdq = whole_pdq if picture == whole else _region_signal(pdq_views.hash_region(reduced, picture))
    views = [] if picture == whole else [ViewSignal(pdq_views.UNTRIMMED, whole_pdq)]
    if normalised:
        views.append(ViewSignal(pdq_views.NORMALISED, _view_signal(pdq_views.normalised_hash(reduced, picture))))
        found = pdq_views.found_pictures(reduced)
        views.extend(ViewSignal(name, _view_signal(region)) for name, region in found.items())
    if crops:
        found = pdq_views.hash_crops(reduced, picture, pdq_views.CROP_SETS["bank-crops"])
        if picture != whole:
            found.update(pdq_views.hash_crops(reduced, whole, pdq_views.CROP_SETS["bank-untrimmed-corners"]))
        found.update(pdq_views.hash_crops(reduced, picture, pdq_views.CROP_SETS["windows"]))
        found.update(pdq_views.turned_hashes(reduced, picture))
        found.update(pdq_views.refilled_hashes(reduced))
        found.update(pdq_views.masked_hashes(reduced, picture))
        views.extend(ViewSignal(name, _view_signal(region)) for name, region in found.items())
    return MediaHashes(
        signals=(pdq, *exact_signals(data)),
        width=reduced.full_width,
        height=reduced.full_height,
        image_format=image_format,
        pdq_low_quality=_low_quality(pdq, limits),
        views=tuple(views),
    )


def _region_signal(region: pdq_views.RegionHash) -> Signal:
    return _signal(region.block, region.quality)


def _view_signal(region: pdq_views.RegionHash) -> Signal:
    """A view's signal, its quality 0 when its block is all but empty (`RegionHash.view_quality`)."""
    return _signal(region.block, region.view_quality)


def _low_quality(pdq: Signal, limits: HashingLimits) -> bool:
    return pdq.quality is not None and pdq.quality < limits.pdq_min_quality


def query_signals(
    data: bytes, limits: HashingLimits = HashingLimits(), *, dihedral: bool = True, crops: bool = False
) -> tuple[MediaHashes, list[Signal], list[str]]:
    """What to match an image by, and the name of each signal's view, from one decode.

    Besides the image's own signals ("original"): with `dihedral`, the PDQ of its 7 other
    rotations and flips (each computed from the turned pixels; `pdq.DIHEDRAL_NAMES`); when a
    uniform border was trimmed, the whole image's ("untrimmed"), since lists hashed elsewhere hold
    that one; the normalised view ("normalised"); and with `crops`, the query crops and sides
    (`CROP_SETS["query-crops"]`, `["query-sides"]`) and the windows (`["windows"]`), which meet
    the crops a crop-matching bank stores.
    """
    reduced, image_format = decode_for_pdq(data, limits, colour=True)
    picture = pdq_views.picture_box(reduced, trim=TRIM_BORDERS)
    media = _fast_hashes(data, reduced, image_format, limits, picture, normalised=True, crops=False)
    signals, names = list(media.signals), ["original"] * len(media.signals)
    pdq_signal = media.get("pdq")
    assert pdq_signal is not None  # the fast path always has one
    if dihedral:
        turned = pdq_views.dihedral_region_hashes(reduced, picture)
        for name, value in zip(pdq_impl.DIHEDRAL_NAMES[1:], turned[1:], strict=True):
            signals.append(Signal("pdq", value.hex(), pdq_signal.quality))
            names.append(name)
    for view in media.views:
        signals.append(view.signal)
        names.append(view.view)
    if crops:
        sets = ("query-crops", "query-sides", "windows")
        wanted = {name: box for part in sets for name, box in pdq_views.CROP_SETS[part].items()}
        found = pdq_views.hash_crops(reduced, picture, wanted)
        found.update(pdq_views.nudged_hashes(reduced, picture))
        found.update(pdq_views.masked_hashes(reduced, picture))
        for name, region in found.items():
            signals.append(_view_signal(region))
            names.append(name)
    return media, signals, names
