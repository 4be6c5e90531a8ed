"""PostgreSQL row-level security, seen from the app role the web app connects as."""

from __future__ import annotations

import datetime as dt
import uuid

import psycopg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from accounts.apikeys import create_key, org_for_key
from accounts.passwords import authenticate
from core import models as m
from core.db import Database, TenantContextMissing
from devdata.demo import DEMO_PASSWORD
from tests.conftest import PostgresDatabase, org_id, seed_small_demo

TENANT_TABLES = m.tenant_tables() + ["orgs"]


def libpq(url: str) -> str:
    return (
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


@pytest.fixture(scope="module")
def rls_db(postgres_admin_url, seed_now):
    """A seeded PostgreSQL database of its own with a row per org in every tenant
    table."""
    database = PostgresDatabase(postgres_admin_url)
    seed_small_demo(database.admin_url, seed_now)
    admin = Database(database.admin_url)
    now = dt.datetime(2026, 1, 1)
    with admin.unscoped_session() as session:
        for org in session.scalars(select(m.Org)).all():
            user = session.scalars(
                select(m.User).where(m.User.org_id == org.id)
            ).first()
            campaign = session.scalars(
                select(m.Campaign).where(m.Campaign.org_id == org.id)
            ).first()
            dashboard = m.Dashboard(org_id=org.id, name="rls", slug="rls")
            session.add(dashboard)
            session.flush()
            rule = m.AutomationRule(org_id=org.id, name="rls")
            schedule = m.ReportSchedule(
                org_id=org.id, dashboard_id=dashboard.id, name="r", frequency="daily"
            )
            session.add_all([rule, schedule])
            session.flush()
            session.add(
                m.ReportDelivery(
                    org_id=org.id,
                    schedule_id=schedule.id,
                    trigger="schedule",
                    scheduled_for=now,
                    status="sent",
                    format="csv",
                )
            )
            session.add_all(
                [
                    m.ApiKey(
                        org_id=org.id,
                        prefix=f"rls{org.id}",
                        key_hash=f"rls-{org.id}".ljust(64, "x"),
                    ),
                    m.AuditLog(org_id=org.id, action="test", entity_type="test"),
                    m.DashboardWidget(
                        org_id=org.id,
                        dashboard_id=dashboard.id,
                        widget_type="kpi_card",
                        title="t",
                        data_source="campaigns",
                    ),
                    m.DashboardSnapshot(
                        org_id=org.id, dashboard_id=dashboard.id, data=b"x"
                    ),
                    m.DashboardAlert(org_id=org.id, name="a", alert_type="threshold"),
                    m.RealtimeMetricsCache(
                        org_id=org.id,
                        metric_key="k",
                        metric_type="revenue",
                        aggregation_period="daily",
                        expires_at=now,
                    ),
                    m.Forecast(
                        org_id=org.id,
                        metric="revenue",
                        forecast_type="linear",
                        horizon_days=7,
                    ),
                    m.Anomaly(
                        org_id=org.id,
                        campaign_id=campaign.id,
                        metric="spend",
                        day=now.date(),
                        observed=1,
                        expected=1,
                        score=1,
                        severity="low",
                    ),
                    m.TrendAnalysis(
                        org_id=org.id,
                        metric="revenue",
                        trend_type="stable",
                        slope=0,
                        window_days=7,
                        window_start=now.date(),
                        window_end=now.date(),
                    ),
                    m.Recommendation(org_id=org.id, rec_type="pause", title="t"),
                    m.AutomationExecution(
                        org_id=org.id,
                        rule_id=rule.id,
                        status="success",
                        action_taken="notify",
                    ),
                    m.JobRun(org_id=org.id, job="test"),
                    m.AnalyticsRefresh(
                        org_id=org.id, first_day=now.date(), last_day=now.date()
                    ),
                    m.IngestBatch(
                        org_id=org.id, source="api", format="native", status="committed"
                    ),
                ]
            )
            alert = m.DashboardAlert(org_id=org.id, name="rls", alert_type="change")
            session.add(alert)
            session.flush()
            history = m.AlertHistory(
                org_id=org.id,
                alert_id=alert.id,
                entity_key="org",
                from_state="ok",
                to_state="firing",
            )
            session.add_all(
                [
                    m.AlertState(
                        org_id=org.id, alert_id=alert.id, entity_key="org", since=now
                    ),
                    history,
                ]
            )
            session.flush()
            session.add(
                m.AlertDelivery(
                    org_id=org.id,
                    alert_id=alert.id,
                    history_id=history.id,
                    channel="email",
                )
            )
            playlist = m.Playlist(
                org_id=org.id, name="rls", items=[{"dashboard_id": dashboard.id}]
            )
            session.add(playlist)
            session.flush()
            session.add(
                m.KioskToken(
                    org_id=org.id,
                    name="rls",
                    prefix=f"kiosk{org.id}",
                    token_hash=f"kiosk-{org.id}".ljust(64, "x"),
                    playlist_id=playlist.id,
                )
            )
            assert user is not None
            session.add(
                m.UserSession(
                    id=f"rls-{org.id}".ljust(64, "x"), org_id=org.id, user_id=user.id
                )
            )
    admin.dispose()
    yield {"admin": database.admin_url, "app": database.app_url}
    database.drop()


def counts(app_url: str, org: int | None) -> dict[str, tuple[int, int]]:
    """Per table: (rows visible, rows visible of *other* orgs) as the app role."""
    result = {}
    with psycopg.connect(libpq(app_url)) as connection, connection.transaction():
        if org is not None:
            connection.execute("SELECT set_config('app.org_id', %s, true)", (str(org),))
        for table in TENANT_TABLES:
            column = "id" if table == "orgs" else "org_id"
            # Global templates (org_id NULL) are readable by every org by design.
            where = "WHERE org_id IS NOT NULL" if table == "dashboard_templates" else ""
            total, foreign = connection.execute(
                "SELECT count(*), "
                f"count(*) FILTER (WHERE {column} IS DISTINCT FROM %s) "
                f"FROM {table} {where}",
                (org,),
            ).fetchone()
            result[table] = (total, foreign)
    return result


def test_app_role_cannot_bypass_rls(rls_db):
    with psycopg.connect(libpq(rls_db["app"])) as connection:
        superuser, bypass = connection.execute(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        owned = connection.execute(
            "SELECT count(*) FROM pg_tables "
            "WHERE schemaname = 'public' AND tableowner = current_user"
        ).fetchone()[0]
    assert (superuser, bypass, owned) == (False, False, 0)


def test_every_tenant_table_has_forced_rls(rls_db):
    with psycopg.connect(libpq(rls_db["admin"])) as connection:
        rows = dict(
            connection.execute(
                "SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class "
                "WHERE relname = ANY(%s)",
                (TENANT_TABLES + ["dashboard_templates"],),
            ).fetchall()
        )
    assert rows == {table: True for table in TENANT_TABLES + ["dashboard_templates"]}


def test_org_context_reads_only_its_own_rows(rls_db):
    admin = Database(rls_db["admin"])
    acme = org_id(admin, "acme")
    admin.dispose()
    visible = counts(rls_db["app"], acme)
    assert all(total > 0 for total, _ in visible.values()), visible
    assert {table: foreign for table, (_, foreign) in visible.items()} == dict.fromkeys(
        TENANT_TABLES, 0
    )


def test_no_context_reads_nothing(rls_db):
    visible = counts(rls_db["app"], None)
    assert {table: total for table, (total, _) in visible.items()} == dict.fromkeys(
        TENANT_TABLES, 0
    )


def test_insert_with_another_orgs_id_is_refused(rls_db):
    admin = Database(rls_db["admin"])
    acme, globex = org_id(admin, "acme"), org_id(admin, "globex")
    admin.dispose()
    with psycopg.connect(libpq(rls_db["app"])) as connection:
        with (
            pytest.raises(
                psycopg.errors.InsufficientPrivilege, match="row-level security"
            ),
            connection.transaction(),
        ):
            connection.execute(
                "SELECT set_config('app.org_id', %s, true)", (str(acme),)
            )
            connection.execute(
                "INSERT INTO campaigns (org_id, platform, external_id, name, "
                "objective, status, budget, start_date, created_at, updated_at) "
                "VALUES (%s, 'meta', '', 'x', 'c', 'active', 0, "
                "now(), now(), now())",
                (globex,),
            )
        with (
            pytest.raises(psycopg.errors.InsufficientPrivilege),
            connection.transaction(),
        ):
            connection.execute(
                "SELECT set_config('app.org_id', %s, true)", (str(acme),)
            )
            connection.execute(
                "INSERT INTO dashboard_templates (org_id, name, slug, description, "
                "category, is_template, schema_version, layout_config, widgets, "
                "default_filters, refresh_interval, usage_count, created_at, "
                "updated_at) VALUES (NULL, 'g', 'g', '', 'custom', true, 1, '{}', "
                "'[]', '{}', '15m', 0, now(), now())"
            )


def test_pooled_connection_does_not_carry_the_org_context(rls_db):
    admin = Database(rls_db["admin"])
    acme = org_id(admin, "acme")
    admin.dispose()
    db = Database(rls_db["app"], pool_size=1, max_overflow=0)
    try:
        with db.session(acme) as session:
            assert session.scalar(select(func.count()).select_from(m.Campaign)) > 0
        with db.session(None) as session:  # same pooled connection, no context
            assert session.execute(text("SELECT count(*) FROM campaigns")).scalar() == 0
            assert session.execute(
                text("SELECT current_setting('app.org_id', true)")
            ).scalar() in ("", None)
            with pytest.raises(TenantContextMissing):
                session.scalars(select(m.Campaign)).all()
    finally:
        db.dispose()


LOOKUPS = {
    "pulse_login_lookup": "SELECT * FROM pulse_login_lookup('admin@acme.example')",
    "pulse_api_key_lookup": "SELECT * FROM pulse_api_key_lookup('rls-1')",
    "pulse_kiosk_token_lookup": "SELECT * FROM pulse_kiosk_token_lookup('rls-1')",
}


@pytest.fixture
def stranger(rls_db):
    """A role unrelated to Pulse that may connect to the database: what any other
    service sharing the server could be. Dropped afterwards."""
    name = f"pulse_stranger_{uuid.uuid4().hex[:8]}"
    server = make_url(rls_db["admin"])
    with psycopg.connect(libpq(rls_db["admin"]), autocommit=True) as connection:
        connection.execute(f"CREATE ROLE {name} LOGIN")
    yield server.set(username=name, password=None).render_as_string(hide_password=False)
    with psycopg.connect(libpq(rls_db["admin"]), autocommit=True) as connection:
        connection.execute(f"DROP OWNED BY {name}")
        connection.execute(f"DROP ROLE {name}")


@pytest.mark.parametrize("function", sorted(LOOKUPS))
def test_an_unrelated_role_may_not_call_the_lookups(stranger, function):
    with (
        psycopg.connect(libpq(stranger)) as connection,
        pytest.raises(
            psycopg.errors.InsufficientPrivilege,
            match=f"permission denied for function {function}",
        ),
    ):
        connection.execute(LOOKUPS[function])


def test_the_app_role_still_logs_in_and_authenticates_api_keys(rls_db):
    admin = Database(rls_db["admin"])
    app = Database(rls_db["app"])
    try:
        acme = org_id(admin, "acme")
        _, plain = create_key(admin, "acme", "rls")
        login = authenticate(app, "admin@acme.example", DEMO_PASSWORD)
        assert login is not None and login.org_id == acme
        assert org_for_key(app, plain) is not None
        assert org_for_key(app, plain)[0] == acme
    finally:
        admin.dispose()
        app.dispose()


def test_the_lookups_search_public_before_temporary_tables(rls_db):
    with psycopg.connect(libpq(rls_db["admin"])) as connection:
        config = dict(
            connection.execute(
                "SELECT proname, proconfig FROM pg_proc WHERE proname = ANY(%s)",
                (sorted(LOOKUPS),),
            ).fetchall()
        )
    assert config == dict.fromkeys(LOOKUPS, ["search_path=public, pg_temp"])


def test_a_temporary_users_table_does_not_shadow_the_real_one(rls_db):
    with psycopg.connect(libpq(rls_db["app"])) as connection:
        connection.execute(
            "CREATE TEMPORARY TABLE users (id integer, org_id integer, "
            "password_hash text, is_active boolean, email text)"
        )
        connection.execute(
            "INSERT INTO users VALUES (1, 1, 'forged', true, 'admin@acme.example')"
        )
        rows = connection.execute(LOOKUPS["pulse_login_lookup"]).fetchall()
    assert len(rows) == 1 and rows[0][2] != "forged"


def test_the_app_role_looks_up_kiosk_tokens_only_while_they_are_active(rls_db):
    from types import SimpleNamespace

    from accounts.kiosk import org_for_token
    from accounts.permissions import OPERATOR_ROLE, Caller
    from commands.kiosk import create_kiosk_token, revoke_kiosk_token

    admin = Database(rls_db["admin"])
    app = Database(rls_db["app"])
    try:
        acme = org_id(admin, "acme")
        with admin.session(acme) as session:
            dashboard_id = session.scalars(
                select(m.Dashboard.id).where(m.Dashboard.is_template.is_(False))
            ).first()
        context, caller = SimpleNamespace(db=app), Caller(acme, None, OPERATOR_ROLE)
        row, token = create_kiosk_token(
            context, caller, "rls", dashboard_id=dashboard_id
        )
        assert org_for_token(app, token) == (acme, row.id)
        revoke_kiosk_token(context, caller, row.id)
        assert org_for_token(app, token) is None
        assert org_for_token(app, token + "x") is None
    finally:
        admin.dispose()
        app.dispose()
