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


def test_banks_made_before_grading_keep_confirming_on_entry(tmp_path):
    from alembic import command
    from sqlalchemy import text

    from alliance.store.db import alembic_config, create_store_engine
    from alliance.store.repository import Store

    engine = create_store_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0003")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO organisations (id, name, country, created_at) VALUES (1, 'Old', 'GB', '2026-01-01')")
        )
        connection.execute(
            text(
                "INSERT INTO banks (id, name, owner_id, purpose, description, enabled, thresholds, policy, created_at, "
                "updated_at) VALUES (1, 'old-bank', 1, 'known', '', 1, '{}', '{}', '2026-01-01', '2026-01-01')"
            )
        )
    upgrade(engine)
    assert Store(engine).get_bank("old-bank").trust == {"required_grades": 0}
