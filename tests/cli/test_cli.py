"""The `alliance` command as a user runs it: output, exit codes, one-line errors, nothing half-done."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import sys
from pathlib import Path

import pytest

from alliance.cli.main import main
from alliance.core.media.hashing import hash_image

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ALLIANCE_HOME, and a working directory of its own."""
    home = tmp_path / "home"
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("ALLIANCE_HOME", str(home))
    monkeypatch.delenv("ALLIANCE_DATABASE_URL", raising=False)
    monkeypatch.setenv("ALLIANCE_HASH_JOBS", "1")
    monkeypatch.setenv("ALLIANCE_DEFAULT_REQUIRED_GRADES", "0")  # entries match on entry; grading has its own tests
    monkeypatch.chdir(work)
    return home


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_help_everywhere(capsys, home):
    for args in ([], ["bank"], ["bank", "import", "--help"], ["match", "--help"], ["hash", "--help"]):
        code, out, _ = run(capsys, *args, *([] if "--help" in args else ["--help"]))
        assert code == 0 and "Usage" in out


def test_hash_prints_json_and_csv(capsys, home, photos):
    code, out, _ = run(capsys, "hash", "--json", str(photos[0]))
    assert code == 0
    (row,) = json.loads(out)
    assert row["pdq"] and row["quality"] == 100 and len(row["sha256"]) == 64 and row["error"] is None
    code, out, _ = run(capsys, "hash", "--csv", str(photos[0]), str(photos[1]))
    assert code == 0 and out.splitlines()[0] == "path,pdq,quality,md5,sha1,sha256,error" and len(out.splitlines()) == 3


def test_hash_reports_bad_files_and_exits_4(capsys, home, photos, tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("hello")
    code, out, err = run(capsys, "hash", "--json", str(photos[0]), str(bad))
    assert code == 4
    rows = json.loads(out)
    assert rows[0]["error"] is None and "not an image" in rows[1]["error"]
    assert "1 of 2 files could not be hashed" in err


def test_hash_dir_lists_each_failed_file_with_its_exact_hashes(capsys, home, photos, tmp_path):
    """A file that is not an image we can decode still has its MD5/SHA (an identical file matches
    by them); each one is listed with its reason and the exit is 4, or 0 with --skip-failed."""
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(photos[0].read_bytes())
    (folder / "b.heic").write_bytes(b"not really a HEIC")
    (folder / "c.png").write_bytes(photos[1].read_bytes()[:500])  # a JPEG cut short, misnamed
    code, out, err = run(capsys, "hash", "--json", str(folder))
    rows = {Path(r["path"]).name: r for r in json.loads(out)}
    assert code == 4 and set(rows) == {"a.jpg", "b.heic", "c.png"}
    assert rows["b.heic"]["md5"] == hashlib.md5(b"not really a HEIC").hexdigest()
    assert rows["b.heic"]["sha256"] and rows["b.heic"]["pdq"] is None and "not an image" in rows["b.heic"]["error"]
    assert rows["c.png"]["sha1"] and rows["c.png"]["error"]
    assert f"{folder / 'b.heic'}: not an image" in err and f"{folder / 'c.png'}: " in err
    assert "2 of 3 files could not be hashed" in err
    code, out, err = run(capsys, "hash", "--json", "--skip-failed", str(folder))
    assert code == 0 and err == "" and len(json.loads(out)) == 3


def test_exact_reference_without_pdqhash_is_one_line_and_exit_4(capsys, home, photos, monkeypatch):
    monkeypatch.setitem(sys.modules, "pdqhash", None)  # installed without the `reference` extra
    assert run(capsys, "hash", str(photos[0]))[0] == 0
    code, out, err = run(capsys, "hash", "--exact-reference", str(photos[0]), str(photos[1]))
    assert code == 4 and out == ""
    assert err.count("\n") == 1 and "pip install 'alliance[reference]'" in err


def test_bank_lifecycle_and_match(capsys, home, photos):
    assert run(capsys, "bank", "create", "photos")[0] == 0
    code, out, _ = run(capsys, "bank", "add", "photos", str(photos[0].parent))
    assert code == 0 and f"added {len(photos)} entries" in out
    code, out, _ = run(capsys, "bank", "list", "--json")
    assert json.loads(out)[0]["entries"] == len(photos)
    code, out, _ = run(capsys, "match", "--json", str(photos[0]))
    assert code == 0 and {m["type"] for m in json.loads(out)} == {"pdq", "md5", "sha1", "sha256"}
    entry = json.loads(out)[0]["entry"]
    assert run(capsys, "bank", "retire", str(entry), "--reason", "test")[0] == 0
    code, _, err = run(capsys, "match", str(photos[0]))
    assert code == 1 and "no match" in err
    assert run(capsys, "bank", "disable", "photos")[0] == 0
    code, _, _ = run(capsys, "match", str(photos[1]))
    assert code == 1


def test_import_export_round_trip(capsys, home, tmp_path):
    hashes = tmp_path / "list.txt"
    hashes.write_text(f"# two hashes\n{PDQ},90\n{'0' * 63}1\n")
    assert run(capsys, "bank", "create", "list")[0] == 0
    code, out, _ = run(capsys, "bank", "import", "list", str(hashes), "--format", "pdq-txt")
    assert code == 0 and "added 2 entries" in out
    code, out, _ = run(capsys, "bank", "export", "list", "--format", "pdq-txt")
    assert code == 0 and f"{PDQ},90" in out.splitlines()
    code, out, _ = run(capsys, "match", "--json", f"pdq:{PDQ}")
    assert code == 0 and json.loads(out)[0]["distance"] == 0


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["bank", "add", "nope", "."], 3, "no bank called 'nope'"),
        (["match", "pdq:1234"], 4, "64 hex characters"),
        (["match", "nothing-here.jpg"], 4, "neither a file nor a hash"),
        (["bank", "create", "bad name"], 4, "invalid bank name"),
        (["bank", "export", "missing"], 3, "no bank"),
        (["bank", "import", "missing", "x.txt"], 3, "no bank"),
        (["bank", "retire", "999", "--reason", "x"], 3, "no entry with id 999"),
        (["match", "--bank", "missing", f"pdq:{PDQ}"], 3, "no bank"),
    ],
)
def test_errors_are_one_line_with_documented_codes(capsys, home, args, code, words):
    got, _, err = run(capsys, *args)
    assert got == code
    assert words in err and len(err.strip().splitlines()) == 1


def test_usage_errors_exit_2(capsys, home):
    assert run(capsys, "bank", "create")[0] == 2
    assert run(capsys, "no-such-command")[0] == 2


def test_import_skips_bad_lines_naming_them_and_adds_the_rest(capsys, home, tmp_path):
    hashes = tmp_path / "list.txt"
    hashes.write_text(f"{PDQ}\nnot-a-hash\n")
    run(capsys, "bank", "create", "list")
    code, out, _ = run(capsys, "bank", "import", "list", str(hashes))
    assert code == 0 and "added 1 entries" in out and "skipped 1: bad pdq hash (line 2)" in out
    _, out, _ = run(capsys, "bank", "list", "--json")
    assert json.loads(out)[0]["entries"] == 1


def test_an_import_that_cannot_be_read_adds_nothing(capsys, home, tmp_path):
    listed = tmp_path / "list.csv"
    listed.write_text(f'signal_type,signal_str\npdq,{PDQ}\npdq,"{PDQ}"x\n')
    run(capsys, "bank", "create", "list")
    code, _, err = run(capsys, "bank", "import", "list", str(listed), "-f", "te-csv")
    assert code == 4 and "line 3" in err and "malformed CSV" in err
    _, out, _ = run(capsys, "bank", "list", "--json")
    assert json.loads(out)[0]["entries"] == 0


def test_duplicate_bank_and_entries(capsys, home, photos):
    run(capsys, "bank", "create", "photos")
    assert run(capsys, "bank", "create", "photos")[0] == 5
    run(capsys, "bank", "add", "photos", str(photos[0]))
    code, _, err = run(capsys, "bank", "add", "photos", str(photos[0]), str(photos[1]))
    assert code == 5 and "Nothing was added" in err
    code, out, _ = run(capsys, "bank", "add", "photos", str(photos[0]), str(photos[1]), "--skip-duplicates")
    assert code == 0 and "added 1 entries" in out and "skipped 1 duplicates" in out


def test_config_show_names_sources(capsys, home, monkeypatch):
    monkeypatch.setenv("ALLIANCE_PDQ_THRESHOLD", "20")
    code, out, _ = run(capsys, "config", "show")
    assert code == 0
    line = next(line for line in out.splitlines() if "ALLIANCE_PDQ_THRESHOLD" in line)
    assert "20" in line and "env" in line
    assert "default" in next(line for line in out.splitlines() if "ALLIANCE_MAX_PIXELS" in line)


def test_db_upgrade_reports_revision(capsys, home):
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0 and re.search(r"revision (\w+) \(latest \1\)", out)


def test_demo_prints_the_table(capsys, home):
    code, out, _ = run(capsys, "demo")
    assert code == 0
    assert "JPEG quality 30" in out and "matched" in out and "no match" in out
    assert "altered copies matched their original" in out and "temporary" in out


def test_demo_agrees_with_match_and_leaves_the_store_alone(capsys, home, photos, tmp_path):
    """Every altered copy: the demo's verdict is what `alliance match` says of the same copy."""
    from alliance.core.access import SYSTEM
    from alliance.demo.alterations import DEMO_ALTERATIONS
    from alliance.node import Node
    from alliance.settings import Settings

    code, out, _ = run(capsys, "demo", "--json")
    assert code == 0
    demo_rows = json.loads(out)
    assert len(demo_rows) == len(photos) * len(DEMO_ALTERATIONS)
    assert not (home / "alliance.db").exists()  # the operator's store was never opened
    assert any(r["variant"] not in (None, "original") for r in demo_rows)  # turned copies found by their turn
    photo_of = {r["expected_entry"]: r["photo"] for r in demo_rows}

    run(capsys, "bank", "create", "demo-photos")
    run(capsys, "bank", "add", "demo-photos", *map(str, photos))
    node = Node(Settings(home=home))
    source_of = {e.id: e.source.removeprefix("file:") for e in node.banks_for(SYSTEM).entries("demo-photos")}
    node.close()
    copies = tmp_path / "copies"
    copies.mkdir()
    names = {}
    for photo in photos:
        for i, (alteration, alter) in enumerate(DEMO_ALTERATIONS.items()):
            path = copies / f"{photo.stem}-{i}.img"
            path.write_bytes(alter(photo.read_bytes()))
            names[str(path)] = (photo.name, alteration)
    code, out, _ = run(capsys, "match", "--json", "--bank", "demo-photos", *names)
    assert code == 0
    matched: dict[tuple[str, str], dict[str, int]] = {}
    for m in json.loads(out):
        found = matched.setdefault(names[m["query"]], {})
        photo = source_of[m["entry"]]
        found[photo] = min(found.get(photo, 256), m["distance"])
    for row in demo_rows:
        by_match = matched.get((row["photo"], row["alteration"]), {})
        if row["matched_entry"] is None:
            assert by_match == {}, row
        else:
            assert by_match.get(photo_of[row["matched_entry"]]) == row["distance"], row
            assert row["distance"] == min(by_match.values()), row


def test_media_never_reach_the_disk(capsys, home, photos, tmp_path):
    """Hash and bank the photos through the CLI, then look for their bytes everywhere we write."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for photo in photos:
        (inputs / photo.name).write_bytes(photo.read_bytes())
    run(capsys, "hash", str(inputs))
    run(capsys, "bank", "create", "photos")
    run(capsys, "bank", "add", "photos", str(inputs))
    run(capsys, "match", str(inputs / photos[0].name))
    run(capsys, "demo")
    # A distinctive run from the middle of each file (past the shared JPEG header tables).
    needles = [p.read_bytes()[len(p.read_bytes()) // 2 :][:64] for p in photos]
    written = [f for root in (home, Path.cwd()) for f in root.rglob("*") if f.is_file()]
    assert any(f.name.startswith("alliance.db") for f in written)
    for file in written:
        content = file.read_bytes()
        assert not any(needle in content for needle in needles), file
    assert os.listdir(Path.cwd()) == []


def test_index_build_status_verify(capsys, home, photos):
    run(capsys, "bank", "create", "photos")
    run(capsys, "bank", "add", "photos", str(photos[0]), str(photos[1]))
    code, out, _ = run(capsys, "index", "build")
    # each photo's PDQ, its normalised view and any picture found inside it (the brick wall's bricks)
    hashes = sum(1 + len(hash_image(p.read_bytes()).views) for p in photos[:2])
    assert hashes >= 4
    assert code == 0 and f"with {hashes} hashes" in out
    code, out, _ = run(capsys, "index", "status")
    assert code == 0 and f"hashes: {hashes}" in out and "loaded from: file" in out
    assert run(capsys, "index", "verify")[0] == 0
    index_file = home / "index" / "pdq.idx"
    data = bytearray(index_file.read_bytes())
    data[-1] ^= 0xFF
    index_file.write_bytes(bytes(data))
    code, _, err = run(capsys, "index", "verify")
    assert code == 6 and "checksum" in err
    code, out, _ = run(capsys, "match", str(photos[0]))  # rebuilt from the store, still matches
    assert code == 0
    assert run(capsys, "index", "verify")[0] == 0


def test_review_from_the_command_line(capsys, home, photos, monkeypatch):
    assert run(capsys, "bank", "create", "graded", "--required-grades", "2")[0] == 0
    run(capsys, "bank", "add", "graded", str(photos[0]))
    for name in ("ana", "ben"):  # analysts of the node's own organisation, which owns the bank
        monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
        assert (
            run(capsys, "user", "create", name, "--org", "Local node", "--role", "analyst", "--password-stdin")[0] == 0
        )

    def as_user(name: str, password: str = "a long enough password") -> list[str]:
        """Grades belong to people: acting as a user takes their password."""
        monkeypatch.setattr("sys.stdin", io.StringIO(f"{password}\n"))
        return ["--as", name, "--password-stdin"]

    code, out, _ = run(capsys, "review", "queue", *as_user("ana"))
    assert code == 0 and "file:" in out
    assert run(capsys, "match", str(photos[0]))[0] == 1  # proposed: not matched yet
    args = ["--illegal", "--age-band", "pubescent", "--severity", "2"]
    code, _, err = run(capsys, "review", "grade", "1", *args, *as_user("ben", "not ben's password"))
    assert code == 4 and "wrong username or password" in err  # the operator cannot grade in ben's name
    code, out, _ = run(capsys, "review", "grade", "1", *args, *as_user("ana"))
    assert code == 0 and "pending" in out
    code, _, err = run(capsys, "review", "grade", "1", *args, *as_user("ana"))
    assert code == 5 and "once" in err
    code, out, _ = run(capsys, "review", "grade", "1", *args, *as_user("ben"))
    assert code == 0 and "confirmed" in out
    code, out, _ = run(capsys, "review", "history", "1")
    assert code == 0 and "confirmed" in out and "user:ben" in out.replace("\n", "")
    assert run(capsys, "match", str(photos[0]))[0] == 0


def test_review_grade_with_an_unknown_user(capsys, home, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("whatever it is\n"))
    args = ["--not-illegal", "--age-band", "none", "--as", "nobody", "--password-stdin"]
    code, _, err = run(capsys, "review", "grade", "1", *args)
    assert code == 4 and "wrong username or password" in err  # as for a wrong password: no enumeration


def test_a_flipped_copy_matches_with_dihedral_queries(capsys, home, photos, tmp_path):
    from alliance.demo.alterations import flip_horizontal

    run(capsys, "bank", "create", "photos")
    run(capsys, "bank", "add", "photos", str(photos[2]))
    flipped = tmp_path / "flipped.png"
    flipped.write_bytes(flip_horizontal(photos[2].read_bytes()))
    assert run(capsys, "match", "--no-dihedral", str(flipped))[0] == 1
    code, out, _ = run(capsys, "match", "--json", str(flipped))
    assert code == 0
    [match] = json.loads(out)
    assert (match["type"], match["variant"]) == ("pdq", "flipy") and match["distance"] <= 31


def test_a_crop_matching_bank_matches_a_cropped_copy(capsys, home, photos, tmp_path):
    from alliance.demo.alterations import crop_centre

    cropped = tmp_path / "cropped.png"
    cropped.write_bytes(crop_centre(0.10)(photos[2].read_bytes()))
    run(capsys, "bank", "create", "photos")
    run(capsys, "bank", "add", "photos", str(photos[2]))
    assert run(capsys, "match", str(cropped))[0] == 1  # plain PDQ does not survive a 10% crop
    code, out, _ = run(capsys, "bank", "update", "photos", "--crop-matching")
    assert code == 0 and "crop matching on" in out
    assert run(capsys, "match", str(cropped))[0] == 1  # the entry was added before: it has no crops
    run(capsys, "bank", "create", "crops", "--crop-matching")
    assert json.loads(run(capsys, "bank", "list", "--json")[1])[0]["crop_matching"] is True
    run(capsys, "bank", "add", "crops", str(photos[2]))
    code, out, _ = run(capsys, "match", "--json", str(cropped))
    assert code == 0
    [match] = json.loads(out)
    assert match["bank"] == "crops" and "@centre-" in match["variant"]
    run(capsys, "bank", "update", "crops", "--no-crop-matching")
    assert run(capsys, "match", str(cropped))[0] == 1


EVIL = "[/bold]\x1b[2J\x1b]0;owned\x07"


def test_text_from_the_store_neither_crashes_nor_drives_the_terminal(capsys, home, monkeypatch):
    """Markup and escape sequences that other organisations wrote are printed as plain text."""
    from alliance.cli.context import out as console
    from alliance.core.access import SYSTEM, OrgKind
    from alliance.core.banks import EntryStatus, NewEntry
    from alliance.core.signals import Signal
    from alliance.node import Node
    from alliance.settings import Settings

    def printed(*args: str) -> str:
        code, out, err = run(capsys, *args)
        assert code == 0, err
        assert "\x1b" not in out + err and "\x07" not in out + err
        return out

    monkeypatch.setattr(console, "width", 400)  # tables unfolded
    printed("bank", "create", "shared", "--description", f"bank {EVIL} end")
    assert "bank [/bold][2J end" not in printed("bank", "show", "shared")  # the sequence is gone, not shown
    assert "bank [/bold] end" in printed("bank", "show", "shared")
    printed("alliance", "seed")
    title = f"campaign {EVIL}"
    campaign = ["--audience", "parents", "--channel", "tv", "--starts", "2014-01-01"]
    printed("alliance", "campaign-add", "GB", title, *campaign)
    assert "campaign [/bold]" in printed("alliance", "campaigns")
    # A username stored before usernames were checked, in an entry's history.
    node = Node(Settings())
    org = node.accounts.create_organisation(SYSTEM, "Old Org", "GB", OrgKind.HOTLINE)
    node.accounts.store.create_user(org.id, f"old{EVIL}", "x", frozenset())
    bank = node.store.get_bank("shared")
    [entry], _ = node.store.add_entries(bank.id, [NewEntry((Signal("md5", "a" * 32),))])
    node.store.transition(entry.id, EntryStatus.RETIRED, f"user:old{EVIL}", f"why {EVIL}")
    history = printed("review", "history", str(entry.id))
    assert "user:old[/bold]" in history and "why [/bold]" in history
    code, _, err = run(capsys, "review", "queue", "--as", f"nobody{EVIL}")  # no terminal to type a password
    assert code == 4 and "--password-stdin" in err and "\x1b" not in err


def test_account_lifecycle_from_the_command_line(capsys, home, monkeypatch):
    """List users and keys with their ids, disable and enable, reset a password, end sessions, rotate."""
    from alliance.core.errors import AuthenticationFailed
    from alliance.node import Node
    from alliance.settings import Settings

    run(capsys, "org", "create", "UK Hotline", "--country", "GB", "--kind", "hotline")
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    assert run(capsys, "user", "create", "ana", "--org", "UK Hotline", "-r", "analyst", "--password-stdin")[0] == 0
    _, token, _ = run(capsys, "key", "create", "ana's key", "--org", "UK Hotline", "-r", "analyst", "--for", "ana")
    token = token.strip()
    code, out, _ = run(capsys, "user", "list", "--org", "UK Hotline", "--json")
    assert code == 0
    [user] = json.loads(out)
    assert (user["username"], user["roles"], user["disabled"]) == ("ana", "analyst", False)
    code, out, _ = run(capsys, "key", "list", "--org", "UK Hotline", "--json")
    [key] = json.loads(out)
    assert (key["acts_for"], key["roles"], key["revoked_at"]) == ("ana", "analyst", None)
    assert run(capsys, "key", "list", "--org", "UK Hotline")[1].count(key["prefix"]) == 1

    node = Node(Settings(home=home))
    accounts = node.accounts
    session = accounts.login("ana", "a long enough password").token
    assert run(capsys, "user", "disable", "ana")[0] == 0
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate_key(token)
    with pytest.raises(AuthenticationFailed):
        accounts.session(session)
    assert run(capsys, "user", "enable", "ana")[0] == 0
    assert accounts.authenticate_key(token).person == "ana"

    accounts.login("ana", "a long enough password")
    code, out, _ = run(capsys, "user", "end-sessions", "ana")
    assert code == 0 and "ended 1 session(s)" in out

    code, out, err = run(capsys, "user", "reset-password", "ana")
    assert code == 0 and "must change it" in err
    temporary = out.strip()
    assert accounts.login("ana", temporary).must_change_password
    with pytest.raises(AuthenticationFailed, match="reset"):
        accounts.verify_user("ana", temporary)  # `review --as` waits for the change too
    assert json.loads(run(capsys, "user", "list", "--org", "UK Hotline", "--json")[1])[0]["must_change_password"]

    code, out, err = run(capsys, "key", "rotate", str(key["id"]), "--grace-hours", "2")
    assert code == 0 and "old secret works until" in err
    rotated = out.strip()
    assert rotated != token
    assert accounts.authenticate_key(rotated).key_id == accounts.authenticate_key(token).key_id == key["id"]
    assert run(capsys, "key", "rotate", str(key["id"]), "--grace-hours", "169")[0] == 2
    assert run(capsys, "user", "disable", "nobody")[0] == 3
    node.close()

    code, out, _ = run(capsys, "audit", "export")
    actions = [json.loads(line)["action"] for line in out.splitlines()]
    for action in ("user.disable", "user.enable", "user.end_sessions", "user.reset_password", "key.rotate"):
        assert action in actions


@pytest.mark.parametrize("width", [60, 100, 200])
def test_hashes_in_tables_are_never_split_and_json_has_them_whole(capsys, home, photos, monkeypatch, width):
    """Whatever the terminal's width, a hash in a table is whole or cut with an ellipsis: never two
    halves on two lines that a copy would glue wrongly. `--json` has every value whole."""
    from alliance.cli.context import out as console

    monkeypatch.setattr(console, "width", width)
    assert run(capsys, "bank", "create", "wide")[0] == 0
    assert run(capsys, "bank", "add", "wide", *map(str, photos[:3]))[0] == 0
    code, table, _ = run(capsys, "bank", "show", "wide")
    code_json, raw, _ = run(capsys, "bank", "show", "wide", "--json")
    assert code == code_json == 0
    entries = json.loads(raw)["entries"]
    hashes = [e[kind] for e in entries for kind in ("pdq", "md5")]
    assert len(hashes) == 6 and all(len(h) in (32, 64) for h in hashes)
    for line in table.splitlines():
        for piece in re.findall(r"[0-9a-f]{6,}…?", line):
            whole = any(piece == h for h in hashes)
            cut = piece.endswith("…") and any(h.startswith(piece[:-1]) for h in hashes)
            assert whole or cut, (width, line)
    if width >= 200:
        assert all(h in table for h in hashes)


def test_the_disputes_queue_shows_who_disputes_and_why(capsys, home):
    """Curators decide on the reasons, so the CLI queue lists each dispute's organisation and reason."""
    from alliance.core.access import SYSTEM, OrgKind, Role
    from alliance.node import Node
    from alliance.settings import Settings
    from tests.services.test_trust import match_as, shared_bank, who

    node = Node(Settings())
    make = node.accounts.create_organisation
    uk, de, us = (
        make(SYSTEM, *o)
        for o in (
            ("UK Hotline", "GB", OrgKind.HOTLINE),
            ("DE Police", "DE", OrgKind.LAW_ENFORCEMENT),
            ("US Platform", "US", OrgKind.PLATFORM),
        )
    )
    entry_id = shared_bank(node, uk, de, us, required_grades=0, dispute_threshold=1)
    [matched] = match_as(node, who(us, Role.PLATFORM))
    node.trust_for(who(us, Role.PLATFORM)).dispute(matched.match_id, "a landscape, not ours")
    node.close()
    code, out, _ = run(capsys, "review", "queue", "--kind", "disputes", "--json")
    assert code == 0
    [row] = json.loads(out)
    assert (row["entry"], row["organisation"], row["reason"]) == (entry_id, "US Platform", "a landscape, not ours")
    code, out, _ = run(capsys, "review", "queue", "--kind", "disputes")
    words = out.split()  # the table wraps long reasons over lines, within their column
    assert code == 0 and {"landscape,", "ours", "Platform"} <= set(words)
