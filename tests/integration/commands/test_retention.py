"""Retention on real SQLite and PostgreSQL: settings (validated, admin only, audited),
the daily purge (what it removes, what it records), figures that stay exactly what they
were after a purge, and the ingest refusal that keeps them so.

The module has a freshly seeded demo of its own per engine (75 days of facts); the
tests run in file order and share it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from accounts.permissions import API_KEY_ROLE, Caller, PermissionDenied
from app import create_app
from cli.main import pulse
from commands.errors import Invalid
from commands.ingest import ingest_facts
from commands.retention import get_retention, set_retention
from core.db import Database
from core.filters import Filters
from core.models import AuditLog, JobRun, User, UserSession
from core.windows import org_today
from datasources.ingest import IngestRejected
from datasources.retention import RAW_RETENTION_FLOOR_DAYS
from datasources.rollups import refresh_daily_rollup
from scheduler.context import JobContext
from scheduler.jobs import job
from scheduler.runner import run_job
from tests.conftest import login, logout, make_settings, org_id

VOLATILE = {"computed_at", "age_seconds", "stale"}
WHEN = {"until", "previous_until"}
NY = "America/New_York"


@pytest.fixture(scope="module")
def world(own_demo):
    admin = Database(own_demo["admin"])
    app = create_app(
        make_settings(own_demo["app"], admin_database_url=own_demo["admin"])
    )
    svc = app.server.extensions["pulse"]
    acme, globex = org_id(admin, "acme"), org_id(admin, "globex")
    with admin.unscoped_session() as session:
        callers = {
            u.email: Caller(u.org_id, u.id, u.role)
            for u in session.scalars(select(User))
        }
    yield {
        "demo": own_demo,
        "app": app,
        "svc": svc,
        "admin": admin,
        "acme": acme,
        "globex": globex,
        "callers": callers,
        "jobs": JobContext(svc.settings, svc.db, admin, svc.data),
    }
    svc.db.dispose()
    admin.dispose()


def scalar(db: Database, sql: str, **params):
    with db.engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def figures(world) -> dict:
    """Every campaigns figure over a 90-day window holding the whole seed (and the
    purged days), computed afresh, without the fields that say when."""
    today = org_today(NY)
    window = Filters(date_from=today - dt.timedelta(days=89), date_to=today)
    queries = {
        "summary_spend": ({"view": "summary", "metric": "spend"}, window),
        "summary_roas": ({"view": "summary", "metric": "roas"}, window),
        "daily_revenue": (
            {"view": "timeseries", "metric": "revenue", "granularity": "day"},
            window,
        ),
        "weekly_by_platform": (
            {
                "view": "timeseries",
                "metric": "spend",
                "granularity": "week",
                "split_by": "platform",
            },
            window,
        ),
        "by_campaign": (
            {
                "view": "breakdown",
                "group_by": "campaign",
                "metric": "spend",
                "limit": 500,
            },
            window,
        ),
        "by_country": (
            {"view": "breakdown", "group_by": "country", "metric": "revenue"},
            window,
        ),
        "pacing": ({"view": "pacing"}, Filters()),
    }
    out = {}
    for name, (params, filters) in queries.items():
        result = world["svc"].data.query(
            world["acme"], "campaigns", params, filters, fresh=True
        )
        out[name] = {k: v for k, v in result.items() if k not in VOLATILE}
        comparison = out[name].get("comparison")
        if isinstance(comparison, dict):
            # The minute the comparison runs to moves with the clock between readings.
            out[name]["comparison"] = {
                k: v for k, v in comparison.items() if k not in WHEN
            }
    return out


def same_to_the_cent(left, right) -> bool:
    """Equal structures whose numbers agree to 1e-9 relative (sums in another order)."""
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(
            same_to_the_cent(left[k], right[k]) for k in left
        )
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            same_to_the_cent(a, b) for a, b in zip(left, right, strict=True)
        )
    if isinstance(left, float) and isinstance(right, float):
        return left == pytest.approx(right, rel=1e-9, abs=1e-9)
    return left == right


def rollup_sum(world, column: str, first: dt.date, last: dt.date) -> float:
    """An independent SQL sum over the daily rollup (the purge never touches it)."""
    return float(
        scalar(
            world["admin"],
            f"SELECT COALESCE(SUM({column}), 0) FROM metric_facts_daily "
            "WHERE org_id = :o AND day >= :a AND day <= :b",
            o=world["acme"],
            a=first,
            b=last,
        )
    )


def raw_sum(world, column: str, first: dt.date, last: dt.date) -> float:
    return float(
        scalar(
            world["admin"],
            f"SELECT COALESCE(SUM({column}), 0) FROM metric_facts_hourly "
            "WHERE org_id = :o AND local_date >= :a AND local_date <= :b",
            o=world["acme"],
            a=first,
            b=last,
        )
    )


def test_retention_settings_are_for_admins_validated_and_audited(world):
    svc, callers = world["svc"], world["callers"]
    for email in ("viewer@acme.example", "editor@acme.example"):
        with pytest.raises(PermissionDenied) as refused:
            set_retention(svc, callers[email], {"audit_days": 400})
        assert refused.value.message == "Only admins can change the retention settings."
    key = Caller(world["acme"], None, API_KEY_ROLE, None)
    with pytest.raises(PermissionDenied):
        get_retention(svc, key)
    admin = callers["admin@acme.example"]
    assert get_retention(svc, admin)["raw_days"] == 400
    with pytest.raises(Invalid) as invalid:
        set_retention(svc, admin, {"raw_days": 10, "colour": "red", "audit_days": 0})
    assert sorted(invalid.value.details) == [
        "audit_days: Input should be greater than or equal to 30",
        "colour: Extra inputs are not permitted",
        "raw_days: Input should be greater than or equal to "
        f"{RAW_RETENTION_FLOOR_DAYS}",
    ]
    with pytest.raises(Invalid, match="give at least one of raw_days"):
        set_retention(svc, admin, {})
    changed = set_retention(svc, admin, {"audit_days": 500, "job_runs_days": 30})
    assert (changed["audit_days"], changed["job_runs_days"]) == (500, 30)
    with world["admin"].session(world["acme"]) as session:
        row = session.scalars(
            select(AuditLog)
            .where(AuditLog.entity_type == "retention", AuditLog.action == "update")
            .order_by(AuditLog.id.desc())
        ).first()
        assert row.user_id == admin.user_id
        assert row.details == {
            "before": {"audit_days": 730, "job_runs_days": 90},
            "after": {"audit_days": 500, "job_runs_days": 30},
        }
    # Globex keeps its own settings.
    globex_admin = callers["admin@globex.example"]
    assert get_retention(svc, globex_admin)["audit_days"] == 730


def test_the_api_changes_retention_for_admin_sessions_only(world):
    client = world["app"].server.test_client()
    login(client, "viewer@acme.example")
    refused = client.patch("/api/v1/org/retention", json={"audit_days": 400})
    assert refused.status_code == 403
    assert refused.get_json()["details"] == ["needs role admin; you are viewer"]
    logout(client)
    login(client, "admin@acme.example")
    bad = client.patch("/api/v1/org/retention", json={"raw_days": 5})
    assert bad.status_code == 422
    assert bad.get_json()["error"].startswith("raw_days: Input should be greater")
    ok = client.patch("/api/v1/org/retention", json={"audit_days": 600})
    assert ok.status_code == 200 and ok.get_json()["audit_days"] == 600
    assert client.get("/api/v1/org/retention").get_json()["audit_days"] == 600


def test_the_purge_removes_old_rows_records_them_and_keeps_every_figure(world):
    admin_db, acme = world["admin"], world["acme"]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    today = org_today(NY)
    first_seeded = scalar(
        admin_db,
        "SELECT MIN(local_date) FROM metric_facts_hourly WHERE org_id = :o",
        o=acme,
    )
    first_seeded = dt.date.fromisoformat(str(first_seeded))
    globex_facts = scalar(
        admin_db,
        "SELECT COUNT(*) FROM metric_facts_hourly WHERE org_id = :o",
        o=world["globex"],
    )
    # An audit row and a job run past their retention (600 and 30 days), and recent
    # ones that must stay.
    with admin_db.session(acme) as session:
        old_audit = AuditLog(
            org_id=acme,
            action="view",
            entity_type="dashboard",
            entity_id="old",
            created_at=now - dt.timedelta(days=700),
        )
        new_audit = AuditLog(
            org_id=acme,
            action="view",
            entity_type="dashboard",
            entity_id="recent",
            created_at=now - dt.timedelta(days=10),
        )
        old_run = JobRun(
            org_id=acme,
            job="analytics",
            status="success",
            started_at=now - dt.timedelta(days=40),
        )
        admin_id = world["callers"]["admin@acme.example"].user_id
        sign_ins = [
            # Signed out; begun two days ago (past the 24-hour maximum); live.
            UserSession(
                id="a" * 64,
                org_id=acme,
                user_id=admin_id,
                created_at=now - dt.timedelta(hours=1),
                ended_at=now - dt.timedelta(minutes=30),
            ),
            UserSession(
                id="b" * 64,
                org_id=acme,
                user_id=admin_id,
                created_at=now - dt.timedelta(days=2),
            ),
            UserSession(
                id="c" * 64,
                org_id=acme,
                user_id=admin_id,
                created_at=now - dt.timedelta(hours=1),
            ),
        ]
        session.add_all([old_audit, new_audit, old_run, *sign_ins])
        session.flush()
        old_ids = (old_audit.id, new_audit.id, old_run.id)
    before = figures(world)
    window_start = today - dt.timedelta(days=89)
    for column in ("spend", "revenue"):
        assert raw_sum(world, column, window_start, today) == pytest.approx(
            rollup_sum(world, column, window_start, today), rel=1e-9
        )
    spend_before_raw = raw_sum(world, "spend", window_start, today)

    set_retention(
        world["svc"],
        world["callers"]["admin@acme.example"],
        {"raw_days": RAW_RETENTION_FLOOR_DAYS, "audit_days": 600, "job_runs_days": 30},
    )
    [run] = run_job(world["jobs"], job("retention"), org_id=acme, trigger="manual")

    cutoff = today - dt.timedelta(days=RAW_RETENTION_FLOOR_DAYS)
    assert first_seeded < cutoff  # the seed reaches past the horizon: facts go
    assert run.status == "success", run.error
    summary = run.summary
    assert summary["cutoffs"]["metric_facts_hourly"] == cutoff.isoformat()
    removed = summary["removed"]
    assert removed["metric_facts_hourly"] > 0
    assert removed["audit_log"] >= 1 and removed["job_runs"] >= 1
    assert removed["user_sessions"] >= 2
    assert summary["raw_purged_before"] == cutoff.isoformat()
    oldest = scalar(
        admin_db,
        "SELECT MIN(local_date) FROM metric_facts_hourly WHERE org_id = :o",
        o=acme,
    )
    assert dt.date.fromisoformat(str(oldest)) == cutoff
    with admin_db.session(acme) as session:
        assert session.get(AuditLog, old_ids[0]) is None
        assert session.get(AuditLog, old_ids[1]) is not None
        assert session.get(JobRun, old_ids[2]) is None
        # Sign-ins that are over are gone; the live one stays.
        left = set(session.scalars(select(UserSession.id)))
        assert "c" * 64 in left and not {"a" * 64, "b" * 64} & left
        purge = session.scalars(
            select(AuditLog).where(AuditLog.action == "purge")
        ).one()
        assert purge.details["removed"] == removed
        assert purge.details["cutoffs"] == summary["cutoffs"]
    # The raw facts of the window really are fewer...
    assert raw_sum(world, "spend", window_start, today) < spend_before_raw
    # ...yet every figure is what it was, and equal to SQL over the rollup.
    after = figures(world)
    assert same_to_the_cent(after, before), (after, before)
    spend = rollup_sum(world, "spend", window_start, today)
    revenue = rollup_sum(world, "revenue", window_start, today)
    assert spend == pytest.approx(spend_before_raw, rel=1e-9)
    assert after["summary_spend"]["value"] == pytest.approx(spend, rel=1e-9)
    assert after["summary_roas"]["value"] == pytest.approx(revenue / spend, rel=1e-9)
    daily = sum(p["value"] for p in after["daily_revenue"]["series"][0]["points"])
    assert daily == pytest.approx(revenue, rel=1e-9)
    by_campaign = sum(item["value"] for item in after["by_campaign"]["items"])
    assert by_campaign == pytest.approx(spend, rel=1e-9)
    # A full rebuild of the rollups (as the seeder and benchmarks do) stops at the
    # purge: it cannot rebuild the purged days from the facts that are left.
    with admin_db.session(acme) as session:
        refresh_daily_rollup(session, acme)
    world["svc"].data.invalidate_org(acme)
    # (Re-summing the remaining days may round differently in the last bit.)
    assert same_to_the_cent(figures(world), before)
    # Globex is untouched.
    assert (
        scalar(
            admin_db,
            "SELECT COUNT(*) FROM metric_facts_hourly WHERE org_id = :o",
            o=world["globex"],
        )
        == globex_facts
    )


def native_row(campaign: int, day: dt.date, hour: int = 12) -> dict:
    return {
        "campaign_id": campaign,
        "date": day.isoformat(),
        "hour": hour,
        "country": "US",
        "spend": 1.0,
        "impressions": 10,
        "clicks": 1,
        "conversions": 0,
        "revenue": 0,
    }


def test_ingest_refuses_rows_of_purged_days_even_after_raising_the_retention(world):
    svc, acme = world["svc"], world["acme"]
    admin = world["callers"]["admin@acme.example"]
    horizon = get_retention(svc, admin)["raw_purged_before"]
    assert horizon is not None, "runs after the purge test"
    horizon = dt.date.fromisoformat(horizon)
    campaign = scalar(
        world["admin"], "SELECT MIN(id) FROM campaigns WHERE org_id = :o", o=acme
    )
    before = figures(world)
    rows = [
        native_row(campaign, horizon),
        native_row(campaign, horizon - dt.timedelta(1)),
    ]
    with pytest.raises(IngestRejected) as rejected:
        ingest_facts(svc, admin, {"rows": rows})
    assert [str(e) for e in rejected.value.errors] == [
        f"row 2: date: older than this org's raw-data retention "
        f"({RAW_RETENTION_FLOOR_DAYS} days): {horizon - dt.timedelta(1)} is before "
        f"{horizon}, and the hourly facts of those days have been purged; their daily "
        "figures are final"
    ]
    assert figures(world) == before
    # Raising the retention does not reopen the purged days.
    set_retention(svc, admin, {"raw_days": 400})
    with pytest.raises(IngestRejected, match="rejected"):
        ingest_facts(svc, admin, {"rows": rows[1:]})
    # The horizon day itself still holds all its facts: ingesting there is exact.
    result = ingest_facts(svc, admin, {"rows": rows[:1]})
    assert result["rows_written"] == 1


def test_pulse_retention_show_and_set(world):
    url = world["demo"]["admin"]
    runner = CliRunner()
    shown = runner.invoke(
        pulse, ["retention", "show", "--org", "globex", "--database-url", url]
    )
    assert shown.exit_code == 0, shown.output
    assert "raw hourly facts  400 days" in shown.stdout
    assert "raw facts purged before - (never purged)" in shown.stdout
    refused = runner.invoke(
        pulse,
        [
            "retention",
            "set",
            "--org",
            "globex",
            "--raw-days",
            "3",
            "--database-url",
            url,
        ],
    )
    assert refused.exit_code == 2
    assert "raw_days: Input should be greater than or equal to" in refused.stderr
    changed = runner.invoke(
        pulse,
        [
            "retention",
            "set",
            "--org",
            "globex",
            "--job-runs-days",
            "45",
            "--database-url",
            url,
        ],
    )
    assert changed.exit_code == 0, changed.output
    assert "job runs          45 days" in changed.stdout
    with world["admin"].session(world["globex"]) as session:
        row = session.scalars(
            select(AuditLog).where(AuditLog.entity_type == "retention")
        ).one()
        assert row.user_id is None and row.details["after"] == {"job_runs_days": 45}
    missing = runner.invoke(
        pulse, ["retention", "show", "--org", "nope", "--database-url", url]
    )
    assert missing.exit_code == 2 and "no org with slug 'nope'" in missing.stderr
