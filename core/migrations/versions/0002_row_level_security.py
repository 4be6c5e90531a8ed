"""Row-level security, the app role's grants, login lookups and reference data.

On PostgreSQL every tenant table gets ENABLE + FORCE ROW LEVEL SECURITY and a policy on
``org_id = app.org_id`` (the setting ``Database.session`` sets per transaction). With no
context the setting is NULL or '' and the policy matches no row: it fails closed.
``dashboard_templates`` rows with a NULL ``org_id`` are global templates that every org
may read and none may write.

Login and API-key authentication must find a user or key before any org is known, so
two SECURITY DEFINER functions answer exactly those lookups and nothing else.

Revision ID: 0002
Revises: 0001
"""

import os

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TENANT_TABLES = [
    "anomalies",
    "api_keys",
    "audit_log",
    "automation_executions",
    "automation_rules",
    "campaigns",
    "dashboard_alerts",
    "dashboard_snapshots",
    "dashboard_widgets",
    "forecasts",
    "metric_facts_daily",
    "metric_facts_hourly",
    "platform_api_calls",
    "platform_connections",
    "platform_errors",
    "platform_sync_runs",
    "realtime_metrics_cache",
    "recommendations",
    "report_schedules",
    "trend_analyses",
    "users",
]
ORG_SETTING = "NULLIF(current_setting('app.org_id', true), '')::integer"
PLATFORMS = [
    ("meta", "Meta"),
    ("google", "Google"),
    ("tiktok", "TikTok"),
    ("linkedin", "LinkedIn"),
    ("snapchat", "Snapchat"),
]


def _app_role() -> str:
    role = os.environ.get("PULSE_DB_APP_ROLE", "pulse_app")
    if not role.replace("_", "").isalnum():
        raise ValueError(f"PULSE_DB_APP_ROLE {role!r} is not a plain identifier")
    return role


def upgrade() -> None:
    op.bulk_insert(
        sa.table("platforms", sa.column("code"), sa.column("name")),
        [{"code": code, "name": name} for code, name in PLATFORMS],
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TENANT_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            f"USING (org_id = {ORG_SETTING}) WITH CHECK (org_id = {ORG_SETTING})"
        )
    op.execute("ALTER TABLE orgs ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE orgs FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON orgs USING (id = {ORG_SETTING}) "
        f"WITH CHECK (id = {ORG_SETTING})"
    )
    op.execute("ALTER TABLE dashboard_templates ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE dashboard_templates FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_read ON dashboard_templates FOR SELECT "
        f"USING (org_id IS NULL OR org_id = {ORG_SETTING})"
    )
    op.execute(
        f"CREATE POLICY tenant_write ON dashboard_templates FOR ALL "
        f"USING (org_id = {ORG_SETTING}) WITH CHECK (org_id = {ORG_SETTING})"
    )

    op.execute("""
        CREATE FUNCTION pulse_login_lookup(p_email text)
        RETURNS TABLE (
            user_id integer, org_id integer, password_hash text, is_active boolean
        )
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
            SELECT id, org_id, password_hash, is_active FROM users
            WHERE lower(email) = lower(p_email)
        $$""")
    op.execute("""
        CREATE FUNCTION pulse_api_key_lookup(p_key_hash text)
        RETURNS TABLE (key_id integer, org_id integer)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
            SELECT id, org_id FROM api_keys
            WHERE key_hash = p_key_hash AND revoked_at IS NULL
        $$""")

    role = _app_role()
    exists = (
        op.get_bind()
        .execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        .scalar()
    )
    if exists:
        op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        op.execute(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
            f"TO {role}"
        )
        op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
        op.execute(
            f"REVOKE INSERT, UPDATE, DELETE ON platforms, alembic_version FROM {role}"
        )
        op.execute(
            f"GRANT EXECUTE ON FUNCTION pulse_login_lookup(text), "
            f"pulse_api_key_lookup(text) TO {role}"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS pulse_login_lookup(text)")
        op.execute("DROP FUNCTION IF EXISTS pulse_api_key_lookup(text)")
        for table in [*TENANT_TABLES, "orgs"]:
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        op.execute("DROP POLICY IF EXISTS tenant_read ON dashboard_templates")
        op.execute("DROP POLICY IF EXISTS tenant_write ON dashboard_templates")
        op.execute("ALTER TABLE dashboard_templates DISABLE ROW LEVEL SECURITY")
    op.execute("DELETE FROM platforms")
