"""Dashboard snapshots: a per-org retention, and deliveries that took a snapshot.

* ``orgs.snapshot_retention_days``: how many days the daily ``snapshot_retention`` job
  keeps an org's dashboard snapshots (nullable; NULL, the default, keeps them forever:
  a snapshot is a record someone chose to keep, and nothing is deleted until an admin
  sets a period).
* ``report_deliveries.snapshot_id``: the snapshot a schedule of format ``snapshot``
  took at its fire instant. A plain integer without a foreign key: the delivery log
  keeps saying which snapshot was taken after retention or a person deleted it, and
  on SQLite adding a foreign key would rebuild the table.
* an index on ``dashboard_snapshots (org_id, snapshot_date)`` for the snapshots page
  (newest first) and the retention purge.

``dashboard_snapshots`` exists since 0001, with row-level security (0002) and the app
role's grants; its ``data`` column holds the Fernet-encrypted document from now on.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE for orgs, never batch mode (see 0010: a SQLite rebuild of orgs
    # would cascade to every tenant table).
    op.add_column(
        "orgs", sa.Column("snapshot_retention_days", sa.Integer(), nullable=True)
    )
    op.add_column(
        "report_deliveries", sa.Column("snapshot_id", sa.Integer(), nullable=True)
    )
    op.create_index(
        "ix_dashboard_snapshots_org_date",
        "dashboard_snapshots",
        ["org_id", "snapshot_date"],
    )


def downgrade() -> None:
    op.drop_index("ix_dashboard_snapshots_org_date", "dashboard_snapshots")
    op.drop_column("report_deliveries", "snapshot_id")
    op.drop_column("orgs", "snapshot_retention_days")
