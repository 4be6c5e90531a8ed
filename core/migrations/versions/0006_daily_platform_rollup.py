"""Daily rollup by org, org-local day and platform, backfilled from the daily rollup.

KPI cards, trends and platform breakdowns without a campaign or country filter sum every
campaign and country of each day; ``metric_facts_daily_platform`` holds one row per day
and platform instead, so those widgets cost the same for 50 campaigns or 5,000.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from core.migrations.tenancy import metric_sum_columns, secure_tenant_tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLE = "metric_facts_daily_platform"
BACKFILL = f"""
INSERT INTO {TABLE} (org_id, day, platform, week_start,
                     impressions, clicks, conversions, spend, revenue)
SELECT org_id, day, platform, MIN(week_start),
       SUM(impressions), SUM(clicks), SUM(conversions), SUM(spend), SUM(revenue)
FROM metric_facts_daily
GROUP BY org_id, day, platform
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
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=True),
        *metric_sum_columns(),
        sa.PrimaryKeyConstraint("org_id", "day", "platform"),
    )
    op.execute(BACKFILL)

    secure_tenant_tables(TABLE)


def downgrade() -> None:
    op.drop_table(TABLE)
