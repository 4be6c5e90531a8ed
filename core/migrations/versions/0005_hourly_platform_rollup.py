"""Hourly rollup by org, UTC hour and platform, backfilled from the hourly facts.

The heatmap and realtime views sum every campaign and country of each hour; reading
``metric_facts_hourly`` for that aggregates hundreds of thousands of rows per month.
``metric_facts_hourly_platform`` holds one row per hour and platform instead.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from core.migrations.tenancy import metric_sum_columns, secure_tenant_tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLE = "metric_facts_hourly_platform"
BACKFILL = f"""
INSERT INTO {TABLE} (org_id, hour_utc, platform, local_date,
                     impressions, clicks, conversions, spend, revenue)
SELECT f.org_id, f.hour_utc, c.platform, f.local_date,
       SUM(f.impressions), SUM(f.clicks), SUM(f.conversions), SUM(f.spend),
       SUM(f.revenue)
FROM metric_facts_hourly AS f
JOIN campaigns AS c ON c.id = f.campaign_id
GROUP BY f.org_id, f.hour_utc, c.platform, f.local_date
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
        sa.Column("hour_utc", sa.DateTime(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        *metric_sum_columns(),
        sa.PrimaryKeyConstraint("org_id", "hour_utc", "platform"),
    )
    op.create_index(
        "ix_facts_hourly_platform_org_date", TABLE, ["org_id", "local_date"]
    )
    op.execute(BACKFILL)

    secure_tenant_tables(TABLE)


def downgrade() -> None:
    op.drop_index("ix_facts_hourly_platform_org_date", TABLE)
    op.drop_table(TABLE)
