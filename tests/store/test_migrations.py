"""The migrations and the models describe the same schema, and re-applying them changes nothing."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from alliance.store.db import schema_revision, upgrade
from alliance.store.models import Base


def test_models_match_migrations(engine: Engine):
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(engine: Engine):
    upgrade(engine)
    current, head = schema_revision(engine)
    assert current == head is not None
