"""investigations: series and their links, pseudonymous victims, cases, their items and hashes,
notifications

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 06:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
When = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", BigId, nullable=False),
        sa.Column("owner_id", BigId, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("icse_name", sa.String(length=200), nullable=True),
        sa.Column("vics_series", sa.String(length=200), nullable=True),
        sa.Column("contact_point", sa.String(length=500), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("first_seen_at", When, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "name", name="uq_series_owner_name"),
    )
    op.create_index("ix_series_owner_id", "series", ["owner_id"])
    op.create_index("ix_series_icse_name", "series", ["icse_name"])
    op.create_index("ix_series_vics_series", "series", ["vics_series"])
    op.create_table(
        "series_links",
        sa.Column("id", BigId, nullable=False),
        sa.Column("series_id", BigId, nullable=False),
        sa.Column("other_series_id", BigId, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("created_by_org_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"]),
        sa.ForeignKeyConstraint(["other_series_id"], ["series.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("series_id", "other_series_id", "kind", name="uq_series_links_pair_kind"),
    )
    op.create_index("ix_series_links_series_id", "series_links", ["series_id"])
    op.create_index("ix_series_links_other_series_id", "series_links", ["other_series_id"])
    op.create_table(
        "victims",
        sa.Column("id", BigId, nullable=False),
        sa.Column("series_id", BigId, nullable=False),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("age_band", sa.String(length=16), nullable=False),
        sa.Column("sex", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("identified_by_org_id", sa.BigInteger(), nullable=True),
        sa.Column("identified_country", sa.String(length=2), nullable=True),
        sa.Column("identified_at", When, nullable=True),
        sa.Column("first_seen_at", When, nullable=False),
        sa.Column("created_at", When, nullable=False),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("identifier"),
    )
    op.create_index("ix_victims_series_id", "victims", ["series_id"])
    op.create_index("ix_victims_identified_at", "victims", ["identified_at"])
    op.create_table(
        "cases",
        sa.Column("id", BigId, nullable=False),
        sa.Column("owner_id", BigId, nullable=False),
        sa.Column("case_number", sa.String(length=200), nullable=False),
        sa.Column("contact_point", sa.String(length=500), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("opened_at", When, nullable=False),
        sa.Column("closed_at", When, nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_id", "case_number", name="uq_cases_owner_number"),
    )
    op.create_index("ix_cases_owner_id", "cases", ["owner_id"])
    op.create_table(
        "investigation_items",
        sa.Column("id", BigId, nullable=False),
        sa.Column("series_id", BigId, nullable=True),
        sa.Column("case_id", BigId, nullable=True),
        sa.Column("image_id", sa.String(length=200), nullable=True),
        sa.Column("media_type", sa.String(length=16), nullable=False),
        sa.Column("distributed", sa.Boolean(), nullable=False),
        sa.Column("victim_identified", sa.Boolean(), nullable=False),
        sa.Column("offender_identified", sa.Boolean(), nullable=False),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.Column("baseline", sa.Boolean(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("finding", sa.String(length=32), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_investigation_items_series_id", "investigation_items", ["series_id"])
    op.create_index("ix_investigation_items_case_id", "investigation_items", ["case_id"])
    op.create_index("ix_investigation_items_finding", "investigation_items", ["finding"])
    op.create_table(
        "investigation_signals",
        sa.Column("id", BigId, nullable=False),
        sa.Column("item_id", BigId, nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["investigation_items.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_investigation_signals_item_id", "investigation_signals", ["item_id"])
    op.create_index("ix_investigation_signals_type_value", "investigation_signals", ["type", "value"])
    op.create_table(
        "notifications",
        sa.Column("id", BigId, nullable=False),
        sa.Column("org_id", BigId, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("email_to", sa.String(length=320), nullable=True),
        sa.Column("emailed_at", When, nullable=True),
        sa.Column("email_error", sa.Text(), nullable=True),
        sa.Column("read_at", When, nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notifications_org_id", "notifications", ["org_id"])


def downgrade() -> None:
    op.drop_index("ix_notifications_org_id", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index("ix_investigation_signals_type_value", table_name="investigation_signals")
    op.drop_index("ix_investigation_signals_item_id", table_name="investigation_signals")
    op.drop_table("investigation_signals")
    for index in ("finding", "case_id", "series_id"):
        op.drop_index(f"ix_investigation_items_{index}", table_name="investigation_items")
    op.drop_table("investigation_items")
    op.drop_index("ix_cases_owner_id", table_name="cases")
    op.drop_table("cases")
    op.drop_index("ix_victims_identified_at", table_name="victims")
    op.drop_index("ix_victims_series_id", table_name="victims")
    op.drop_table("victims")
    op.drop_index("ix_series_links_other_series_id", table_name="series_links")
    op.drop_index("ix_series_links_series_id", table_name="series_links")
    op.drop_table("series_links")
    for index in ("vics_series", "icse_name", "owner_id"):
        op.drop_index(f"ix_series_{index}", table_name="series")
    op.drop_table("series")
