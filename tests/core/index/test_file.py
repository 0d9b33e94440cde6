"""The saved-index file: round trips, and every kind of untrustworthy file raises IndexFileError."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from alliance.core.errors import IndexFileError
from alliance.core.index.file import FORMAT_VERSION, HEADER_SIZE, IndexFile, read_index_file, write_index_file


def _content(n: int) -> IndexFile:
    rng = np.random.default_rng(n)
    return IndexFile("pdq", 17, rng.permutation(n).astype(np.int64), rng.integers(0, 256, (n, 32), dtype=np.uint8))


@pytest.mark.parametrize("n", [0, 1, 1000])
def test_round_trip(tmp_path: Path, n: int) -> None:
    path = tmp_path / "pdq.idx"
    content = _content(n)
    write_index_file(path, content)
    read = read_index_file(path, expected_signal_type="pdq")
    assert (read.signal_type, read.sequence) == ("pdq", 17)
    np.testing.assert_array_equal(read.ids, content.ids)
    np.testing.assert_array_equal(read.hashes, content.hashes)
    assert path.stat().st_size == HEADER_SIZE + n * 40
    assert not path.with_name(path.name + ".tmp").exists()


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "pdq.idx"
    write_index_file(path, _content(100))
    return path


def _patch(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def test_flipped_byte_fails_the_checksum(saved: Path) -> None:
    _patch(saved, HEADER_SIZE + 500, b"\xff")
    with pytest.raises(IndexFileError, match="corrupt"):
        read_index_file(saved, "pdq")


@pytest.mark.parametrize("size", [0, 10, HEADER_SIZE, HEADER_SIZE + 100 * 40 - 1])
def test_truncated(saved: Path, size: int) -> None:
    with open(saved, "r+b") as f:
        f.truncate(size)
    with pytest.raises(IndexFileError):
        read_index_file(saved, "pdq")


def test_padded(saved: Path) -> None:
    with open(saved, "ab") as f:
        f.write(b"\0" * 8)
    with pytest.raises(IndexFileError, match="truncated or padded"):
        read_index_file(saved, "pdq")


def test_newer_format_version(saved: Path) -> None:
    _patch(saved, 8, struct.pack("<I", FORMAT_VERSION + 1))
    with pytest.raises(IndexFileError, match="newer"):
        read_index_file(saved, "pdq")


def test_other_signal_type(saved: Path) -> None:
    with pytest.raises(IndexFileError, match="'pdq'"):
        read_index_file(saved, "md5")


def test_not_an_index_file_and_missing_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.idx"
    junk.write_bytes(b"PK\x03\x04" + b"\0" * 200)
    with pytest.raises(IndexFileError, match="not an Alliance index"):
        read_index_file(junk, "pdq")
    with pytest.raises(IndexFileError, match="cannot read"):
        read_index_file(tmp_path / "absent.idx", "pdq")
