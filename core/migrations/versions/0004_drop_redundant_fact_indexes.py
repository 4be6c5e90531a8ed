"""Drop the single-column org_id indexes of the fact tables.

Every fact-table index already leads with org_id (org+day, org+hour, org+week), so
``ix_metric_facts_*_org_id`` answered no query the others could not, while every
ingested row paid for its upkeep.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEXES = {
    "metric_facts_hourly": "ix_metric_facts_hourly_org_id",
    "metric_facts_daily": "ix_metric_facts_daily_org_id",
}


def upgrade() -> None:
    for table, index in INDEXES.items():
        op.drop_index(index, table_name=table)


def downgrade() -> None:
    for table, index in INDEXES.items():
        op.create_index(index, table, ["org_id"])
