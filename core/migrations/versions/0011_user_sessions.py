"""Server-side sign-in sessions: ``user_sessions``.

One row per sign-in, created by ``commands.accounts.sign_in``. The session cookie
carries a random token; the row's id is its SHA-256 hash. Loading the user of a request
checks the row in the same query: ended (signed out), idle past
``PULSE_SESSION_IDLE_MINUTES`` or older than ``PULSE_SESSION_MAX_HOURS`` means signed
out. A tenant table like the others: row-level security on PostgreSQL, and the app
role may read and write it. The id is not a sequence, so no sequence grant is needed.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from core.migrations.tenancy import secure_tenant_tables

revision = "0011"
# Written beside 0010 (audit access and retention); chained after it when merged.
down_revision = "0010"
branch_labels = None
depends_on = None

TABLE = "user_sessions"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "org_id",
            sa.Integer(),
            sa.ForeignKey("orgs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ip_address", sa.String(45), nullable=True),
        sa.Column("user_agent", sa.String(400), nullable=True),
    )
    op.create_index("ix_user_sessions_org_id", TABLE, ["org_id"])
    op.create_index("ix_user_sessions_user_id", TABLE, ["user_id"])
    secure_tenant_tables(TABLE)


def downgrade() -> None:
    op.drop_index("ix_user_sessions_user_id", TABLE)
    op.drop_index("ix_user_sessions_org_id", TABLE)
    op.drop_table(TABLE)
