"""A signal type is a plug-in: one class and one `register` call, and banks, the formats, matching,
the saved index and the API take it. Proved with a toy 64-bit perceptual hash that exists only here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import Engine

from alliance.core.access import Role
from alliance.core.signals import HammingType, Signal, register, signal_type_names, unregister
from alliance.formats import te_csv, vics_json
from alliance.services.matcher_index import index_file_path, verify_index_file
from alliance.services.matching import Matcher
from tests.api.conftest import World, build_world

STORED = "f0f0f0f0f0f0f0f0"


class ToyHash(HammingType):
    """64 bits compared by Hamming distance, under names of its own in hash lists."""

    name = "toy"
    hex_length = 16
    bits: ClassVar[int] = 64
    default_threshold = 6
    max_threshold = 16
    exchange_name = "toy_hash"
    vics_name = "TOY"


def flipped(value: str, bits: int) -> str:
    return format(int(value, 16) ^ ((1 << bits) - 1), "016x")


@pytest.fixture
def toy() -> Iterator[ToyHash]:
    kind = ToyHash()
    register(kind)
    yield kind
    unregister(kind.name)


@pytest.fixture
def toy_world(toy: ToyHash, engine: Engine, settings_for, photos: list[Path]) -> Iterator[World]:
    yield from build_world(settings_for(engine), photos)  # built after the type is registered


def test_a_toy_signal_type_goes_through_banks_import_match_and_export(toy_world: World):
    world, h = toy_world, toy_world.headers(Role.ANALYST)
    created = world.client.post("/v1/banks", headers=h, json={"name": "toys"})
    assert created.status_code == 201 and created.json()["thresholds"]["toy"] == 6  # the type's default

    # bank entries through the API, and a list imported in ThreatExchange CSV under the type's exchange name
    api_entry = {"signals": [{"type": "toy", "value": flipped(STORED, 64)}], "note": "by the API"}
    added = world.client.post("/v1/banks/toys/entries", headers=h, json={"entries": [api_entry]})
    assert added.status_code == 201
    banks = world.node.banks_for(world.analyst())
    records = te_csv.read(f"signal_type,signal_value,note\r\ntoy_hash,{STORED.upper()},imported\r\n")
    assert records[0].signals == (Signal("toy", STORED),)
    imported = banks.import_records("toys", records).added
    assert len(imported) == 1

    # matching: near copies within the type's own threshold, through the type's own index
    def matches(value: str) -> list[dict[str, object]]:
        body = {"signals": [{"type": "toy", "value": value}], "banks": ["toys"]}
        reply = world.client.post("/v1/match", headers=h, json=body)
        assert reply.status_code == 200, reply.text
        return list(reply.json()["matches"])

    near = matches(flipped(STORED, 6))
    assert [(m["entry"], m["signal_type"], m["distance"]) for m in near] == [(imported[0].id, "toy", 6)]
    assert matches(flipped(STORED, 7)) == []
    assert world.client.patch("/v1/banks/toys", headers=h, json={"thresholds": {"toy": 7}}).status_code == 200
    assert [m["distance"] for m in matches(flipped(STORED, 7))] == [7]
    too_far = world.client.patch("/v1/banks/toys", headers=h, json={"thresholds": {"toy": 17}})
    assert too_far.status_code in (400, 422) and "between 0 and 16" in too_far.text
    malformed = world.client.post("/v1/match", headers=h, json={"signals": [{"type": "toy", "value": "f0"}]})
    assert malformed.status_code in (400, 422) and "16 hex characters" in malformed.text

    # export: both list formats write the type under their names for it, and read it back
    exported = banks.export_records("toys")
    csv_text = te_csv.write(exported)
    rows = csv_text.splitlines()[1:]  # the header names a `toy` column: a type pytx has no name for
    assert f"toy_hash,{STORED}" in csv_text and not any(row.startswith("toy,") for row in rows)
    assert {s for r in te_csv.read(csv_text) for s in r.signals} == {
        Signal("toy", STORED),
        Signal("toy", flipped(STORED, 64)),
    }
    vics_text = vics_json.write(exported)
    alternatives = [a for m in json.loads(vics_text)["value"] for a in m["AlternativeHashes"]]
    assert {(a["HashName"], a["HashValue"]) for a in alternatives} == {("TOY", STORED), ("TOY", flipped(STORED, 64))}
    assert {s for r in vics_json.read(vics_text) for s in r.signals} == {
        Signal("toy", STORED),
        Signal("toy", flipped(STORED, 64)),
    }


def test_a_toy_types_index_is_saved_beside_pdqs_and_loaded(toy: ToyHash, banks, store, tmp_path: Path):
    path = tmp_path / "pdq.idx"
    banks.create_bank("toys")
    banks.import_records("toys", te_csv.read(f"signal_type,signal_value\r\ntoy,{STORED}\r\n"))
    first = Matcher(store, path)
    assert index_file_path(path, toy).exists() and verify_index_file(store, index_file_path(path, toy), 50, "toy") == []
    banks.import_records("toys", te_csv.read(f"signal_type,signal_value\r\ntoy,{flipped(STORED, 64)}\r\n"))
    second = Matcher(store, path)
    assert first.index.loaded_from == "store" and second.index.loaded_from == "file"
    assert [m.distance for m in second.match([Signal("toy", flipped(STORED, 2))])] == [2]
    assert [m.distance for m in second.match([Signal("toy", flipped(STORED, 62))])] == [2]  # the second entry


def test_the_toy_type_is_gone_once_unregistered():
    assert "toy" not in signal_type_names()
