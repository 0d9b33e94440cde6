"""VICS documents in the shapes of three producers (tests/formats/fixtures/vics) cross formats whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from alliance.formats.registry import get_format

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "vics").glob("*.json"))
VICS = get_format("vics-json")
TE_CSV = get_format("te-csv")


def tree(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_reading_and_writing_gives_the_same_json_tree(path: Path) -> None:
    assert json.loads(VICS.write(VICS.read(path.read_text(encoding="utf-8")))) == tree(path)


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_vics_to_te_csv_to_vics_keeps_cases_header_numbers_and_media(path: Path) -> None:
    records = VICS.read(path.read_text(encoding="utf-8"))

    through_csv = TE_CSV.read(TE_CSV.write(records))

    assert len(through_csv) == len(records)
    assert json.loads(VICS.write(through_csv)) == tree(path)


def test_the_fixtures_cover_both_versions_and_every_shape() -> None:
    headers = [next(iter(tree(path))) for path in FIXTURES]
    assert {"@odata.context", "odata.metadata"} <= set(headers)
    targets = [
        str(tree(path).get("@odata.context", tree(path).get("odata.metadata"))).rpartition("#")[2] for path in FIXTURES
    ]
    bodies = ["Media" in tree(path)["value"][0] for path in FIXTURES]
    assert ("Media", True) in zip(targets, bodies, strict=True)  # #Media over a Cases-shaped body
    assert ("Cases", True) in zip(targets, bodies, strict=True) and ("Media", False) in zip(
        targets, bodies, strict=True
    )
