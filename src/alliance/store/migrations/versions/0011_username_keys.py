"""username keys: "Admin" and "admin" are one name, so a new account cannot pass as another by case

Each user gets `username_key`, the case fold of its username (`core.names.username_key`), unique.
Two users that already differ only in case keep their names and logins: the later one's key gets
`#<id>` appended, so it is unique and never equals a typed name's key (they still log in by their
exact name).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 11:00:00.000000
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _key(name: str) -> str:
    # A copy of core.names.username_key as it is today: a migration must not change with the code.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).strip().casefold())


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username_key", sa.String(length=400), nullable=True))
    connection = op.get_bind()
    seen: set[str] = set()
    for user_id, username in connection.execute(sa.text("SELECT id, username FROM users ORDER BY id")):
        key = _key(username)
        if key in seen:
            key = f"{key}#{user_id}"
        seen.add(key)
        connection.execute(sa.text("UPDATE users SET username_key = :key WHERE id = :id"), {"key": key, "id": user_id})
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("username_key", existing_type=sa.String(length=400), nullable=False)
        batch_op.create_unique_constraint("uq_users_username_key", ["username_key"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_username_key", type_="unique")
        batch_op.drop_column("username_key")
