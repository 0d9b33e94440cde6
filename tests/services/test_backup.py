"""Backups of a node that is matching and writing, restored into an empty home or database."""

from __future__ import annotations

import io
import json
import random
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from alliance.cli.main import main
from alliance.cli.node import Node
from alliance.core.banks import NewEntry
from alliance.core.errors import Conflict, FormatError
from alliance.core.signals import Signal
from alliance.services.backup import MANIFEST, backup, read_manifest, restore, verify_restored
from alliance.settings import Settings
from alliance.store.audit_log import AuditStore
from alliance.store.db import create_store_engine, upgrade

BANK = "known"


def pdq(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def entry(rng: random.Random) -> NewEntry:
    return NewEntry((Signal("pdq", pdq(rng), 100), Signal("md5", f"{rng.getrandbits(128):032x}")))


@pytest.fixture
def target_url(engine: Engine) -> Iterator[str | None]:
    """Where a restore goes: None (SQLite in the target home), or a second, empty PostgreSQL database."""
    if engine.dialect.name != "postgresql":
        yield None
        return
    name = f"{engine.url.database}_restore"
    server = create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield engine.url.set(database=name).render_as_string(hide_password=False)
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


def source_settings(engine: Engine, home: Path) -> Settings:
    url = None if engine.dialect.name == "sqlite" else engine.url.render_as_string(hide_password=False)
    return Settings(home=home, database_url=url, hash_jobs=1, default_required_grades=0)


def source_node(engine: Engine, home: Path, entries: int = 200) -> Node:
    node = Node(source_settings(engine, home))
    node.banks.create_bank(BANK)
    bank = node.store.get_bank(BANK)
    rng = random.Random(7)
    node.store.add_entries(bank.id, [entry(rng) for _ in range(entries)])
    node.matcher.index.save()
    return node


def matches_of(node: Node, signals: list[Signal], entry_ids: set[int] | None = None) -> list[tuple[object, ...]]:
    found = node.matching.match(signals)
    return sorted(
        (m.query.value, m.bank, m.entry_id, m.signal_type, m.distance, m.variant)
        for m in found
        if entry_ids is None or m.entry_id in entry_ids
    )


def test_a_backup_taken_while_writing_and_matching_restores_a_sound_equal_store(
    engine: Engine, tmp_path: Path, target_url: str | None, monkeypatch: pytest.MonkeyPatch
):
    node = source_node(engine, tmp_path / "source")
    bank = node.store.get_bank(BANK)
    stop, written, matched = threading.Event(), [0], [0]
    errors: list[BaseException] = []

    def write() -> None:
        rng = random.Random(11)
        try:
            while not stop.is_set():
                node.store.add_entries(bank.id, [entry(rng)])
                node.audit.record(node.banks.actor, "entry.add", f"bank:{BANK}")
                written[0] += 1
        except BaseException as exc:
            errors.append(exc)

    def match() -> None:
        rng = random.Random(13)
        try:
            while not stop.is_set():
                node.matching.match([Signal("pdq", pdq(rng), 100)])
                matched[0] += 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write), threading.Thread(target=match)]
    for thread in threads:
        thread.start()
    try:
        while written[0] < 5 or matched[0] < 5:  # both are at work before the backup starts ...
            stop.wait(0.01)
        archive = tmp_path / "node.tar.gz"
        manifest = backup(node.settings, archive)
        after = written[0]
        while written[0] < after + 5:  # ... and still after it ends
            stop.wait(0.01)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    assert archive.stat().st_mode & 0o077 == 0

    target = Settings(home=tmp_path / "target", database_url=target_url, hash_jobs=1, default_required_grades=0)
    restore(target, archive)
    restored_engine = create_store_engine(target.resolved_database_url)
    upgrade(restored_engine)
    head = AuditStore(restored_engine).head()
    assert verify_restored(target, restored_engine, manifest).problems == []
    restored_engine.dispose()
    # The commands an operator runs after a restore agree.
    monkeypatch.setenv("ALLIANCE_HOME", str(target.home))
    if target_url:
        monkeypatch.setenv("ALLIANCE_DATABASE_URL", target_url)
    assert main(["audit", "verify"]) == 0
    assert main(["index", "verify"]) == 0

    copy = Node(target)
    try:
        source_entries = {e.id: e.signals for e in node.store.list_entries(bank.id)}
        restored_entries = {e.id: e.signals for e in copy.store.list_entries(copy.store.get_bank(BANK).id)}
        # A consistent copy: every entry up to some point, each whole, and none after it.
        assert len(restored_entries) >= 205
        assert restored_entries == {i: s for i, s in source_entries.items() if i <= max(restored_entries)}
        assert len(source_entries) > len(restored_entries)
        # The restored node serves the same matches (its own entries') as the source.
        rng = random.Random(17)
        queries = [s for signals in list(restored_entries.values())[::10] for s in signals]
        queries += [Signal("pdq", pdq(rng), 100) for _ in range(20)]
        assert matches_of(copy, queries) == matches_of(node, queries, set(restored_entries))
        assert matches_of(copy, queries)
        # Its audit log is the source's, up to the moment of the copy.
        assert head[0] >= manifest.audit_seq
        assert node.audit.store.events(after=head[0] - 1, limit=1)[0].hash == head[1]
    finally:
        copy.close()
        node.close()


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    """A small SQLite node's backup."""
    settings = Settings(home=tmp_path / "source", hash_jobs=1, default_required_grades=0)
    node = Node(settings)
    node.banks.create_bank(BANK)
    rng = random.Random(1)
    node.store.add_entries(node.store.get_bank(BANK).id, [entry(rng) for _ in range(20)])
    node.matcher.index.save()
    node.close()
    path = tmp_path / "node.tar.gz"
    backup(settings, path)
    return path


def rewritten(archive: Path, change: dict[str, object]) -> bytes:
    """The archive with its manifest's fields changed."""
    out = io.BytesIO()
    with tarfile.open(archive, "r:gz") as source, tarfile.open(fileobj=out, mode="w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == MANIFEST:
                data = json.dumps({**json.loads(data), **change}).encode()
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return out.getvalue()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b[: len(b) // 2], "damaged or cut short"),
        (lambda b: b"not a backup at all", "not an Alliance backup"),
        (lambda b: b[:200] + bytes(x ^ 0xFF for x in b[200:260]) + b[260:], "damaged"),
    ],
    ids=["truncated", "not-an-archive", "corrupt"],
)
def test_a_damaged_archive_is_refused_and_nothing_is_written(archive: Path, tmp_path: Path, damage, message):
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(damage(archive.read_bytes()))
    target = Settings(home=tmp_path / "target")
    with pytest.raises(FormatError, match=message):
        restore(target, bad)
    assert not target.home.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format_version": 2}, "backup format version 2; this Alliance .* reads version 1"),
        ({"format": "something-else"}, "not an Alliance backup"),
        ({"migration": "0099"}, "migration 0099, unknown to Alliance"),
        ({"files": {"store.sqlite": {"sha256": "0" * 64, "bytes": 1}}}, "store.sqlite does not match its checksum"),
    ],
    ids=["newer-format", "other-format", "newer-migration", "checksum"],
)
def test_an_archive_of_another_version_or_checksum_is_refused(archive: Path, tmp_path: Path, change, message):
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(rewritten(archive, change))
    target = Settings(home=tmp_path / "target")
    with pytest.raises(FormatError, match=message):
        restore(target, bad)
    assert not target.home.exists()


def test_restore_refuses_a_home_that_is_not_empty(archive: Path, tmp_path: Path):
    home = tmp_path / "target"
    home.mkdir()
    (home / "something").write_text("kept")
    with pytest.raises(Conflict, match="is not empty"):
        restore(Settings(home=home), archive)
    assert [p.name for p in home.iterdir()] == ["something"]


def test_restore_refuses_a_database_that_is_not_empty(engine: Engine, archive: Path, tmp_path: Path):
    if engine.dialect.name != "postgresql":
        pytest.skip("a SQLite store lives in its home, whose emptiness is tested above")
    url = engine.url.render_as_string(hide_password=False)
    pg_archive = tmp_path / "pg.tar.gz"
    backup(Settings(home=tmp_path / "pg-source", database_url=url), pg_archive)
    with pytest.raises(Conflict, match="is not empty: restore into an empty database"):
        restore(Settings(home=tmp_path / "target", database_url=url), pg_archive)


def test_the_backup_masks_secrets_and_leaves_the_audit_key_out(tmp_path: Path):
    settings = Settings(
        home=tmp_path / "source",
        metrics_token="metrics-secret-token",  # type: ignore[arg-type]
        database_url=f"sqlite:///{tmp_path / 'source' / 'alliance.db'}",
    )
    node = Node(settings)
    node.banks.create_bank(BANK)
    node.audit_key  # noqa: B018  (made on first need)
    node.close()
    path = tmp_path / "node.tar.gz"
    manifest = backup(settings, path)
    with tarfile.open(path, "r:gz") as archive:
        names = archive.getnames()
        saved = json.loads(archive.extractfile("settings.json").read())  # type: ignore[union-attr]
        everything = b"".join(archive.extractfile(m).read() for m in archive.getmembers())  # type: ignore[union-attr]
    assert saved["ALLIANCE_METRICS_TOKEN"] == "***"
    assert b"metrics-secret-token" not in everything
    assert settings.audit_key_path.read_bytes() not in everything
    assert "audit.key" not in " ".join(names)
    assert manifest.audit_key_id is not None
    assert read_manifest(path) == manifest
    assert make_url(settings.resolved_database_url).database  # the archive names no path of the source's
