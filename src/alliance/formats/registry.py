"""The hash-list formats Alliance reads and writes, by name, for the CLI and the API to offer.

fmt = get_format("te-csv")
with path.open("rb") as source:
    for item in fmt.stream(source): ...      # MediaRecord or Skipped, one at a time
with out_path.open("w", newline="") as out:
    fmt.write_to(records, out)               # records may be a generator
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO, TextIO

from alliance.core.errors import FormatError, InvalidRequest
from alliance.formats import pdq_text, te_csv, vics_json
from alliance.formats.records import Item, MediaRecord


@dataclass(frozen=True, slots=True)
class Format:
    """One file format: its name, a line for help texts, its streaming reader and writer, its suffix."""

    name: str
    description: str
    stream: Callable[[IO[bytes]], Iterator[Item]]
    write_to: Callable[[Iterable[MediaRecord], TextIO], int]
    suffix: str

    def read(self, text: str) -> list[MediaRecord]:
        """Every record of a whole file, or `FormatError` for the first part that cannot be used."""
        items = self.stream(io.BytesIO(text.encode("utf-8")))
        try:
            return pdq_text.strict(items)
        finally:
            # Closed now, not by the garbage collector: a refused file's error may keep the reader
            # alive in a reference cycle until its buffer is gone, and its clean-up would then fail.
            close = getattr(items, "close", None)
            if close is not None:
                close()

    def write(self, records: Iterable[MediaRecord]) -> str:
        out = io.StringIO()
        self.write_to(records, out)
        return out.getvalue()


def _text(reader: Callable[[TextIO], Iterator[Item]]) -> Callable[[IO[bytes]], Iterator[Item]]:
    """A text format's reader over bytes: UTF-8 (a byte order mark allowed), line ends kept for CSV."""

    def stream(source: IO[bytes]) -> Iterator[Item]:
        text = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
        try:
            yield from reader(text)
        except UnicodeDecodeError:
            raise FormatError("file", "not a UTF-8 text file") from None
        finally:
            text.detach()  # the caller owns `source`

    return stream


def _vics(source: IO[bytes]) -> Iterator[Item]:
    yield from vics_json.stream(_WithoutBom(source))


class _WithoutBom:
    """`source` without a leading UTF-8 byte order mark; ijson asks only for `read`."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.head: bytes | None = None

    def read(self, size: int = -1, /) -> bytes:
        if size == 0:  # ijson asks for nothing first, to learn whether it gets bytes
            return b""
        if self.head is None:
            self.head = self.source.read(3).removeprefix(b"\xef\xbb\xbf")
            rest = self.source.read(max(size - len(self.head), 0)) if size >= 0 else self.source.read()
            return self.head + rest
        return self.source.read(size)


FORMATS: dict[str, Format] = {
    fmt.name: fmt
    for fmt in (
        Format(
            "pdq-txt",
            "PDQ text: hash,quality[,filename] (reads every shape: --details, 'pdq <hash>', tabs)",
            _text(pdq_text.stream),
            pdq_text.write_to,
            ".txt",
        ),
        Format(
            "pdq-hex", "PDQ text: bare hex, one hash per line", _text(pdq_text.stream), pdq_text.write_hex_to, ".txt"
        ),
        Format(
            "pdq-pytx",
            "python-threatexchange signal file: 'pdq <hash>' lines",
            _text(pdq_text.stream),
            pdq_text.write_pytx_to,
            ".txt",
        ),
        Format(
            "te-csv",
            "ThreatExchange / HMA CSV: signal_type,signal_str,...",
            _text(te_csv.stream),
            te_csv.write_to,
            ".csv",
        ),
        Format("vics-json", "VICS JSON (Project VIC 1.x and 2.0)", _vics, vics_json.write_to, ".json"),
    )
}


def get_format(name: str) -> Format:
    """The format called `name`; `InvalidRequest` lists the known ones otherwise."""
    try:
        return FORMATS[name.strip().lower()]
    except KeyError:
        raise InvalidRequest(f"unknown format {name!r}; known: {', '.join(FORMATS)}") from None


def format_names() -> list[str]:
    return list(FORMATS)
