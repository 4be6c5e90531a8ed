"""Hourly rollup by org, UTC hour and platform, backfilled from the hourly facts.

The heatmap and realtime views sum every campaign and country of each hour; reading
``metric_facts_hourly`` for that aggregates hundreds of thousands of rows per month.
``metric_facts_hourly_platform`` holds one row per hour and platform instead.

Revision ID: 0005
Revises: 0004
"""

import os

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TABLE = "metric_facts_hourly_platform"
NEW_TENANT_TABLES = [TABLE]
ORG_SETTING = "NULLIF(current_setting('app.org_id', true), '')::integer"
BACKFILL = f"""
INSERT INTO {TABLE} (org_id, hour_utc, platform, local_date,
                     impressions, clicks, conversions, spend, revenue)
SELECT f.org_id, f.hour_utc, c.platform, f.local_date,
       SUM(f.impressions), SUM(f.clicks), SUM(f.conversions), SUM(f.spend), SUM(f.revenue)
FROM metric_facts_hourly AS f
JOIN campaigns AS c ON c.id = f.campaign_id
GROUP BY f.org_id, f.hour_utc, c.platform, f.local_date
"""


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("orgs.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("hour_utc", sa.DateTime(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("conversions", sa.BigInteger(), nullable=False),
        sa.Column("spend", sa.Float(), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "hour_utc", "platform"),
    )
    op.create_index("ix_facts_hourly_platform_org_date", TABLE, ["org_id", "local_date"])
    op.execute(BACKFILL)

    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ANALYZE {TABLE}")
    for table in NEW_TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY tenant_isolation ON {table} "
                   f"USING (org_id = {ORG_SETTING}) WITH CHECK (org_id = {ORG_SETTING})")
    role = os.environ.get("PULSE_DB_APP_ROLE", "pulse_app")
    if not role.replace("_", "").isalnum():
        raise ValueError(f"PULSE_DB_APP_ROLE {role!r} is not a plain identifier")
    if op.get_bind().execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                             {"r": role}).scalar():
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(NEW_TENANT_TABLES)} TO {role}")


def downgrade() -> None:
    op.drop_index("ix_facts_hourly_platform_org_date", TABLE)
    op.drop_table(TABLE)
