"""VICS Cases files: a case's media with their series, victim and case fields, in VICS 1.x or 2.0.

`vics_json` reads and writes the documents (and keeps every field); this module reads what an
investigation needs out of them and puts it back: the case's fields (`CaseNumber`, ...), each
Media record's series (`Series`) and flags (`IsDistributed`, `VictimIdentified`,
`OffenderIdentified`, `NumberOfSubmissions`, `Baseline`), and its victim fields (`Victims` in 2.0
producers, kept as they were). Read, stored in a case and exported again, a file gives back its
series and victim fields unchanged: they travel in the item's kept fields, not re-derived.

Kept apart from `vics_json` so that work on the Media format and on cases can go on side by side.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from alliance.core.errors import FormatError
from alliance.core.investigations import Item, ItemFlags, NewItem
from alliance.formats import vics_json
from alliance.formats.records import MediaRecord

VERSIONS = {
    "1.3": {vics_json.HEADER_V1: "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Cases"},
    "2.0": {vics_json.HEADER_V2: "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Cases"},
}
SERIES_FIELD = "Series"
VICTIM_FIELDS = ("VictimIdentified", "Victims", "VictimID", "VictimAgeGroup")
"""Media fields about victims: kept verbatim (pseudonymous identifiers only, as producers write them)."""


@dataclass(frozen=True, slots=True)
class CaseFile:
    version: str
    header: dict[str, Any]
    case_fields: dict[str, Any]
    items: list[NewItem] = field(default_factory=list)

    @property
    def case_number(self) -> str | None:
        number = self.case_fields.get("CaseNumber") or self.case_fields.get("CaseID")
        return str(number) if number not in (None, "") else None


def version_of(header: dict[str, Any]) -> str:
    return "1.3" if vics_json.HEADER_V1 in header and vics_json.HEADER_V2 not in header else "2.0"


def flag(value: Any) -> bool:
    """VICS producers write flags as booleans, "true"/"false", or 1/0."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value)


def flags_of(media: dict[str, Any]) -> ItemFlags:
    submissions = media.get("NumberOfSubmissions", 1)
    try:
        count = int(submissions) if submissions not in (None, "") else 1
    except (TypeError, ValueError):
        count = 1
    return ItemFlags(
        distributed=flag(media.get("IsDistributed", False)),
        victim_identified=flag(media.get("VictimIdentified", False)),
        offender_identified=flag(media.get("OffenderIdentified", False)),
        submissions=max(count, 0),
        baseline=flag(media.get("Baseline", False)),
        media_type="video" if str(media.get("MediaType", "")).lower().startswith("vid") else "image",
    )


def series_of(media: dict[str, Any]) -> list[str]:
    """The series names of a Media record: a string (several split by ';') or a list."""
    value = media.get(SERIES_FIELD)
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    if isinstance(value, str):
        return [part.strip() for part in value.split(";") if part.strip()]
    return []


def read(text: str) -> CaseFile:
    """One case of a VICS Cases document (the first, if it holds several: say so by splitting them)."""
    records = vics_json.read(text)
    cases = [r.metadata.get(vics_json.CASE_KEY) for r in records]
    distinct = {repr(c) for c in cases}
    if len(distinct) > 1:
        raise FormatError("document", f"{len(distinct)} cases in one file; import each case on its own")
    header = dict(records[0].metadata.get(vics_json.DOCUMENT_KEY, {})) if records else {}
    case_fields = cases[0] if cases and isinstance(cases[0], dict) else {}
    items = [NewItem(r.signals, flags_of(r.metadata), _media_id(r.metadata), _kept(r.metadata)) for r in records]
    return CaseFile(version_of(header), header, dict(case_fields), items)


def write(
    version: str, case_fields: dict[str, Any], items: Iterable[Item], header: dict[str, Any] | None = None
) -> str:
    """A VICS Cases document of one case, in `version`'s shape (or the header it was read with)."""
    if version not in VERSIONS and header is None:
        raise FormatError("version", f"VICS version {version!r}; Alliance writes {', '.join(VERSIONS)}")
    head = header or VERSIONS[version]
    records = [
        MediaRecord(
            item.signals,
            {**_media_fields(item), vics_json.CASE_KEY: case_fields, vics_json.DOCUMENT_KEY: head},
            where=f"item {item.id}",
        )
        for item in items
    ]
    if not records:  # a case without media still says which case it is
        return json.dumps({**head, "value": [{**case_fields, "Media": []}]}, indent=2) + "\n"
    return vics_json.write(records)


def write_series(name: str, items: Iterable[Item], version: str = "2.0") -> str:
    """A series as a VICS Media list, each record naming the series and carrying its flags."""
    head = dict(VERSIONS[version])
    key = next(iter(head))
    head[key] = head[key].rpartition("#")[0] + "#Media"
    records = [MediaRecord(item.signals, {**_media_fields(item, name), vics_json.DOCUMENT_KEY: head}) for item in items]
    return vics_json.write(records)


def _media_fields(item: Item, series: str | None = None) -> dict[str, Any]:
    """The kept fields of the item, or (for items added without a file) fields built from its flags."""
    if item.extra:
        return dict(item.extra)
    fields: dict[str, Any] = {}
    if item.image_id is not None:
        fields["MediaID"] = item.image_id
    f = item.flags
    fields |= {
        "IsDistributed": f.distributed,
        "VictimIdentified": f.victim_identified,
        "OffenderIdentified": f.offender_identified,
        "NumberOfSubmissions": f.submissions,
        "Baseline": f.baseline,
        "MediaType": f.media_type,
    }
    if series:
        fields[SERIES_FIELD] = series
    return fields


def _kept(metadata: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metadata.items() if k not in (vics_json.CASE_KEY, vics_json.DOCUMENT_KEY)}


def _media_id(metadata: dict[str, Any]) -> str | None:
    value = metadata.get("MediaID")
    return None if value is None or isinstance(value, bool) else str(value)[:200]
