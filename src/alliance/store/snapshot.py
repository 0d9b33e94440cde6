"""A consistent copy of the store while the node writes to it, and putting one back.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies every page in one step, inside
one read transaction: with WAL, writers go on meanwhile and the copy is the database as of the
step's start. PostgreSQL: `pg_dump --format=custom`, which reads everything in one snapshot
(repeatable read), and `pg_restore` into an empty database. The password travels in PGPASSWORD,
never on a command line that `ps` shows.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import URL, make_url

from alliance.core.errors import Conflict, StoreUnavailable

SQLITE, POSTGRESQL = "sqlite", "postgresql"


def backend_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in (SQLITE, POSTGRESQL):
        raise StoreUnavailable(f"backups support SQLite and PostgreSQL stores, not {name}")
    return name


def snapshot(engine: Engine, dest: Path) -> None:
    """Write a consistent copy of the store at `engine` to `dest` (a SQLite file, or a pg_dump archive)."""
    url = engine.url
    if url.get_backend_name() == SQLITE:
        source = sqlite3.connect(str(url.database), timeout=30)
        target = sqlite3.connect(str(dest))
        try:
            with target:
                source.backup(target)  # pages=-1: all of them in one step, one consistent read
        finally:
            target.close()
            source.close()
        return
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-acl", "--file", str(dest)], url)


def is_empty(engine: Engine) -> bool:
    """Whether the database holds no tables at all (a restore never mixes two stores)."""
    try:
        return not inspect(engine).get_table_names()
    except Exception as exc:  # whatever the driver raises when the database cannot be reached
        raise StoreUnavailable(f"cannot reach the store at {engine.url!r}: {exc}") from exc


def restore(engine: Engine, source: Path) -> None:
    """Put a snapshot back into the empty store at `engine`; `Conflict` if it is not empty."""
    url = engine.url
    if url.get_backend_name() == SQLITE:
        path = Path(str(url.database))
        if path.exists() and path.stat().st_size > 0:
            raise Conflict(f"the store {path} already exists: restore into an empty home")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copyfile(source, path)
        path.chmod(0o600)
        return
    if not is_empty(engine):
        raise Conflict(f"the database {url.render_as_string()} is not empty: restore into an empty database")
    _run(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction", str(source)], url)


def _run(command: list[str], url: URL) -> None:
    """Run a PostgreSQL client tool against `url`; its errors become `StoreUnavailable`."""
    if shutil.which(command[0]) is None:
        raise StoreUnavailable(f"{command[0]} is not installed (apt-get install postgresql-client)")
    env = {**os.environ}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    result = subprocess.run([*command, "--dbname", libpq], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise StoreUnavailable(f"{command[0]} failed: {result.stderr.strip()[:2000]}")
