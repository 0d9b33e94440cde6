"""Shared fixtures: the demo photos, and stores on SQLite and (when configured) real PostgreSQL.

PostgreSQL tests run when ALLIANCE_TEST_DATABASE_URL names a database the tests may wipe. Without
it they skip, saying so; with ALLIANCE_REQUIRE_POSTGRES=1 (as `.ci/run` sets) a skip is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from alliance.core.access import SYSTEM
from alliance.services.audit import AuditLog
from alliance.services.banks import BankService
from alliance.services.matching import Matcher
from alliance.settings import Settings
from alliance.store.audit_log import AuditStore
from alliance.store.db import create_store_engine, upgrade
from alliance.store.repository import Store

POSTGRES_URL = os.environ.get("ALLIANCE_TEST_DATABASE_URL")
REQUIRE_POSTGRES = os.environ.get("ALLIANCE_REQUIRE_POSTGRES") == "1"
NO_POSTGRES = "PostgreSQL tests need ALLIANCE_TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/x)"


@pytest.fixture(scope="session")
def photos() -> list[Path]:
    """The demo photos shipped in the package: benign, CC0 / public domain."""
    folder = Path(str(resources.files("alliance.demo") / "photos"))
    return sorted(folder.glob("*.jpg"))


@pytest.fixture
def photo_bytes(photos: list[Path]) -> bytes:
    return photos[1].read_bytes()


def _reset_postgres(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A freshly migrated, empty store on each backend."""
    if request.param == "sqlite":
        engine = create_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    else:
        if not POSTGRES_URL:
            if REQUIRE_POSTGRES:
                pytest.fail(NO_POSTGRES)
            pytest.skip(NO_POSTGRES)
        engine = create_store_engine(POSTGRES_URL)
        _reset_postgres(engine)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> Store:
    return Store(engine)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", database_url=None, hash_jobs=1, default_required_grades=0)


@pytest.fixture
def audit(engine: Engine) -> AuditLog:
    return AuditLog(AuditStore(engine))


@pytest.fixture
def banks(store: Store, settings: Settings, audit: AuditLog) -> BankService:
    """Bank work as the node operator at the command line."""
    return BankService(store, settings, audit, SYSTEM)


@pytest.fixture
def matcher(store: Store) -> Matcher:
    return Matcher(store)
