"""Audit rows say from where and through which key; orgs get retention settings.

* ``audit_log``: ``api_key_id`` (the org API key that acted, ``ON DELETE SET NULL``),
  ``address`` (the client address, as the WSGI server or a trusted proxy gives it) and
  ``user_agent`` (truncated to 256 characters), all nullable: rows written before this
  revision, by jobs or by the CLI have none. An index on (org, created_at) serves the
  admins' newest-first audit pages and the retention purge.
* ``orgs``: ``retention_raw_days`` (hourly facts, default 400), ``retention_audit_days``
  (730) and ``retention_job_runs_days`` (90), and ``raw_purged_before``: the org-local
  day before which the retention job has deleted hourly facts (NULL: never purged).
  Ingest refuses rows before it and rollup rebuilds stop there, so a purge never makes
  a rollup lose the figures of the deleted facts.

No new table: the existing row-level-security policies and the app role's grants on
both tables cover the new columns. ``audit_log`` is rebuilt on SQLite (batch mode, to
add its foreign key; no table references it); ``orgs`` is only ever altered in place.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_key_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("address", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("user_agent", sa.String(length=256), nullable=True)
        )
        batch_op.create_foreign_key(
            "fk_audit_log_api_key_id_api_keys",
            "api_keys",
            ["api_key_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            "ix_audit_log_org_created", ["org_id", "created_at"], unique=False
        )
    # Plain ALTER TABLE, never batch mode, for orgs: on SQLite a batch rebuild drops
    # and recreates the table, and with foreign keys on that cascades to every row of
    # every tenant table. (SQLite adds and, since 3.35, drops such columns in place.)
    for name, default in (
        ("retention_raw_days", "400"),
        ("retention_audit_days", "730"),
        ("retention_job_runs_days", "90"),
    ):
        op.add_column(
            "orgs",
            sa.Column(name, sa.Integer(), nullable=False, server_default=default),
        )
    op.add_column("orgs", sa.Column("raw_purged_before", sa.Date(), nullable=True))


def downgrade() -> None:
    for name in (
        "raw_purged_before",
        "retention_job_runs_days",
        "retention_audit_days",
        "retention_raw_days",
    ):
        op.drop_column("orgs", name)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_org_created")
        batch_op.drop_constraint("fk_audit_log_api_key_id_api_keys", type_="foreignkey")
        batch_op.drop_column("user_agent")
        batch_op.drop_column("address")
        batch_op.drop_column("api_key_id")
