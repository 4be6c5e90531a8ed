"""Lifetime sums per campaign, backfilled from the daily rollup.

Budget pacing needs each campaign's spend since its flight began; summing the daily
rollup for that reads every day of every campaign. ``campaign_totals`` holds one row
per campaign with its first and last delivery day.

Revision ID: 0007
Revises: 0006
"""

import os

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLE = "campaign_totals"
ORG_SETTING = "NULLIF(current_setting('app.org_id', true), '')::integer"
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
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("orgs.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("campaign_id", sa.Integer(),
                  sa.ForeignKey("campaigns.id", ondelete="CASCADE"), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("impressions", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.Column("conversions", sa.BigInteger(), nullable=False),
        sa.Column("spend", sa.Float(), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id"),
    )
    op.create_index("ix_campaign_totals_org_id", TABLE, ["org_id"])
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
    op.drop_index("ix_campaign_totals_org_id", TABLE)
    op.drop_table(TABLE)
