"""ThreatExchange / HMA style CSV: one signal per row, with a header naming the columns.

    signal_type,signal_str,quality,collab,category,tags,status,entry_id,note,sha1,metadata
    pdq,f8f8f0ce...9b22,100,,POSITIVE_CLASS,,confirmed,17,,2b037f69...,{}
    video_md5,0cc175b9c0f1b6a831c399e269772661,,,POSITIVE_CLASS,,confirmed,17,,2b037f69...,{}

`threatexchange dataset -P --csv` prints `signal_type,signal_str,collab,category,tags`; HMA takes a
signal type name and a signal string. Both know the hash types `pdq`, `video_md5` and
`video_sha256` and no others, so Alliance writes its md5 and sha256 under those names and every
other hash (sha1) in a column named by its type on the rows of its entry: every row is one that
python-threatexchange and HMA accept.

Reading (columns matched case-insensitively, order free):

- `signal_type` and `signal_str` (or `signal_value`, `signal`) are required; a header without
  them is refused whole (`FormatError`). Type names: lowercased, then a leading `hash_`, `photo_`,
  `video_` or `image_` dropped (`HASH_PDQ`, `video_md5`, `photo_md5`), must name an Alliance type;
  a row of another type (`url`, `raw_text`, `trend_query`) is skipped and counted, as is a row with
  a bad hash or the wrong number of fields (`records.Skipped`).
- `quality` (PDQ, 0-100), `tags` (space- or comma-separated), `note` (or `notes`, `description`,
  `comment`, `comments`), `status` (the trust state it was exported with), `collab`.
- `category`: python-threatexchange's opinion. `NEGATIVE_CLASS` marks a known false positive
  (`MediaRecord.negative`); a category that differs from what the status implies is kept in metadata.
- a column named by a signal type (`sha1`, `md5`): one more hash of the row's media.
- `entry_id`: consecutive rows with the same id are one piece of media (one record), so an entry
  exported as three rows comes back as one.
- `metadata`: a JSON object of the record's other fields (numbers stay numbers, VICS case fields
  stay objects); any other column is kept as text in metadata under its name.

Written with CRLF line ends (RFC 4180). Text that a spreadsheet would run as a formula (tags,
note, collab, each `;`-separated part of the metadata JSON) gets a leading `'`
(`formats.spreadsheet`), which reading takes off again.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from alliance.core.errors import FormatError, InvalidSignal
from alliance.core.signals import (
    Signal,
    SignalType,
    exchange_type,
    parse_signal,
    signal_type,
    signal_type_names,
    signal_types,
)
from alliance.formats.pdq_text import PYTX_TYPES, strict
from alliance.formats.records import Item, MediaRecord, Skipped
from alliance.formats.spreadsheet import defuse, restore

TYPE_COLUMN = "signal_type"
VALUE_COLUMNS = ("signal_str", "signal_value", "signal")
QUALITY_COLUMN = "quality"
TAGS_COLUMN = "tags"
NOTE_COLUMNS = ("note", "notes", "description", "comment", "comments")
COLLAB_COLUMN = "collab"
CATEGORY_COLUMN = "category"
STATUS_COLUMN = "status"
ENTRY_COLUMN = "entry_id"
METADATA_COLUMN = "metadata"

POSITIVE = "POSITIVE_CLASS"
NEGATIVE = "NEGATIVE_CLASS"
SEED = "INVESTIGATION_SEED"
"""python-threatexchange's opinion categories (`SignalOpinionCategory`)."""

_TYPE_PREFIXES = ("hash_", "photo_", "video_", "image_")
_TAG_SEPARATORS = re.compile(r"[\s,]+")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_TEXT_COLUMNS = frozenset({TAGS_COLUMN, *NOTE_COLUMNS, COLLAB_COLUMN, CATEGORY_COLUMN, METADATA_COLUMN})
_MODELLED = frozenset({TAGS_COLUMN, COLLAB_COLUMN})


def category_for(status: str | None, negative: bool) -> str:
    """The opinion other tools act on: a false positive, confirmed material, or one to look into."""
    if negative:
        return NEGATIVE
    return POSITIVE if status in (None, "confirmed") else SEED


def stream(source: TextIO) -> Iterator[Item]:
    """Each record (rows of one entry grouped), or why a row was skipped; `FormatError` for a bad header."""
    rows = _rows(source)
    header = next(rows, None)
    if header is None:
        return
    columns = _Columns.from_header(header[1], f"line {header[0]}")
    pending: MediaRecord | None = None
    pending_key = ""
    for line, cells in rows:
        where = f"line {line}"
        if len(cells) != len(columns.names):
            item: Item = Skipped(
                where, "wrong number of fields", f"{len(cells)}, but the header names {len(columns.names)}"
            )
        else:
            item = columns.record(cells, where)
        key = columns.entry_key(cells) if isinstance(item, MediaRecord) else ""
        if pending is not None and isinstance(item, MediaRecord) and key and key == pending_key:
            pending = _merged(pending, item, columns.order)
            continue
        if pending is not None:
            yield pending
            pending = None
        if isinstance(item, MediaRecord):
            pending, pending_key = item, key
        else:
            yield item
    if pending is not None:
        yield pending


def read(text: str) -> list[MediaRecord]:
    """Every record, or `FormatError` naming the first row that cannot be used."""
    return strict(stream(io.StringIO(text.removeprefix("\ufeff"))))


def write(records: Iterable[MediaRecord]) -> str:
    out = io.StringIO()
    write_to(records, out)
    return out.getvalue()


def write_to(records: Iterable[MediaRecord], out: TextIO) -> int:
    """A header row, then one row per hash python-threatexchange knows; returns the rows written."""
    others = _column_types()
    header = [TYPE_COLUMN, VALUE_COLUMNS[0], QUALITY_COLUMN, COLLAB_COLUMN, CATEGORY_COLUMN, TAGS_COLUMN]
    header += [STATUS_COLUMN, ENTRY_COLUMN, NOTE_COLUMNS[0], *others, METADATA_COLUMN]
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    rows = 0
    for number, record in enumerate(records, start=1):
        for row in _rows_of(record, number, others):
            writer.writerow(row)
            rows += 1
    return rows


def canonical_type_name(name: str) -> str:
    """The Alliance type a ThreatExchange/HMA type name stands for; `InvalidSignal` if none."""
    stripped = name.strip().lower()
    for prefix in _TYPE_PREFIXES:
        stripped = stripped.removeprefix(prefix)
    named = exchange_type(name.strip().lower()) or exchange_type(stripped)
    if named is not None:
        return named.name
    try:
        return signal_type(stripped).name
    except InvalidSignal:
        known = ", ".join(signal_type_names())
        raise InvalidSignal(f"unknown signal type {name!r}; known: {known} (and names such as video_md5)") from None


def _column_types() -> list[str]:
    """The registered types python-threatexchange has no name for: each gets a column of its own."""
    return [kind.name for kind in signal_types() if kind.exchange_name not in PYTX_TYPES]


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
        self.category = _find(lowered, (CATEGORY_COLUMN,))
        self.status = _find(lowered, (STATUS_COLUMN,))
        self.entry = _find(lowered, (ENTRY_COLUMN,))
        self.metadata = _find(lowered, (METADATA_COLUMN,))
        known = {self.type, self.value, self.quality, self.tags, self.note, self.category, self.status}
        known |= {self.entry, self.metadata}
        registered = set(signal_type_names())
        self.hashes = [(i, n) for i, n in enumerate(lowered) if i not in known and n in registered]
        known |= {i for i, _ in self.hashes}
        self.extra = [(index, name) for index, name in enumerate(names) if index not in known]
        self.text = frozenset(i for i, name in enumerate(lowered) if name in _TEXT_COLUMNS)
        self.types: dict[str, str | None] = {}
        """Each type name of the file, as `canonical_type_name` reads it (None: not a type Alliance uses)."""
        self.order = {kind.name: (kind.perceptual, index) for index, kind in enumerate(_by_name())}
        """Where each type's hash goes in a record: exact types first (md5, sha1, sha256, then pdq)."""

    def canonical_type(self, name: str) -> str | None:
        """The Alliance type `name` stands for, None if none; worked out once per name and file."""
        if name not in self.types:
            try:
                self.types[name] = canonical_type_name(name)
            except InvalidSignal:
                self.types[name] = None
        return self.types[name]

    @classmethod
    def from_header(cls, cells: list[str], where: str) -> _Columns:
        names = [restore(cell.strip()) for cell in cells]
        lowered = [name.lower() for name in names]
        duplicate = next((name for name in lowered if lowered.count(name) > 1), None)
        if duplicate is not None:
            raise FormatError(where, f"the header names column {duplicate!r} twice")
        missing = [name for name, found in ((TYPE_COLUMN, TYPE_COLUMN in lowered),) if not found]
        if not any(name in lowered for name in VALUE_COLUMNS):
            missing.append(VALUE_COLUMNS[0])
        if missing:
            raise FormatError(
                where,
                f"missing {', '.join(missing)} in the header; the first line must name the columns "
                f"{TYPE_COLUMN} and {VALUE_COLUMNS[0]} (got {', '.join(names)!r})",
            )
        return cls(names)

    def entry_key(self, cells: list[str]) -> str:
        return cells[self.entry].strip() if self.entry is not None else ""

    def record(self, raw: list[str], where: str) -> Item:
        cells = raw
        for index in self.text:
            if "'" in raw[index]:  # a cell `defuse` changed: undo it (a copy, the row stays as read)
                cells = cells if cells is not raw else list(raw)
                cells[index] = restore(raw[index])
        type_name = cells[self.type].strip()
        canonical = self.canonical_type(type_name)
        if canonical is None:
            return Skipped(where, f"not a hash type Alliance uses: {type_name.lower() or '(empty)'}")
        try:
            quality = _quality(cells[self.quality].strip() if self.quality is not None else "")
            signals = [parse_signal(canonical, cells[self.value], quality)]
            signals += [parse_signal(name, cells[i]) for i, name in self.hashes if cells[i].strip()]
        except InvalidSignal as error:
            return Skipped(where, f"bad {canonical} row", str(error))
        metadata: dict[str, Any] = {}
        if self.metadata is not None and cells[self.metadata].strip():
            try:
                loaded = json.loads(cells[self.metadata])
            except (ValueError, RecursionError):
                loaded = None
            if not isinstance(loaded, dict):
                return Skipped(where, "bad metadata", "the metadata column must hold a JSON object")
            metadata.update(loaded)
        if self.tags is not None and (tags := _TAG_SEPARATORS.split(cells[self.tags].strip())) != [""]:
            metadata[TAGS_COLUMN] = tags
        for index, name in self.extra:
            if cells[index]:
                metadata[name] = cells[index]
        status = cells[self.status].strip() or None if self.status is not None else None
        category = cells[self.category].strip() if self.category is not None else ""
        negative = category.upper() == NEGATIVE
        if category and category != category_for(status, negative):
            metadata[CATEGORY_COLUMN] = category
        note = cells[self.note] if self.note is not None and cells[self.note] else None
        entry = self.entry_key(cells)
        return MediaRecord(
            signals=tuple(signals),
            metadata=metadata,
            note=note,
            where=where,
            status=status,
            negative=negative,
            entry_id=int(entry) if entry.isdigit() else None,
        )


def _merged(first: MediaRecord, more: MediaRecord, order: dict[str, tuple[bool, int]]) -> MediaRecord:
    """One record from the rows of one entry: the first row's fields, every row's hashes once, in
    `order` (exact types first: md5, sha1, sha256, then pdq), as VICS reads them."""
    signals = list(first.signals)
    signals += [s for s in more.signals if s not in signals]
    signals.sort(key=lambda s: order.get(s.type, (True, len(order))))
    return MediaRecord(
        tuple(signals), first.metadata, first.note, first.where, first.status, first.negative, first.entry_id
    )


def _by_name() -> list[SignalType]:
    return [signal_type(name) for name in signal_type_names()]


def _rows(source: TextIO) -> Iterator[tuple[int, list[str]]]:
    """Non-blank CSV rows with the line each starts on; malformed CSV is a `FormatError` (the rest
    of the file cannot be told apart from it)."""
    reader = csv.reader(_without_bom(source), strict=True)
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


def _without_bom(source: TextIO) -> Iterator[str]:
    for number, line in enumerate(source):
        yield line.removeprefix("\ufeff") if number == 0 else line


def _find(lowered: list[str], candidates: tuple[str, ...]) -> int | None:
    return next((lowered.index(name) for name in candidates if name in lowered), None)


def _quality(text: str) -> int | None:
    if not text:
        return None
    if not _INTEGER.fullmatch(text):
        raise InvalidSignal(f"quality must be an integer from 0 to 100, got {text!r}")
    return int(text)


def _rows_of(record: MediaRecord, number: int, others: list[str]) -> list[list[str]]:
    rowed = [s for s in record.signals if signal_type(s.type).exchange_name in PYTX_TYPES]
    columned = {s.type: s.value for s in record.signals if s not in rowed and s.type in others}
    if not rowed:  # nothing python-threatexchange knows: the hash goes in a row under its own name
        rowed, columned = list(record.signals[:1]), {}
    tags = record.metadata.get(TAGS_COLUMN)
    tag_text = " ".join(str(tag) for tag in tags) if isinstance(tags, list) else _cell(tags)
    category = record.metadata.get(CATEGORY_COLUMN)
    category = category if isinstance(category, str) else category_for(record.status, record.negative)
    rest = {k: v for k, v in record.metadata.items() if k not in _MODELLED and k != CATEGORY_COLUMN}
    shared = [
        defuse(_cell(record.metadata.get(COLLAB_COLUMN))),
        defuse(category),
        defuse(tag_text),
        record.status or "",
        str(record.entry_id) if record.entry_id is not None else f"r{number}",
        defuse(record.note or ""),
    ]
    tail = [columned.get(name, "") for name in others]
    tail.append(defuse(json.dumps(rest, ensure_ascii=False, separators=(",", ":"))) if rest else "")
    return [[_type_name(s), s.value, "" if s.quality is None else str(s.quality), *shared, *tail] for s in rowed]


def _type_name(signal: Signal) -> str:
    return signal_type(signal.type).exchange_name


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else json.dumps(value, ensure_ascii=False)
