"""trust model: organisation kinds and the roles each may hold; keys act for a person; match events
carry what the flood rule counts and what a negative bank suppressed; flood verdicts shared by replicas

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 03:00:00.000000
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisations", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=32), nullable=False, server_default="unclassified"))
        batch_op.add_column(sa.Column("allowed_roles", sa.JSON(), nullable=True))

    # An organisation from before kinds keeps exactly the roles its people and keys hold today, so
    # nothing stops working; the node admin classifies it (`alliance org update --kind`).
    connection = op.get_bind()
    held: dict[int, set[str]] = {}
    for table in ("users", "api_keys"):
        for org_id, roles in connection.execute(sa.text(f"SELECT org_id, roles FROM {table}")):
            values = json.loads(roles) if isinstance(roles, str) else roles
            held.setdefault(org_id, set()).update(values or [])
    for (org_id,) in connection.execute(sa.text("SELECT id FROM organisations")):
        connection.execute(
            sa.text("UPDATE organisations SET allowed_roles = :roles WHERE id = :id"),
            {"roles": json.dumps(sorted(held.get(org_id, set()))), "id": org_id},
        )

    with op.batch_alter_table("api_keys", schema=None, recreate="never") as batch_op:
        # The person a key acts for (grades belong to people); NULL for machine keys.
        batch_op.add_column(sa.Column("user_id", sa.BigInteger(), nullable=True))

    with op.batch_alter_table("match_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("query_digest", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("suppressed_by_bank_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("suppressed_by_entry_id", sa.BigInteger(), nullable=True))
        batch_op.create_index("ix_match_events_at_entry", ["at", "entry_id"], unique=False)

    op.create_table(
        "flood_verdicts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id", "org_id", "window_start", name="uq_flood_verdicts_entry_org_window"),
    )
    op.create_index("ix_flood_verdicts_window_start", "flood_verdicts", ["window_start"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_flood_verdicts_window_start", table_name="flood_verdicts")
    op.drop_table("flood_verdicts")
    with op.batch_alter_table("match_events", schema=None) as batch_op:
        batch_op.drop_index("ix_match_events_at_entry")
        batch_op.drop_column("suppressed_by_entry_id")
        batch_op.drop_column("suppressed_by_bank_id")
        batch_op.drop_column("query_digest")
    with op.batch_alter_table("api_keys", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("user_id")
    with op.batch_alter_table("organisations", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("allowed_roles")
        batch_op.drop_column("kind")
