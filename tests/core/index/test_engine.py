"""The linear engine against a plain-Python definition of 'within the threshold'."""

from pathlib import Path

import numpy as np
import pytest

from alliance.core.errors import IndexFileError, InvalidRequest
from alliance.core.index.engine import LinearPDQIndex, pdq_hex_to_bytes


def flip_bits(row: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    bits = np.unpackbits(row)
    bits[rng.choice(256, size=count, replace=False)] ^= 1
    return np.packbits(bits)


def brute(stored: np.ndarray, ids: np.ndarray, query: np.ndarray, threshold: int) -> set[tuple[int, int]]:
    out = set()
    for i, row in zip(ids, stored, strict=True):
        d = int(np.unpackbits(row ^ query).sum())
        if d <= threshold:
            out.add((int(i), d))
    return out


def test_query_returns_exactly_the_hashes_within_threshold():
    rng = np.random.default_rng(7)
    base = rng.integers(0, 256, (1, 32), dtype=np.uint8)[0]
    stored = np.stack(
        [flip_bits(base, d, rng) for d in range(0, 64)] + list(rng.integers(0, 256, (200, 32), dtype=np.uint8))
    )
    ids = np.arange(100, 100 + len(stored), dtype=np.int64)
    index = LinearPDQIndex.build(ids, stored)
    for threshold in (0, 1, 31, 32, 64):
        hits = index.query(base[None, :], threshold)
        assert set(hits.for_query(0)) == brute(stored, ids, base, threshold)
        assert list(hits.distances) == sorted(hits.distances)


def test_remove_and_re_add():
    rng = np.random.default_rng(1)
    stored = rng.integers(0, 256, (50, 32), dtype=np.uint8)
    index = LinearPDQIndex.build(np.arange(50), stored)
    index.remove(np.array([3, 4]))
    assert len(index) == 48
    assert index.query(stored[3:4], 0).for_query(0) == []
    index.add(np.array([3]), stored[3:4])
    assert index.query(stored[3:4], 0).for_query(0) == [(3, 0)]
    index.add(np.array([3]), stored[5:6])  # re-adding an id replaces its hash
    assert len(index) == 49
    assert (3, 0) in index.query(stored[5:6], 0).for_query(0)


def test_empty_index_and_empty_batch():
    index = LinearPDQIndex()
    assert len(index.query(np.zeros((2, 32), np.uint8), 31)) == 0
    assert (
        len(LinearPDQIndex.build(np.arange(1), np.zeros((1, 32), np.uint8)).query(np.zeros((0, 32), np.uint8), 31)) == 0
    )


@pytest.mark.parametrize("threshold", [-1, 65])
def test_threshold_out_of_range(threshold):
    with pytest.raises(InvalidRequest):
        LinearPDQIndex().query(np.zeros((1, 32), np.uint8), threshold)


def test_hex_conversion_keeps_bit_order():
    value = "80" + "00" * 31
    assert pdq_hex_to_bytes([value])[0, 0] == 0x80


def test_save_load_round_trip_and_damage(tmp_path: Path):
    rng = np.random.default_rng(3)
    stored = rng.integers(0, 256, (20, 32), dtype=np.uint8)
    path = tmp_path / "pdq.idx"
    LinearPDQIndex.build(np.arange(20), stored).save(path, sequence=42)
    loaded, sequence = LinearPDQIndex.load(path)
    assert sequence == 42 and len(loaded) == 20
    assert loaded.query(stored[7:8], 0).for_query(0) == [(7, 0)]

    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="checksum"):
        LinearPDQIndex.load(path)
    path.write_bytes(bytes(data[:-7]))
    with pytest.raises(IndexFileError, match="truncated"):
        LinearPDQIndex.load(path)
    path.write_bytes(b"nonsense")
    with pytest.raises(IndexFileError, match="not an Alliance index"):
        LinearPDQIndex.load(path)


def test_an_id_twice_in_one_batch_keeps_the_last_hash():
    a, b = np.zeros((1, 32), np.uint8), np.full((1, 32), 255, np.uint8)
    index = LinearPDQIndex.build(np.array([7, 7]), np.concatenate([a, b]))
    assert len(index) == 1
    assert index.query(b, 0).for_query(0) == [(7, 0)]
