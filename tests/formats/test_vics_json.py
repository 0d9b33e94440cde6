from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.core.errors import FormatError, InvalidRequest
from alliance.core.signals import Signal
from alliance.formats import vics_json
from alliance.formats.records import MediaRecord

from .helpers import exact_signals, hex_strings, pdq_signals

MD5_A = "ADEBF3FA3C9BE7F73825E1CB9E2DEA09"
SHA1_A = "2B037F69C566DFDB3A5A79E5360D085959BDDE4C"
MD5_B = "0CC175B9C0F1B6A831C399E269772661"
SHA256_B = "BA7816BF8F01CFE414134E77CA982DA31A7B0E4A9E5A7A3A2A2A2A2A2A2A2A2A"
MD5_C = "9E107D9D372BB6826BD81D3542A419D6"
PDQ_C = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
PHOTODNA = "AAMANwABAD0AAQA9HgEBQ5oAFlFMAA0dAwYXcQMHDYcZBg2GUgotfcYAabpdABVPIyn/Gg1S/ylWTehHakHu"

CONTEXT_2 = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#"
CONTEXT_1 = "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#"
CASE_ID = "c18c57e5-f67f-4ec6-8c8b-0ab65a654a23"
WHERE = ["record 1 (MediaID 17)", "record 2 (MediaID B-2)", "record 3 (MediaID 3)"]

MEDIA_A = {
    "MediaID": 17,
    "Category": 1,
    "MD5": MD5_A,
    "SHA1": SHA1_A,
    "MediaSize": 2835,
    "PhotoDNA": PHOTODNA,
    "VictimIdentified": "true",
    "OffenderIdentified": "false",
    "IsDistributed": "true",
    "Series": "Operation Bluebell",
    "Tags": "indoor, known set",
    "Comments": "reviewed twice",
    "DateUpdated": "2023-06-07T02:31:49.8300Z",
    "IsPrecategorized": "false",
    "ForensicToolField": {"anything": [1, 2, 3]},
}
MEDIA_B = {
    "MediaID": "B-2",
    "Category": 2,
    "MD5": MD5_B,
    "SHA1": "",
    "SHA256": SHA256_B,
    "MediaFiles": [
        {"FileName": "img_0001.jpg", "FilePath": "/DCIM/100APPLE/", "MD5": MD5_B, "Created": "2019-01-01T10:00:00Z"}
    ],
    "Exifs": [{"MD5": MD5_B, "PropertyName": "Make", "PropertyValue": "Canon"}],
    "AlternativeHashes": [{"HashName": "PhotoDNA", "HashValue": PHOTODNA}],
}
MEDIA_C = {
    "MediaID": 3,
    "MD5": MD5_C,
    "AlternativeHashes": [{"HashName": "PDQ", "HashValue": PDQ_C, "Quality": 92}],
    "odata.id": f'Media("{MD5_C}")',
    "MediaFiles@odata.navigationLinkUrl": f"/Media({MD5_C})/MediaFiles",
}


def hash_set(header: str, base: str) -> dict[str, Any]:
    return copy.deepcopy({header: base + "Media", "value": [MEDIA_A, MEDIA_B, MEDIA_C]})


def case_export(header: str, base: str) -> dict[str, Any]:
    case_1 = {"CaseID": CASE_ID, "CaseNumber": "2024-K-118", "Media": [MEDIA_A]}
    case_2 = {
        "CaseID": "712ff83c-3123-4fab-8ff6-33532f4915c2",
        "Agency": "Example Police",
        "SourceApplicationName": "Griffeye",
        "Media": [MEDIA_B, MEDIA_C],
    }
    return copy.deepcopy({header: base + "Cases", "odata.count": 3, "value": [case_1, case_2]})


VERSIONS = [("@odata.context", CONTEXT_2), ("odata.metadata", CONTEXT_1)]
DOCUMENTS = [shape(header, base) for header, base in VERSIONS for shape in (hash_set, case_export)]
DOCUMENT_IDS = ["2.0-media", "2.0-cases", "1.x-media", "1.x-cases"]


def text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1)


def test_reads_a_hash_set() -> None:
    records = vics_json.read(text(hash_set("@odata.context", CONTEXT_2)))

    assert [record.where for record in records] == [
        "record 1 (MediaID 17)",
        "record 2 (MediaID B-2)",
        "record 3 (MediaID 3)",
    ]
    assert records[0].signals == (Signal("md5", MD5_A.lower()), Signal("sha1", SHA1_A.lower()))
    assert records[1].signals == (Signal("md5", MD5_B.lower()), Signal("sha256", SHA256_B.lower()))
    assert records[2].signals == (Signal("md5", MD5_C.lower()), Signal("pdq", PDQ_C, 92))


def test_every_other_media_field_is_kept_in_metadata() -> None:
    first, second, third = vics_json.read(text(hash_set("@odata.context", CONTEXT_2)))

    document = {"@odata.context": CONTEXT_2 + "Media"}
    assert first.metadata == {
        **{key: value for key, value in MEDIA_A.items() if key not in ("MD5", "SHA1")},
        "vics_document": document,
    }
    assert first.metadata["PhotoDNA"] == PHOTODNA
    assert first.metadata["Series"] == "Operation Bluebell"
    assert first.metadata["Tags"] == "indoor, known set"
    assert first.metadata["ForensicToolField"] == {"anything": [1, 2, 3]}
    assert second.metadata["SHA1"] == ""
    assert second.metadata["AlternativeHashes"] == [{"HashName": "PhotoDNA", "HashValue": PHOTODNA}]
    assert second.metadata["MediaFiles"][0]["FileName"] == "img_0001.jpg"
    assert third.metadata["AlternativeHashes"] == MEDIA_C["AlternativeHashes"]  # kept as it was, PDQ too
    assert third.metadata["odata.id"] == f'Media("{MD5_C}")'


def test_reads_cases_with_their_fields() -> None:
    records = vics_json.read(text(case_export("odata.metadata", CONTEXT_1)))

    assert [record.where for record in records] == [
        "record 1 (MediaID 17)",
        "record 2 (MediaID B-2)",
        "record 3 (MediaID 3)",
    ]
    assert records[0].metadata["vics_case"] == {
        "CaseID": "c18c57e5-f67f-4ec6-8c8b-0ab65a654a23",
        "CaseNumber": "2024-K-118",
    }
    assert records[1].metadata["vics_case"]["Agency"] == "Example Police"
    assert records[2].metadata["vics_case"] == records[1].metadata["vics_case"]
    assert records[0].metadata["vics_document"] == {"odata.metadata": CONTEXT_1 + "Cases", "odata.count": 3}


@pytest.mark.parametrize("document", DOCUMENTS, ids=DOCUMENT_IDS)
def test_reading_the_written_document_gives_the_same_records(document: dict[str, Any]) -> None:
    records = vics_json.read(text(document))

    assert vics_json.read(vics_json.write(records)) == records


@pytest.mark.parametrize("document", DOCUMENTS, ids=DOCUMENT_IDS)
def test_the_written_document_is_the_document_read(document: dict[str, Any]) -> None:
    written = json.loads(vics_json.write(vics_json.read(text(document))))

    assert written == document


def test_hashes_are_written_in_uppercase_as_vics_sets_are_distributed() -> None:
    lowercase = hash_set("@odata.context", CONTEXT_2)
    lowercase["value"][0]["MD5"] = MD5_A.lower()

    written = json.loads(vics_json.write(vics_json.read(text(lowercase))))

    assert written["value"][0]["MD5"] == MD5_A


def test_cases_without_media_give_no_records() -> None:
    document = {"@odata.context": CONTEXT_2 + "Cases", "value": [{"CaseID": "empty"}, {"CaseID": "x", "Media": []}]}

    assert vics_json.read(text(document)) == []


def test_an_empty_media_list_is_a_document_without_records() -> None:
    assert vics_json.read(text({"@odata.context": CONTEXT_2 + "Media", "value": []})) == []


def test_records_from_other_formats_are_written_as_a_2_0_media_list() -> None:
    records = [
        MediaRecord(signals=(Signal("pdq", PDQ_C, 80),), metadata={"filename": "x.jpg"}),
        MediaRecord(signals=(Signal("md5", MD5_B.lower()), Signal("sha1", SHA1_A.lower()))),
    ]

    document = json.loads(vics_json.write(records))

    assert document == {
        "@odata.context": vics_json.DEFAULT_CONTEXT,
        "value": [
            {"filename": "x.jpg", "AlternativeHashes": [{"HashName": "PDQ", "HashValue": PDQ_C, "Quality": 80}]},
            {"MD5": MD5_B, "SHA1": SHA1_A},
        ],
    }
    assert [record.signals for record in vics_json.read(json.dumps(document))] == [r.signals for r in records]


def test_writing_nothing_gives_an_empty_media_list() -> None:
    assert vics_json.read(vics_json.write([])) == []


def test_the_header_target_follows_what_is_written() -> None:
    from_cases = vics_json.read(text(case_export("@odata.context", CONTEXT_2)))
    as_media_list = [
        MediaRecord(r.signals, {k: v for k, v in r.metadata.items() if k != "vics_case"}, r.note, r.where)
        for r in from_cases
    ]

    document = json.loads(vics_json.write(as_media_list))

    assert document["@odata.context"] == CONTEXT_2 + "Media"
    assert [media["MediaID"] for media in document["value"]] == [17, "B-2", 3]


def exact_and_pdq_signal_sets() -> st.SearchStrategy[tuple[Signal, ...]]:
    """At most one hash of each exact type (a Media record has one MD5 field) and any PDQ hashes."""
    exact = st.lists(exact_signals(), max_size=3, unique_by=lambda signal: signal.type)
    pdq = st.lists(pdq_signals(), max_size=2)
    return st.tuples(exact, pdq).map(lambda parts: tuple(parts[0] + parts[1])).filter(bool)


@given(st.lists(exact_and_pdq_signal_sets(), max_size=8), st.sampled_from(DOCUMENTS))
def test_round_trip_of_any_valid_hashes(signal_sets: list[tuple[Signal, ...]], document: dict[str, Any]) -> None:
    kept = {k: v for k, v in vics_json.read(text(document))[0].metadata.items() if k != "AlternativeHashes"}
    records = [
        MediaRecord(signals=signals, metadata={**kept, "MediaID": n}, where=f"record {n} (MediaID {n})")
        for n, signals in enumerate(signal_sets, start=1)
    ]

    reread = vics_json.read(vics_json.write(records))

    # The reader puts exact hashes before PDQ ones, in MD5, SHA1, SHA256 order.
    order = {"md5": 0, "sha1": 1, "sha256": 2, "pdq": 3}
    assert [record.signals for record in reread] == [
        tuple(sorted(signals, key=lambda s: order[s.type])) for signals in signal_sets
    ]
    assert [without_pdq_entries(record.metadata) for record in reread] == [record.metadata for record in records]


def without_pdq_entries(metadata: dict[str, Any]) -> dict[str, Any]:
    """Metadata less the PDQ entries written into AlternativeHashes (the list read back holds them)."""
    if "AlternativeHashes" not in metadata:
        return metadata
    entries = [e for e in metadata["AlternativeHashes"] if e.get("HashName") != "PDQ"]
    rest = {key: value for key, value in metadata.items() if key != "AlternativeHashes"}
    return {**rest, "AlternativeHashes": entries} if entries else rest


@given(hex_strings(32))
def test_two_hashes_of_one_exact_type_cannot_be_written(other: str) -> None:
    record = MediaRecord(signals=(Signal("md5", MD5_B.lower()), Signal("md5", other)), where="line 4")

    with pytest.raises(InvalidRequest, match="line 4: VICS Media cannot hold 2 md5 hashes"):
        vics_json.write([record])


# Bad input


def bad_media(**fields: Any) -> FormatError:
    """The error for a hash set whose third record (MediaID 17) has `fields`."""
    media = {"MediaID": 17, "Category": 1, **fields}
    document = {"@odata.context": CONTEXT_2 + "Media", "value": [MEDIA_B, MEDIA_C, media, MEDIA_A]}
    with pytest.raises(FormatError) as caught:
        vics_json.read(text(document))
    return caught.value


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"MD5": MD5_A[:-1]}, "md5 hash must be 32 hex characters, got 31"),
        ({"MD5": MD5_A + "00"}, "md5 hash must be 32 hex characters, got 34"),
        ({"MD5": "X" + MD5_A[1:]}, "'x', which is not a hex digit"),
        ({"MD5": "   "}, "empty md5 hash"),
        ({"MD5": MD5_A, "SHA1": SHA1_A[:20]}, "sha1 hash must be 40 hex characters, got 20"),
        ({"SHA256": MD5_A}, "sha256 hash must be 64 hex characters, got 32"),
        ({"MD5": 12345}, "MD5 must be a string, got a number"),
        ({"MD5": [MD5_A]}, "MD5 must be a string, got a list"),
        ({"AlternativeHashes": [{"HashName": "PDQ", "HashValue": PDQ_C[:-2]}]}, "pdq hash must be 64"),
        ({"AlternativeHashes": [{"HashName": "pdq", "HashValue": None}]}, "PDQ HashValue must be a string, got null"),
        ({"MD5": MD5_A, "AlternativeHashes": [{"HashName": "PDQ", "HashValue": PDQ_C, "Quality": 101}]}, "got 101"),
        ({"MD5": MD5_A, "AlternativeHashes": [{"HashName": "PDQ", "HashValue": PDQ_C, "Quality": "90"}]}, "'90'"),
        ({"MD5": MD5_A, "AlternativeHashes": [{"HashName": "PDQ", "HashValue": PDQ_C, "Quality": True}]}, "True"),
        ({"PhotoDNA": PHOTODNA}, "no MD5, SHA1, SHA256 or PDQ hash"),
        ({"MD5": "", "SHA1": None}, "no MD5, SHA1, SHA256 or PDQ hash"),
        ({"AlternativeHashes": [{"HashName": "PhotoDNA", "HashValue": PHOTODNA}]}, "no MD5, SHA1, SHA256 or PDQ"),
    ],
)
def test_bad_media_records_are_named(fields: dict[str, Any], reason: str) -> None:
    error = bad_media(**fields)

    assert error.where == "record 3 (MediaID 17)"
    assert reason in str(error)
    assert str(error).startswith("record 3 (MediaID 17): ")


def test_a_record_without_media_id_is_named_by_number() -> None:
    document = {"@odata.context": CONTEXT_2 + "Media", "value": [MEDIA_A, {"Category": 2, "MD5": "nothex"}]}

    with pytest.raises(FormatError) as caught:
        vics_json.read(text(document))

    assert caught.value.where == "record 2"


def test_records_are_counted_across_cases() -> None:
    document = case_export("@odata.context", CONTEXT_2)
    document["value"][1]["Media"][1]["MD5"] = "0" * 31

    with pytest.raises(FormatError) as caught:
        vics_json.read(text(document))

    assert caught.value.where == "record 3 (MediaID 3)"


@pytest.mark.parametrize(
    ("content", "where", "reason"),
    [
        ("", "document", "empty input"),
        ("  \n", "document", "empty input"),
        ('{\n  "@odata.context": "x#Media",\n  "value": [,]\n}', "document", "not valid JSON"),
        ('{"@odata.context": "x#Media", "value": []', "document", "not valid JSON"),
        ('{"@odata.context": "x#Media", "value": []} {}', "document", "not valid JSON"),
        ('{"@odata.context": "x#Media", "value": ' + "[" * 100_000 + "]" * 100_000 + "}", "document", "nested"),
        ("[]", "document", "expected a JSON object, got a list"),
        ('"VICS"', "document", "expected a JSON object, got a string"),
        ('{"value": []}', "document", "no '@odata.context' (2.0) or 'odata.metadata' (1.x) header"),
        ('{"@odata.context": 2, "value": []}', "document", "header"),
        ('{"@odata.context": "x#Media"}', "document", "'value' must be a list, got null"),
        ('{"@odata.context": "x#Media", "value": {}}', "document", "'value' must be a list, got an object"),
        ('{"@odata.context": "x#Cases", "value": ["case"]}', "case 1", "a Case must be a JSON object"),
        ('{"@odata.context": "x#Cases", "value": [{"Media": {}}]}', "case 1", "'Media' must be a list"),
        ('{"@odata.context": "x#Media", "value": [3]}', "record 1", "must be a JSON object, got a number"),
        ('{"odata.metadata": "x#Cases", "value": [{"Media": [null]}]}', "record 1", "got null"),
    ],
)
def test_bad_documents_are_named(content: str, where: str, reason: str) -> None:
    with pytest.raises(FormatError) as caught:
        vics_json.read(content)

    assert caught.value.where == where
    assert reason in str(caught.value)


def test_a_byte_order_mark_is_tolerated() -> None:
    assert len(vics_json.read("\ufeff" + text(hash_set("@odata.context", CONTEXT_2)))) == 3
