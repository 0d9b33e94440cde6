"""Backups of a running node, and restoring one into an empty home or database.

A backup is one tar.gz archive:

    manifest.json   format and its version, Alliance's version, the store's migration, the backend,
                    the audit head at the time, the audit key's id, and a SHA-256 and size per file
    store.sqlite | store.pgdump   the store (`store.snapshot`: consistent while the node writes)
    index/*.idx     the saved matching indexes, copied before the store, so none is ahead of it
    settings.json   the settings that differ from their defaults, secrets masked

Never in it: the audit key (`ALLIANCE_AUDIT_KEY_FILE`). Checkpoints are signed with it so that
whoever holds the database cannot rewrite the audit log unseen; a key kept beside the database's
copy would defeat that. Back it up on its own (its id in the manifest says which key it was), or a
restored node makes a new one and verifies the old checkpoints with the old key only.

A restore refuses an archive whose files do not match their checksums, one of another format
version or from a newer Alliance (a migration this code does not know), and a target that is not
empty, before it writes anything.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from alliance import __version__
from alliance.core.audit import key_id
from alliance.core.errors import Conflict, FormatError, InvalidRequest, StoreUnavailable
from alliance.services.audit import AuditLog
from alliance.services.checkpoints import load_key
from alliance.services.matcher_index import verify_index_file
from alliance.settings import Settings
from alliance.store import snapshot
from alliance.store.audit_log import AuditStore
from alliance.store.db import MIGRATIONS, create_store_engine, schema_revision
from alliance.store.repository import Store

FORMAT = "alliance-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
STORE_FILE = {snapshot.SQLITE: "store.sqlite", snapshot.POSTGRESQL: "store.pgdump"}
SETTINGS_FILE = "settings.json"
SECRET_SETTINGS = ("metrics_token", "smtp_password")
"""Settings never written in clear (the database URL's password is masked by `Settings.describe`)."""


@dataclass(frozen=True)
class Manifest:
    format: str
    format_version: int
    alliance_version: str
    migration: str | None
    backend: str
    created_at: str
    audit_seq: int
    audit_hash: str
    audit_key_id: str | None
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    """name -> {"sha256", "bytes"}"""


@dataclass(frozen=True)
class RestoreReport:
    manifest: Manifest
    audit_events: int
    problems: list[str]


def backup(settings: Settings, out: Path) -> Manifest:
    """Write an archive of the node that `settings` name to `out` (mode 0600; whole or not at all).
    The store is opened as it is, never migrated: a backup is taken before an upgrade, too."""
    url = settings.resolved_database_url
    backend = snapshot.backend_of(url)
    if backend == snapshot.SQLITE and not Path(str(make_url(url).database)).is_file():
        raise StoreUnavailable(f"no store at {make_url(url).database}: nothing to back up")
    engine = create_store_engine(url)
    try:
        return _backup(settings, engine, backend, out)
    finally:
        engine.dispose()


def _backup(settings: Settings, engine: Engine, backend: str, out: Path) -> Manifest:
    migration, _ = schema_revision(engine)
    audit_seq, audit_hash = AuditStore(engine).head()  # the restored log must hold this event
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".alliance-backup-", dir=out.parent) as scratch:
        work = Path(scratch)
        files: dict[str, bytes | Path] = {}
        index_dir = settings.index_path.parent
        for path in sorted(index_dir.glob("*.idx")) if index_dir.is_dir() else []:
            files[f"index/{path.name}"] = path.read_bytes()  # renamed into place whole: never half a file
        store_file = work / STORE_FILE[backend]
        snapshot.snapshot(engine, store_file)  # after the indexes: an index is never ahead of its store
        files[STORE_FILE[backend]] = store_file
        files[SETTINGS_FILE] = json.dumps(_settings(settings), indent=2, sort_keys=True).encode()
        key_path = settings.audit_key_path
        manifest = Manifest(
            FORMAT,
            FORMAT_VERSION,
            __version__,
            migration,
            backend,
            datetime.now(UTC).isoformat(),
            audit_seq,
            audit_hash,
            key_id(load_key(key_path, create=False)) if key_path.exists() else None,
            {name: _describe(content) for name, content in files.items()},
        )
        partial = work / "archive.tar.gz"
        fd = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            _add(archive, MANIFEST, json.dumps(asdict(manifest), indent=2).encode())
            for name, content in files.items():
                if isinstance(content, Path):
                    archive.add(content, arcname=name, recursive=False, filter=_private)
                else:
                    _add(archive, name, content)
            raw.flush()
            os.fsync(raw.fileno())
        partial.replace(out)
    return manifest


def read_manifest(path: Path) -> Manifest:
    """The archive's manifest, after checking its format, version and every file's checksum."""
    with _open(path) as archive:
        manifest = _manifest(path, archive)
        for name, expected in manifest.files.items():
            try:
                found = _checksum(_member(path, archive, name))
            except (tarfile.TarError, OSError, EOFError) as exc:
                raise FormatError(str(path), f"the archive is damaged or cut short: {exc}") from exc
            if found != {"sha256": expected.get("sha256"), "bytes": expected.get("bytes")}:
                raise FormatError(str(path), f"{name} does not match its checksum: the archive is damaged")
    return manifest


def restore(settings: Settings, path: Path) -> Manifest:
    """Put the archive at `path` back into the empty home and store that `settings` name.

    Everything is checked before anything is written. The caller then opens the store (which
    applies any migration newer than the backup's) and runs `verify_restored`."""
    manifest = read_manifest(path)
    url = settings.resolved_database_url
    backend = snapshot.backend_of(url)
    if manifest.backend != backend:
        raise InvalidRequest(f"this backup holds a {manifest.backend} store; the target store is {backend}")
    known = {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}
    if manifest.migration is not None and manifest.migration not in known:
        raise FormatError(
            str(path),
            f"the store is at migration {manifest.migration}, unknown to Alliance {__version__}: "
            f"restore with Alliance {manifest.alliance_version} or newer",
        )
    home = settings.home
    if home.exists() and any(home.iterdir()):
        raise Conflict(f"{home} is not empty: restore into an empty home (ALLIANCE_HOME)")
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = create_store_engine(url)  # after the check: opening a SQLite store creates its file
    try:
        with _open(path) as archive, tempfile.TemporaryDirectory(prefix=".alliance-restore-", dir=home) as scratch:
            store_copy = Path(scratch) / STORE_FILE[backend]
            _extract(path, archive, STORE_FILE[backend], store_copy)
            snapshot.restore(engine, store_copy)
            for name in manifest.files:
                if name.startswith("index/"):
                    _extract(path, archive, name, settings.index_path.parent / Path(name).name)
            _extract(path, archive, SETTINGS_FILE, home / "backup-settings.json")
    finally:
        engine.dispose()
    return manifest


def verify_restored(settings: Settings, engine: Engine, manifest: Manifest) -> RestoreReport:
    """What `alliance audit verify` and `alliance index verify` would find, and whether the
    restored audit log holds the head the backup recorded."""
    log = AuditLog(AuditStore(engine))
    count, _, problems = log.verify()
    held = log.store.events(after=manifest.audit_seq - 1, limit=1) if manifest.audit_seq else []
    if manifest.audit_seq and (not held or held[0].hash != manifest.audit_hash):
        problems.append(f"the restored audit log does not hold event {manifest.audit_seq} as the backup recorded it")
    store = Store(engine)
    for name in manifest.files:
        if name.startswith("index/"):
            file = settings.index_path.parent / Path(name).name
            kind = file.stem.split(".", 1)[1] if "." in file.stem else "pdq"
            problems += [f"{file.name}: {p}" for p in verify_index_file(store, file, settings.pdq_min_quality, kind)]
    return RestoreReport(manifest, count, problems)


def _settings(settings: Settings) -> dict[str, str]:
    """The settings that differ from their defaults, with secrets masked: enough to set the node up again."""
    values = {}
    for name, value, source, _ in settings.describe():
        if source.startswith("default"):
            continue
        values[f"ALLIANCE_{name.upper()}"] = "***" if name in SECRET_SETTINGS else value
    return values


def _describe(content: bytes | Path) -> dict[str, Any]:
    with io.BytesIO(content) if isinstance(content, bytes) else content.open("rb") as stream:
        return _checksum(stream)


def _checksum(stream: IO[bytes]) -> dict[str, Any]:
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(1 << 20):
        digest.update(chunk)
        size += len(chunk)
    return {"sha256": digest.hexdigest(), "bytes": size}


def _add(archive: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(content), 0o600, int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(content))


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
    return info


def _open(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, mode="r:gz")
    except FileNotFoundError:
        raise
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise FormatError(str(path), f"not an Alliance backup, or a damaged one: {exc}") from exc


def _member(path: Path, archive: tarfile.TarFile, name: str) -> io.BufferedReader:
    try:
        member = archive.extractfile(name)
    except KeyError:
        member = None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise FormatError(str(path), f"the archive is damaged or cut short: {exc}") from exc
    if member is None:
        raise FormatError(str(path), f"the archive has no {name}: not an Alliance backup, or a damaged one")
    return member  # type: ignore[return-value]


def _manifest(path: Path, archive: tarfile.TarFile) -> Manifest:
    try:
        data = json.loads(_member(path, archive, MANIFEST).read())
    except (ValueError, OSError, EOFError, tarfile.TarError) as exc:
        raise FormatError(str(path), f"its manifest cannot be read: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise FormatError(str(path), "not an Alliance backup (its manifest names another format)")
    if data.get("format_version") != FORMAT_VERSION:
        raise FormatError(
            str(path),
            f"backup format version {data.get('format_version')!r}; this Alliance ({__version__}) "
            f"reads version {FORMAT_VERSION}",
        )
    try:
        manifest = Manifest(**data)
    except TypeError as exc:
        raise FormatError(str(path), f"its manifest is incomplete: {exc}") from exc
    if manifest.backend not in STORE_FILE or STORE_FILE[manifest.backend] not in manifest.files:
        raise FormatError(str(path), "its manifest names no store file")
    return manifest


def _extract(path: Path, archive: tarfile.TarFile, name: str, dest: Path) -> None:
    """Copy one member to `dest` (mode 0600): by name, never by the archive's own paths."""
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    member = _member(path, archive, name)
    fd = os.open(dest, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as target:
        try:
            while chunk := member.read(1 << 20):
                target.write(chunk)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise FormatError(str(path), f"the archive is damaged or cut short: {exc}") from exc
