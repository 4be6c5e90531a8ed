"""Automation rules on real data, on both engines: what they change, what they record,
and the automation data sources against independent SQL counts.

Rule evaluation changes campaigns, so it runs on a database of its own (the small demo,
seeded once per engine, with the seeded rules switched off and every test's changes
undone); the data-source checks read the shared demo.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from automation.rules import evaluate_rules
from commands.campaigns import update_campaign
from core.db import Database
from core.filters import parse_filters
from core.models import AutomationRule
from core.windows import DateWindow, org_today
from datasources.registry import get
from tests.conftest import PostgresDatabase, seed_small_demo, sqlite_url
from tests.figures import org_context, utc_bounds

ALWAYS = {"metric": "impressions", "operator": ">=", "threshold": 0, "window": "7d"}


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def rules_db(request, tmp_path_factory, seed_now):
    """A seeded demo of our own per engine: ``{"admin": Database, "app": Database}``.

    The seeded rules are paused so only each test's own rules run.
    """
    database = None
    if request.param == "sqlite":
        admin_url = app_url = sqlite_url(tmp_path_factory.mktemp("automation"))
    else:
        database = PostgresDatabase(request.getfixturevalue("postgres_admin_url"))
        admin_url, app_url = database.admin_url, database.app_url
    seed_small_demo(admin_url, seed_now)
    admin, app = Database(admin_url), Database(app_url)
    with admin.engine.begin() as connection:
        connection.execute(text("UPDATE automation_rules SET status = 'paused'"))
    yield {"admin": admin, "app": app}
    admin.dispose()
    app.dispose()
    if database is not None:
        database.drop()


@pytest.fixture
def db(rules_db):
    """The app database; afterwards every campaign is as before and the test's rules,
    executions and audit rows are gone."""
    admin = rules_db["admin"]
    with admin.engine.connect() as connection:
        campaigns = connection.execute(
            text("SELECT id, status, budget, daily_budget FROM campaigns")
        ).all()
        last_rule = connection.execute(
            text("SELECT COALESCE(MAX(id), 0) FROM automation_rules")
        ).scalar()
        last_audit = connection.execute(
            text("SELECT COALESCE(MAX(id), 0) FROM audit_log")
        ).scalar()
    yield rules_db["app"]
    with admin.engine.begin() as connection:
        for row in campaigns:
            connection.execute(
                text(
                    "UPDATE campaigns SET status = :status, budget = :budget, "
                    "daily_budget = :daily_budget WHERE id = :id"
                ),
                row._asdict(),
            )
        connection.execute(
            text("DELETE FROM automation_executions WHERE rule_id > :r"),
            {"r": last_rule},
        )
        connection.execute(
            text("DELETE FROM automation_rules WHERE id > :r"), {"r": last_rule}
        )
        connection.execute(
            text("DELETE FROM audit_log WHERE id > :a"), {"a": last_audit}
        )


@pytest.fixture
def admin(rules_db) -> Database:
    return rules_db["admin"]


# ------------------------------------------------------------------------------ helpers
def add_rule(
    db: Database,
    org_id: int,
    condition: dict,
    action: dict,
    scope: dict | None = None,
    name: str = "test rule",
) -> int:
    with db.session(org_id) as session:
        rule = AutomationRule(
            org_id=org_id,
            name=name,
            condition=condition,
            action=action,
            scope=scope or {},
            status="active",
        )
        session.add(rule)
        session.flush()
        return rule.id


def run_rules(db: Database, org, now: dt.datetime) -> dict:
    with db.session(org.id) as session:
        return evaluate_rules(session, org, now=now, change_campaign=update_campaign)


def campaigns(admin: Database, org_id: int) -> dict[int, dict]:
    with admin.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id, status, budget, daily_budget FROM campaigns "
                "WHERE org_id = :o ORDER BY id"
            ),
            {"o": org_id},
        ).all()
    return {row.id: row._asdict() for row in rows}


def executions(admin: Database, rule_id: int) -> list[dict]:
    with admin.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT campaign_id, status, action_taken, details, error "
                "FROM automation_executions WHERE rule_id = :r ORDER BY id"
            ),
            {"r": rule_id},
        ).all()
    out = []
    for row in rows:
        details = (
            row.details if isinstance(row.details, dict) else json.loads(row.details)
        )
        out.append({**row._asdict(), "details": details})
    return out


def per_campaign_sums(
    admin: Database, org, start: dt.datetime, end: dt.datetime
) -> dict[int, dict]:
    """Sums per campaign over raw hourly facts in ``[start, end)`` (UTC)."""
    with admin.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT campaign_id, SUM(spend) AS spend, "
                "SUM(conversions) AS conversions, SUM(revenue) AS revenue "
                "FROM metric_facts_hourly WHERE org_id = :o "
                "AND hour_utc >= :s AND hour_utc < :e GROUP BY campaign_id"
            ),
            {"o": org.id, "s": start, "e": end},
        ).all()
    return {
        row.campaign_id: {
            "spend": float(row.spend),
            "conversions": float(row.conversions),
            "revenue": float(row.revenue),
        }
        for row in rows
    }


def last_complete_days(org, now: dt.datetime, days: int) -> DateWindow:
    today = org_today(org.timezone, now)
    return DateWindow(today - dt.timedelta(days=days), today - dt.timedelta(days=1))


def active_ids(admin: Database, org_id: int) -> list[int]:
    return [
        cid for cid, c in campaigns(admin, org_id).items() if c["status"] == "active"
    ]


# ---------------------------------------------------------------------- rule evaluation
def test_a_met_condition_pauses_exactly_the_matching_campaign(db, admin, seed_now):
    org = org_context(admin, "acme")
    sums = per_campaign_sums(
        admin, org, *utc_bounds(last_complete_days(org, seed_now, 7), org.timezone)
    )
    cpa = {
        cid: sums[cid]["spend"] / sums[cid]["conversions"]
        for cid in active_ids(admin, org.id)
        if cid in sums and sums[cid]["conversions"]
    }
    assert len(cpa) >= 2, cpa
    ranked = sorted(cpa, key=cpa.get, reverse=True)
    threshold = (cpa[ranked[0]] + cpa[ranked[1]]) / 2
    before = campaigns(admin, org.id)
    rule = add_rule(
        db,
        org.id,
        {"metric": "cpa", "operator": ">", "threshold": threshold, "window": "7d"},
        {"type": "pause"},
    )

    summary = run_rules(db, org, seed_now)

    after = campaigns(admin, org.id)
    changed = {cid for cid in before if before[cid] != after[cid]}
    assert changed == {ranked[0]} and after[ranked[0]]["status"] == "paused"
    assert summary["rules"] == 1 and summary["actions"] == 1 and summary["failed"] == 0
    [execution] = executions(admin, rule)
    assert (
        execution["campaign_id"],
        execution["status"],
        execution["action_taken"],
    ) == (ranked[0], "success", "pause")
    assert execution["details"]["metric_value"] == pytest.approx(
        cpa[ranked[0]], rel=1e-9
    )
    assert execution["details"]["threshold"] == pytest.approx(threshold)
    assert (execution["details"]["old_status"], execution["details"]["new_status"]) == (
        "active",
        "paused",
    )
    with admin.engine.connect() as connection:
        audited = connection.execute(
            text(
                "SELECT details FROM audit_log WHERE entity_type = "
                "'campaign' AND entity_id = :c AND action = 'update'"
            ),
            {"c": str(ranked[0])},
        ).all()
        last_run = connection.execute(
            text("SELECT last_run_at FROM automation_rules WHERE id = :r"), {"r": rule}
        ).scalar()
    assert audited, "the pause is in the audit trail"
    assert str(last_run).startswith(seed_now.isoformat(sep=" ")[:16])


def test_an_unmet_condition_changes_nothing(db, admin, seed_now):
    org = org_context(admin, "acme")
    before = campaigns(admin, org.id)
    rule = add_rule(
        db,
        org.id,
        {"metric": "cpa", "operator": ">", "threshold": 1e12, "window": "7d"},
        {"type": "pause"},
    )
    summary = run_rules(db, org, seed_now)
    assert campaigns(admin, org.id) == before
    assert executions(admin, rule) == []
    assert (
        summary["evaluated"] == len(active_ids(admin, org.id))
        and summary["actions"] == 0
    )


def test_budget_adjustment_is_exact_and_respects_caps(db, admin, seed_now):
    org = org_context(admin, "acme")
    first, second = active_ids(admin, org.id)[:2]
    before = campaigns(admin, org.id)
    cap = before[second]["daily_budget"] * 1.05  # below +15 % for the second campaign
    raise_rule = add_rule(
        db,
        org.id,
        ALWAYS,
        {"type": "budget_adjust", "percent": 15, "max_daily_budget": cap},
        {"campaign_ids": [first, second]},
    )
    run_rules(db, org, seed_now)
    after = campaigns(admin, org.id)
    assert after[first]["daily_budget"] == round(
        before[first]["daily_budget"] * 1.15, 2
    )
    assert after[second]["daily_budget"] == pytest.approx(cap)
    recorded = {e["campaign_id"]: e["details"] for e in executions(admin, raise_rule)}
    assert recorded[first]["old_budget"] == before[first]["daily_budget"]
    assert recorded[first]["new_budget"] == after[first]["daily_budget"]
    assert recorded[second]["percent"] == 15
    # Lifetime budgets stay as they were: the daily budget is what was adjusted.
    assert after[first]["budget"] == before[first]["budget"]

    floor = before[first]["daily_budget"] * 0.9
    cut_rule = add_rule(
        db,
        org.id,
        ALWAYS,
        {"type": "budget_adjust", "percent": -20, "min_daily_budget": floor},
        {"campaign_ids": [first]},
    )
    run_rules(db, org, seed_now)
    cut = campaigns(admin, org.id)[first]["daily_budget"]
    assert cut == pytest.approx(
        max(round(after[first]["daily_budget"] * 0.8, 2), floor)
    )
    assert [e["status"] for e in executions(admin, cut_rule)] == ["success"]


def test_a_rerun_does_not_pause_a_campaign_twice(db, admin, seed_now):
    org = org_context(admin, "acme")
    target = active_ids(admin, org.id)[0]
    default_scope = add_rule(
        db, org.id, ALWAYS, {"type": "pause"}, {"campaign_ids": [target]}
    )
    assert run_rules(db, org, seed_now)["actions"] == 1
    for later in (
        seed_now,
        seed_now + dt.timedelta(hours=1),
        seed_now + dt.timedelta(days=2),
    ):
        assert run_rules(db, org, later)["actions"] == 0
    assert [e["status"] for e in executions(admin, default_scope)] == ["success"]

    # A rule that also looks at paused campaigns (and has no cooldown) records a skip.
    wide = add_rule(
        db,
        org.id,
        ALWAYS,
        {"type": "pause", "cooldown_hours": 0},
        {"campaign_ids": [target], "statuses": ["active", "paused"]},
    )
    summary = run_rules(db, org, seed_now + dt.timedelta(days=3))
    assert summary["skipped"] == 1 and summary["actions"] == 0
    [skipped] = executions(admin, wide)
    assert (
        skipped["status"] == "skipped"
        and skipped["details"]["reason"] == "campaign already paused"
    )
    assert campaigns(admin, org.id)[target]["status"] == "paused"
    with admin.engine.connect() as connection:
        updates = connection.execute(
            text(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'update' "
                "AND entity_id = :c"
            ),
            {"c": str(target)},
        ).scalar()
    assert updates == 1


def test_budget_rules_wait_for_their_cooldown(db, admin, seed_now):
    org = org_context(admin, "acme")
    target = active_ids(admin, org.id)[0]
    start = campaigns(admin, org.id)[target]["daily_budget"]
    rule = add_rule(
        db,
        org.id,
        ALWAYS,
        {"type": "budget_adjust", "percent": 10, "cooldown_hours": 24},
        {"campaign_ids": [target]},
    )
    run_rules(db, org, seed_now)
    summary = run_rules(db, org, seed_now + dt.timedelta(minutes=15))
    assert summary["cooled_down"] == 1 and summary["actions"] == 0
    assert campaigns(admin, org.id)[target]["daily_budget"] == round(start * 1.1, 2)
    run_rules(db, org, seed_now + dt.timedelta(hours=25))
    assert campaigns(admin, org.id)[target]["daily_budget"] == round(
        round(start * 1.1, 2) * 1.1, 2
    )
    assert [e["status"] for e in executions(admin, rule)] == ["success", "success"]


def test_a_failed_action_is_recorded_and_the_other_campaigns_continue(
    db, admin, seed_now
):
    org = org_context(admin, "acme")
    broken, fine = active_ids(admin, org.id)[:2]
    with admin.engine.begin() as connection:
        # +50 % would exceed the largest daily budget a campaign may have.
        connection.execute(
            text("UPDATE campaigns SET daily_budget = 900000000 WHERE id = :c"),
            {"c": broken},
        )
    before = campaigns(admin, org.id)
    rule = add_rule(
        db,
        org.id,
        ALWAYS,
        {"type": "budget_adjust", "percent": 50},
        {"campaign_ids": [broken, fine]},
    )
    summary = run_rules(db, org, seed_now)
    assert (summary["failed"], summary["actions"]) == (1, 1)
    after = campaigns(admin, org.id)
    assert after[broken] == before[broken]
    assert after[fine]["daily_budget"] == round(before[fine]["daily_budget"] * 1.5, 2)
    recorded = {e["campaign_id"]: e for e in executions(admin, rule)}
    assert (
        recorded[broken]["status"] == "failed"
        and "daily_budget" in recorded[broken]["error"]
    )
    assert recorded[fine]["status"] == "success" and recorded[fine]["error"] is None


def test_an_invalid_rule_is_reported_and_the_others_still_run(db, admin, seed_now):
    org = org_context(admin, "acme")
    target = active_ids(admin, org.id)[0]
    bad = add_rule(
        db,
        org.id,
        {"metric": "cpx", "operator": ">", "threshold": 1},
        {"type": "pause"},
        name="typo rule",
    )
    good = add_rule(
        db,
        org.id,
        ALWAYS,
        {"type": "notify", "recipients": ["ops@acme.example"]},
        {"campaign_ids": [target]},
    )
    summary = run_rules(db, org, seed_now)
    [invalid] = summary["invalid_rules"]
    assert invalid["rule_id"] == bad and invalid["error"].startswith(
        "condition.metric:"
    )
    [notified] = executions(admin, good)
    assert notified["status"] == "success" and notified["details"]["recipients"] == [
        "ops@acme.example"
    ]
    assert campaigns(admin, org.id)[target]["status"] == "active"


def test_hour_window_change_condition_matches_independent_figures(db, admin, seed_now):
    org = org_context(admin, "acme")
    current = per_campaign_sums(admin, org, seed_now - dt.timedelta(hours=24), seed_now)
    previous = per_campaign_sums(
        admin, org, seed_now - dt.timedelta(hours=48), seed_now - dt.timedelta(hours=24)
    )
    change = {
        cid: (current[cid]["spend"] - previous[cid]["spend"])
        / previous[cid]["spend"]
        * 100
        for cid in active_ids(admin, org.id)
        if cid in current and previous.get(cid, {}).get("spend")
    }
    assert len(change) >= 2
    values = sorted(change.values())
    threshold = (values[0] + values[1]) / 2  # everyone but the lowest
    rule = add_rule(
        db,
        org.id,
        {
            "metric": "spend",
            "operator": "change_pct_gt",
            "threshold": threshold,
            "window": "24h",
        },
        {"type": "notify", "channels": ["email"]},
    )
    run_rules(db, org, seed_now)
    recorded = {
        e["campaign_id"]: e["details"]["metric_value"] for e in executions(admin, rule)
    }
    assert set(recorded) == {cid for cid, value in change.items() if value > threshold}
    for cid, value in recorded.items():
        assert value == pytest.approx(change[cid], rel=1e-9)


def test_rules_never_touch_another_orgs_campaigns(db, admin, seed_now):
    acme, globex = org_context(admin, "acme"), org_context(admin, "globex")
    globex_before = campaigns(admin, globex.id)
    foreign = add_rule(
        db, acme.id, ALWAYS, {"type": "pause"}, {"campaign_ids": list(globex_before)}
    )
    theirs = add_rule(db, globex.id, ALWAYS, {"type": "pause"})
    summary = run_rules(db, acme, seed_now)
    assert summary["rules"] == 1 and summary["evaluated"] == 0
    assert campaigns(admin, globex.id) == globex_before
    assert executions(admin, foreign) == [] and executions(admin, theirs) == []


# ------------------------------------------------------------------ automation sources
def query(app_db, org, name: str, params: dict, filters: dict | None = None) -> dict:
    source = get(name)
    with app_db.session(org.id) as session:
        return source.run(
            session, org, source.parse_params(params), parse_filters(filters or {})
        )


def independent_counts(
    admin_db, org, window: DateWindow, platform: str | None = None
) -> Counter:
    start, end = utc_bounds(window, org.timezone)
    sql = (
        "SELECT e.rule_id, e.status, e.action_taken FROM automation_executions e "
        "LEFT JOIN campaigns c ON c.id = e.campaign_id WHERE e.org_id = :o "
        "AND e.executed_at >= :s AND e.executed_at < :e"
    )
    params = {"o": org.id, "s": start, "e": end}
    if platform:
        sql += " AND c.platform = :p"
        params["p"] = platform
    with admin_db.engine.connect() as connection:
        return Counter(tuple(row) for row in connection.execute(text(sql), params))


@pytest.mark.parametrize("slug", ["acme", "globex"])
def test_execution_summary_matches_independent_counts(app_db, admin_db, slug):
    org = org_context(admin_db, slug)
    result = query(
        app_db, org, "automation_executions", {"view": "summary", "period": "30d"}
    )
    counts = independent_counts(
        admin_db, org, DateWindow.last_days(30, org_today(org.timezone))
    )
    by_status = Counter()
    by_action = Counter()
    for (_, status, action), n in counts.items():
        by_status[status] += n
        by_action[(action, status)] += n
    assert result["total"] == sum(counts.values()) > 0
    assert result["by_status"] == {
        s: by_status[s] for s in ("success", "failed", "skipped")
    }
    for action, entry in result["by_action"].items():
        for status in ("success", "failed", "skipped"):
            assert entry[status] == by_action[(action, status)]
    assert result["value"] == pytest.approx(
        by_status["success"] / (by_status["success"] + by_status["failed"])
    )
    assert result["format"] == "percent"


def test_rules_source_counts_executions_per_rule(app_db, admin_db):
    org = org_context(admin_db, "acme")
    result = query(app_db, org, "automation_rules", {"period": "30d"})
    counts = independent_counts(
        admin_db, org, DateWindow.last_days(30, org_today(org.timezone))
    )
    with admin_db.engine.connect() as connection:
        statuses = dict(
            connection.execute(
                text("SELECT id, status FROM automation_rules WHERE org_id = :o"),
                {"o": org.id},
            ).all()
        )
    assert {i["id"] for i in result["items"]} == set(statuses)
    for item in result["items"]:
        mine = Counter(
            {status: n for (rule, status, _), n in counts.items() if rule == item["id"]}
        )
        assert (item["success"], item["failed"], item["skipped"]) == (
            mine["success"],
            mine["failed"],
            mine["skipped"],
        )
        assert item["executions"] == sum(mine.values())
    active = query(app_db, org, "automation_rules", {"status": "active"})
    assert (
        active["value"]
        == sum(s == "active" for s in statuses.values())
        == active["counts"]["active"]
    )
    assert all(i["status"] == "active" for i in active["items"])


def test_daily_execution_counts_use_org_local_days(app_db, admin_db):
    org = org_context(admin_db, "acme")
    result = query(
        app_db, org, "automation_executions", {"view": "daily", "period": "14d"}
    )
    assert len(result["days"]) == 14
    for day in result["days"]:
        date = dt.date.fromisoformat(day["date"])
        counts = independent_counts(admin_db, org, DateWindow(date, date))
        for status in ("success", "failed", "skipped"):
            assert day[status] == sum(
                n for (_, s, _), n in counts.items() if s == status
            ), day


def test_timeline_respects_the_platform_filter_and_shows_local_times(app_db, admin_db):
    org = org_context(admin_db, "acme")
    result = query(
        app_db,
        org,
        "automation_executions",
        {"view": "timeline", "limit": 500},
        {"platforms": ["meta"]},
    )
    counts = independent_counts(
        admin_db, org, DateWindow.last_days(30, org_today(org.timezone)), "meta"
    )
    assert result["total"] == sum(counts.values()) == len(result["items"])
    assert all(item["platform"] == "meta" for item in result["items"])
    item = result["items"][0]
    utc = dt.datetime.fromisoformat(item["executed_at"])
    assert utc.utcoffset() == dt.timedelta(0)
    local = utc.astimezone(ZoneInfo(org.timezone)).replace(tzinfo=None)
    assert item["executed_at_local"] == local.isoformat() and item["summary"]
    times = [i["executed_at"] for i in result["items"]]
    assert times == sorted(times, reverse=True)


def test_execution_sources_never_show_another_orgs_rows(app_db, admin_db):
    acme, globex = org_context(admin_db, "acme"), org_context(admin_db, "globex")
    with admin_db.engine.connect() as connection:
        globex_rules = set(
            connection.execute(
                text("SELECT id FROM automation_rules WHERE org_id = :o"),
                {"o": globex.id},
            ).scalars()
        )
    timeline = query(
        app_db,
        acme,
        "automation_executions",
        {"view": "timeline", "limit": 500, "period": "90d"},
    )
    rules = query(app_db, acme, "automation_rules", {})
    assert (
        timeline["items"]
        and not {i["rule_id"] for i in timeline["items"]} & globex_rules
    )
    assert not {i["id"] for i in rules["items"]} & globex_rules


def test_bad_automation_params_name_the_field():
    from core.filters import QueryError

    for name, params, field in [
        ("automation_executions", {"view": "pie"}, "view"),
        ("automation_executions", {"period": "7w"}, "period"),
        ("automation_rules", {"status": "deleted"}, "status"),
    ]:
        with pytest.raises(QueryError) as error:
            get(name).parse_params(params)
        assert str(error.value).startswith(f"{name}: query_params.{field}:")
