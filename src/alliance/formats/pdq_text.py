"""PDQ text lists: one PDQ hash per line, the simplest way PDQ hashes travel.

    # hashes from hotline X, 2024-05
    f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100
    d8f8f0cce0f4e84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22
    a9f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,87,holiday.jpg

Each line is `hash`, `hash,quality` or `hash,quality,filename` (the last is what Meta's
`pdq-photo-hasher` prints); an empty quality means "not known". Blank lines and everything after a
`#` are ignored; whitespace around fields is tolerated. The hash may be in either case; it is
stored lowercase.

Kept: the hash, its quality and the file name (as `metadata["filename"]`). Lost: comments, blank
lines, and file names that would not read back (holding `#` or a line break, or starting or
ending with whitespace). On writing, every
PDQ signal of every record becomes one line; other signal types, notes and other metadata have no
place in this format and are not written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from alliance.core.errors import FormatError, InvalidSignal
from alliance.core.signals import Signal, parse_signal
from alliance.formats.records import MediaRecord

SIGNAL_TYPE = "pdq"
FILENAME_KEY = "filename"
_INTEGER = re.compile(r"[+-]?[0-9]+")


def read(text: str) -> list[MediaRecord]:
    """Parse a PDQ text list; `FormatError` names the first bad line."""
    records = []
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if content:
            records.append(_parse_line(content, f"line {number}"))
    return records


def write(records: Iterable[MediaRecord]) -> str:
    """One line per PDQ signal: `hash,quality[,filename]`, or just `hash` when quality is unknown."""
    lines = []
    for record in records:
        filename = record.metadata.get(FILENAME_KEY)
        for signal in record.signals:
            if signal.type == SIGNAL_TYPE:
                lines.append(_format_line(signal, filename if _writable(filename) else None))
    return "".join(line + "\n" for line in lines)


def _parse_line(content: str, where: str) -> MediaRecord:
    fields = [field.strip() for field in content.split(",", 2)]
    quality = _parse_quality(fields[1], where) if len(fields) > 1 else None
    try:
        signal = parse_signal(SIGNAL_TYPE, fields[0], quality)
    except InvalidSignal as error:
        raise FormatError(where, str(error)) from None
    metadata = {FILENAME_KEY: fields[2]} if len(fields) > 2 and fields[2] else {}
    return MediaRecord(signals=(signal,), metadata=metadata, where=where)


def _parse_quality(text: str, where: str) -> int | None:
    if not text:
        return None
    if not _INTEGER.fullmatch(text):
        raise FormatError(where, f"pdq quality must be an integer from 0 to 100, got {text!r}")
    return int(text)


def _writable(filename: object) -> bool:
    """Whether `filename` reads back as itself: one line, no `#`, no surrounding whitespace."""
    if not isinstance(filename, str) or "#" in filename:
        return False
    return filename.splitlines() == [filename] and filename.strip() == filename


def _format_line(signal: Signal, filename: str | None) -> str:
    if filename:
        return f"{signal.value},{'' if signal.quality is None else signal.quality},{filename}"
    if signal.quality is None:
        return signal.value
    return f"{signal.value},{signal.quality}"
