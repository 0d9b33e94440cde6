from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.core.errors import FormatError
from alliance.core.signals import Signal
from alliance.formats import pdq_text
from alliance.formats.records import MediaRecord, Skipped

from .helpers import pdq_signals, positionless

H1 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
H2 = "d8f8f0cce0f4e84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
H3 = "a9f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "0cc175b9c0f1b6a831c399e269772661"

LIST = f"""\
# PDQ hashes shared by hotline X, 2024-05
{H1.upper()},100

   {H2}   # no quality known
{H3} , 87 , holiday photo.jpg
"""


def test_reads_hashes_qualities_and_file_names() -> None:
    records = pdq_text.read(LIST)

    assert records == [
        MediaRecord(signals=(Signal("pdq", H1, 100),), where="line 2"),
        MediaRecord(signals=(Signal("pdq", H2, None),), where="line 4"),
        MediaRecord(signals=(Signal("pdq", H3, 87),), metadata={"filename": "holiday photo.jpg"}, where="line 5"),
    ]


def test_writes_hash_quality_lines() -> None:
    text = pdq_text.write(pdq_text.read(LIST))

    assert text == f"{H1},100\n{H2}\n{H3},87,holiday photo.jpg\n"


def test_round_trip_gives_the_same_records() -> None:
    records = pdq_text.read(LIST)

    assert positionless(pdq_text.read(pdq_text.write(records))) == positionless(records)


@given(st.lists(pdq_signals(), max_size=20))
def test_round_trip_of_any_valid_hashes(signals: list[Signal]) -> None:
    records = [MediaRecord(signals=(signal,), where=f"line {n}") for n, signal in enumerate(signals, start=1)]

    assert pdq_text.read(pdq_text.write(records)) == records


def test_file_name_without_quality_round_trips() -> None:
    records = [MediaRecord(signals=(Signal("pdq", H1),), metadata={"filename": "a,b.png"})]

    assert positionless(pdq_text.read(pdq_text.write(records))) == records


@given(st.text(max_size=20))
def test_any_file_name_reads_back_as_itself_or_is_left_out(filename: str) -> None:
    records = [MediaRecord(signals=(Signal("pdq", H1, 60),), metadata={"filename": filename})]

    (record,) = pdq_text.read(pdq_text.write(records))

    assert record.signals == records[0].signals
    assert record.metadata in ({"filename": filename}, {})


def test_writer_skips_signals_the_format_cannot_hold() -> None:
    record = MediaRecord(
        signals=(Signal("md5", "0cc175b9c0f1b6a831c399e269772661"), Signal("pdq", H1, 90)),
        metadata={"Category": 1},
        note="not written",
    )

    assert pdq_text.write([record]) == f"{H1},90\n"


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "\ufeff"])
def test_empty_lists_read_as_no_records(text: str) -> None:
    assert pdq_text.read(text) == []
    assert pdq_text.write([]) == ""


def test_byte_order_mark_and_crlf_are_tolerated() -> None:
    records = pdq_text.read(f"\ufeff{H1},50\r\n{H2}\r\n")

    assert [record.signals[0].value for record in records] == [H1, H2]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (H1[:-1], "must be 64 hex characters, got 63"),
        (H1 + "0", "must be 64 hex characters, got 65"),
        ("z" + H1[1:], "'z', which is not a hex digit"),
        (",50", "empty pdq hash"),
        (f"{H1},101", "from 0 to 100, got 101"),
        (f"{H1},-1", "from 0 to 100, got -1"),
    ],
)
def test_bad_lines_name_the_line_and_the_reason(line: str, reason: str) -> None:
    text = f"# header comment\n{H2},100\n\n{line}\n{H3}\n"

    with pytest.raises(FormatError) as caught:
        pdq_text.read(text)

    assert caught.value.where == "line 4"
    assert reason in str(caught.value)
    assert str(caught.value).startswith("line 4: ")


# Every shape the tools of the field write


def items(text: str) -> list[MediaRecord | Skipped]:
    return list(pdq_text.stream(io.StringIO(text)))


def test_meta_pdq_photo_hasher_details_lines_are_read() -> None:
    line = f"hash={H1},norm=128,delta=0,quality=100,filename=/photos/a, b.jpg"

    (record,) = items(line + "\n")

    assert record == MediaRecord(
        (Signal("pdq", H1, 100),), {"norm": 128, "delta": 0, "filename": "/photos/a, b.jpg"}, where="line 1"
    )


def test_python_threatexchange_signal_lines_are_read_and_other_types_skipped() -> None:
    text = f"pdq {H1}\nvideo_md5 {MD5}\nurl https://example.org/\npdq\t{H2}\n"

    found = items(text)

    assert [r.signals for r in found if isinstance(r, MediaRecord)] == [
        (Signal("pdq", H1),),
        (Signal("md5", MD5),),
        (Signal("pdq", H2),),
    ]
    assert [(s.where, s.reason) for s in found if isinstance(s, Skipped)] == [
        ("line 3", "not a hash type Alliance uses: url")
    ]


@pytest.mark.parametrize(
    ("line", "quality", "filename"),
    [
        (f"{H1}\t87\tholiday.jpg", 87, "holiday.jpg"),
        (f"{H1}\tholiday.jpg", None, "holiday.jpg"),
        (f"{H1},holiday, 2024.jpg", None, "holiday, 2024.jpg"),
        (f"{H1},,holiday.jpg", None, "holiday.jpg"),
        (f"{H1} 87 holiday.jpg", 87, "holiday.jpg"),
    ],
)
def test_tabs_spaces_and_hash_filename_lines_are_read(line: str, quality: int | None, filename: str) -> None:
    (record,) = items(f"{line}\n")

    assert isinstance(record, MediaRecord)
    assert record.signals == (Signal("pdq", H1, quality),) and record.metadata == {"filename": filename}


@pytest.mark.parametrize("header", ["hash,quality,filename", "pdq_hash", "hash\tquality", "PDQ Hash"])
def test_a_header_line_is_skipped_as_such(header: str) -> None:
    first, second = items(f"{header}\n{H1},100\n")

    assert isinstance(first, Skipped) and first.reason == pdq_text.HEADER
    assert isinstance(second, MediaRecord)
    assert pdq_text.read(f"{header}\n{H1},100\n") == [second]


def test_the_same_hash_twice_gives_two_records_with_their_file_names() -> None:
    found = items(f"{H1},100,a.jpg\n{H1},100,b.jpg\n")

    assert [r.metadata["filename"] for r in found if isinstance(r, MediaRecord)] == ["a.jpg", "b.jpg"]


def test_an_entry_with_several_file_names_is_written_once_per_name() -> None:
    record = MediaRecord((Signal("pdq", H1, 90),), {"filename": "a.jpg", "filenames": ["a.jpg", "b.jpg"]})

    assert pdq_text.write([record]) == f"{H1},90,a.jpg\n{H1},90,b.jpg\n"


def test_bare_hex_and_pytx_variants_hold_the_hash_alone() -> None:
    record = MediaRecord((Signal("pdq", H1, 90), Signal("md5", MD5)), {"filename": "a.jpg"})

    hex_out, pytx_out = io.StringIO(), io.StringIO()
    pdq_text.write_hex_to([record], hex_out)
    pdq_text.write_pytx_to([record], pytx_out)

    assert hex_out.getvalue() == f"{H1}\n"
    assert pytx_out.getvalue() == f"pdq {H1}\n"
