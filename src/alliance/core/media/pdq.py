"""PDQ, our own implementation: the reference algorithm, bit for bit, in numba.

The reference (`pdqhash`, Meta's C++ behind a Cython binding) spends most of its time outside the
algorithm: a float64 luma image, a Python loop over the 256 bits. This module computes the same
hash with the same float32 arithmetic in the same order, so on the same pixels it gives the same
bits and the same quality (tests/core/test_hashing_fast.py checks it against `pdqhash`). It is fast
enough that decoding, not hashing, becomes the cost; `alliance.core.media.hashing` pairs it with a reduced
decode for the default path.

The steps (Meta's "pdqhash-2017-10-09" description, C++ `pdqhashing.cpp` and `downscaling.cpp`):

1. luma = 0.299 R + 0.587 G + 0.114 B, computed in float64 and stored as float32 (as the binding does);
2. two passes of a box filter along rows then columns ("Jarosz" tent filter), window
   ceil(size / 128), running float32 sums with the reference's edge handling;
3. decimate to 64x64 by sampling the centres of a 64x64 grid;
4. quality: quantised gradient sum of the 64x64 image, capped at 100;
5. 16x16 low-frequency block of the 2D DCT-II, float32 sums in the reference order;
6. bit i*16+j set when coefficient [i][j] is above the median (the 128th smallest of 256).

The 8 dihedral hashes (rotations and flips of the image) come from sign flips and a transpose of
the 16x16 block, exactly as the reference's `pdqDihedralHash256esFromFloatLuma` does.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numba
import numpy as np
import numpy.typing as npt

MIN_HASHABLE_DIM = 5
"""Below this many rows or columns the reference gives an all-zero hash of quality 0."""

DIHEDRAL_NAMES = ("original", "rotate90", "rotate180", "rotate270", "flipx", "flipy", "flipplus1", "flipminus1")
"""The order of `pdq_dihedral`'s hashes, the same as `pdqhash.compute_dihedral`."""


def _dct_matrix() -> npt.NDArray[np.float32]:
    # float32 scale times a double cosine, rounded to float32: the reference's constant table.
    scale = float(np.float32(math.sqrt(2.0 / 64.0)))
    matrix = np.empty((16, 64), dtype=np.float32)
    for i in range(16):
        for j in range(64):
            matrix[i, j] = np.float32(scale * math.cos((math.pi / 2.0 / 64.0) * (i + 1) * (2 * j + 1)))
    return matrix


DCT_MATRIX = _dct_matrix()


@numba.njit(cache=True, nogil=True)
def _luma(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:  # pragma: no cover - compiled
    rows, cols = rgb.shape[0], rgb.shape[1]
    out = np.empty((rows, cols), dtype=np.float32)
    for i in range(rows):
        for j in range(cols):
            r = np.float64(rgb[i, j, 0]) * 0.299
            g = np.float64(rgb[i, j, 1]) * 0.587
            b = np.float64(rgb[i, j, 2]) * 0.114
            out[i, j] = np.float32((r + g) + b)
    return out


@numba.njit(cache=True, nogil=True)
def _luma_grey(grey: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:  # pragma: no cover - compiled
    # The luma of the RGB image Pillow makes from a grey one (R = G = B), without making it.
    table = np.empty(256, dtype=np.float32)
    for v in range(256):
        x = np.float64(v)
        table[v] = np.float32((x * 0.299 + x * 0.587) + x * 0.114)
    rows, cols = grey.shape[0], grey.shape[1]
    out = np.empty((rows, cols), dtype=np.float32)
    for i in range(rows):
        for j in range(cols):
            out[i, j] = table[grey[i, j]]
    return out


@numba.njit(cache=True, nogil=True)
def _box_rows(src: npt.NDArray[np.float32], dst: npt.NDArray[np.float32], window: int) -> None:  # pragma: no cover
    """The reference's box1DFloat along every row: the same running float32 sum, adds then subtracts."""
    rows, n = src.shape
    half = (window + 2) // 2
    p1 = half - 1
    p2 = window - half + 1
    p3 = n - window
    p4 = half - 1
    for r in range(rows):
        row = src[r]
        out = dst[r]
        li = 0
        ri = 0
        oi = 0
        total = np.float32(0.0)
        size = 0
        for _ in range(p1):
            total += row[ri]
            size += 1
            ri += 1
        for _ in range(p2):
            total += row[ri]
            size += 1
            out[oi] = total / np.float32(size)
            ri += 1
            oi += 1
        for _ in range(p3):
            total += row[ri]
            total -= row[li]
            out[oi] = total / np.float32(size)
            li += 1
            ri += 1
            oi += 1
        for _ in range(p4):
            total -= row[li]
            size -= 1
            out[oi] = total / np.float32(size)
            li += 1
            oi += 1


@numba.njit(cache=True, nogil=True)
def _box_cols(src: npt.NDArray[np.float32], dst: npt.NDArray[np.float32], window: int) -> None:  # pragma: no cover
    """box1DFloat down every column, all columns at once (each column's arithmetic is unchanged)."""
    n, cols = src.shape
    half = (window + 2) // 2
    p1 = half - 1
    p2 = window - half + 1
    p3 = n - window
    p4 = half - 1
    total = np.zeros(cols, dtype=np.float32)
    li = 0
    ri = 0
    oi = 0
    size = 0
    for _ in range(p1):
        for c in range(cols):
            total[c] += src[ri, c]
        size += 1
        ri += 1
    for _ in range(p2):
        size += 1
        d = np.float32(size)
        for c in range(cols):
            total[c] += src[ri, c]
            dst[oi, c] = total[c] / d
        ri += 1
        oi += 1
    for _ in range(p3):
        d = np.float32(size)
        for c in range(cols):
            t = total[c] + src[ri, c]
            t -= src[li, c]
            total[c] = t
            dst[oi, c] = t / d
        li += 1
        ri += 1
        oi += 1
    for _ in range(p4):
        size -= 1
        d = np.float32(size)
        for c in range(cols):
            total[c] -= src[li, c]
            dst[oi, c] = total[c] / d
        li += 1
        oi += 1


@numba.njit(cache=True, nogil=True)
def _downsample_exact(luma: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:  # pragma: no cover - compiled
    """The reference's 64x64 image: Jarosz filter (in place on `luma`, as the reference) and decimation."""
    rows, cols = luma.shape
    a = np.empty((64, 64), dtype=np.float32)
    if rows == 64 and cols == 64:
        a[:, :] = luma
        return a
    window_rows = (cols + 128 - 1) // 128  # computeJaroszFilterWindowSize(cols, 64): along each row
    window_cols = (rows + 128 - 1) // 128
    other = np.empty_like(luma)
    for _ in range(2):
        _box_rows(luma, other, window_rows)
        _box_cols(other, luma, window_cols)
    for i in range(64):
        ii = int(((i + 0.5) * rows) / 64)
        for j in range(64):
            jj = int(((j + 0.5) * cols) / 64)
            a[i, j] = luma[ii, jj]
    return a


@numba.njit(cache=True, nogil=True)
def _quality_and_dct(
    a: npt.NDArray[np.float32], dct: npt.NDArray[np.float32]
) -> tuple[npt.NDArray[np.float32], int]:  # pragma: no cover - compiled
    """Quality of the 64x64 image and its 16x16 DCT block, with the reference's float32 sums."""
    gradient = 0
    hundred = np.float32(100.0)
    scale = np.float32(255.0)
    for i in range(63):
        for j in range(64):
            d = int(((a[i, j] - a[i + 1, j]) * hundred) / scale)
            gradient += abs(d)
    for i in range(64):
        for j in range(63):
            d = int(((a[i, j] - a[i, j + 1]) * hundred) / scale)
            gradient += abs(d)
    quality = min(gradient // 90, 100)

    # Each coefficient sums its 64 products in k order, as the reference does; k runs outside j
    # so that the 64 (then 16) running sums of a row advance together, in SIMD lanes.
    t = np.zeros((16, 64), dtype=np.float32)
    for i in range(16):
        for k in range(64):
            weight = dct[i, k]
            for j in range(64):
                t[i, j] += weight * a[k, j]
    b = np.zeros((16, 16), dtype=np.float32)
    for i in range(16):
        for k in range(64):
            value = t[i, k]
            for j in range(16):
                b[i, j] += value * dct[j, k]
    return b, quality


@numba.njit(cache=True, nogil=True)
def _across(
    image: npt.NDArray[np.uint8] | npt.NDArray[np.float32],
    col_starts: npt.NDArray[np.int64],
    col_weights: npt.NDArray[np.float64],
    mirrored: bool,
) -> npt.NDArray[np.float64]:  # pragma: no cover - compiled
    """The first pass, image . C^T (h x 64), of the image or of its left-right mirror image (read
    from the same rows: the same products, summed in the same order as on a mirrored copy)."""
    h, w = image.shape
    out = np.empty((h, 64), dtype=np.float64)
    cwidth = col_weights.shape[1]
    origin, step = (w - 1, -1) if mirrored else (0, 1)
    for y in range(h):
        for k in range(64):
            first = origin + step * col_starts[k]
            s = 0.0
            for t in range(cwidth):
                s += col_weights[k, t] * image[y, first + step * t]
            out[y, k] = s
    return out


@numba.njit(cache=True, nogil=True)
def _down(
    across: npt.NDArray[np.float64],
    row_starts: npt.NDArray[np.int64],
    row_weights: npt.NDArray[np.float64],
    mirrored: bool,
) -> npt.NDArray[np.float32]:  # pragma: no cover - compiled
    """The second pass, R . across (64x64), of the first pass's rows or of them upside down: rows
    are filtered one at a time, so a top-bottom mirror image only reads them in reverse."""
    h = across.shape[0]
    out = np.empty((64, 64), dtype=np.float32)
    rwidth = row_weights.shape[1]
    origin, step = (h - 1, -1) if mirrored else (0, 1)
    for j in range(64):
        first = origin + step * row_starts[j]
        for k in range(64):
            s = 0.0
            for t in range(rwidth):
                s += row_weights[j, t] * across[first + step * t, k]
            out[j, k] = np.float32(s)
    return out


@numba.njit(cache=True, nogil=True)
def _downsample_banded(
    image: npt.NDArray[np.uint8] | npt.NDArray[np.float32],
    row_starts: npt.NDArray[np.int64],
    row_weights: npt.NDArray[np.float64],
    col_starts: npt.NDArray[np.int64],
    col_weights: npt.NDArray[np.float64],
) -> npt.NDArray[np.float32]:  # pragma: no cover - compiled
    """64x64 = R . image . C^T with banded R (64 x h) and C (64 x w): see `reduced_kernel`."""
    return _down(_across(image, col_starts, col_weights, False), row_starts, row_weights, False)


def _bits_to_bytes(block: npt.NDArray[np.float32]) -> bytes:
    """Bit i*16+j of the hash is block[i, j] > median; bit 255 is the first bit of the hex string."""
    flat = block.reshape(256)
    median = np.partition(flat, 127)[127]  # what the reference's torben() returns for 256 values
    return np.packbits((flat > median)[::-1]).tobytes()


def _luma_of(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    if pixels.ndim == 2:
        return _luma_grey(np.ascontiguousarray(pixels, dtype=np.uint8))
    if pixels.ndim != 3 or pixels.shape[2] != 3:
        raise ValueError(f"expected an (h, w) or (h, w, 3) uint8 array, got shape {pixels.shape}")
    return _luma(np.ascontiguousarray(pixels, dtype=np.uint8))


def luma_of(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """The reference's float32 luma of an (h, w, 3) RGB or (h, w) grey uint8 array."""
    return _luma_of(pixels)


def pdq_float256(pixels: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.float32], int]:
    """The 16x16 DCT block and quality of an (h, w, 3) RGB or (h, w) grey uint8 array: the reference's."""
    return pdq_float256_of_luma(_luma_of(pixels))


def pdq_float256_of_luma(luma: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.float32], int]:
    """The 16x16 DCT block and quality of a C-contiguous float32 luma array (overwritten)."""
    if luma.shape[0] < MIN_HASHABLE_DIM or luma.shape[1] < MIN_HASHABLE_DIM:
        return np.zeros((16, 16), dtype=np.float32), 0
    block, quality = _quality_and_dct(_downsample_exact(luma), DCT_MATRIX)
    return block, int(quality)


def pdq_hash(pixels: npt.NDArray[np.uint8]) -> tuple[bytes, int]:
    """The 32-byte PDQ hash (hex-string order) and quality of an RGB (or grey) uint8 array.

    Bit for bit what `pdqhash.compute` gives on the same array (grey: on its RGB conversion)."""
    block, quality = pdq_float256(pixels)
    if quality == 0 and not block.any():
        return bytes(32), 0
    return block_to_hash(block), quality


def block_to_hash(block: npt.NDArray[np.float32]) -> bytes:
    """Bit i*16+j is block[i, j] > median (the 128th smallest of 256); bit 255 leads the hex string."""
    flat = np.ascontiguousarray(block, dtype=np.float32).reshape(256)
    median = np.partition(flat, 127)[127]  # what the reference's torben() returns for 256 values
    return np.packbits((flat > median)[::-1]).tobytes()


# ---------------------------------------------------------------------------- reduced input
#
# The reference filters the full-size luma L (h x w) with two box passes per axis and keeps 64x64
# samples: A = R . L . C^T, where R (64 x h) and C (64 x w) are fixed linear maps that depend only
# on h and w. A reduced decode gives l, each pixel the mean of an s x s block of L (JPEG DCT scaling
# and Image.reduce both do, to a close approximation). Folding each row of R and C onto those
# blocks (summing the weights of the full-size pixels a block covers) gives maps from l straight to
# the reference's 64x64 image, so the blur keeps the reference's footprint and phase however much
# smaller the decode is. Both maps are banded (about 2 * ceil(n / 128) / s wide), so computing A
# costs O(h * w * band / s^2), and the rest (quality, DCT, bits) is the reference's code.


def _axis_weights(n: int) -> list[tuple[int, npt.NDArray[np.float64]]]:
    """For each of the 64 samples along an axis of n full-size pixels: (first pixel, weights)."""
    firsts, lengths, table = _axis_weight_table(n)
    return [(int(firsts[j]), table[j, : lengths[j]].copy()) for j in range(64)]


@numba.njit(cache=True, nogil=True)
def _axis_weight_table(n: int) -> Any:  # pragma: no cover - compiled
    """`_axis_weights` as arrays (first pixel, length, weights padded), the same sums in the same
    order: compiled, since every crop or found region of a new size needs its own (1.9 -> 0.02 ms)."""
    window = (n + 2 * 64 - 1) // (2 * 64)
    half = (window + 2) // 2
    back = window - half
    firsts = np.zeros(64, np.int64)
    lengths = np.zeros(64, np.int64)
    table = np.zeros((64, 4 * window + 4), np.float64)
    for j in range(64):
        p = int(((j + 0.5) * n) / 64)
        lo_p, hi_p = max(0, p - back), min(n - 1, p + half - 1)
        first, last = max(0, lo_p - back), min(n - 1, hi_p + half - 1)
        firsts[j], lengths[j] = first, last - first + 1
        for o in range(lo_p, hi_p + 1):
            lo_o, hi_o = max(0, o - back), min(n - 1, o + half - 1)
            share = 1.0 / (hi_o - lo_o + 1)
            for t in range(lo_o - first, hi_o - first + 1):
                table[j, t] += share
        for t in range(last - first + 1):
            table[j, t] = table[j, t] / (hi_p - lo_p + 1)
    return firsts, lengths, table


@functools.lru_cache(maxsize=256)
def reduced_kernel(n: int, scale: int, m: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """The reference's blur-and-decimate along an axis of `n` full-size pixels, folded onto the `m`
    pixels of a decode reduced by `scale` (pixel i covers full-size pixels scale*i .. scale*i+scale-1).

    Returns (starts, weights): sample j is sum_t weights[j, t] * reduced[starts[j] + t]."""
    if m < 1 or scale < 1 or -(-n // scale) != m:
        raise ValueError(f"{m} pixels are not {n} reduced by {scale}")
    folded: list[tuple[int, npt.NDArray[np.float64]]] = []
    for first, full_weights in _axis_weights(n):
        blocks = np.arange(first, first + len(full_weights)) // scale
        folded.append((int(blocks[0]), np.bincount(blocks - blocks[0], weights=full_weights).astype(np.float64)))
    width = max(len(w) for _, w in folded)
    starts = np.empty(64, dtype=np.int64)
    table = np.zeros((64, width), dtype=np.float64)
    for j, (first_block, block_weights) in enumerate(folded):
        start = min(first_block, m - width) if m >= width else 0
        offset = first_block - start
        table[j, offset : offset + len(block_weights)] = block_weights
        starts[j] = start
    if m < width:  # tiny reduced image: the band is the whole axis; indices past the end carry no weight
        table = table[:, :m]
    return starts, table


def pdq_float256_reduced(
    luma: npt.NDArray[np.uint8], full_height: int, full_width: int, scale_y: int, scale_x: int
) -> tuple[npt.NDArray[np.float32], int]:
    """The 16x16 DCT block and quality the reference would give the full-size image, from its luma
    reduced by `scale_y` x `scale_x` (each pixel the mean of a block). Close to, not bit for bit, the
    reference; with both scales 1 use `pdq_float256` instead, which is exact."""
    if full_height < MIN_HASHABLE_DIM or full_width < MIN_HASHABLE_DIM:
        return np.zeros((16, 16), dtype=np.float32), 0
    return block_of_samples(samples_reduced(luma, full_height, full_width, scale_y, scale_x))


def samples_reduced(
    luma: npt.NDArray[np.uint8] | npt.NDArray[np.float32], full_height: int, full_width: int, scale_y: int, scale_x: int
) -> npt.NDArray[np.float32]:
    """The reference's 64x64 blurred samples of the full-size image (the first half of
    `pdq_float256_reduced`; the image must be large enough to hash): from the uint8 luma of a
    reduced decode, or, with both scales 1, from full-size float luma. The latter is the
    reference's linear map in float64, equal to its float32 box passes up to rounding."""
    image, rows, cols = _banded(luma, full_height, full_width, scale_y, scale_x)
    return _downsample_banded(image, *rows, *cols)


def samples_reduced_flips(
    luma: npt.NDArray[np.uint8] | npt.NDArray[np.float32], full_height: int, full_width: int, scale_y: int, scale_x: int
) -> list[npt.NDArray[np.float32]]:
    """`samples_reduced` of the image as it is, mirrored left-right, mirrored top-bottom and both:
    bit for bit the four calls on flipped copies, from two first passes instead of four (a
    dihedral query's turns come from these)."""
    image, rows, cols = _banded(luma, full_height, full_width, scale_y, scale_x)
    across = [_across(image, *cols, mirrored) for mirrored in (False, True)]
    return [_down(across[flips & 1], *rows, flips >= 2) for flips in range(4)]


def _banded(
    luma: npt.NDArray[np.uint8] | npt.NDArray[np.float32], full_height: int, full_width: int, scale_y: int, scale_x: int
) -> tuple[
    npt.NDArray[Any],
    tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]],
    tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]],
]:
    """A contiguous image and its row and column kernels (`reduced_kernel`)."""
    h, w = luma.shape
    image = luma if luma.flags.c_contiguous else luma.copy()
    return image, reduced_kernel(full_height, scale_y, h), reduced_kernel(full_width, scale_x, w)


def block_of_samples(a: npt.NDArray[np.float32]) -> tuple[npt.NDArray[np.float32], int]:
    """The 16x16 DCT block and quality of 64x64 samples (the second half)."""
    block, quality = _quality_and_dct(np.ascontiguousarray(a, dtype=np.float32), DCT_MATRIX)
    return block, int(quality)


def dihedral_blocks(block: npt.NDArray[np.float32]) -> list[npt.NDArray[np.float32]]:
    """The DCT blocks of the 8 rotations and flips of an image, in `DIHEDRAL_NAMES` order."""
    i = np.arange(16)
    odd_i = (i & 1).astype(bool)[:, None]
    odd_j = (i & 1).astype(bool)[None, :]
    odd_sum = ((i[:, None] + i[None, :]) & 1).astype(bool)
    return [
        block,
        np.where(odd_j, block, -block).T,  # rotate 90: B[j][i] = A[i][j] if j odd else -A[i][j]
        np.where(odd_sum, -block, block),  # rotate 180
        np.where(odd_i, block, -block).T,  # rotate 270
        np.where(odd_i, block, -block),  # flip x
        np.where(odd_j, block, -block),  # flip y
        block.T,  # flip about the main diagonal
        np.where(odd_sum, -block, block).T,  # flip about the other diagonal
    ]


def dihedral_hashes(block: npt.NDArray[np.float32], quality: int) -> list[bytes]:
    """The 8 hashes of an image's rotations and flips, from its DCT block (`DIHEDRAL_NAMES` order)."""
    if quality == 0 and not block.any():
        return [bytes(32)] * 8
    return [block_to_hash(b) for b in dihedral_blocks(block)]


def pdq_dihedral(pixels: npt.NDArray[np.uint8]) -> tuple[list[bytes], int]:
    """The 8 hashes of an image's rotations and flips (`DIHEDRAL_NAMES` order), and its quality:
    bit for bit what `pdqhash.compute_dihedral` gives."""
    block, quality = pdq_float256(pixels)
    return dihedral_hashes(block, quality), quality
