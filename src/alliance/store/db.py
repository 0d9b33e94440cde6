"""Opening the store: the engine, sessions, and schema migrations applied on start."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from alliance.core.errors import StoreUnavailable

MIGRATIONS = Path(__file__).with_name("migrations")


TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError, StoreUnavailable)
"""Errors after which the same write may succeed later: the store down, locked or unreachable."""


def create_store_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout, and its folder is created.
    Its errors never quote a statement's parameters: they may hold a query's hashes, and errors are logged."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreUnavailable(f"invalid database URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            _private_file(Path(parsed.database))
        engine = create_engine(parsed, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True, hide_parameters=True)


def _private_file(path: Path) -> None:
    """The store holds hashes, accounts and the audit log: its folder (if created here) is 0700 and
    its file 0600, whatever the umask. SQLite gives the -wal and -shm files the database file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and file.stat().st_mode & 0o077:
            file.chmod(0o600)  # one made before, readable by others


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied (idempotent)."""
    try:
        command.upgrade(alembic_config(engine), "head")
    except OperationalError as exc:
        raise StoreUnavailable(f"cannot reach the store at {engine.url!r}: {exc.orig}") from exc


def schema_revision(engine: Engine) -> tuple[str | None, str | None]:
    """(current, head) migration revisions."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current, head


MAX_ROW_ID = 2**63 - 1


T = TypeVar("T")

LOOKUP_CHUNK = 500
"""Values per `IN (...)` of a lookup: within every driver's parameter limit."""


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything the store holds is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def is_row_id(value: int) -> bool:
    """Whether `value` can be a row id at all; a larger number would overflow the driver, not miss."""
    return 0 < value <= MAX_ROW_ID


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed if the block succeeds, rolled back (nothing written) if it raises."""
    with sessions.begin() as session:
        yield session


_CHANGE_LOG_LOCK = 0x414C4C49  # "ALLI"


def lock_change_log(session: Session) -> None:
    """Make change sequence order equal commit order, so a reader replaying from a sequence misses nothing.

    PostgreSQL hands out sequence numbers at insert time; two concurrent writers could commit
    them out of order. A transaction-scoped advisory lock serialises every writer that appends
    changes (SQLite already allows one writer at a time). Whoever adds a `ChangeRow` takes it first.
    """
    advisory_lock(session, _CHANGE_LOG_LOCK)


def advisory_lock(session: Session, key: int) -> bool:
    """On PostgreSQL, hold the advisory lock `key` until the transaction ends (True); elsewhere
    nothing (False): SQLite has one writer at a time anyway."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    return True
