"""audit batch ids: a batch the background writer retries after a lost commit reply is not doubled

`audit_events.batch_id` is set on the first event of each batch the background writer appends
(null on every other event, and on events from before). Unique, so a retried batch that was
written is found and never appended twice. It is not part of the chain's hash.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 11:15:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("batch_id", sa.String(length=32), nullable=True))
    op.create_index("ix_audit_events_batch_id", "audit_events", ["batch_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_audit_events_batch_id", table_name="audit_events")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("batch_id")
