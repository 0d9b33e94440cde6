"""request ids: each audit event names the HTTP request that caused it (null from the CLI and before)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 05:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))
    op.create_index("ix_audit_events_request_id", "audit_events", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_request_id", table_name="audit_events")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("request_id")
