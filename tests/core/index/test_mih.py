"""MIHPDQIndex against the linear reference: same hits, same errors, on random and adversarial data.

Most data sets are small, so the cost model would simply scan them; `probing` forces the tables
(scanning made "infinitely" expensive) so the multi-index path itself is what gets checked.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.core.errors import IndexFileError, InvalidRequest
from alliance.core.index import file as index_file
from alliance.core.index import mih as mih_index
from alliance.core.index.engine import Hits, LinearPDQIndex
from alliance.core.index.file import IndexFile, write_index_file
from alliance.core.index.mih import MIHPDQIndex, allocate_radii, choose_widths, split_widths, table_bytes

THRESHOLDS = [0, 1, 31, 32, 63, 64]


def random_hashes(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 256, (n, 32), dtype=np.uint8)


def flip(rows: np.ndarray, counts: np.ndarray | int, rng: np.random.Generator) -> np.ndarray:
    """Each row with `count` distinct random bits flipped (exact distance `count`)."""
    rows = np.atleast_2d(rows)
    counts = np.broadcast_to(counts, len(rows))
    bits = np.unpackbits(rows, axis=1)
    for row, count in zip(bits, counts, strict=True):
        row[rng.choice(256, size=int(count), replace=False)] ^= 1
    return np.packbits(bits, axis=1)


def clustered(rng: np.random.Generator, n: int, centres: int = 50) -> np.ndarray:
    """Hashes scattered 20-40 bits around a few centres: skewed chunk buckets, like real collections."""
    middle = random_hashes(rng, centres)[rng.integers(0, centres, n)]
    return flip(middle, rng.integers(20, 41, n), rng)


def canonical(hits: Hits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.lexsort((hits.ids, hits.distances, hits.query))
    return hits.query[order], hits.ids[order], hits.distances[order]


def assert_same_hits(got: Hits, expected: Hits) -> None:
    """Same (query, id, distance) triples, and `got` already sorted by query, distance, id."""
    for mine, theirs in zip(canonical(got), canonical(expected), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    for column, sorted_column in zip((got.query, got.ids, got.distances), canonical(got), strict=True):
        np.testing.assert_array_equal(column, sorted_column)


@pytest.fixture(params=["cost-model", "probing"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "probing":
        monkeypatch.setattr(mih_index, "COST_SCAN", 1e9)
    return str(request.param)


@pytest.fixture(scope="module")
def planted() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """40k random hashes plus, around each of 20 queries, one hash at every distance 0..64."""
    rng = np.random.default_rng(2024)
    queries = random_hashes(rng, 20)
    near = np.concatenate([flip(np.repeat(q[None], 65, axis=0), np.arange(65), rng) for q in queries])
    hashes = np.concatenate([random_hashes(rng, 40_000), near])
    ids = rng.permutation(len(hashes)).astype(np.int64) * 7 + 3
    return ids, hashes, queries


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_random_data_with_planted_neighbours(planted, mode, threshold):
    ids, hashes, queries = planted
    mih = MIHPDQIndex.build(ids, hashes)
    assert_same_hits(mih.query(queries, threshold), LinearPDQIndex.build(ids, hashes).query(queries, threshold))


def test_cost_model_uses_tables_at_scale():
    widths = choose_widths(10_000_000)
    assert sum(widths) == 256 and 8 <= len(widths) <= 16
    assert table_bytes(widths, 10_000_000) <= 112 * 10_000_000
    assert choose_widths(100) == ()


@given(st.integers(1, 32), st.integers(0, 64), st.sampled_from([1_000, 100_000, 10_000_000]))
def test_radii_always_satisfy_the_pigeonhole_bound(tables, threshold, n):
    widths = split_widths(tables)
    radii = allocate_radii(widths, n, threshold)
    assert sum(widths) == 256
    assert sum(r + 1 for r in radii) >= threshold + 1
    assert all(-1 <= r <= w for r, w in zip(radii, widths, strict=True))


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_exactly_at_and_just_past_the_threshold(mode, threshold):
    rng = np.random.default_rng(threshold)
    queries = random_hashes(rng, 30)
    at = flip(queries, threshold, rng)
    hashes = [random_hashes(rng, 500), at]
    if threshold < 256:
        hashes.append(flip(queries, threshold + 1, rng))
    hashes = np.concatenate(hashes)
    ids = np.arange(len(hashes), dtype=np.int64)
    hits = MIHPDQIndex.build(ids, hashes).query(queries, threshold)
    assert_same_hits(hits, LinearPDQIndex.build(ids, hashes).query(queries, threshold))
    for q in range(len(queries)):
        assert (500 + q, threshold) in hits.for_query(q)


@pytest.mark.parametrize("threshold", [0, 31, 64])
def test_all_hashes_equal(mode, threshold):
    rng = np.random.default_rng(5)
    same = np.repeat(random_hashes(rng, 1), 3000, axis=0)
    hashes = np.concatenate([same, random_hashes(rng, 2000)])
    ids = np.arange(len(hashes), dtype=np.int64)
    queries = np.concatenate([same[:1], flip(same[:2], 31, rng), random_hashes(rng, 2)])
    hits = MIHPDQIndex.build(ids, hashes).query(queries, threshold)
    assert_same_hits(hits, LinearPDQIndex.build(ids, hashes).query(queries, threshold))
    assert len(hits.for_query(0)) >= 3000


@pytest.mark.parametrize("threshold", [0, 31, 32])
def test_clustered_data(mode, threshold):
    rng = np.random.default_rng(11)
    hashes = clustered(rng, 20_000)
    ids = np.arange(len(hashes), dtype=np.int64) * 2
    queries = np.concatenate([flip(hashes[:30], rng.integers(0, 20, 30), rng), clustered(rng, 30)])
    mih = MIHPDQIndex.build(ids, hashes)
    assert_same_hits(mih.query(queries, threshold), LinearPDQIndex.build(ids, hashes).query(queries, threshold))


def test_empty_index_and_empty_batches(tmp_path):
    empty = MIHPDQIndex()
    assert len(empty) == 0
    assert len(empty.query(np.zeros((3, 32), np.uint8), 31)) == 0
    built = MIHPDQIndex.build(np.zeros(0, np.int64), np.zeros((0, 32), np.uint8))
    assert len(built) == 0
    one = MIHPDQIndex.build(np.arange(1), np.zeros((1, 32), np.uint8))
    none = one.query(np.zeros((0, 32), np.uint8), 31)
    assert len(none) == 0 and none.ids.dtype == np.int64 and none.distances.dtype == np.int32
    empty.save(tmp_path / "empty.idx", 9)
    loaded, sequence = MIHPDQIndex.load(tmp_path / "empty.idx")
    assert len(loaded) == 0 and sequence == 9


def test_query_batch_of_100k():
    rng = np.random.default_rng(3)
    hashes = random_hashes(rng, 300)
    queries = flip(hashes[rng.integers(0, 300, 100_000)], rng.integers(0, 40, 100_000), rng)
    hits = MIHPDQIndex.build(np.arange(300), hashes).query(queries, 31)
    expected_q, expected_rows = [], []
    for lo in range(0, len(queries), 5_000):
        chunk = queries[lo : lo + 5_000]
        d = np.bitwise_count(chunk[:, None, :] ^ hashes[None, :, :]).sum(axis=2)
        q, row = np.nonzero(d <= 31)
        expected_q.append(q + lo)
        expected_rows.append(row)
    got = sorted(zip(hits.query.tolist(), hits.ids.tolist(), strict=True))
    assert got == sorted(zip(np.concatenate(expected_q).tolist(), np.concatenate(expected_rows).tolist(), strict=True))
    assert np.all(np.diff(hits.query) >= 0)


def test_remove_re_add_and_compact(mode):
    rng = np.random.default_rng(8)
    hashes = random_hashes(rng, 20_000)
    ids = np.arange(20_000, dtype=np.int64)
    mih, linear = MIHPDQIndex.build(ids, hashes), LinearPDQIndex.build(ids, hashes)
    queries = flip(hashes[:50], rng.integers(0, 33, 50), rng)

    def check() -> None:
        assert len(mih) == len(linear)
        for threshold in (0, 31, 64):
            assert_same_hits(mih.query(queries, threshold), linear.query(queries, threshold))

    for index in (mih, linear):
        index.remove(np.arange(0, 50, 2))
        index.remove(np.array([10**9]))  # unknown: ignored
    check()
    replaced = flip(queries[:20], 3, rng)
    for index in (mih, linear):
        index.add(np.arange(20), replaced)  # re-adding replaces, including ids removed before
        index.add(np.arange(40_000, 40_500), random_hashes(np.random.default_rng(1), 500))
    check()
    for index in (mih, linear):  # enough removals to trigger a tombstone rebuild
        index.remove(np.arange(100, 8_000))
    check()
    mih.compact()
    assert mih.segment_count == 1
    check()


def test_many_small_adds_merge_segments():
    rng = np.random.default_rng(12)
    mih, linear = MIHPDQIndex(), LinearPDQIndex()
    added = []
    for batch in range(40):
        ids = np.arange(batch * 100, batch * 100 + 100, dtype=np.int64)
        hashes = random_hashes(rng, 100)
        mih.add(ids, hashes)
        linear.add(ids, hashes)
        added.append(hashes)
    assert mih.segment_count <= 8
    queries = flip(np.concatenate(added)[::97], 10, rng)
    assert_same_hits(mih.query(queries, 31), linear.query(queries, 31))


def test_duplicate_ids_in_one_batch_keep_the_last():
    hashes = np.stack([np.zeros(32, np.uint8), np.full(32, 255, np.uint8)])
    mih = MIHPDQIndex.build(np.array([5, 5]), hashes)
    assert len(mih) == 1
    assert mih.query(hashes, 0).for_query(1) == [(5, 0)]
    assert mih.query(hashes, 0).for_query(0) == []


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    base_size=st.integers(0, 400),
    threshold=st.integers(0, 64),
    operations=st.lists(st.tuples(st.sampled_from(["add", "remove"]), st.integers(1, 60)), max_size=5),
)
def test_property_same_as_linear_after_any_writes(seed, base_size, threshold, operations):
    rng = np.random.default_rng(seed)
    centres = random_hashes(rng, 4)

    def some_hashes(count: int) -> np.ndarray:  # mixes exact repeats, near neighbours and noise
        return flip(centres[rng.integers(0, 4, count)], rng.integers(0, 70, count), rng)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mih_index, "COST_SCAN", 1e9)
        ids = rng.choice(1000, base_size, replace=False).astype(np.int64)
        hashes = some_hashes(base_size)
        mih, linear = MIHPDQIndex.build(ids, hashes), LinearPDQIndex.build(ids, hashes)
        for kind, count in operations:
            chosen = rng.choice(1000, count, replace=False).astype(np.int64)
            if kind == "add":
                added = some_hashes(count)
                mih.add(chosen, added)
                linear.add(chosen, added)
            else:
                mih.remove(chosen)
                linear.remove(chosen)
        queries = some_hashes(8)
        assert len(mih) == len(linear)
        assert_same_hits(mih.query(queries, threshold), linear.query(queries, threshold))


@pytest.mark.parametrize("threshold", [-1, 65])
def test_threshold_out_of_range(threshold):
    with pytest.raises(InvalidRequest):
        MIHPDQIndex().query(np.zeros((1, 32), np.uint8), threshold)


def test_bad_shapes_raise_invalid_request():
    index = MIHPDQIndex()
    with pytest.raises(InvalidRequest):
        index.query(np.zeros((1, 31), np.uint8), 31)
    with pytest.raises(InvalidRequest):
        index.add(np.arange(2), np.zeros((1, 32), np.uint8))
    with pytest.raises(InvalidRequest):
        index.add(np.arange(1), np.zeros(32, np.uint8))


# Saved files -------------------------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path: Path) -> Iterator[tuple[Path, np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(4)
    hashes = random_hashes(rng, 5_000)
    ids = rng.permutation(5_000).astype(np.int64) + 100
    path = tmp_path / "pdq.idx"
    MIHPDQIndex.build(ids, hashes).save(path, sequence=42)
    yield path, ids, hashes


def test_save_and_load_round_trip(saved):
    path, ids, hashes = saved
    loaded, sequence = MIHPDQIndex.load(path)
    assert sequence == 42 and len(loaded) == len(ids)
    queries = flip(hashes[:40], 12, np.random.default_rng(0))
    assert_same_hits(loaded.query(queries, 31), LinearPDQIndex.build(ids, hashes).query(queries, 31))


def test_loads_a_file_saved_by_the_linear_engine(tmp_path):
    rng = np.random.default_rng(6)
    hashes = random_hashes(rng, 300)
    ids = rng.permutation(300).astype(np.int64)
    LinearPDQIndex.build(ids, hashes).save(tmp_path / "linear.idx", 3)
    loaded, _ = MIHPDQIndex.load(tmp_path / "linear.idx")
    assert_same_hits(loaded.query(hashes[:5], 31), LinearPDQIndex.build(ids, hashes).query(hashes[:5], 31))


def _rewrite(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def test_corrupt_file(saved):
    path, _, _ = saved
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(size - 1)
        last = f.read(1)
    _rewrite(path, size - 1, bytes([last[0] ^ 1]))
    with pytest.raises(IndexFileError):
        MIHPDQIndex.load(path)


def test_truncated_file(saved):
    path, _, _ = saved
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size - 32)
    with pytest.raises(IndexFileError):
        MIHPDQIndex.load(path)
    with open(path, "r+b") as f:
        f.truncate(60)  # not even a whole header
    with pytest.raises(IndexFileError):
        MIHPDQIndex.load(path)


def test_file_from_a_newer_format(saved):
    path, _, _ = saved
    _rewrite(path, 8, struct.pack("<I", index_file.FORMAT_VERSION + 1))
    with pytest.raises(IndexFileError, match="newer"):
        MIHPDQIndex.load(path)


def test_file_of_another_signal_type(tmp_path):
    path = tmp_path / "md5.idx"
    write_index_file(path, IndexFile("md5", 1, np.arange(2, dtype=np.int64), np.zeros((2, 32), np.uint8)))
    with pytest.raises(IndexFileError, match="md5"):
        MIHPDQIndex.load(path)


def test_missing_and_foreign_files(tmp_path):
    with pytest.raises(IndexFileError):
        MIHPDQIndex.load(tmp_path / "absent.idx")
    (tmp_path / "junk.idx").write_bytes(b"not an index at all" * 10)
    with pytest.raises(IndexFileError):
        MIHPDQIndex.load(tmp_path / "junk.idx")


# Concurrency -------------------------------------------------------------------------------------


def test_concurrent_reads_see_whole_writes_only():
    """Readers query while a writer adds and removes; each answer matches some state between writes."""
    rng = np.random.default_rng(99)
    queries = random_hashes(rng, 16)
    base_ids = np.arange(30_000, dtype=np.int64)
    base = random_hashes(rng, 30_000)
    writes = []
    for step in range(12):  # each write plants neighbours of every query, so every state answers differently
        ids = np.arange(100_000 + step * 64, 100_000 + step * 64 + 64, dtype=np.int64)
        near = flip(queries[np.arange(64) % 16], rng.integers(0, 31, 64), rng)
        writes.append(("add", ids, near))
        if step % 3 == 2:
            writes.append(("remove", ids[:8], None))

    linear = LinearPDQIndex.build(base_ids, base)
    states = [canonical(linear.query(queries, 31))]
    for kind, ids, hashes in writes:
        linear.add(ids, hashes) if kind == "add" else linear.remove(ids)
        states.append(canonical(linear.query(queries, 31)))
    allowed = {tuple(tuple(column.tolist()) for column in state) for state in states}

    mih = MIHPDQIndex.build(base_ids, base)
    mih.query(queries, 31)  # compile before the race starts
    done = threading.Event()
    failures: list[str] = []
    answers = [0]

    def reader() -> None:
        while not done.is_set():
            seen = tuple(tuple(column.tolist()) for column in canonical(mih.query(queries, 31)))
            answers[0] += 1
            if seen not in allowed:
                failures.append("a query saw a half-applied write")
                return

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        for kind, ids, hashes in writes:
            mih.add(ids, hashes) if kind == "add" else mih.remove(ids)
    finally:
        done.set()
        for thread in threads:
            thread.join()
    assert not failures
    assert answers[0] > 0
    final = canonical(mih.query(queries, 31))
    for mine, theirs in zip(final, states[-1], strict=True):
        np.testing.assert_array_equal(mine, theirs)
