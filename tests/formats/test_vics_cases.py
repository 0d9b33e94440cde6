"""VICS Cases files of two producers' shapes round-trip through a case with their series, victim and
case fields unchanged; the ICSE-style CSV has ICSE's columns."""

from __future__ import annotations

import csv
import io
import json

import pytest

from alliance.core.errors import FormatError
from alliance.core.investigations import Item, ItemFlags
from alliance.core.signals import Signal
from alliance.formats import icse_csv, vics_cases

MD5 = ["ADEBF3FA3C9BE7F73825E1CB9E2DEA09", "0123456789ABCDEF0123456789ABCDEF"]
SHA1 = "2B037F69C566DFDB3A5A79E5360D085959BDDE4C"

# A VICS 1.3 producer: `odata.metadata`, flags as strings, one series name per Media.
V13 = {
    "odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Cases",
    "value": [
        {
            "CaseID": "9f1c",
            "CaseNumber": "GB-2026-17",
            "ContactOrganization": "Example unit",
            "Media": [
                {
                    "MediaID": 1,
                    "MD5": MD5[0],
                    "SHA1": SHA1,
                    "Category": 1,
                    "Series": "Beach",
                    "VictimIdentified": "true",
                    "OffenderIdentified": "false",
                    "IsDistributed": "true",
                    "MediaFiles": [{"FileName": "a.jpg"}],
                },
                {"MediaID": 2, "MD5": MD5[1], "Series": "Garden;Beach", "VictimIdentified": "false"},
            ],
        }
    ],
}
# A VICS 2.0 producer: `@odata.context`, booleans, a victims list with pseudonymous identifiers.
V20 = {
    "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Cases",
    "value": [
        {
            "CaseNumber": "DE-77",
            "Media": [
                {
                    "MediaID": "m-7",
                    "MD5": MD5[0],
                    "Series": ["Beach"],
                    "VictimIdentified": True,
                    "OffenderIdentified": True,
                    "IsDistributed": False,
                    "NumberOfSubmissions": 4,
                    "Victims": [{"VictimID": "DE-2026-0001", "AgeGroup": "prepubescent", "Sex": "female"}],
                    "AlternativeHashes": [{"HashName": "PDQ", "HashValue": "ab" * 32, "Quality": 90}],
                }
            ],
        }
    ],
}
KEPT = ("Series", "VictimIdentified", "OffenderIdentified", "IsDistributed", "Victims", "NumberOfSubmissions")


def stored(case_file: vics_cases.CaseFile) -> list[Item]:
    """What a case holds after an intake: the items as the store gives them back."""
    return [Item(n, None, 1, i.signals, i.flags, i.image_id, i.extra) for n, i in enumerate(case_file.items, 1)]


def fields(document: dict) -> list[dict]:
    return [{k: m[k] for k in KEPT if k in m} for case in document["value"] for m in case["Media"]]


@pytest.mark.parametrize(("document", "version"), [(V13, "1.3"), (V20, "2.0")])
def test_a_cases_file_round_trips_with_series_victim_and_case_fields(document, version):
    case_file = vics_cases.read(json.dumps(document))
    assert case_file.version == version
    out = json.loads(vics_cases.write(version, case_file.case_fields, stored(case_file)))
    assert fields(out) == fields(document)
    assert {k: v for k, v in out["value"][0].items() if k != "Media"} == {
        k: v for k, v in document["value"][0].items() if k != "Media"
    }
    header = "odata.metadata" if version == "1.3" else "@odata.context"
    assert out[header] == document[header]
    again = vics_cases.read(json.dumps(out))
    assert [(i.signals, i.flags, i.extra) for i in again.items] == [
        (i.signals, i.flags, i.extra) for i in case_file.items
    ]


def test_flags_and_series_are_read_from_either_spelling():
    v13, v20 = vics_cases.read(json.dumps(V13)), vics_cases.read(json.dumps(V20))
    assert v13.items[0].flags == ItemFlags(distributed=True, victim_identified=True)
    assert v20.items[0].flags == ItemFlags(victim_identified=True, offender_identified=True, submissions=4)
    assert vics_cases.series_of(V13["value"][0]["Media"][1]) == ["Garden", "Beach"]
    assert vics_cases.series_of(V20["value"][0]["Media"][0]) == ["Beach"]
    assert v13.case_number == "GB-2026-17" and v20.items[0].image_id == "m-7"


def test_a_file_of_several_cases_is_refused_whole():
    two = {**V13, "value": [V13["value"][0], {**V13["value"][0], "CaseNumber": "other"}]}
    with pytest.raises(FormatError, match="2 cases in one file"):
        vics_cases.read(json.dumps(two))


def test_icse_csv_has_icse_columns_and_opens_as_a_spreadsheet():
    items = [
        Item(5, 1, None, (Signal("md5", MD5[0].lower()), Signal("sha1", SHA1.lower())), ItemFlags(True, True), "img-5"),
        Item(6, 1, None, (Signal("pdq", "ab" * 32, 90),), ItemFlags(submissions=3, media_type="video")),
    ]
    text = icse_csv.write((i, "ICSE-BEACH") for i in items)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert tuple(rows[0]) == (
        "MD5",
        "SHA1",
        "PhotoDNA",
        "Image ID",
        "Is Distributed",
        "Victim Identified",
        "Offender Identified",
        "Series Name",
        "Number of Submissions",
        "Media Type",
        "Baseline",
    )
    assert rows[0]["MD5"] == MD5[0] and rows[0]["SHA1"] == SHA1 and rows[0]["PhotoDNA"] == ""
    assert (rows[0]["Is Distributed"], rows[0]["Victim Identified"], rows[0]["Offender Identified"]) == (
        "Yes",
        "Yes",
        "No",
    )
    assert rows[1]["Image ID"] == "6" and rows[1]["Number of Submissions"] == "3" and rows[1]["Media Type"] == "video"
    assert {r["Series Name"] for r in rows} == {"ICSE-BEACH"}
