"""`alliance audit checkpoint` and `audit verify --against` as an operator runs them: exit codes,
one-line errors, and what a database administrator's re-chained log looks like to each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alliance.cli.node import Node
from alliance.cli.serve import _start_checkpoints
from alliance.settings import Settings
from alliance.store.db import create_store_engine
from tests.cli.test_cli import run
from tests.services.test_audit_checkpoints import _wait_for, rechain_without
from tests.store.test_audit_log import record


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ALLIANCE_HOME, with the audit key in it by default."""
    monkeypatch.setenv("ALLIANCE_HOME", str(tmp_path / "home"))
    for name in ("DATABASE_URL", "AUDIT_KEY_FILE", "AUDIT_CHECKPOINT_DIR"):
        monkeypatch.delenv(f"ALLIANCE_{name}", raising=False)
    return tmp_path / "home"


def events(capsys: pytest.CaptureFixture[str], n: int) -> None:
    for i in range(n):
        assert run(capsys, "org", "create", f"org {i}", "--country", "GB", "--kind", "ngo")[0] == 0


def test_checkpoint_then_rechain_passes_plain_verify_but_not_against(capsys, home: Path):
    events(capsys, 4)
    code, out, _ = run(capsys, "audit", "checkpoint")
    assert code == 0 and "checkpoint at event 4" in out
    folder = home / "audit-checkpoints"
    assert [p.name for p in folder.iterdir()] == ["000000000004.json"]
    code, out, _ = run(capsys, "audit", "verify", "--against", str(folder))
    assert code == 0 and "matches 1 checkpoint(s)" in out
    engine = create_store_engine(f"sqlite:///{home / 'alliance.db'}")
    rechain_without(engine, 2)
    engine.dispose()
    assert run(capsys, "audit", "verify")[0] == 0
    code, _, err = run(capsys, "audit", "verify", "--against", str(folder))
    assert code == 6 and "problem: checkpoint at event 4" in err


def test_checkpoint_to_a_file_and_a_tampered_checkpoint_exits_6(capsys, home: Path, tmp_path: Path):
    events(capsys, 2)
    path = tmp_path / "cp.json"
    assert run(capsys, "audit", "checkpoint", "--out", str(path))[0] == 0
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "at": "2020-01-01T00:00:00+00:00"}))
    code, _, err = run(capsys, "audit", "verify", "--against", str(path))
    assert code == 6 and "HMAC does not check" in err


def test_a_malformed_checkpoint_is_one_line_and_exit_4(capsys, home: Path, tmp_path: Path):
    events(capsys, 1)
    path = tmp_path / "cp.json"
    path.write_text('{"seq": ')
    code, out, err = run(capsys, "audit", "verify", "--against", str(path))
    assert code == 4 and out == "" and err.startswith(f"error: {path}: not an audit checkpoint")
    assert len(err.strip().splitlines()) == 1
    assert run(capsys, "audit", "verify", "--against", str(tmp_path / "missing.json"))[0] == 2


def test_a_key_file_others_may_read_is_refused_with_exit_4(capsys, home: Path):
    events(capsys, 1)
    assert run(capsys, "audit", "checkpoint")[0] == 0
    (home / "audit.key").chmod(0o644)
    for args in (["audit", "checkpoint"], ["audit", "verify", "--against", str(home / "audit-checkpoints")]):
        code, _, err = run(capsys, *args)
        assert code == 4 and "chmod 600" in err and len(err.strip().splitlines()) == 1


def test_verifying_without_the_key_says_so(capsys, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    events(capsys, 1)
    assert run(capsys, "audit", "checkpoint", "--out", str(tmp_path / "cp.json"))[0] == 0
    monkeypatch.setenv("ALLIANCE_AUDIT_KEY_FILE", str(tmp_path / "nowhere.key"))
    code, _, err = run(capsys, "audit", "verify", "--against", str(tmp_path / "cp.json"))
    assert code == 4 and "no audit key" in err


def test_serve_schedules_checkpoints_into_the_settings_directory_unless_0(tmp_path: Path):
    settings = Settings(home=tmp_path / "home", audit_checkpoint_seconds=0.05)
    node = Node(settings)
    node.audit.store.append([record(1)])
    stop = _start_checkpoints(node)
    assert stop is not None
    try:
        assert _wait_for(lambda: (settings.audit_checkpoint_path / "000000000001.json").exists())
    finally:
        stop.set()
        node.close()
    assert _start_checkpoints(Node(settings.model_copy(update={"audit_checkpoint_seconds": 0}))) is None
