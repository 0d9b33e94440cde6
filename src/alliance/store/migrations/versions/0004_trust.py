"""trust: grades, transitions, disputes, match events, bank trust settings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 20:46:20.006863
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_events",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("key_id", sa.BigInteger(), nullable=True),
        sa.Column("bank_id", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("signal_type", sa.String(length=16), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.Column("variant", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("match_events", schema=None) as batch_op:
        batch_op.create_index("ix_match_events_entry_at", ["entry_id", "at"], unique=False)
        batch_op.create_index("ix_match_events_org_at", ["org_id", "at"], unique=False)

    op.create_table(
        "disputes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("match_id", sa.String(length=32), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=160), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolution", sa.String(length=32), nullable=True),
        sa.Column("resolved_by", sa.String(length=160), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["entries.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("match_id", name="uq_disputes_match"),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disputes_entry_id"), ["entry_id"], unique=False)

    op.create_table(
        "entry_transitions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=160), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["entries.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("entry_transitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entry_transitions_entry_id"), ["entry_id"], unique=False)

    op.create_table(
        "grades",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("grader", sa.String(length=160), nullable=False),
        sa.Column("org_id", sa.BigInteger(), nullable=False),
        sa.Column("grade", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["entries.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id", "grader", name="uq_grades_entry_grader"),
    )
    with op.batch_alter_table("grades", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_grades_entry_id"), ["entry_id"], unique=False)

    with op.batch_alter_table("banks", schema=None) as batch_op:
        # Banks made before grading existed keep confirming entries on entry.
        batch_op.add_column(sa.Column("trust", sa.JSON(), nullable=False, server_default='{"required_grades": 0}'))

    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grade", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("needs_review", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("entries", schema=None) as batch_op:
        batch_op.drop_column("needs_review")
        batch_op.drop_column("grade")

    with op.batch_alter_table("banks", schema=None) as batch_op:
        batch_op.drop_column("trust")

    with op.batch_alter_table("grades", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_grades_entry_id"))

    op.drop_table("grades")
    with op.batch_alter_table("entry_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entry_transitions_entry_id"))

    op.drop_table("entry_transitions")
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disputes_entry_id"))

    op.drop_table("disputes")
    with op.batch_alter_table("match_events", schema=None) as batch_op:
        batch_op.drop_index("ix_match_events_org_at")
        batch_op.drop_index("ix_match_events_entry_at")

    op.drop_table("match_events")
