"""Job runs, the analytics refresh queue, ingest batches, and weekly keys on the rollup.

Revision ID: 0003
Revises: 0002
"""

import os

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
NEW_TENANT_TABLES = ["job_runs", "analytics_refresh_queue", "ingest_batches"]
ORG_SETTING = "NULLIF(current_setting('app.org_id', true), '')::integer"


def _org_fk():
    return sa.Column(
        "org_id",
        sa.Integer(),
        sa.ForeignKey("orgs.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        _org_fk(),
        sa.Column("job", sa.String(64), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("summary", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index(
        "ix_job_runs_org_job_started", "job_runs", ["org_id", "job", "started_at"]
    )
    op.create_table(
        "analytics_refresh_queue",
        sa.Column("id", sa.Integer(), primary_key=True),
        _org_fk(),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("org_id", name="uq_analytics_refresh_org"),
    )
    op.create_table(
        "ingest_batches",
        sa.Column("id", sa.Integer(), primary_key=True),
        _org_fk(),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rows_received", sa.Integer(), nullable=False),
        sa.Column("rows_written", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("errors", JSON, nullable=False),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")
        ),
        sa.Column(
            "api_key_id",
            sa.Integer(),
            sa.ForeignKey("api_keys.id", ondelete="SET NULL"),
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    with op.batch_alter_table("metric_facts_daily") as batch:
        batch.add_column(sa.Column("week_start", sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE metric_facts_daily SET week_start = date_trunc('week', day)::date"
        )
    else:
        # SQLite: strftime('%w') is 0 for Sunday; Monday-based offset.
        op.execute(
            "UPDATE metric_facts_daily SET week_start = "
            "date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) "
            "|| ' days')"
        )
    op.create_index(
        "ix_facts_daily_org_week", "metric_facts_daily", ["org_id", "week_start"]
    )

    if op.get_bind().dialect.name != "postgresql":
        return
    for table in NEW_TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING (org_id = {ORG_SETTING}) WITH CHECK (org_id = {ORG_SETTING})"
        )
    role = os.environ.get("PULSE_DB_APP_ROLE", "pulse_app")
    if not role.replace("_", "").isalnum():
        raise ValueError(f"PULSE_DB_APP_ROLE {role!r} is not a plain identifier")
    if (
        op.get_bind()
        .execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        .scalar()
    ):
        op.execute(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON "
            f"{', '.join(NEW_TENANT_TABLES)} TO {role}"
        )
        op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")


def downgrade() -> None:
    op.drop_index("ix_facts_daily_org_week", "metric_facts_daily")
    with op.batch_alter_table("metric_facts_daily") as batch:
        batch.drop_column("week_start")
    for table in reversed(NEW_TENANT_TABLES):
        op.drop_table(table)
