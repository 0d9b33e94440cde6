"""VICS JSON: the Project VIC data model (an OData feed) that police forensic tools exchange.

Two shapes, in either version. A hash set lists Media records directly under `value`:

    {"@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media",
     "value": [{"MediaID": 17, "Category": 1, "MD5": "ADEBF3FA3C9BE7F73825E1CB9E2DEA09",
                "SHA1": "2B037F69C566DFDB3A5A79E5360D085959BDDE4C", "PhotoDNA": "AAMANwAB...",
                "VictimIdentified": "true", "Series": "...", "Tags": "...", "MediaFiles": [...]}]}

A case export lists Cases, each holding its `Media`; VICS 1.x names the header `odata.metadata`
(`http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Cases`), 2.0 names it `@odata.context`:

    {"odata.metadata": "...#Cases", "value": [{"CaseID": "...", "CaseNumber": "...", "Media": [...]}]}

Signals: a Media record's `MD5`, `SHA1` and `SHA256` fields become md5, sha1 and sha256 signals
(hex in either case; stored lowercase, written uppercase as VICS sets are distributed). VICS has no
documented PDQ field, so Alliance writes PDQ hashes into the record's `AlternativeHashes` list, the
model's place for further hash types, as `{"HashName": "PDQ", "HashValue": hex, "Quality": n}`, and
reads them from there (HashName matched case-insensitively; the list is kept as it was, and a
hash it lacks is appended on writing); so too any other registered signal type, under its
`vics_name`. A hash field that is `null` or `""` counts as absent (some tools write `"SHA1": ""`)
and is kept as it was. A Media record needs at least one of these hashes: VICS makes MD5
mandatory, and a record with none (say, PhotoDNA only) cannot be matched by Alliance, so it is
skipped, naming the record ("record 3 (MediaID 17)").

Kept, in `MediaRecord.metadata`, so `write` gives them back: every other Media field as it was
(PhotoDNA, which Alliance cannot compute, Category, VictimIdentified, OffenderIdentified,
IsDistributed, Series, Tags, Comments, MediaFiles, Exifs, other AlternativeHashes, odata links,
unknown fields); the case's fields except `Media` under `vics_case`; the document's top-level
fields except `value` (the odata header and any others) under `vics_document`. `where` is
"record N" counting Media records from 1 through the document, with the MediaID when there is one.

Lost: Cases without Media (they produce no records), the order and spelling of hash fields, and
JSON formatting. Reading then writing gives the document read, as a JSON tree (the header as it
was; a case's Media together when its records are consecutive, as they are read and exported).
Writing records from other formats gives a 2.0 Media list; their metadata becomes Media fields as
it is.

Read as a stream (`stream`, through ijson): a Media list in constant memory; a case is held whole
while it is read (its fields may follow its Media), and a document whose header follows `value`
is held whole. An item of `value` holding a `Media` list is a case whatever the header says (one
producer writes `#Media` over Cases). A record that cannot be used (no hash Alliance can match, a bad
hash, not an object) is skipped with its reason (`records.Skipped`); a document that is not JSON,
has no header or no `value` list, or nests deeper than `MAX_DEPTH`, is a `FormatError`.

Exports: MediaID (the entry's id when the record has none), the trust state as `AllianceStatus`
(read back into `MediaRecord.status`), and `Category` 0 for entries of a negative bank when the
record has no Category. Reading, `Category` 0 (non-pertinent) marks a record `negative`: it is not
known material, and an import into a bank of known material skips it.

Decisions: empty or blank input is an error, not an empty list, since it is not a VICS document; a
document needs an object with `value` (a list) and an `@odata.context` or `odata.metadata` header.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from typing import Any, Protocol, TextIO

import ijson

from alliance.core.errors import FormatError, InvalidRequest, InvalidSignal
from alliance.core.signals import Signal, SignalType, parse_signal, signal_type, signal_types
from alliance.formats.pdq_text import strict
from alliance.formats.records import Item, MediaRecord, Skipped

HEADER_V2 = "@odata.context"
HEADER_V1 = "odata.metadata"
DEFAULT_CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media"
DOCUMENT_KEY = "vics_document"
CASE_KEY = "vics_case"
MEDIA_HASH_FIELDS = ("MD5", "SHA1", "SHA256")
"""The hashes the VICS model gives a field of the Media record; any other registered type travels in
`AlternativeHashes` under its `vics_name`."""
ALTERNATIVE_HASHES = "AlternativeHashes"
STATUS_FIELD = "AllianceStatus"
"""The trust state of the exported entry (`core.banks.EntryStatus`): not a VICS field, which OData
lets a producer add and other tools pass over."""
NON_PERTINENT = 0
"""Project VIC's Category 0: known, and not of interest (not abuse material)."""
MAX_DEPTH = 64
"""Deeper nesting is refused: no VICS producer nests more than a few levels, and a deeper tree
could not be stored or written back."""

Json = dict[str, Any]


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def stream(source: Readable) -> Iterator[Item]:
    """Each Media record (with its case and the document's header), or why it was skipped."""
    header: Json = {}
    late: list[Any] = []  # items read before the header, when the header follows `value`
    seen_value = False
    number = 0
    for key, value in _top_level(source):
        if key != "value":
            header[key] = value
            continue
        if seen_value:
            raise FormatError("document", "'value' appears twice")
        seen_value = True
        if not isinstance(value, _Items):
            raise FormatError("document", f"not a VICS document: 'value' must be a list, got {_kind(value)}")
        for case_number, item in enumerate(value, start=1):
            if not _has_header(header):
                late.append((case_number, item))
                continue
            for found in _items_of(item, case_number, number, header):
                number += isinstance(found, MediaRecord) or found.where.startswith("record")
                yield found
    _check_header(header, seen_value)
    for case_number, item in late:
        for found in _items_of(item, case_number, number, header):
            number += isinstance(found, MediaRecord) or found.where.startswith("record")
            yield found


def read(text: str) -> list[MediaRecord]:
    """Every record, or `FormatError` naming the first record that cannot be used, or the document."""
    if not text.strip():
        raise FormatError("document", "empty input; a VICS document is a JSON object")
    return strict(stream(io.BytesIO(text.removeprefix("\ufeff").encode("utf-8"))))


def write(records: Iterable[MediaRecord]) -> str:
    out = io.StringIO()
    write_to(records, out)
    return out.getvalue()


def write_to(records: Iterable[MediaRecord], out: TextIO) -> int:
    """One VICS document, written as it goes: Cases if the first record came from a case, otherwise
    a Media list; returns the Media records written."""
    items = iter(records)
    first = next(items, None)
    cases = first is not None and CASE_KEY in first.metadata
    header = _header_for(first, cases)
    out.write("{\n")
    for key, value in header.items():
        out.write(f"  {json.dumps(key)}: {_dumps(value, 2)},\n")
    out.write('  "value": [')
    written = 0
    case: Json | None = None
    for record in _chain(first, items):
        media = _media(record)
        if cases:
            fields = record.metadata.get(CASE_KEY)
            fields = fields if isinstance(fields, dict) else {}
            if case is None or fields != case:
                out.write("\n      ]\n    }," if case is not None else "")
                out.write(_case_opening(fields))
                case = fields
            else:
                out.write(",")
            out.write("\n        " + _dumps(media, 8))
        else:
            out.write(("," if written else "") + "\n    " + _dumps(media, 4))
        written += 1
    if case is not None:
        out.write("\n      ]\n    }")
    out.write("\n  ]\n}\n" if written else "]\n}\n")
    return written


# Reading


class _Items:
    """The items of the document's `value` list, built one at a time from the parser's events."""

    def __init__(self, events: Iterator[tuple[str, str, Any]]) -> None:
        self.events = events

    def __iter__(self) -> Iterator[Any]:
        for _prefix, event, value in self.events:
            if event == "end_array":
                return
            yield _build(event, value, self.events)


def _top_level(source: Readable) -> Iterator[tuple[str, Any]]:
    """The document's top-level keys and their values; `value`'s list comes as `_Items`, read lazily."""
    events = _checked_events(source)
    try:
        first = next(events, None)
        if first is None:
            raise FormatError("document", "empty input; a VICS document is a JSON object")
        if first[1] != "start_map":
            value = _build(first[1], first[2], events)
            raise FormatError("document", f"not a VICS document: expected a JSON object, got {_kind(value)}")
        for _prefix, event, key in events:
            if event == "end_map":
                break
            _p, start, scalar = next(events)
            if key == "value" and start == "start_array":
                items = _Items(events)
                yield key, items
                for _ in items:  # whatever the caller left unread
                    pass
            else:
                yield key, _build(start, scalar, events)
        for _extra in events:
            raise FormatError("document", "not valid JSON: more than one JSON value")
    except ijson.JSONError as error:  # pragma: no cover - `_checked_events` turns these into FormatError
        raise FormatError("document", f"not valid JSON: {_first_line(error)}") from None


def _checked_events(source: Readable) -> Iterator[tuple[str, str, Any]]:
    """The parser's events, refusing nesting deeper than `MAX_DEPTH` before building anything of it."""
    depth = 0
    events = ijson.parse(source, use_float=True)
    while True:
        try:
            prefix, event, value = next(events)
        except StopIteration:
            return
        except ijson.JSONError as error:
            raise FormatError("document", f"not valid JSON: {_first_line(error)}") from None
        except UnicodeDecodeError:
            raise FormatError("document", "not valid JSON: not UTF-8 text") from None
        if event in ("start_map", "start_array"):
            depth += 1
            if depth > MAX_DEPTH:
                raise FormatError("document", f"nested more than {MAX_DEPTH} levels deep; a VICS document is not")
        elif event in ("end_map", "end_array"):
            depth -= 1
        yield prefix, event, value


def _build(event: str, value: Any, events: Iterator[tuple[str, str, Any]]) -> Any:
    """The JSON value that starts with this event, built from the events that follow."""
    if event not in ("start_map", "start_array"):
        return value
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    for _prefix, inner, inner_value in events:
        builder.event(inner, inner_value)
        depth += inner in ("start_map", "start_array")
        depth -= inner in ("end_map", "end_array")
        if depth == 0:
            break
    return builder.value


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _has_header(header: Json) -> bool:
    return HEADER_V2 in header or HEADER_V1 in header


def _check_header(header: Json, seen_value: bool) -> None:
    if not isinstance(header.get(HEADER_V2, header.get(HEADER_V1)), str):
        raise FormatError("document", f"not a VICS document: no {HEADER_V2!r} (2.0) or {HEADER_V1!r} (1.x) header")
    if not seen_value:
        raise FormatError("document", "not a VICS document: 'value' must be a list, got null")


def _items_of(item: Any, case_number: int, before: int, header: Json) -> Iterator[Item]:
    """The records of one item of `value`: a case's Media, or the item itself as a Media record."""
    if _is_case(item, header):
        if not isinstance(item, dict):
            yield Skipped(f"case {case_number}", "not a Case", f"a Case must be a JSON object, got {_kind(item)}")
            return
        media_list = item.get("Media", [])
        if not isinstance(media_list, list):
            yield Skipped(f"case {case_number}", "not a Case", f"'Media' must be a list, got {_kind(media_list)}")
            return
        fields = {key: value for key, value in item.items() if key != "Media"}
        for offset, media in enumerate(media_list, start=1):
            yield _with_context(_record(media, before + offset), fields, header)
    else:
        yield _with_context(_record(item, before + 1), None, header)


def _is_case(item: Any, header: Json) -> bool:
    """An item holding a `Media` list is a case, whatever the header says; under `#Cases`, so is
    anything that holds no hash field of a Media record."""
    if isinstance(item, dict) and "Media" in item:
        return True
    target = str(header.get(HEADER_V2, header.get(HEADER_V1))).rpartition("#")[2]
    looks_like_media = isinstance(item, dict) and any(f in item for f in (*MEDIA_HASH_FIELDS, ALTERNATIVE_HASHES))
    return target == "Cases" and not looks_like_media


def _with_context(item: Item, case: Json | None, header: Json) -> Item:
    if isinstance(item, MediaRecord):
        if case is not None:
            item.metadata[CASE_KEY] = case
        item.metadata[DOCUMENT_KEY] = header
    return item


def _record(media: Any, number: int) -> Item:
    if not isinstance(media, dict):
        return Skipped(
            f"record {number}", "not a Media record", f"a Media record must be a JSON object, got {_kind(media)}"
        )
    where = _where(media, number)
    metadata = dict(media)
    fields, alternatives = _vics_types()
    signals = []
    try:
        for field, kind in fields.items():
            if (value := media.get(field)) not in (None, ""):
                if not isinstance(value, str):
                    raise InvalidSignal(f"{field} must be a string, got {_kind(value)}")
                signals.append(parse_signal(kind.name, value))
                del metadata[field]
        signals += _alternative_signals(metadata, alternatives)
    except InvalidSignal as error:
        return Skipped(where, "bad hash", str(error))
    if not signals:
        names = [*fields, *alternatives]
        listed = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)
        return Skipped(where, "no hash Alliance can match", f"no {listed} hash; Alliance cannot match this record")
    status = metadata.pop(STATUS_FIELD, None)
    category = metadata.get("Category")
    negative = category is not None and not isinstance(category, bool) and category in (NON_PERTINENT, "0")
    return MediaRecord(
        signals=tuple(signals),
        metadata=metadata,
        where=where,
        status=status if isinstance(status, str) else None,
        negative=negative,
    )


def _vics_types() -> tuple[dict[str, SignalType], dict[str, SignalType]]:
    """The registered types by VICS name: those with a Media field, and those in `AlternativeHashes`."""
    kinds = {kind.vics_name.upper(): kind for kind in signal_types()}
    fields = {name: kinds[name] for name in MEDIA_HASH_FIELDS if name in kinds}
    return fields, {name: kind for name, kind in kinds.items() if name not in fields}


def _alternative_signals(metadata: Json, alternatives: dict[str, SignalType]) -> list[Signal]:
    """The entries of known types in `AlternativeHashes`; the list stays in metadata as it was, so
    that writing it back keeps its order and spelling (`_media` adds only hashes it lacks)."""
    entries = metadata.get(ALTERNATIVE_HASHES)
    if not isinstance(entries, list):
        return []
    return [_alternative_signal(entry, alternatives) for entry in entries if _alternative_type(entry, alternatives)]


def _alternative_type(entry: Any, alternatives: dict[str, SignalType]) -> SignalType | None:
    name = entry.get("HashName") if isinstance(entry, dict) else None
    return alternatives.get(name.strip().upper()) if isinstance(name, str) else None


def _alternative_signal(entry: Json, alternatives: dict[str, SignalType]) -> Signal:
    kind = _alternative_type(entry, alternatives)
    assert kind is not None
    value, quality = entry.get("HashValue"), entry.get("Quality")
    if not isinstance(value, str):
        raise InvalidSignal(f"{kind.vics_name} HashValue must be a string, got {_kind(value)}")
    if quality is not None and (isinstance(quality, bool) or not isinstance(quality, int)):
        raise InvalidSignal(f"{kind.name} quality must be an integer from 0 to 100, got {quality!r}")
    return parse_signal(kind.name, value, quality)


def _where(media: Json, number: int) -> str:
    media_id = media.get("MediaID")
    if isinstance(media_id, (int, str)) and not isinstance(media_id, bool):
        return f"record {number} (MediaID {media_id})"
    return f"record {number}"


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


# Writing


def _header_for(first: MediaRecord | None, cases: bool) -> Json:
    """The first record's document header as it was; a new one (2.0, `#Media` or `#Cases`) otherwise."""
    found = first.metadata.get(DOCUMENT_KEY) if first is not None else None
    if isinstance(found, dict) and _has_header(found):
        header = {key: value for key, value in found.items() if key != "value"}
        for key in (HEADER_V2, HEADER_V1):  # a Media list under a #Cases header would not read back
            context = header.get(key)
            if not cases and isinstance(context, str) and context.rpartition("#")[2] == "Cases":
                header[key] = context.rpartition("#")[0] + "#Media"
        return header
    return {HEADER_V2: DEFAULT_CONTEXT.rpartition("#")[0] + ("#Cases" if cases else "#Media")}


def _chain(first: MediaRecord | None, rest: Iterator[MediaRecord]) -> Iterator[MediaRecord]:
    if first is not None:
        yield first
        yield from rest


def _case_opening(fields: Json) -> str:
    """A case's fields, then the opening of its Media list (its records follow one by one)."""
    inner = "".join(f"\n      {json.dumps(key)}: {_dumps(value, 6)}," for key, value in fields.items())
    return f'\n    {{{inner}\n      "Media": ['


_PRETTY = json.JSONEncoder(indent=2, ensure_ascii=False)
"""One encoder for every record an export writes (json.dumps would make one per record)."""


def _dumps(value: Any, indent: int) -> str:
    text = _PRETTY.encode(value)
    return text.replace("\n", "\n" + " " * indent)


def _media(record: MediaRecord) -> Json:
    """The Media record: MediaID and hashes first, then the kept fields as they were, then the trust state."""
    fields = {key: value for key, value in record.metadata.items() if key not in (DOCUMENT_KEY, CASE_KEY)}
    hashes: Json = {}
    alternative = []
    for signal in record.signals:
        kind = signal_type(signal.type)
        field = kind.vics_name.upper()
        if field not in MEDIA_HASH_FIELDS:
            alternative.append(_alternative_entry(kind, signal))
        elif field in hashes:
            raise InvalidRequest(f"{record.where or 'a record'}: VICS Media cannot hold {_describe(record, signal)}")
        else:
            hashes[field] = signal.value.upper()
    listed = fields.get(ALTERNATIVE_HASHES)
    if isinstance(listed, list):  # as read, less hashes of Alliance's types the record no longer has
        _fields, types = _vics_types()
        listed = [
            other
            for other in listed
            if not _alternative_type(other, types) or any(_same_entry(entry, other) for entry in alternative)
        ]
        if listed or not fields[ALTERNATIVE_HASHES]:
            fields[ALTERNATIVE_HASHES] = listed
        else:
            del fields[ALTERNATIVE_HASHES]
    else:
        listed = []
    missing = [entry for entry in alternative if not any(_same_entry(entry, other) for other in listed)]
    if missing:
        fields[ALTERNATIVE_HASHES] = listed + missing
    if "MediaID" not in fields and record.entry_id is not None:
        fields["MediaID"] = record.entry_id
    if "Category" not in fields and record.negative:
        fields["Category"] = NON_PERTINENT
    first = {"MediaID": fields["MediaID"]} if "MediaID" in fields else {}
    media = {**first, **hashes, **{key: value for key, value in fields.items() if key not in hashes}}
    if record.status is not None:
        media[STATUS_FIELD] = record.status
    return media


def _describe(record: MediaRecord, signal: Signal) -> str:
    count = sum(other.type == signal.type for other in record.signals)
    return f"{count} {signal.type} hashes" if count > 1 else f"a {signal.type} hash"


def _same_entry(entry: Json, other: Any) -> bool:
    """Whether `other`, an entry of a list read, already holds `entry`'s hash."""
    if not isinstance(other, dict) or not all(isinstance(other.get(k), str) for k in ("HashName", "HashValue")):
        return False
    same_name = str(other["HashName"]).strip().upper() == str(entry["HashName"]).upper()
    return same_name and str(other["HashValue"]).strip().lower() == str(entry["HashValue"]).lower()


def _alternative_entry(kind: SignalType, signal: Signal) -> Json:
    entry: Json = {"HashName": kind.vics_name, "HashValue": signal.value}
    if signal.quality is not None:
        entry["Quality"] = signal.quality
    return entry
