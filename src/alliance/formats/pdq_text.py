"""PDQ text lists: one hash per line, the simplest way PDQ hashes travel, in every shape tools write.

    # hashes from hotline X, 2024-05
    f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100
    d8f8f0cce0f4e84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22
    a9f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,87,holiday.jpg

Read, one per line, all in one file if need be:

- `hash`, `hash,quality`, `hash,quality,filename` (Meta's `pdq-photo-hasher`), `hash,filename`
  (the second field is a quality when it is a whole number, else a file name), the same with tabs;
- `hash=...,norm=...,delta=...,quality=...,filename=...` (`pdq-photo-hasher --details`; norm and
  delta are kept in metadata);
- `pdq <hash>` and `video_md5 <md5>` (python-threatexchange's signal files): a type name, a space
  or tab, the hash; a type Alliance does not use (`url`, `raw_text`) is skipped and counted.

Blank lines and everything after a `#` are ignored, whitespace around fields is tolerated, the hash
may be in either case (stored lowercase). A line that cannot be used is skipped with its reason
(`records.Skipped`): a header line (`hash,quality,filename`), a bad hash, a quality out of range.
The same hash on several lines gives several records; the import merges them, keeping each file name.

Written in three shapes (`write_to`): `pdq-txt` is `hash,quality[,filename]`, one line per file name
the entry has (so a list with a hash twice comes back as it was); `pdq-hex` is bare hex, one PDQ
hash per line (what `clusterize256` and `threatexchange match --hashes` read); `pdq-pytx` is
`pdq <hash>` lines (python-threatexchange's local file collaboration reads it).
Kept: the hash, its quality, the file names. Lost: comments, blank lines, other metadata, and file
names that would not read back (holding `#`, a tab or a line break, or surrounded by whitespace).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from typing import TextIO

from alliance.core.banks import FILENAME_KEY, FILENAMES_KEY
from alliance.core.errors import FormatError, InvalidSignal
from alliance.core.signals import Signal, parse_signal, signal_type
from alliance.formats.records import Item, MediaRecord, Skipped

SIGNAL_TYPE = "pdq"
HEADER = "header line"
PYTX_TYPES = frozenset({"pdq", "video_md5", "video_sha256"})
"""The hash type names python-threatexchange 1.2 and HMA know; `sha1` is not one of them."""
_INTEGER = re.compile(r"[+-]?[0-9]+")
_TYPE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_DETAIL_KEYS = ("hash", "norm", "delta", "quality", "filename")


def stream(source: TextIO) -> Iterator[Item]:
    """Each line's record, or why it was skipped, in file order; never raises on a bad line."""
    seen_record = False
    for number, line in enumerate(source, start=1):
        if number == 1:
            line = line.removeprefix("\ufeff")
        content = line.split("#", 1)[0].strip()
        if content:
            item = _parse_line(content, f"line {number}", first=not seen_record)
            seen_record = seen_record or isinstance(item, MediaRecord)
            yield item


def read(text: str) -> list[MediaRecord]:
    """Every record of a list, or `FormatError` naming the first line that cannot be used (headers pass)."""
    return strict(stream(io.StringIO(text)))


def strict(items: Iterable[Item]) -> list[MediaRecord]:
    """The records, or `FormatError` for the first skipped part that is not a header line."""
    records = []
    for item in items:
        if isinstance(item, Skipped):
            if item.reason != HEADER:
                raise FormatError(item.where, item.detail or item.reason)
        else:
            records.append(item)
    return records


def write(records: Iterable[MediaRecord]) -> str:
    out = io.StringIO()
    write_to(records, out)
    return out.getvalue()


def write_to(records: Iterable[MediaRecord], out: TextIO) -> int:
    """`hash,quality[,filename]`, one line per PDQ signal and file name; returns the lines written."""
    lines = 0
    for record in records:
        names: list[str | None] = [name for name in filenames(record) if _writable(name)] or [None]
        for signal in record.signals:
            if signal.type == SIGNAL_TYPE:
                for name in names:
                    out.write(_format_line(signal, name) + "\n")
                    lines += 1
    return lines


def write_hex_to(records: Iterable[MediaRecord], out: TextIO) -> int:
    """Bare hex, one line per PDQ signal."""
    lines = 0
    for record in records:
        for signal in record.signals:
            if signal.type == SIGNAL_TYPE:
                out.write(signal.value + "\n")
                lines += 1
    return lines


def write_pytx_to(records: Iterable[MediaRecord], out: TextIO) -> int:
    """`pdq <hash>` lines, one per PDQ signal: python-threatexchange's local file collaboration."""
    lines = 0
    for record in records:
        for signal in record.signals:
            if signal.type == SIGNAL_TYPE:
                out.write(f"{signal_type(signal.type).exchange_name} {signal.value}\n")
                lines += 1
    return lines


def filenames(record: MediaRecord) -> list[str]:
    """The file names a record carries: its `filenames` when merged from several lines, else its `filename`."""
    names = record.metadata.get(FILENAMES_KEY)
    if isinstance(names, list) and names:
        return [name for name in names if isinstance(name, str)]
    name = record.metadata.get(FILENAME_KEY)
    return [name] if isinstance(name, str) and name else []


def _parse_line(content: str, where: str, *, first: bool) -> Item:
    if content.lower().startswith("hash="):
        return _parse_details(content, where)
    separator = "\t" if "\t" in content else "," if "," in content else None
    if separator is None and " " in content:
        separator = " "
    fields = [field.strip() for field in content.split(separator, 2)] if separator else [content]
    typed = len(fields) >= 2 and fields[1] and not _HEX.fullmatch(fields[0]) and _TYPE_NAME.fullmatch(fields[0])
    if typed and not _is_header(fields, first):
        return _parse_typed(fields[0], content.split(separator, 1)[1].strip(), where)
    try:
        value = signal_type(SIGNAL_TYPE).canonical(fields[0])
    except InvalidSignal as error:
        if _is_header(fields, first):
            return Skipped(where, HEADER, content[:80])
        return Skipped(where, "bad pdq hash", str(error))
    quality: int | None = None
    filename = fields[2] if len(fields) > 2 else None
    if len(fields) > 1 and fields[1]:
        if _INTEGER.fullmatch(fields[1]):
            quality = int(fields[1])
        else:  # `hash,filename`: the name is the rest of the line
            filename = content.split(separator, 1)[1].strip()
    return _record(value, quality, {FILENAME_KEY: filename} if filename else {}, where)


def _record(value: str, quality: int | None, metadata: dict[str, object], where: str) -> Item:
    """A record of `value`, a canonical PDQ hash (`SignalType.canonical` gave it), with its quality."""
    try:
        signal = Signal(SIGNAL_TYPE, value, signal_type(SIGNAL_TYPE).check_quality(quality))
    except InvalidSignal as error:
        return Skipped(where, "bad pdq quality", str(error))
    return MediaRecord(signals=(signal,), metadata=dict(metadata), where=where)


def _parse_details(content: str, where: str) -> Item:
    """`hash=H,norm=N,delta=D,quality=Q,filename=F`: the file name is the rest of the line."""
    fields: dict[str, str] = {}
    rest = content
    while rest:
        key, _, rest = rest.partition("=")
        key = key.strip().lower()
        if key == FILENAME_KEY or key not in _DETAIL_KEYS:
            fields[key] = rest.strip()
            break
        value, _, rest = rest.partition(",")
        fields[key] = value.strip()
    try:
        value = signal_type(SIGNAL_TYPE).canonical(fields.get("hash", ""))
    except InvalidSignal as error:
        return Skipped(where, "bad pdq hash", str(error))
    quality_text = fields.get("quality", "")
    if quality_text and not _INTEGER.fullmatch(quality_text):
        return Skipped(where, "bad pdq quality", f"pdq quality must be an integer from 0 to 100, got {quality_text!r}")
    metadata: dict[str, object] = {key: _number(fields[key]) for key in ("norm", "delta") if fields.get(key)}
    if fields.get(FILENAME_KEY):
        metadata[FILENAME_KEY] = fields[FILENAME_KEY]
    return _record(value, int(quality_text) if quality_text else None, metadata, where)


def _parse_typed(type_name: str, value: str, where: str) -> Item:
    """`pdq <hash>`: python-threatexchange's signal file line."""
    from alliance.formats.te_csv import canonical_type_name  # te_csv reads pdq_text's names

    try:
        canonical = canonical_type_name(type_name)
    except InvalidSignal:
        return Skipped(where, f"not a hash type Alliance uses: {type_name.lower()}")
    try:
        return MediaRecord(signals=(parse_signal(canonical, value),), where=where)
    except InvalidSignal as error:
        return Skipped(where, f"bad {canonical} hash", str(error))


def _is_header(fields: list[str], first: bool) -> bool:
    """A first line of words (`hash,quality,filename`, `pdq_hash`) rather than values."""
    words = [field for field in fields[:3] if field]
    return first and all(_TYPE_NAME.fullmatch(w) and not (len(w) >= 32 and _HEX.fullmatch(w)) for w in words)


def _number(text: str) -> object:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def _writable(filename: object) -> bool:
    """Whether `filename` reads back as itself: one line, no `#`, no surrounding whitespace."""
    if not isinstance(filename, str) or "#" in filename or "\t" in filename:
        return False
    return filename.splitlines() == [filename] and filename.strip() == filename


def _format_line(signal: Signal, filename: str | None) -> str:
    if filename:
        return f"{signal.value},{'' if signal.quality is None else signal.quality},{filename}"
    if signal.quality is None:
        return signal.value
    return f"{signal.value},{signal.quality}"
