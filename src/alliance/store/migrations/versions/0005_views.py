"""views: signals of other views of an entry's picture; crop matching per bank; longer match variants

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Both columns are added in place (recreate="never"): on SQLite, recreating a table would trip
    # the foreign keys that point at it.
    with op.batch_alter_table("signals", schema=None, recreate="never") as batch_op:
        # Existing signals are the entries' own: NULL.
        batch_op.add_column(sa.Column("view", sa.String(length=32), nullable=True))

    with op.batch_alter_table("banks", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("crop_matching", sa.Boolean(), nullable=False, server_default=sa.false()))

    # A match's variant names the query's view and the entry's ("bottom-right-3@untrimmed-top-left-20").
    # Nothing points at match_events, so SQLite may recreate it.
    with op.batch_alter_table("match_events", schema=None) as batch_op:
        batch_op.alter_column("variant", existing_type=sa.String(length=32), type_=sa.String(length=64))


def downgrade() -> None:
    with op.batch_alter_table("match_events", schema=None) as batch_op:
        batch_op.alter_column("variant", existing_type=sa.String(length=64), type_=sa.String(length=32))

    # SQLite drops a column in place since 3.35.
    with op.batch_alter_table("banks", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("crop_matching")

    with op.batch_alter_table("signals", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("view")
