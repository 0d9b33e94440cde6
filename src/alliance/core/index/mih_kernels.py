"""Compiled inner loops of the multi-index-hashing PDQ engine (`mih_index.py`).

Everything that touches every hash or every probed bucket lives here, compiled by numba
(`cache=True` so the compile cost is paid once per machine, `nogil=True` so readers run while a
writer builds). The Python side decides *what* to search; these functions only do it.

Conventions: a hash is 32 bytes, bit 0 is the most significant bit of byte 0. A substring
("chunk") is `width` consecutive bits starting at bit `start`, read as an unsigned integer.
A table is CSR buckets indexed directly by the chunk: for table `t`, the rows whose chunk equals
`key` are `positions[t * n + offsets[base[t] + key] : t * n + offsets[base[t] + key + 1]]`.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

_GROW = 2
_PART_KEY_BITS = 15


@intrinsic
def _popcount64(typingctx, value):  # type: ignore[no-untyped-def]
    """LLVM's ctpop: one POPCNT instruction, which numba does not expose by itself."""
    signature = types.uint64(types.uint64)

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        return builder.ctpop(args[0])

    return signature, codegen


@intrinsic
def _prefetch(typingctx, array, index):  # type: ignore[no-untyped-def]
    """Ask for the cache line of array[index] now, without waiting for it (llvm.prefetch)."""
    signature = types.void(array, index)

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        array_type = sig.args[0]
        array_struct = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(  # type: ignore[no-untyped-call]
            context, builder, array_type, array_struct, [args[1]], wraparound=False
        )
        byte_pointer = builder.bitcast(pointer, ir.IntType(8).as_pointer())
        i32 = ir.IntType(32)
        function_type = ir.FunctionType(ir.VoidType(), [byte_pointer.type, i32, i32, i32])
        prefetch = cgutils.get_or_insert_function(builder.module, function_type, "llvm.prefetch.p0")  # type: ignore[no-untyped-call]
        builder.call(prefetch, [byte_pointer, i32(0), i32(3), i32(1)])  # read, keep in all levels, data
        return context.get_dummy_value()

    return signature, codegen


@njit(cache=True, nogil=True, inline="always")
def _distance(stored, row, query, qrow):  # type: ignore[no-untyped-def]
    """Hamming distance between row `row` of `stored` and row `qrow` of `query` (both (n, 4) uint64)."""
    total = np.uint64(0)
    for word in range(4):
        total += _popcount64(stored[row, word] ^ query[qrow, word])  # type: ignore[call-arg]
    return np.int64(total)


@njit(cache=True, nogil=True, inline="always")
def _chunk(hash_bytes, row, start, width):  # type: ignore[no-untyped-def]
    """Bits [start, start + width) of row `row` of an (n, 32) byte array, as an integer."""
    first = start >> 3
    last = (start + width - 1) >> 3
    value = np.uint64(0)
    for byte in range(first, last + 1):
        value = (value << np.uint64(8)) | np.uint64(hash_bytes[row, byte])
    spare = (last + 1) * 8 - (start + width)
    return (value >> np.uint64(spare)) & ((np.uint64(1) << np.uint64(width)) - np.uint64(1))


@njit(cache=True, nogil=True)
def fill_table(hash_bytes, start, width, offsets, positions, table):  # type: ignore[no-untyped-def]
    """Counting sort of all rows by their chunk into table number `table` (offsets and positions).

    Two levels, so that every counter and write cursor stays in cache: rows are first split into
    parts by the chunk's top bits, then each part (at most 2**15 keys, 128 KiB of counters) is
    counting-sorted on its own. One direct counting sort over 2**24 keys misses the cache on
    every row and is 4x slower.
    Rows stay in ascending order inside a bucket.
    """
    n = hash_bytes.shape[0]
    low_bits = min(width, _PART_KEY_BITS)
    parts = 1 << (width - low_bits)
    keys = np.empty(n, dtype=np.uint32)
    part_start = np.zeros(parts + 1, dtype=np.int64)
    for row in range(n):
        key = np.uint32(_chunk(hash_bytes, row, start, width))
        keys[row] = key
        part_start[(key >> low_bits) + 1] += 1
    part_start = np.cumsum(part_start)
    pairs = np.empty(n, dtype=np.uint64)  # key << 32 | row, grouped by part
    cursor = part_start[:parts].copy()
    for row in range(n):
        key = keys[row]
        part = key >> low_bits
        pairs[cursor[part]] = (np.uint64(key) << np.uint64(32)) | np.uint64(row)
        cursor[part] += 1
    base = np.int64(table) * n
    local = np.empty(1 << low_bits, dtype=np.int32)
    for part in range(parts):
        lo, hi = part_start[part], part_start[part + 1]
        first_key = part << low_bits
        local[:] = 0
        for i in range(lo, hi):
            local[np.int64(pairs[i] >> np.uint64(32)) - first_key] += 1
        running = np.int32(lo)
        for k in range(local.shape[0]):
            offsets[first_key + k] = running
            running += local[k]
            local[k] = offsets[first_key + k]  # from here on: the write cursor of bucket k
        for i in range(lo, hi):
            k = np.int64(pairs[i] >> np.uint64(32)) - first_key
            positions[base + local[k]] = np.int32(pairs[i] & np.uint64(0xFFFFFFFF))
            local[k] += 1
    offsets[1 << width] = n


@njit(cache=True, nogil=True)
def _bucket_bounds(  # type: ignore[no-untyped-def]
    query_bytes, q, n, offsets, table_base, positions, starts, widths, masks, mask_start, mask_count,
    bucket_start, bucket_size,
):  # fmt: skip
    """Pass 1: where each probed bucket starts in `positions` and its length; returns the total.

    Prefetching the bucket's first row number lets pass 2 find most of them in cache.
    """
    p = 0
    total = np.int64(0)
    for t in range(starts.shape[0]):
        key = np.uint32(_chunk(query_bytes, q, starts[t], widths[t]))
        base = table_base[t]
        first_mask = mask_start[t]
        row_base = np.int64(t) * n
        for j in range(mask_count[t]):
            probe = base + np.int64(key ^ masks[first_mask + j])
            lo = offsets[probe]
            size = np.int64(offsets[probe + 1]) - np.int64(lo)
            bucket_start[p] = row_base + lo
            bucket_size[p] = size
            _prefetch(positions, row_base + lo)  # type: ignore[call-arg]
            total += size
            p += 1
    return total


@njit(cache=True, nogil=True)
def _gather(positions, words_flat, bucket_start, bucket_size, candidates):  # type: ignore[no-untyped-def]
    """Pass 2: the row numbers in the probed buckets, prefetching each row's hash for pass 3."""
    c = 0
    for j in range(bucket_start.shape[0]):
        at = bucket_start[j]
        for e in range(bucket_size[j]):
            row = positions[at + e]
            candidates[c] = row
            _prefetch(words_flat, np.int64(row) * 4)  # type: ignore[call-arg]
            c += 1
    return c


@njit(cache=True, nogil=True)
def _verify(words, query_words, q, candidates, count, dead, threshold, hits):  # type: ignore[no-untyped-def]
    """Pass 3: candidates within the threshold, packed as distance << 32 | row (so they sort right)."""
    found = 0
    for j in range(count):
        row = candidates[j]
        d = _distance(words, row, query_words, q)
        if d <= threshold and dead[row] == 0:
            hits[found] = (d << 32) | np.int64(row)
            found += 1
    return found


@njit(cache=True, nogil=True)
def _scan(words, query_words, q, dead, threshold, hits):  # type: ignore[no-untyped-def]
    """Every live row within the threshold, by comparing with all of them."""
    found = 0
    for row in range(words.shape[0]):
        d = _distance(words, row, query_words, q)
        if d <= threshold and dead[row] == 0:
            hits[found] = (d << 32) | np.int64(row)
            found += 1
    return found


@njit(cache=True, nogil=True)
def _grow(array, size):  # type: ignore[no-untyped-def]
    bigger = np.empty(max(size, array.shape[0] * _GROW), dtype=array.dtype)
    bigger[: array.shape[0]] = array
    return bigger


@njit(cache=True, nogil=True)
def search(  # type: ignore[no-untyped-def]
    query_bytes,
    query_words,
    words,
    dead,
    offsets,
    table_base,
    positions,
    starts,
    widths,
    masks,
    mask_start,
    mask_count,
    threshold,
    linear_budget,
):
    """Every (query, row, distance) with distance <= threshold in one segment, sorted per query.

    Table `t` probes `mask_count[t]` keys (all keys within its radius). When no table is probed
    the whole segment is scanned. Per query, the work runs in three passes over flat buffers -
    bucket bounds, then candidate rows, then distances - so that the random loads of each pass
    are independent and the CPU keeps many cache misses in flight. (Each pass is its own function
    so that no buffer is reallocated inside a hot loop, which would slow every load.) A query
    whose buckets hold more than `linear_budget` rows (skewed data) is scanned instead.
    """
    n = words.shape[0]
    words_flat = words.reshape(-1)
    probes = int(mask_count.sum())
    out_query = np.empty(64, dtype=np.int32)
    out_row = np.empty(64, dtype=np.int32)
    out_dist = np.empty(64, dtype=np.int32)
    count = 0
    bucket_start = np.empty(probes, dtype=np.int64)
    bucket_size = np.empty(probes, dtype=np.int64)
    candidates = np.empty(4096, dtype=np.int32)
    hits = np.empty(4096, dtype=np.int64)

    for q in range(query_words.shape[0]):
        found = 0
        total = np.int64(n + 1)
        if probes > 0:
            total = _bucket_bounds(
                query_bytes, q, n, offsets, table_base, positions, starts, widths, masks, mask_start,
                mask_count, bucket_start, bucket_size,
            )  # fmt: skip
        if probes > 0 and total <= linear_budget:
            if total > candidates.shape[0]:
                candidates = np.empty(total, dtype=np.int32)
                hits = np.empty(total, dtype=np.int64)
            gathered = _gather(positions, words_flat, bucket_start, bucket_size, candidates)
            found = _verify(words, query_words, q, candidates, gathered, dead, threshold, hits)
        else:
            if hits.shape[0] < n:
                hits = np.empty(n, dtype=np.int64)
            found = _scan(words, query_words, q, dead, threshold, hits)
        if found == 0:
            continue
        packed = np.unique(hits[:found])  # sorted by (distance, row); a row probed twice counts once
        if count + packed.shape[0] > out_row.shape[0]:
            out_query = _grow(out_query, count + packed.shape[0])
            out_row = _grow(out_row, count + packed.shape[0])
            out_dist = _grow(out_dist, count + packed.shape[0])
        for value in packed:
            out_query[count] = q
            out_row[count] = np.int32(value & 0xFFFFFFFF)
            out_dist[count] = np.int32(value >> 32)
            count += 1
    return out_query[:count], out_row[:count], out_dist[:count]
