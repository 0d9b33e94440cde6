"""Hashing files from disk, one or many, in parallel processes.

Files are read into memory, hashed and dropped: this module never writes media anywhere. A file
that fails becomes a `FileResult` with an error, so one bad file never stops a directory.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from alliance.core.errors import HashingError
from alliance.core.media.hashing import HashingLimits, MediaHashes, exact_signals, hash_image, reference_pdq
from alliance.core.signals import Signal

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".mpo", ".heic", ".heif", ".hif"}
    | {".avif", ".jp2", ".j2k", ".j2c", ".jpf", ".jpx"}
)
"""Files with these suffixes are picked up when a directory is given; files named directly are always tried."""


@dataclass(frozen=True, slots=True)
class FileResult:
    path: Path
    hashes: MediaHashes | None = None
    error: HashingError | None = None
    exact: tuple[Signal, ...] = ()
    """When the file was read but is not an image we can decode: its md5, sha1 and sha256 all
    the same, since an identical file still matches by them (none for an empty file, whose
    hashes every empty file shares)."""

    @property
    def ok(self) -> bool:
        return self.hashes is not None


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Files named, plus image files found under directories named, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    Path(root) / name
                    for root, _dirs, names in os.walk(path)
                    for name in names
                    if Path(name).suffix.lower() in IMAGE_SUFFIXES
                )
            )
        else:
            found.append(path)
    return found


def read_media(path: Path, limits: HashingLimits = HashingLimits()) -> bytes:
    """A media file's bytes, or a `HashingError` saying why not (refused above the size limit
    before anything is read)."""
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:  # refuse before reading a huge file into memory
            raise HashingError(
                "too_large", f"the file is {size:,} bytes, above the limit of {limits.max_bytes:,} bytes"
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise HashingError("not_found", "no such file") from None
    except PermissionError:
        raise HashingError("unreadable", "permission denied") from None
    except IsADirectoryError:
        raise HashingError("unreadable", "is a directory") from None
    except OSError as exc:
        raise HashingError("unreadable", f"cannot read the file: {exc.strerror}") from None


def hash_file(
    path: Path,
    limits: HashingLimits = HashingLimits(),
    *,
    exact_reference: bool = False,
    views: bool = True,
    crops: bool = False,
) -> FileResult:
    """Hash one file; `exact_reference` computes PDQ with the reference implementation, bit for bit;
    `views=False` leaves out what only a bank entry needs; `crops` adds what a crop-matching bank
    stores (`core.hashing.hash_image`)."""
    try:
        data = read_media(path, limits)
    except HashingError as exc:
        return FileResult(path, error=exc)
    try:
        hashes = hash_image(data, limits, exact_reference=exact_reference, views=views, crops=crops)
        return FileResult(path, hashes=hashes)
    except HashingError as exc:
        return FileResult(path, error=exc, exact=exact_signals(data) if data else ())
    finally:
        del data


def chunk_size(files: int, workers: int) -> int:
    """Files per task when `workers` processes share `files`: small chunks keep every core busy to
    the end; large ones cut the pickling per file."""
    return max(1, min(16, files // (workers * 8)))


def hash_files(
    paths: list[Path],
    limits: HashingLimits = HashingLimits(),
    jobs: int = 1,
    on_done: Callable[[FileResult], None] | None = None,
    *,
    exact_reference: bool = False,
    views: bool = True,
    crops: bool = False,
) -> Iterator[FileResult]:
    """Hash `paths` in order, over `jobs` processes; `on_done` is called as each file finishes.
    Without the reference binding, `exact_reference` fails once here, before any file is read."""
    if exact_reference:
        reference_pdq()
    if jobs <= 1 or len(paths) < 2:
        for path in paths:
            result = hash_file(path, limits, exact_reference=exact_reference, views=views, crops=crops)
            if on_done:
                on_done(result)
            yield result
        return
    work = functools.partial(hash_file, limits=limits, exact_reference=exact_reference, views=views, crops=crops)
    workers = min(jobs, len(paths))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for result in pool.map(work, paths, chunksize=chunk_size(len(paths), workers)):
            if on_done:
                on_done(result)
            yield result
