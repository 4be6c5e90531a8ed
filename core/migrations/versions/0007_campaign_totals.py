"""Lifetime sums per campaign, backfilled from the daily rollup.

Budget pacing needs each campaign's spend since its flight began; summing the daily
rollup for that reads every day of every campaign. ``campaign_totals`` holds one row
per campaign with its first and last delivery day.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from core.migrations.tenancy import metric_sum_columns, secure_tenant_tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLE = "campaign_totals"
BACKFILL = f"""
INSERT INTO {TABLE} (org_id, campaign_id, first_day, last_day,
                     impressions, clicks, conversions, spend, revenue)
SELECT org_id, campaign_id, MIN(day), MAX(day),
       SUM(impressions), SUM(clicks), SUM(conversions), SUM(spend), SUM(revenue)
FROM metric_facts_daily
GROUP BY org_id, campaign_id
"""


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column(
            "org_id",
            sa.Integer(),
            sa.ForeignKey("orgs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "campaign_id",
            sa.Integer(),
            sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        *metric_sum_columns(),
        sa.PrimaryKeyConstraint("campaign_id"),
    )
    op.create_index("ix_campaign_totals_org_id", TABLE, ["org_id"])
    op.execute(BACKFILL)

    secure_tenant_tables(TABLE)


def downgrade() -> None:
    op.drop_index("ix_campaign_totals_org_id", TABLE)
    op.drop_table(TABLE)
