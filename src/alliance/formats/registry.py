"""The hash-list formats Alliance reads and writes, by name, for the CLI and the API to offer.

fmt = get_format("te-csv")
records = fmt.read(path.read_text())
path.with_suffix(fmt.suffix).write_text(fmt.write(records))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from alliance.core.errors import InvalidRequest
from alliance.formats import pdq_text, te_csv, vics_json
from alliance.formats.records import MediaRecord


@dataclass(frozen=True, slots=True)
class Format:
    """One file format: its name, a line for help texts, its reader and writer, and its file suffix."""

    name: str
    description: str
    read: Callable[[str], list[MediaRecord]]
    write: Callable[[Iterable[MediaRecord]], str]
    suffix: str


FORMATS: dict[str, Format] = {
    fmt.name: fmt
    for fmt in (
        Format("pdq-txt", "PDQ text list: one hash[,quality] per line", pdq_text.read, pdq_text.write, ".txt"),
        Format("te-csv", "ThreatExchange / HMA CSV: signal_type,signal_value,...", te_csv.read, te_csv.write, ".csv"),
        Format("vics-json", "VICS JSON (Project VIC 1.x and 2.0)", vics_json.read, vics_json.write, ".json"),
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
