"""`alliance backup` and `alliance restore` at the command line: what an operator sees, and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli import home, run  # noqa: F401  (the fixture)


def test_backup_then_restore_into_an_empty_home_then_refuse_a_second_time(capsys, home, photos, tmp_path, monkeypatch):  # noqa: F811
    assert run(capsys, "bank", "create", "known")[0] == 0
    assert run(capsys, "bank", "add", "known", *map(str, photos[:3]))[0] == 0
    assert run(capsys, "index", "build")[0] == 0
    archive = tmp_path / "node.tar.gz"
    code, out, _ = run(capsys, "backup", "--out", str(archive))
    assert code == 0 and "sqlite store at migration" in out
    code, out, _ = run(capsys, "match", str(photos[0]))
    assert code == 0
    before = out

    monkeypatch.setenv("ALLIANCE_HOME", str(tmp_path / "restored"))
    code, out, err = run(capsys, "restore", str(archive))
    assert code == 0, err
    assert "audit events verified, indexes sound" in out
    assert run(capsys, "match", str(photos[0]))[1] == before  # the same matches
    code, _, err = run(capsys, "restore", str(archive))
    assert code == 5 and "is not empty: restore into an empty home" in err


@pytest.mark.parametrize("content", [b"", b"\x1f\x8b\x08 not really gzip"], ids=["empty", "corrupt"])
def test_restore_of_a_damaged_archive_exits_4_with_the_reason(capsys, home, tmp_path: Path, content: bytes):  # noqa: F811
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(content)
    code, _, err = run(capsys, "restore", str(bad))
    assert code == 4 and "not an Alliance backup, or a damaged one" in err
    assert not home.exists()


def test_backup_of_a_home_without_a_store_exits_6(capsys, home, tmp_path: Path):  # noqa: F811
    code, _, err = run(capsys, "backup", "--out", str(tmp_path / "x.tar.gz"))
    assert code == 6 and "nothing to back up" in err
