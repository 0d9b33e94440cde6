"""The saved-index file: a fixed header, then plain arrays that can be memory-mapped.

Layout (little-endian)::

    0   8   magic b"ALLIDX01"
    8   4   format version (uint32)
    12  16  signal type, ASCII, NUL-padded
    28  8   count of items (uint64)
    36  8   store change sequence this file reflects (int64)
    44  32  BLAKE2b-256 of everything after the header
    76  52  reserved (zero)
    128     ids: count x int64, then hashes: count x 32 bytes (PDQ; another type's own width)

Never pickle: a file we control can be checked before it is trusted, and read by other tools. A
file that is truncated, corrupt, of another signal type or from a newer format raises
`IndexFileError`; the caller then rebuilds from the store. Writes go to a temporary file that is
renamed into place, so a crash never leaves a half-written index under the real name.
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from alliance.core.errors import IndexFileError

MAGIC = b"ALLIDX01"
FORMAT_VERSION = 1
HEADER_SIZE = 128
_HEADER = struct.Struct("<8sI16sQq32s")
_HASH_BYTES = 32


@dataclass(frozen=True, slots=True)
class IndexFile:
    """What a saved index holds: the live items and the store sequence they reflect."""

    signal_type: str
    sequence: int
    ids: npt.NDArray[np.int64]
    hashes: npt.NDArray[np.uint8]


def _bytes_of(array: npt.NDArray[np.generic]) -> memoryview:
    """The raw bytes of a contiguous array, also when it is empty (a 0-row view cannot be cast)."""
    return array.reshape(-1).view(np.uint8).data


def write_index_file(path: Path, content: IndexFile, hash_bytes: int = _HASH_BYTES) -> None:
    """Write `content`, whose hashes are `hash_bytes` wide (the signal type's width)."""
    ids = np.ascontiguousarray(content.ids, dtype="<i8")
    hashes = np.ascontiguousarray(content.hashes, dtype=np.uint8).reshape(-1, hash_bytes)
    if len(ids) != len(hashes):
        raise ValueError("ids and hashes differ in length")
    digest = hashlib.blake2b(digest_size=32)
    digest.update(_bytes_of(ids))
    digest.update(_bytes_of(hashes))
    header = _HEADER.pack(
        MAGIC, FORMAT_VERSION, content.signal_type.encode("ascii"), len(ids), content.sequence, digest.digest()
    ).ljust(HEADER_SIZE, b"\0")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        out.write(header)
        out.write(_bytes_of(ids))
        out.write(_bytes_of(hashes))
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def read_index_file(path: Path, expected_signal_type: str, hash_bytes: int = _HASH_BYTES) -> IndexFile:
    """Read and verify a saved index of `hash_bytes`-wide hashes; the arrays are memory-mapped, not copied."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            raw_header = f.read(HEADER_SIZE)
    except OSError as exc:
        raise IndexFileError(f"cannot read index file {path}: {exc.strerror}") from exc
    if len(raw_header) < HEADER_SIZE or not raw_header.startswith(MAGIC[:6]):
        raise IndexFileError(f"{path} is not an Alliance index file")
    magic, version, kind, count, sequence, checksum = _HEADER.unpack_from(raw_header)
    if magic != MAGIC or version > FORMAT_VERSION:
        raise IndexFileError(
            f"{path} was written in index format {version}, newer than this Alliance reads ({FORMAT_VERSION})"
        )
    signal_type = kind.rstrip(b"\0").decode("ascii", "replace")
    if signal_type != expected_signal_type:
        raise IndexFileError(f"{path} holds {signal_type!r} hashes, expected {expected_signal_type!r}")
    expected_size = HEADER_SIZE + count * (8 + hash_bytes)
    if size != expected_size:
        raise IndexFileError(f"{path} is truncated or padded: {size} bytes, header says {expected_size}")
    if count == 0:
        return IndexFile(signal_type, sequence, np.zeros(0, np.int64), np.zeros((0, hash_bytes), np.uint8))
    ids = np.memmap(path, dtype="<i8", mode="r", offset=HEADER_SIZE, shape=(count,))
    hashes = np.memmap(path, dtype=np.uint8, mode="r", offset=HEADER_SIZE + 8 * count, shape=(count, hash_bytes))
    digest = hashlib.blake2b(digest_size=32)
    digest.update(_bytes_of(ids))
    digest.update(_bytes_of(hashes))
    if digest.digest() != checksum:
        raise IndexFileError(f"{path} is corrupt: checksum does not match its contents")
    return IndexFile(signal_type, sequence, ids, hashes)
