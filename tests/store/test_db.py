"""Opening the store: a SQLite store is private to the account that runs the node."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text

from alliance.store.db import create_store_engine


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_sqlite_store_is_readable_by_its_owner_only(tmp_path: Path):
    old = os.umask(0o002)  # a permissive umask, as on many desktops
    try:
        database = tmp_path / "home" / "alliance.db"
        engine = create_store_engine(f"sqlite:///{database}")
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
        files = [database, *database.parent.glob("alliance.db-*")]
        assert {mode(f) for f in files} == {0o600} and len(files) == 3  # with -wal and -shm
        assert mode(database.parent) == 0o700
        engine.dispose()
        database.chmod(0o644)  # a store made before: tightened when opened
        create_store_engine(f"sqlite:///{database}").dispose()
        assert mode(database) == 0o600
    finally:
        os.umask(old)
