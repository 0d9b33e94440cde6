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
reads them from there (HashName matched case-insensitively); so too any other registered signal type,
under its `vics_name`. A hash field that is `null` or `""`
counts as absent (some tools write `"SHA1": ""`) and is kept as it was. A Media record needs at least
one of these hashes: VICS makes MD5 mandatory, and a record with none (say, PhotoDNA only) cannot be
matched by Alliance, so it is an error naming the record ("record 3 (MediaID 17)").

Kept, in `MediaRecord.metadata`, so `write` gives them back: every other Media field as it was
(PhotoDNA, which Alliance cannot compute, Category, VictimIdentified, OffenderIdentified,
IsDistributed, Series, Tags, Comments, MediaFiles, Exifs, other AlternativeHashes, odata links,
unknown fields); the case's fields except `Media` under `vics_case`; the document's top-level
fields except `value` (the odata header and any others) under `vics_document`. `where` is
"record N" counting Media records from 1 through the document, with the MediaID when there is one.

Lost: Cases without Media (they produce no records), the order and spelling of hash fields, and
JSON formatting. Reading then writing gives an equivalent document: read(write(read(doc))) equals
read(doc). Writing records from other formats gives a 2.0 Media list; their metadata becomes Media
fields as it is.

Decisions: empty or blank input is an error, not an empty list, since it is not a VICS document; a
document needs an object with `value` (a list) and an `@odata.context` or `odata.metadata` header.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from alliance.core.errors import FormatError, InvalidRequest, InvalidSignal
from alliance.core.signals import Signal, SignalType, parse_signal, signal_type, signal_types
from alliance.formats.records import MediaRecord

HEADER_V2 = "@odata.context"
HEADER_V1 = "odata.metadata"
DEFAULT_CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media"
DOCUMENT_KEY = "vics_document"
CASE_KEY = "vics_case"
MEDIA_HASH_FIELDS = ("MD5", "SHA1", "SHA256")
"""The hashes the VICS model gives a field of the Media record; any other registered type travels in
`AlternativeHashes` under its `vics_name`."""
ALTERNATIVE_HASHES = "AlternativeHashes"

Json = dict[str, Any]


def read(text: str) -> list[MediaRecord]:
    """Parse a VICS document; `FormatError` names the first bad record, or the JSON line."""
    document = _load(text.removeprefix("\ufeff"))
    header = {key: value for key, value in document.items() if key != "value"}
    records = []
    for number, (media, case) in enumerate(_media_of(document), start=1):
        record = _record(media, number)
        if case is not None:
            record.metadata[CASE_KEY] = case
        record.metadata[DOCUMENT_KEY] = header
        records.append(record)
    return records


def write(records: Iterable[MediaRecord]) -> str:
    """One VICS document: Cases if the records came from cases, otherwise a Media list."""
    records = list(records)
    header = _header_for(records)
    if any(CASE_KEY in record.metadata for record in records):
        value = _cases(records)
    else:
        value = [_media(record) for record in records]
    return json.dumps({**header, "value": value}, indent=2, ensure_ascii=False) + "\n"


# Reading


def _load(text: str) -> Json:
    if not text.strip():
        raise FormatError("document", "empty input; a VICS document is a JSON object")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise FormatError(f"line {error.lineno}", f"not valid JSON: {error.msg} (column {error.colno})") from None
    if not isinstance(document, dict):
        raise FormatError("document", f"not a VICS document: expected a JSON object, got {_kind(document)}")
    if not isinstance(document.get(HEADER_V2, document.get(HEADER_V1)), str):
        raise FormatError("document", f"not a VICS document: no {HEADER_V2!r} (2.0) or {HEADER_V1!r} (1.x) header")
    if not isinstance(document.get("value"), list):
        raise FormatError(
            "document", f"not a VICS document: 'value' must be a list, got {_kind(document.get('value'))}"
        )
    return document


def _media_of(document: Json) -> Iterator[tuple[Any, Json | None]]:
    """Each Media record with the fields of its case (None in a Media list)."""
    if not _holds_cases(document):
        yield from ((media, None) for media in document["value"])
        return
    for number, case in enumerate(document["value"], start=1):
        if not isinstance(case, dict):
            raise FormatError(f"case {number}", f"a Case must be a JSON object, got {_kind(case)}")
        media_list = case.get("Media", [])
        if not isinstance(media_list, list):
            raise FormatError(f"case {number}", f"'Media' must be a list, got {_kind(media_list)}")
        fields = {key: field for key, field in case.items() if key != "Media"}
        yield from ((media, fields) for media in media_list)


def _holds_cases(document: Json) -> bool:
    """What the header says `value` holds (`...#Cases` or `...#Media`), else whether items have `Media`."""
    target = str(document.get(HEADER_V2, document.get(HEADER_V1))).rpartition("#")[2]
    if target in ("Cases", "Media"):
        return target == "Cases"
    return any(isinstance(item, dict) and "Media" in item for item in document["value"])


def _record(media: Any, number: int) -> MediaRecord:
    if not isinstance(media, dict):
        raise FormatError(f"record {number}", f"a Media record must be a JSON object, got {_kind(media)}")
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
        raise FormatError(where, str(error)) from None
    if not signals:
        names = [*fields, *alternatives]
        listed = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)
        raise FormatError(where, f"no {listed} hash; Alliance cannot match this record")
    return MediaRecord(signals=tuple(signals), metadata=metadata, where=where)


def _vics_types() -> tuple[dict[str, SignalType], dict[str, SignalType]]:
    """The registered types by VICS name: those with a Media field, and those in `AlternativeHashes`."""
    kinds = {kind.vics_name.upper(): kind for kind in signal_types()}
    fields = {name: kinds[name] for name in MEDIA_HASH_FIELDS if name in kinds}
    return fields, {name: kind for name, kind in kinds.items() if name not in fields}


def _alternative_signals(metadata: Json, alternatives: dict[str, SignalType]) -> list[Signal]:
    """Take the entries of known types out of `AlternativeHashes` (dropping the list if nothing else
    was in it)."""
    entries = metadata.get(ALTERNATIVE_HASHES)
    if not isinstance(entries, list):
        return []
    known = [entry for entry in entries if _alternative_type(entry, alternatives)]
    if not known:
        return []
    rest = [entry for entry in entries if not _alternative_type(entry, alternatives)]
    if rest:
        metadata[ALTERNATIVE_HASHES] = rest
    else:
        del metadata[ALTERNATIVE_HASHES]
    return [_alternative_signal(entry, alternatives) for entry in known]


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


def _header_for(records: list[MediaRecord]) -> Json:
    """The first record's document header, with its target (#Media or #Cases) matching what is written."""
    found = (r.metadata[DOCUMENT_KEY] for r in records if isinstance(r.metadata.get(DOCUMENT_KEY), dict))
    header: Json = dict(next(found, {})) or {HEADER_V2: DEFAULT_CONTEXT}
    target = "#Cases" if any(CASE_KEY in record.metadata for record in records) else "#Media"
    for key in (HEADER_V2, HEADER_V1):
        context = header.get(key)
        if isinstance(context, str) and context.rpartition("#")[2] in ("Media", "Cases"):
            header[key] = context.rpartition("#")[0] + target
    return header


def _cases(records: list[MediaRecord]) -> list[Json]:
    """Group Media under their case, cases in the order they first appear."""
    cases: list[tuple[Json, list[Json]]] = []
    for record in records:
        case = record.metadata.get(CASE_KEY)
        case = case if isinstance(case, dict) else {}
        media = next((media for fields, media in cases if fields == case), None)
        if media is None:
            media = []
            cases.append((case, media))
        media.append(_media(record))
    return [{**fields, "Media": media} for fields, media in cases]


def _media(record: MediaRecord) -> Json:
    """The Media record: MediaID and hashes first, then the kept fields as they were."""
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
    if alternative:
        others = fields.get(ALTERNATIVE_HASHES)
        fields[ALTERNATIVE_HASHES] = (others if isinstance(others, list) else []) + alternative
    first = {"MediaID": fields["MediaID"]} if "MediaID" in fields else {}
    return {**first, **hashes, **{key: value for key, value in fields.items() if key not in hashes}}


def _describe(record: MediaRecord, signal: Signal) -> str:
    count = sum(other.type == signal.type for other in record.signals)
    return f"{count} {signal.type} hashes" if count > 1 else f"a {signal.type} hash"


def _alternative_entry(kind: SignalType, signal: Signal) -> Json:
    entry: Json = {"HashName": kind.vics_name, "HashValue": signal.value}
    if signal.quality is not None:
        entry["Quality"] = signal.quality
    return entry
