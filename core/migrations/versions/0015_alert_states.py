"""Alerts: where each alert stands per entity, its history, and delivery attempts.

* ``alert_states``: one row per (alert, entity) — ``org``, ``platform:meta`` or
  ``campaign:12`` — with its state (``ok``, ``pending``, ``firing``, ``resolved``),
  how many evaluations in a row the condition held, the last value and when it last
  fired and resolved. ``UNIQUE (alert_id, entity_key)``.
* ``alert_history``: one row per state change, with the value, the threshold, the
  reason and whether (and how) it was notified.
* ``alert_deliveries``: one row per attempt to deliver a notification on one
  channel, with the HTTP status code (webhook, Slack) or the error; an automation
  rule's ``notify`` attempts name its execution instead of an alert.
* ``dashboard_alerts`` (from 0001, unused until now) gains ``broken_reason``,
  ``muted_until``, ``acknowledged_at``/``acknowledged_by`` and ``webhook_secret``.

Tenant tables like the others: row-level security on PostgreSQL, and the app role
may read, write and use their id sequences.

Revision ID: 0015
Revises: 0014 (snapshot retention)
"""

import os

import sqlalchemy as sa
from alembic import op

from core.migrations.tenancy import secure_tenant_tables

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

TABLES = ("alert_states", "alert_history", "alert_deliveries")


def _org_column() -> sa.Column:
    return sa.Column(
        "org_id",
        sa.Integer(),
        sa.ForeignKey("orgs.id", ondelete="CASCADE"),
        nullable=False,
    )


def _alert_column(nullable: bool = False) -> sa.Column:
    return sa.Column(
        "alert_id",
        sa.Integer(),
        sa.ForeignKey("dashboard_alerts.id", ondelete="CASCADE"),
        nullable=nullable,
    )


def upgrade() -> None:
    with op.batch_alter_table("dashboard_alerts") as batch:
        batch.add_column(sa.Column("broken_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("muted_until", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column(
                "acknowledged_by",
                sa.Integer(),
                sa.ForeignKey(
                    "users.id",
                    ondelete="SET NULL",
                    name="fk_dashboard_alerts_acknowledged_by",
                ),
                nullable=True,
            )
        )
        batch.add_column(sa.Column("webhook_secret", sa.String(64), nullable=True))
    op.create_table(
        "alert_states",
        sa.Column("id", sa.Integer(), primary_key=True),
        _org_column(),
        _alert_column(),
        sa.Column("entity_key", sa.String(64), nullable=False),
        sa.Column("entity_label", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("pending_count", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("last_evaluated_at", sa.DateTime(), nullable=True),
        sa.Column("last_fired_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("alert_id", "entity_key", name="uq_alert_states_entity"),
    )
    op.create_index("ix_alert_states_org_id", "alert_states", ["org_id"])
    op.create_table(
        "alert_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        _org_column(),
        _alert_column(),
        sa.Column("entity_key", sa.String(64), nullable=False),
        sa.Column("entity_label", sa.String(200), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("notify_status", sa.String(16), nullable=False),
        sa.Column("notified_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_alert_history_org_id", "alert_history", ["org_id"])
    op.create_index(
        "ix_alert_history_alert", "alert_history", ["alert_id", "created_at"]
    )
    op.create_index("ix_alert_history_notify", "alert_history", ["notify_status"])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        _org_column(),
        _alert_column(nullable=True),
        sa.Column(
            "history_id",
            sa.Integer(),
            sa.ForeignKey("alert_history.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column(
            "execution_id",
            sa.Integer(),
            sa.ForeignKey("automation_executions.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_alert_deliveries_org_id", "alert_deliveries", ["org_id"])
    op.create_index("ix_alert_deliveries_alert_id", "alert_deliveries", ["alert_id"])
    secure_tenant_tables(*TABLES)
    if op.get_bind().dialect.name == "postgresql":
        role = os.environ.get("PULSE_DB_APP_ROLE", "pulse_app")
        exists = (
            op.get_bind()
            .execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
            .scalar()
        )
        if exists:  # secure_tenant_tables checked the name is a plain identifier
            for table in TABLES:
                op.execute(f"GRANT USAGE, SELECT ON SEQUENCE {table}_id_seq TO {role}")


def downgrade() -> None:
    op.drop_table("alert_deliveries")
    op.drop_table("alert_history")
    op.drop_table("alert_states")
    with op.batch_alter_table("dashboard_alerts") as batch:
        batch.drop_column("webhook_secret")
        batch.drop_column("acknowledged_by")
        batch.drop_column("acknowledged_at")
        batch.drop_column("muted_until")
        batch.drop_column("broken_reason")
