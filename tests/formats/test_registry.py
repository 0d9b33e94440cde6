from __future__ import annotations

import dataclasses

import pytest

from alliance.core.errors import InvalidRequest
from alliance.core.signals import Signal
from alliance.formats import pdq_text, te_csv, vics_json
from alliance.formats.records import MediaRecord
from alliance.formats.registry import FORMATS, Format, format_names, get_format

from .helpers import positionless

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def test_the_formats_are_registered_with_their_modules() -> None:
    assert format_names() == ["pdq-txt", "pdq-hex", "pdq-pytx", "te-csv", "vics-json"]
    writers = [pdq_text.write_to, pdq_text.write_hex_to, pdq_text.write_pytx_to, te_csv.write_to, vics_json.write_to]
    assert [fmt.write_to for fmt in FORMATS.values()] == writers
    assert [fmt.suffix for fmt in FORMATS.values()] == [".txt", ".txt", ".txt", ".csv", ".json"]
    assert all(fmt.description for fmt in FORMATS.values())


@pytest.mark.parametrize("name", ["vics-json", " VICS-JSON "])
def test_get_format_finds_a_format_by_name(name: str) -> None:
    assert get_format(name) is FORMATS["vics-json"]


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(
        InvalidRequest, match=r"unknown format 'stix'; known: pdq-txt, pdq-hex, pdq-pytx, te-csv, vics-json"
    ):
        get_format("stix")


def test_formats_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_format("pdq-txt").name = "other"  # type: ignore[misc]


@pytest.mark.parametrize("fmt", FORMATS.values(), ids=FORMATS.keys())
def test_every_format_round_trips_a_pdq_record(fmt: Format) -> None:
    records = [MediaRecord(signals=(Signal("pdq", PDQ, 75),))]

    reread = fmt.read(fmt.write(records))

    if fmt.name in ("pdq-hex", "pdq-pytx"):  # the hash alone, as the tools that read them take it
        records = [MediaRecord(signals=(Signal("pdq", PDQ),))]
    assert [record.signals for record in reread] == [record.signals for record in records]
    assert positionless(fmt.read(fmt.write(reread))) == positionless(reread)
