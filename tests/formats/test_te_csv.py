from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.core.errors import FormatError
from alliance.core.signals import Signal
from alliance.formats import te_csv
from alliance.formats.records import MediaRecord, Skipped

from .helpers import exact_signals, pdq_signals, positionless

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "0cc175b9c0f1b6a831c399e269772661"
SHA1 = "a9993e364706816aba3e25717850c26c9cd0d89d"
SHA256 = "ba7816bf8f01cfe414134e77ca982da31a7b0e4a9e5a7a3a2a2a2a2a2a2a2a2a"

# What `threatexchange dataset -P --csv` prints.
TE_CLI_EXPORT = f"""\
collab,signal_type,signal_str,category,tags
Sample Data,pdq,{PDQ},POSITIVE_CLASS,media_type_photo known_set
Sample Data,video_md5,{MD5.upper()},POSITIVE_CLASS,
"""

# A hand-made list with every optional column and an unknown one.
FULL = f"""\
Signal_Type , signal_value , quality , tags , note , source_id
pdq,{PDQ},87,"csam, series_a",first seen 2024-05,H-17
HASH_SHA1,{SHA1},,,"multi
line note",
sha256,{SHA256},,,,H-19
"""


def test_reads_the_threatexchange_cli_export() -> None:
    records = te_csv.read(TE_CLI_EXPORT)

    assert records == [
        MediaRecord(
            signals=(Signal("pdq", PDQ),),
            metadata={"tags": ["media_type_photo", "known_set"], "collab": "Sample Data"},
            where="line 2",
        ),
        MediaRecord(signals=(Signal("md5", MD5),), metadata={"collab": "Sample Data"}, where="line 3"),
    ]


def test_reads_every_known_column_and_keeps_unknown_ones() -> None:
    records = te_csv.read(FULL)

    assert records == [
        MediaRecord(
            signals=(Signal("pdq", PDQ, 87),),
            metadata={"tags": ["csam", "series_a"], "source_id": "H-17"},
            note="first seen 2024-05",
            where="line 2",
        ),
        MediaRecord(signals=(Signal("sha1", SHA1),), note="multi\nline note", where="line 3"),
        MediaRecord(signals=(Signal("sha256", SHA256),), metadata={"source_id": "H-19"}, where="line 5"),
    ]


def test_categories_other_than_the_status_implies_are_kept_and_negative_is_marked() -> None:
    text = f"signal_type,signal_str,category\npdq,{PDQ},INVESTIGATION_SEED\nvideo_md5,{MD5},NEGATIVE_CLASS\n"

    seed, negative = te_csv.read(text)

    assert seed.metadata == {"category": "INVESTIGATION_SEED"} and not seed.negative
    assert negative.metadata == {} and negative.negative
    assert te_csv.read(te_csv.write([seed, negative])) == te_csv.read(te_csv.write(te_csv.read(text)))


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("pdq", "pdq"),
        ("PDQ", "pdq"),
        ("HASH_PDQ", "pdq"),
        ("md5", "md5"),
        ("photo_md5", "md5"),
        ("video_md5", "md5"),
        ("HASH_MD5", "md5"),
        ("sha1", "sha1"),
        ("video_sha256", "sha256"),
        ("HASH_VIDEO_SHA256", "sha256"),
    ],
)
def test_threatexchange_type_names_map_to_alliance_types(name: str, canonical: str) -> None:
    assert te_csv.canonical_type_name(name) == canonical


def test_only_names_python_threatexchange_knows_are_written_as_signal_types() -> None:
    record = MediaRecord(
        signals=(Signal("pdq", PDQ, 90), Signal("md5", MD5), Signal("sha1", SHA1), Signal("sha256", SHA256)),
        status="proposed",
        entry_id=7,
    )

    lines = te_csv.write([record]).splitlines()

    assert lines[0] == "signal_type,signal_str,quality,collab,category,tags,status,entry_id,note,sha1,metadata"
    assert [line.split(",")[0] for line in lines[1:]] == ["pdq", "video_md5", "video_sha256"]
    assert all(f",INVESTIGATION_SEED,,proposed,7,,{SHA1}," in line for line in lines[1:])


@pytest.mark.parametrize("text", [TE_CLI_EXPORT, FULL])
def test_round_trip_gives_the_same_records(text: str) -> None:
    records = te_csv.read(text)

    assert positionless(te_csv.read(te_csv.write(records))) == positionless(records)


@given(st.lists(pdq_signals() | exact_signals(), max_size=20), st.text(max_size=30))
def test_round_trip_of_any_valid_hashes_and_notes(signals: list[Signal], note: str) -> None:
    records = [MediaRecord(signals=(signal,), note=note or None) for signal in signals]

    assert positionless(te_csv.read(te_csv.write(records))) == records


def test_an_entry_written_as_several_rows_reads_back_as_one_record() -> None:
    record = MediaRecord(
        signals=(Signal("md5", MD5), Signal("sha1", SHA1), Signal("sha256", SHA256), Signal("pdq", PDQ, 90)),
        metadata={"case": "A-1"},
        note="n",
    )

    assert positionless(te_csv.read(te_csv.write([record, record, record, record]))) == [record] * 4


def test_metadata_from_other_formats_keeps_its_keys_and_json_types() -> None:
    vics_like = MediaRecord(
        signals=(Signal("md5", MD5),),
        metadata={"Category": 1, "Tags": "indoor, series", "Comments": "seen", "Size": 2.5, "vics_case": {"CaseID": 3}},
    )

    (record,) = te_csv.read(te_csv.write([vics_like]))

    assert record.metadata == vics_like.metadata
    assert record.note is None


@pytest.mark.parametrize("text", ["", "\n", "signal_type,signal_value\n", "\ufeffsignal_type,signal_value\n\n"])
def test_empty_input_and_header_only_read_as_no_records(text: str) -> None:
    assert te_csv.read(text) == []


def test_writing_nothing_gives_a_header() -> None:
    assert te_csv.read(te_csv.write([])) == []


def bad(rows: str) -> FormatError:
    with pytest.raises(FormatError) as caught:
        te_csv.read(f"signal_type,signal_value,quality\nmd5,{MD5},\n{rows}")
    return caught.value


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (f"md5,{MD5[:-1]},", "md5 hash must be 32 hex characters, got 31"),
        (f"sha1,{SHA1}0,", "sha1 hash must be 40 hex characters, got 41"),
        (f"pdq,{'g' * 64},", "'g', which is not a hex digit"),
        ("pdq,,", "empty pdq hash"),
        ("md5,  ,", "empty md5 hash"),
        (f"pdq,{PDQ},101", "from 0 to 100, got 101"),
        (f"pdq,{PDQ},good", "integer from 0 to 100, got 'good'"),
        (f"md5,{MD5},50", "md5 hashes carry no quality"),
        (f"raw_text,{MD5},", "not a hash type Alliance uses: raw_text"),
        (f",{MD5},", "not a hash type Alliance uses: (empty)"),
        (f"md5,{MD5}", "2, but the header names 3"),
        (f"md5,{MD5},,extra", "4, but the header names 3"),
        (f'md5,"{MD5}"x,', "malformed CSV"),
        (f'md5,"{MD5},', "malformed CSV"),
        ("md5,a\0b,", "md5 hash must be 32 hex characters, got 3"),
    ],
)
def test_bad_rows_name_the_line_and_the_reason(row: str, reason: str) -> None:
    error = bad(row)

    assert error.where == "line 3"
    assert reason in str(error)


def test_the_line_named_is_where_the_row_starts() -> None:
    error = bad(f'sha1,{SHA1},\n\nmd5,{MD5},"\nthis quality\nspans lines"\n')

    assert error.where == "line 5"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("signal_value,quality", "missing signal_type"),
        ("signal_type,quality", "missing signal_str"),
        ("type,hash", "missing signal_type, signal_str"),
        (PDQ, "must name the columns signal_type and signal_str"),
        ("signal_type,signal_value,Tags,tags", "column 'tags' twice"),
    ],
)
def test_bad_headers_are_named(header: str, reason: str) -> None:
    with pytest.raises(FormatError) as caught:
        te_csv.read(f"{header}\npdq,{PDQ}\n")

    assert caught.value.where == "line 1"
    assert reason in str(caught.value)


def test_nothing_is_returned_when_a_later_row_is_bad() -> None:
    text = f"signal_type,signal_value\nmd5,{MD5}\nmd5,{MD5}\nmd5,nope\n"

    with pytest.raises(FormatError, match="line 4"):
        te_csv.read(text)


def test_a_python_threatexchange_csv_with_other_types_is_read_skipping_those() -> None:
    text = f"""signal_type,signal_str,collab,category,tags
pdq,{PDQ},c,POSITIVE_CLASS,
url,https://example.org/x,c,POSITIVE_CLASS,
raw_text,some words,c,POSITIVE_CLASS,
video_md5,{MD5},c,POSITIVE_CLASS,
"""
    items = list(te_csv.stream(io.StringIO(text)))

    assert [type(item).__name__ for item in items] == ["MediaRecord", "Skipped", "Skipped", "MediaRecord"]
    assert [item.reason for item in items if isinstance(item, Skipped)] == [
        "not a hash type Alliance uses: url",
        "not a hash type Alliance uses: raw_text",
    ]
