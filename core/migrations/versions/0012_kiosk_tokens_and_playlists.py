"""Kiosk wall displays: ``kiosk_playlists`` and ``kiosk_tokens``.

A kiosk token (stored as its SHA-256 hash, like an API key) opens ``/kiosk/<token>``:
one dashboard, or a playlist of dashboards shown in turn, under fixed filters. Both are
tenant tables (row-level security on PostgreSQL, the app role may read and write).
A display knows only its token, not its org, so the token is looked up before any org
context exists: through ``pulse_kiosk_token_lookup`` (``SECURITY DEFINER``, like the
API-key lookup of 0002/0008), which answers only that lookup, only to the app role,
with ``search_path = public, pg_temp``.

Revision ID: 0012
Revises: 0011
"""

import os

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from core.migrations.tenancy import secure_tenant_tables

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

LOOKUP = "pulse_kiosk_token_lookup(text)"


def _org_fk() -> sa.Column:
    return sa.Column(
        "org_id",
        sa.Integer(),
        sa.ForeignKey("orgs.id", ondelete="CASCADE"),
        nullable=False,
    )


def _created_by() -> sa.Column:
    return sa.Column(
        "created_by",
        sa.Integer(),
        sa.ForeignKey("users.id", ondelete="SET NULL"),
        nullable=True,
    )


def _app_role() -> str:
    role = os.environ.get("PULSE_DB_APP_ROLE", "pulse_app")
    if not role.replace("_", "").isalnum():
        raise ValueError(f"PULSE_DB_APP_ROLE {role!r} is not a plain identifier")
    return role


def upgrade() -> None:
    json_type = sa.JSON().with_variant(
        postgresql.JSONB(astext_type=sa.Text()), "postgresql"
    )
    op.create_table(
        "kiosk_playlists",
        sa.Column("id", sa.Integer(), primary_key=True),
        _org_fk(),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("items", json_type, nullable=False),
        _created_by(),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False
        ),
    )
    op.create_index("ix_kiosk_playlists_org_id", "kiosk_playlists", ["org_id"])
    op.create_table(
        "kiosk_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        _org_fk(),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "dashboard_id",
            sa.Integer(),
            sa.ForeignKey("dashboard_templates.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column(
            "playlist_id",
            sa.Integer(),
            sa.ForeignKey("kiosk_playlists.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("filters", json_type, nullable=False),
        _created_by(),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        # A token shows exactly one thing: a dashboard or a playlist.
        sa.CheckConstraint(
            "(dashboard_id IS NULL) <> (playlist_id IS NULL)",
            name="ck_kiosk_tokens_one_target",
        ),
    )
    op.create_index("ix_kiosk_tokens_org_id", "kiosk_tokens", ["org_id"])
    secure_tenant_tables("kiosk_playlists", "kiosk_tokens")
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION pulse_kiosk_token_lookup(p_token_hash text)
        RETURNS TABLE (token_id integer, org_id integer)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
            SELECT id, org_id FROM kiosk_tokens
            WHERE token_hash = p_token_hash AND revoked_at IS NULL
        $$""")
    op.execute(f"REVOKE EXECUTE ON FUNCTION {LOOKUP} FROM PUBLIC")
    role = _app_role()
    exists = (
        op.get_bind()
        .execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        .scalar()
    )
    if exists:
        # The new tables' id sequences (secure_tenant_tables grants the tables only).
        op.execute(
            "GRANT USAGE, SELECT ON SEQUENCE kiosk_playlists_id_seq, "
            f"kiosk_tokens_id_seq TO {role}"
        )
        op.execute(f"GRANT EXECUTE ON FUNCTION {LOOKUP} TO {role}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {LOOKUP}")
    op.drop_index("ix_kiosk_tokens_org_id", "kiosk_tokens")
    op.drop_table("kiosk_tokens")
    op.drop_index("ix_kiosk_playlists_org_id", "kiosk_playlists")
    op.drop_table("kiosk_playlists")
