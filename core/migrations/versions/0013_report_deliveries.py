"""Scheduled reports: ``report_deliveries``, one row per run of a report schedule.

Each run of a schedule (the scheduler at a fire instant, or "Send now") is one row:
the instant it was scheduled for, when it started and finished, its status
(``pending``, ``running``, ``retrying``, ``sent``, ``failed``, ``missed``), the
recipients and format it was sent with, the attempts made, when the next one is due,
the last error, and where the message went (the SMTP ``Message-ID``, or the ``.eml``
file of the outbox when no ``SMTP_URL`` is set).

``UNIQUE (schedule_id, scheduled_for)`` is the delivery key: two scheduler processes
that both see a schedule due insert the same key, and only one insert succeeds, so a
report is never sent twice for one fire instant.

The per-org allowed recipient domains need no change: ``orgs.allowed_recipient_domains``
(a JSON list, from 0001) holds them. A tenant table like the others: row-level security
on PostgreSQL, and the app role may read, write and use its id sequence.

Revision ID: 0013
Revises: 0012 (re-chained after the kiosk's 0012 when merged)
"""

import os

import sqlalchemy as sa
from alembic import op

from core.migrations.tenancy import secure_tenant_tables

revision = "0013"
# Written beside 0012 (kiosk); the lead chains it after 0012 when both are merged.
down_revision = "0012"
branch_labels = None
depends_on = None

TABLE = "report_deliveries"
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "org_id",
            sa.Integer(),
            sa.ForeignKey("orgs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "schedule_id",
            sa.Integer(),
            sa.ForeignKey("report_schedules.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("recipients", JSON, nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(255), nullable=True),
        sa.Column("outbox_file", sa.String(500), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(), nullable=False, server_default=sa.func.now()
        ),
        sa.UniqueConstraint(
            "schedule_id", "scheduled_for", name="uq_report_deliveries_key"
        ),
    )
    op.create_index("ix_report_deliveries_org_id", TABLE, ["org_id"])
    op.create_index("ix_report_deliveries_status", TABLE, ["status", "next_attempt_at"])
    secure_tenant_tables(TABLE)
    if op.get_bind().dialect.name == "postgresql":
        role = os.environ.get("PULSE_DB_APP_ROLE", "pulse_app")
        exists = (
            op.get_bind()
            .execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
            .scalar()
        )
        if exists:  # secure_tenant_tables checked the name is a plain identifier
            op.execute(f"GRANT USAGE, SELECT ON SEQUENCE {TABLE}_id_seq TO {role}")


def downgrade() -> None:
    op.drop_index("ix_report_deliveries_status", TABLE)
    op.drop_index("ix_report_deliveries_org_id", TABLE)
    op.drop_table(TABLE)
