"""entries by bank in id order: an index on (bank_id, id) for paging and exporting a bank

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 11:00:00.000000

A page of a bank's entries (`id > after ORDER BY id LIMIT n`, the export and the API's paging)
was read through the (bank_id, status) index and sorted whole on every page: exporting a bank of
a million entries read the bank 500 times. With (bank_id, id) a page reads its own rows only.
Only an index is added: no row changes meaning.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_entries_bank_id", "entries", ["bank_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_entries_bank_id", table_name="entries")
