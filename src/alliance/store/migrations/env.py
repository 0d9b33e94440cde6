"""Alembic environment: runs against the engine the caller passes in `config.attributes`."""

from alembic import context

from alliance.store.models import Base

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
