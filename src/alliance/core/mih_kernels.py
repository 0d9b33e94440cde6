"""Compiled inner loops of the multi-index-hashing PDQ engine (`mih_index.py`).

Everything that touches every hash or every probed bucket lives here, compiled by numba
(`cache=True` so the compile cost is paid once per machine, `nogil=True` so readers run while a
writer builds). The Python side decides *what* to search; these functions only do it.

Conventions: a hash is 32 bytes, bit 0 is the most significant bit of byte 0. A substring
("chunk") is `width` consecutive bits starting at bit `start`, read as an unsigned integer.
A segment's tables are CSR buckets: for table `t`, the rows whose chunk equals `key` are
`positions[t * n + offsets[base[t] + key] : t * n + offsets[base[t] + key + 1]]`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

_GROW = 2


@intrinsic
def _popcount64(typingctx, value):  # type: ignore[no-untyped-def]
    """LLVM's ctpop: one POPCNT instruction, which numba does not expose by itself."""
    signature = types.uint64(types.uint64)

    def codegen(context, builder, sig, args):  # type: ignore[no-untyped-def]
        return builder.ctpop(args[0])

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
def chunk_keys(hash_bytes, start, width):  # type: ignore[no-untyped-def]
    """The chunk of every row, as uint32 keys."""
    n = hash_bytes.shape[0]
    keys = np.empty(n, dtype=np.uint32)
    for row in range(n):
        keys[row] = np.uint32(_chunk(hash_bytes, row, start, width))
    return keys


@njit(cache=True, nogil=True)
def fill_table(keys, buckets, offsets, positions, table):  # type: ignore[no-untyped-def]
    """Counting sort of rows by key into table `table`: offsets[0..buckets] and its slice of positions.

    Counting sort is O(n + buckets) and keeps rows in ascending order inside each bucket, which a
    comparison sort of 10^7 keys per table could not match for build time.
    """
    n = keys.shape[0]
    counts = np.zeros(buckets + 1, dtype=np.uint32)
    for row in range(n):
        counts[keys[row] + 1] += 1
    total = np.uint32(0)
    for key in range(buckets + 1):
        total += counts[key]
        offsets[key] = total
    # offsets[key] is now the end of bucket key - 1, i.e. the start of bucket key: fill forwards.
    base = table * n
    cursor = offsets[:buckets].copy()
    for row in range(n):
        key = keys[row]
        positions[base + cursor[key]] = row
        cursor[key] += 1


@njit(cache=True, nogil=True)
def _grow(array, size):  # type: ignore[no-untyped-def]
    bigger = np.empty(max(size, array.shape[0] * _GROW), dtype=array.dtype)
    bigger[: array.shape[0]] = array
    return bigger


@njit(cache=True, nogil=True)
def _sort_and_dedupe(out_query, out_row, out_dist, begin, end):  # type: ignore[no-untyped-def]
    """Sort one query's hits [begin, end) by (distance, row) and drop repeats; return the new end."""
    if end - begin <= 1:
        return end
    packed = np.empty(end - begin, dtype=np.int64)
    for i in range(begin, end):
        packed[i - begin] = (np.int64(out_dist[i]) << 32) | np.int64(out_row[i])
    packed.sort()
    write = begin
    previous = np.int64(-1)
    for value in packed:
        if value != previous:
            out_dist[write] = np.int32(value >> 32)
            out_row[write] = np.int32(value & 0xFFFFFFFF)
            write += 1
            previous = value
    return write


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

    `mask_count[t]` flip masks of table `t` (all keys within that table's radius) are probed; when
    no table is probed the whole segment is scanned. Per query, the work runs in three passes over
    flat buffers - bucket bounds, then candidate rows, then distances - so that the random loads of
    each pass are independent and the CPU keeps many cache misses in flight. A query whose probes
    would yield more than `linear_budget` candidates (skewed buckets) is scanned linearly instead.
    """
    n = words.shape[0]
    n_queries = query_words.shape[0]
    n_tables = starts.shape[0]
    probes = 0
    for t in range(n_tables):
        probes += mask_count[t]
    scan_all = probes == 0

    out_query = np.empty(64, dtype=np.int32)
    out_row = np.empty(64, dtype=np.int32)
    out_dist = np.empty(64, dtype=np.int32)
    count = 0
    bucket_start = np.empty(max(probes, 1), dtype=np.int64)
    bucket_size = np.empty(max(probes, 1), dtype=np.int64)
    candidates = np.empty(1024, dtype=np.int32)

    for q in range(n_queries):
        begin = count
        linear = scan_all
        if not linear:
            p = 0
            total = np.int64(0)
            for t in range(n_tables):
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
                    total += size
                    p += 1
            if total > linear_budget:
                linear = True
            else:
                if total > candidates.shape[0]:
                    grown = candidates.shape[0] * _GROW
                    candidates = np.empty(total if total > grown else grown, dtype=np.int32)
                c = 0
                for j in range(p):
                    at = bucket_start[j]
                    for e in range(bucket_size[j]):
                        candidates[c] = positions[at + e]
                        c += 1
                for j in range(c):
                    row = candidates[j]
                    d = _distance(words, row, query_words, q)
                    if d <= threshold and dead[row] == 0:
                        if count == out_row.shape[0]:
                            out_query = _grow(out_query, count + 1)
                            out_row = _grow(out_row, count + 1)
                            out_dist = _grow(out_dist, count + 1)
                        out_query[count] = q
                        out_row[count] = row
                        out_dist[count] = d
                        count += 1
        if linear:
            for row in range(n):
                d = _distance(words, row, query_words, q)
                if d <= threshold and dead[row] == 0:
                    if count == out_row.shape[0]:
                        out_query = _grow(out_query, count + 1)
                        out_row = _grow(out_row, count + 1)
                        out_dist = _grow(out_dist, count + 1)
                    out_query[count] = q
                    out_row[count] = row
                    out_dist[count] = d
                    count += 1
        count = int(_sort_and_dedupe(out_query, out_row, out_dist, begin, count))
    return out_query[:count], out_row[:count], out_dist[:count]
