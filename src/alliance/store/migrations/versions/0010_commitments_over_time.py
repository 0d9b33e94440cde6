"""commitments over time: the day a commitment was made and each status it has had since

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 05:40:00.000000

A report on a past year showed every commitment recorded since, with today's status. Existing
commitments were made on the day they were recorded and have held their status since then, which
is what the report showed for them before: their meaning does not change.
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    commitments = sa.table(
        "alliance_commitments",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("made_on", sa.Date()),
    )
    with op.batch_alter_table("alliance_commitments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("made_on", sa.Date(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(commitments.c.id, commitments.c.status, commitments.c.created_at)).all()
    for row_id, _, created_at in rows:
        connection.execute(sa.update(commitments).where(commitments.c.id == row_id).values(made_on=created_at.date()))
    # Made NOT NULL before anything refers to the table: SQLite rebuilds it to do so.
    with op.batch_alter_table("alliance_commitments", schema=None) as batch_op:
        batch_op.alter_column("made_on", existing_type=sa.Date(), nullable=False)
    op.create_table(
        "alliance_commitment_statuses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("commitment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["commitment_id"], ["alliance_commitments.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alliance_commitment_statuses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alliance_commitment_statuses_commitment_id"), ["commitment_id"], unique=False
        )
    statuses = sa.table(
        "alliance_commitment_statuses",
        sa.column("commitment_id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("since", sa.Date()),
        sa.column("recorded_at", sa.DateTime(timezone=True)),
    )
    for row_id, status, created_at in rows:
        connection.execute(
            sa.insert(statuses).values(
                commitment_id=row_id, status=status, since=created_at.date(), recorded_at=created_at
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("alliance_commitment_statuses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alliance_commitment_statuses_commitment_id"))
    op.drop_table("alliance_commitment_statuses")
    with op.batch_alter_table("alliance_commitments", schema=None) as batch_op:
        batch_op.drop_column("made_on")
