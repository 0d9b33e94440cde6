"""ThreatExchange / HMA style CSV: one signal per row, with a header naming the columns.

    signal_type,signal_value,quality,tags,note,collab
    pdq,f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100,csam known_set,,Hotline X
    video_md5,0cc175b9c0f1b6a831c399e269772661,,,seen 2024-05,Hotline X

This is the shape `threatexchange dataset -P --csv` prints (`collab,signal_type,signal_str,
category,tags`) and that HMA's bank API takes (a signal type name and a signal string), so exports from
either import without editing.

Columns (names matched case-insensitively, surrounding whitespace ignored; order is free):

- `signal_type` (required): the signal type name, see the mapping below.
- `signal_value` (required; `signal_str` and `signal` are accepted instead): the hash.
- `quality` (optional): PDQ quality 0-100; empty means not known. Exact hashes take no quality.
- `tags` (optional): tags separated by spaces (as the threatexchange CLI writes them) or commas;
  kept as a list in `metadata["tags"]` (so a tag cannot itself hold a space or a comma).
- `note` (optional; `notes`, `description`, `comment` or `comments` are accepted instead, the first
  one present wins): free text, kept as `MediaRecord.note`.
- any other column (`collab`, `category`, ids, dates, ...): kept as text in `metadata` under its
  header name, and written back as a column. Empty cells are not kept.

Signal type names: lowercased, then a leading `hash_` (ThreatExchange indicator types such as
`HASH_PDQ`) and then a leading `photo_`, `video_` or `image_` (python-threatexchange's `video_md5`,
`photo_md5`) are dropped, and what remains must be an Alliance type: `pdq`, `md5`, `sha1`, `sha256`,
or another registered type (a type whose `exchange_name` differs from its own name is written so).
So `video_md5`, `photo_md5` and `HASH_MD5` all read as md5, `HASH_VIDEO_SHA256` as sha256. When the
name was mapped, the original spelling is kept in `metadata["signal_type"]` and written back.
Types Alliance does not know (`raw_text`, `url`, `tmk_pdqf`, ...) are an error: filter them out
first (`threatexchange dataset -s pdq video_md5 ...`).

Written with CRLF line ends (RFC 4180), which also keeps a lone CR inside a note quoted. Text
that a spreadsheet would run as a formula (tags, note, metadata values and column names) is
written with a leading `'` (`formats.spreadsheet`), which reading takes off again; so a file from
elsewhere whose text begins with `'` and then one of `= + - @` loses that `'`. Kept:
everything above. Lost: the header's spelling of known columns (written back as the names
above) and blank lines. A record with several signals is written as one row per signal, each
repeating its metadata, so it reads back as several records. Metadata from other formats: values
that are not text are written as JSON, and a key that would read back as a known column (VICS's
`Tags`, `Comments`) is written as `metadata.<key>` (`metadata.Tags`) so nothing is lost or merged.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from alliance.core.errors import FormatError, InvalidSignal
from alliance.core.signals import Signal, exchange_type, parse_signal, signal_type, signal_type_names
from alliance.formats.records import MediaRecord
from alliance.formats.spreadsheet import defuse, restore

TYPE_COLUMN = "signal_type"
VALUE_COLUMNS = ("signal_value", "signal_str", "signal")
QUALITY_COLUMN = "quality"
TAGS_COLUMN = "tags"
NOTE_COLUMNS = ("note", "notes", "description", "comment", "comments")

_TYPE_PREFIXES = ("hash_", "photo_", "video_", "image_")
_TAG_SEPARATORS = re.compile(r"[\s,]+")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_KNOWN_COLUMNS = frozenset({TYPE_COLUMN, *VALUE_COLUMNS, QUALITY_COLUMN, TAGS_COLUMN, *NOTE_COLUMNS})
_PLAIN_COLUMNS = frozenset({TYPE_COLUMN, VALUE_COLUMNS[0], QUALITY_COLUMN})
RENAMED_PREFIX = "metadata."


def read(text: str) -> list[MediaRecord]:
    """Parse a CSV with a header row; `FormatError` names the first bad line."""
    rows = _rows(text.removeprefix("\ufeff"))
    header = next(rows, None)
    if header is None:
        return []
    columns = _Columns.from_header(header[1], f"line {header[0]}")
    records = []
    for line, cells in rows:
        if len(cells) != len(header[1]):
            raise FormatError(f"line {line}", f"{len(cells)} fields, but the header names {len(header[1])}")
        restored = [cell if index in columns.plain else restore(cell) for index, cell in enumerate(cells)]
        records.append(columns.record(restored, f"line {line}"))
    return records


def write(records: Iterable[MediaRecord]) -> str:
    """A header row, then one row per signal."""
    rows = [row for record in records for row in _rows_of(record)]
    extra = _extra_columns(rows)
    header = [TYPE_COLUMN, VALUE_COLUMNS[0]]
    header += [name for name in (QUALITY_COLUMN, TAGS_COLUMN, NOTE_COLUMNS[0]) if any(row.get(name) for row in rows)]
    out = io.StringIO()
    # Only empty quality/tags/note cells are left out of the header, so "ignore" drops nothing.
    writer = csv.DictWriter(out, header + extra, lineterminator="\r\n", extrasaction="ignore")
    writer.writerow({name: defuse(name) for name in header + extra})  # metadata keys are free text too
    writer.writerows({k: v if k in _PLAIN_COLUMNS else defuse(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def canonical_type_name(name: str) -> str:
    """The Alliance type a ThreatExchange/HMA type name stands for; `InvalidSignal` if none."""
    stripped = name.strip().lower()
    for prefix in _TYPE_PREFIXES:
        stripped = stripped.removeprefix(prefix)
    named = exchange_type(name) or exchange_type(stripped)
    if named is not None:
        return named.name
    try:
        return signal_type(stripped).name
    except InvalidSignal:
        known = ", ".join(signal_type_names())
        raise InvalidSignal(f"unknown signal type {name!r}; known: {known} (and names such as video_md5)") from None


class _Columns:
    """Where each known column sits in the header, and the names of the others."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        lowered = [name.lower() for name in names]
        self.type = lowered.index(TYPE_COLUMN)
        self.value = next(lowered.index(name) for name in VALUE_COLUMNS if name in lowered)
        self.quality = _find(lowered, (QUALITY_COLUMN,))
        self.tags = _find(lowered, (TAGS_COLUMN,))
        self.note = _find(lowered, NOTE_COLUMNS)
        known = {self.type, self.value, self.quality, self.tags, self.note}
        self.extra = [(index, name) for index, name in enumerate(names) if index not in known]
        self.plain = {self.type, self.value, self.quality}  # never free text, so never defused

    @classmethod
    def from_header(cls, cells: list[str], where: str) -> _Columns:
        names = [restore(cell.strip()) for cell in cells]
        lowered = [name.lower() for name in names]
        duplicate = next((name for name in lowered if lowered.count(name) > 1), None)
        if duplicate is not None:
            raise FormatError(where, f"the header names column {duplicate!r} twice")
        missing = []
        if TYPE_COLUMN not in lowered:
            missing.append(TYPE_COLUMN)
        if not any(name in lowered for name in VALUE_COLUMNS):
            missing.append(VALUE_COLUMNS[0])
        if missing:
            raise FormatError(
                where,
                f"the header must name the columns {TYPE_COLUMN} and {VALUE_COLUMNS[0]}; "
                f"missing {', '.join(missing)} (header: {', '.join(names)})",
            )
        return cls(names)

    def record(self, cells: list[str], where: str) -> MediaRecord:
        metadata: dict[str, Any] = {}
        type_name = cells[self.type].strip()
        try:
            canonical = canonical_type_name(type_name)
            quality = _quality(cells[self.quality].strip() if self.quality is not None else "")
            signal = parse_signal(canonical, cells[self.value], quality)
        except InvalidSignal as error:
            raise FormatError(where, str(error)) from None
        if type_name != canonical:
            metadata[TYPE_COLUMN] = type_name
        if self.tags is not None and (tags := _TAG_SEPARATORS.split(cells[self.tags].strip())) != [""]:
            metadata[TAGS_COLUMN] = tags
        for index, name in self.extra:
            if cells[index]:
                metadata[name] = cells[index]
        note = cells[self.note] if self.note is not None and cells[self.note] else None
        return MediaRecord(signals=(signal,), metadata=metadata, note=note, where=where)


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank CSV rows with the line each starts on; a `csv.Error` becomes a `FormatError`."""
    reader = csv.reader(io.StringIO(text), strict=True)
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise FormatError(f"line {line}", f"malformed CSV: {error}") from None
        if cells:
            yield line, cells
        line = reader.line_num + 1


def _find(lowered: list[str], candidates: tuple[str, ...]) -> int | None:
    return next((lowered.index(name) for name in candidates if name in lowered), None)


def _quality(text: str) -> int | None:
    if not text:
        return None
    if not _INTEGER.fullmatch(text):
        raise InvalidSignal(f"quality must be an integer from 0 to 100, got {text!r}")
    return int(text)


def _rows_of(record: MediaRecord) -> list[dict[str, str]]:
    shared = {_column_for(key): _cell(value) for key, value in record.metadata.items() if key != TYPE_COLUMN}
    if isinstance(tags := record.metadata.get(TAGS_COLUMN), list):
        shared[TAGS_COLUMN] = " ".join(str(tag) for tag in tags)
    if record.note:
        shared[NOTE_COLUMNS[0]] = record.note
    return [_row(signal, record.metadata.get(TYPE_COLUMN), shared) for signal in record.signals]


def _column_for(key: str) -> str:
    """The column a metadata key is written to: its own name, unless that would read back as a known column."""
    if key == TAGS_COLUMN or key.lower() not in _KNOWN_COLUMNS:
        return key
    return RENAMED_PREFIX + key


def _row(signal: Signal, original_type: Any, shared: dict[str, str]) -> dict[str, str]:
    type_name = signal_type(signal.type).exchange_name
    if isinstance(original_type, str) and _maps_to(original_type, signal.type):
        type_name = original_type
    quality = "" if signal.quality is None else str(signal.quality)
    return {**shared, TYPE_COLUMN: type_name, VALUE_COLUMNS[0]: signal.value, QUALITY_COLUMN: quality}


def _maps_to(type_name: str, canonical: str) -> bool:
    try:
        return canonical_type_name(type_name) == canonical
    except InvalidSignal:
        return False


def _extra_columns(rows: list[dict[str, str]]) -> list[str]:
    """Metadata columns in first-seen order; a name differing only in case from an earlier one is renamed."""
    extra: dict[str, str] = {}
    for row in rows:
        for key in list(row):
            if key.lower() in _KNOWN_COLUMNS:
                continue
            taken = extra.setdefault(key.lower(), key)
            if taken != key:
                row[RENAMED_PREFIX + key] = row.pop(key)
                extra.setdefault((RENAMED_PREFIX + key).lower(), RENAMED_PREFIX + key)
    return list(extra.values())


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else json.dumps(value, ensure_ascii=False)
