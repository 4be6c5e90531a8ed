"""Daily rollup by org, org-local day and platform, backfilled from the daily rollup.

KPI cards, trends and platform breakdowns without a campaign or country filter sum every
campaign and country of each day; ``metric_facts_daily_platform`` holds one row per day
and platform instead, so those widgets cost the same for 50 campaigns or 5,000.

Revision ID: 0006
Revises: 0005
"""

import os

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLE = "metric_facts_daily_platform"
ORG_SETTING = "NULLIF(current_setting('app.org_id', true), '')::integer"
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
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("orgs.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=True),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("conversions", sa.BigInteger(), nullable=False),
        sa.Column("spend", sa.Float(), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "day", "platform"),
    )
    op.execute(BACKFILL)

    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ANALYZE {TABLE}")
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant_isolation ON {TABLE} "
               f"USING (org_id = {ORG_SETTING}) WITH CHECK (org_id = {ORG_SETTING})")
    role = os.environ.get("PULSE_DB_APP_ROLE", "pulse_app")
    if not role.replace("_", "").isalnum():
        raise ValueError(f"PULSE_DB_APP_ROLE {role!r} is not a plain identifier")
    if op.get_bind().execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                             {"r": role}).scalar():
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {TABLE} TO {role}")


def downgrade() -> None:
    op.drop_table(TABLE)
