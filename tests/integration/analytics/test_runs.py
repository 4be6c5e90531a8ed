"""Analytics on the seeded demo, on both engines: stored results, re-runs, data
sources and the apply/dismiss/acknowledge API.

Each engine gets its own freshly seeded database (the shared demo fixtures stay
untouched); the seeder already ran the analytics once.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from analytics.runner import run_analytics
from app import create_app
from commands.anomalies import set_anomaly_status
from core.db import Database
from core.filters import Filters
from core.windows import DateWindow
from datasources import registry
from tests.conftest import (
    PostgresDatabase,
    make_settings,
    org_id,
    seed_small_demo,
    sqlite_url,
)
from tests.figures import independent_sums, org_context, utc_bounds
from tests.integration.server.test_api import login

TABLES = ("forecasts", "anomalies", "trend_analyses", "recommendations")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fresh(request, tmp_path_factory, seed_now):
    """A demo database of our own per engine:
    ``{"admin": Database, "app": Database}``."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("analytics"))
        seed_small_demo(url, seed_now)
        urls, drop = {"admin": url, "app": url}, None
    else:
        database = PostgresDatabase(request.getfixturevalue("postgres_admin_url"))
        seed_small_demo(database.admin_url, seed_now)
        urls, drop = (
            {"admin": database.admin_url, "app": database.app_url},
            database.drop,
        )
    dbs = {"admin": Database(urls["admin"]), "app": Database(urls["app"]), "urls": urls}
    yield dbs
    dbs["admin"].dispose()
    dbs["app"].dispose()
    if drop:
        drop()


@pytest.fixture
def client(fresh):
    app = create_app(
        make_settings(fresh["urls"]["app"], admin_database_url=fresh["urls"]["admin"])
    )
    test_client = app.server.test_client()
    yield test_client
    app.server.extensions["pulse"].db.dispose()


def rows(db: Database, sql: str, **params) -> list:
    with db.engine.connect() as connection:
        return connection.execute(text(sql), params).all()


def counts_by_org(db: Database) -> dict[tuple[str, int], int]:
    return {
        (table, org): n
        for table in TABLES
        for org, n in rows(db, f"SELECT org_id, COUNT(*) FROM {table} GROUP BY org_id")
    }


def query(
    fresh,
    slug: str,
    source: str,
    params: dict | None = None,
    filters: Filters | None = None,
) -> dict:
    org = org_context(fresh["admin"], slug)
    data_source = registry.get(source)
    with fresh["app"].session(org.id) as session:
        return data_source.run(
            session, org, data_source.parse_params(params or {}), filters or Filters()
        )


def test_seeding_stores_forecasts_anomalies_trends_and_recommendations_for_each_org(
    fresh,
):
    counts = counts_by_org(fresh["admin"])
    for slug in ("acme", "globex"):
        org = org_id(fresh["admin"], slug)
        assert counts[("forecasts", org)] == 8  # 4 metrics × linear and seasonal
        assert counts[("anomalies", org)] > 0
        assert counts[("trend_analyses", org)] >= 6
        assert counts[("recommendations", org)] >= 1
    # Money in a recommendation reads as on every card: "$2,164" and "€94", never
    # "2,164 USD" beside "$2,164".
    texts = rows(fresh["admin"], "SELECT title, description FROM recommendations")
    words = " ".join(f"{title} {description}" for title, description in texts)
    assert ("$" in words or "€" in words) and "USD" not in words and "EUR" not in words


def test_forecast_history_is_the_orgs_daily_revenue(fresh):
    org = org_context(fresh["admin"], "acme")
    result = query(
        fresh, "acme", "forecasts", {"metric": "revenue", "method": "seasonal"}
    )
    assert result["source"] == "stored" and result["method"] == "seasonal"
    as_of = dt.date.fromisoformat(result["as_of"])
    assert result["history"][-1]["date"] == result["as_of"]
    for point in result["history"][-3:]:
        day = dt.date.fromisoformat(point["date"])
        expected = independent_sums(
            fresh["admin"], org.id, org.timezone, DateWindow(day, day)
        )
        assert point["value"] == pytest.approx(expected["revenue"])
    assert len(result["points"]) == 30
    assert result["points"][0]["date"] == (as_of + dt.timedelta(days=1)).isoformat()
    for point in result["points"]:
        assert 0 <= point["lower"] <= point["value"] <= point["upper"]
    assert 0 <= result["accuracy_smape"] <= 200
    assert result["accuracy_pct"] == pytest.approx(
        max(0.0, 100 - result["accuracy_smape"])
    )


def test_forecasts_in_the_seeds_spelling_and_for_one_platform(fresh):
    seed_style = query(
        fresh,
        "acme",
        "forecasts",
        {
            "metric": "total_revenue",
            "days": 7,
            "forecast_type": "linear_regression",
            "entity_type": "campaign",
        },
    )
    assert seed_style["method"] == "linear" and len(seed_style["points"]) == 7
    meta = query(
        fresh, "acme", "forecasts", {"metric": "spend", "entity": "platform:meta"}
    )
    assert meta["source"] == "computed" and meta["entity"] == "platform:meta"
    org = org_context(fresh["admin"], "acme")
    day = dt.date.fromisoformat(meta["history"][-1]["date"])
    expected = independent_sums(
        fresh["admin"], org.id, org.timezone, DateWindow(day, day), "meta"
    )
    assert meta["history"][-1]["value"] == pytest.approx(expected["spend"])
    with pytest.raises(registry.QueryError, match="forecast_type"):
        registry.get("forecasts").parse_params({"forecast_type": "crystal_ball"})
    with pytest.raises(registry.QueryError, match="entity"):
        registry.get("forecasts").parse_params({"entity": "country:USA"})


def test_each_anomaly_reports_the_days_real_figure(fresh):
    org = org_context(fresh["admin"], "acme")
    stored = rows(
        fresh["admin"],
        "SELECT campaign_id, metric, day, observed FROM anomalies "
        "WHERE org_id = :o AND campaign_id IS NOT NULL AND metric = 'spend'",
        o=org.id,
    )
    if not stored:
        stored = rows(
            fresh["admin"],
            "SELECT campaign_id, metric, day, observed FROM anomalies "
            "WHERE org_id = :o AND campaign_id IS NOT NULL",
            o=org.id,
        )
    for campaign_id, metric, day, observed in stored:
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(day)
        start, end = utc_bounds(DateWindow(day, day), org.timezone)
        spend, revenue, conversions = rows(
            fresh["admin"],
            "SELECT SUM(spend), SUM(revenue), SUM(conversions) FROM "
            "metric_facts_hourly WHERE campaign_id = :c "
            "AND hour_utc >= :s AND hour_utc < :e",
            c=campaign_id,
            s=start,
            e=end,
        )[0]
        truth = {
            "spend": spend,
            "revenue": revenue,
            "conversions": conversions,
            "roas": revenue / spend if spend else None,
        }[metric]
        assert observed == pytest.approx(truth)


def test_rerunning_analytics_duplicates_nothing_and_keeps_what_users_decided(fresh):
    acme = org_id(fresh["admin"], "acme")
    ids = [
        i
        for (i,) in rows(
            fresh["admin"],
            "SELECT id FROM anomalies WHERE org_id = :o AND status = 'new' ORDER BY id",
            o=acme,
        )
    ]
    assert len(ids) >= 2
    with fresh["app"].session(acme) as session:
        set_anomaly_status(session, ids[0], "acknowledged", user_id=None)
        set_anomaly_status(session, ids[1], "resolved", user_id=None)
    before = counts_by_org(fresh["admin"])
    pending_before = rows(
        fresh["admin"],
        "SELECT id FROM recommendations WHERE status = 'pending' ORDER BY id",
    )
    summary = run_analytics(fresh["app"], acme)
    assert summary["anomalies_new"] == 0 and summary["recommendations_new"] == 0
    assert summary["forecasts"] == 8
    run_analytics(fresh["app"], acme)
    assert counts_by_org(fresh["admin"]) == before
    assert (
        rows(
            fresh["admin"],
            "SELECT id FROM recommendations WHERE status = 'pending' ORDER BY id",
        )
        == pending_before
    )
    statuses = dict(
        rows(
            fresh["admin"],
            "SELECT id, status FROM anomalies WHERE id IN (:a, :b)",
            a=ids[0],
            b=ids[1],
        )
    )
    assert statuses == {ids[0]: "acknowledged", ids[1]: "resolved"}


def test_a_run_clears_the_orgs_refresh_queue_only(fresh):
    acme, globex = org_id(fresh["admin"], "acme"), org_id(fresh["admin"], "globex")
    with fresh["admin"].engine.begin() as connection:
        for org in (acme, globex):
            connection.execute(
                text(
                    "INSERT INTO analytics_refresh_queue (org_id, first_day, "
                    "last_day, requested_at) VALUES (:o, :d, :d, :t)"
                ),
                {"o": org, "d": dt.date.today(), "t": dt.datetime.now()},
            )
    run_analytics(fresh["app"], acme)
    assert rows(fresh["admin"], "SELECT org_id FROM analytics_refresh_queue") == [
        (globex,)
    ]
    run_analytics(fresh["app"], globex)


def test_running_one_org_leaves_the_other_untouched(fresh):
    globex = org_id(fresh["admin"], "globex")
    snapshot = {
        table: rows(
            fresh["admin"],
            f"SELECT * FROM {table} WHERE org_id = :o ORDER BY id",
            o=globex,
        )
        for table in TABLES
    }
    run_analytics(fresh["app"], org_id(fresh["admin"], "acme"))
    for table in TABLES:
        assert (
            rows(
                fresh["admin"],
                f"SELECT * FROM {table} WHERE org_id = :o ORDER BY id",
                o=globex,
            )
            == snapshot[table]
        ), table


def test_data_sources_list_only_the_orgs_own_stored_items(fresh):
    acme = org_id(fresh["admin"], "acme")
    anomalies = query(
        fresh, "acme", "anomalies", {"status": "all", "period": "365d", "limit": 500}
    )
    stored = rows(
        fresh["admin"], "SELECT id, severity FROM anomalies WHERE org_id = :o", o=acme
    )
    assert sorted(i["id"] for i in anomalies["items"]) == sorted(i for i, _ in stored)
    assert anomalies["total"] == len(stored)
    assert sum(anomalies["counts"].values()) == len(stored)
    for item in anomalies["items"]:
        assert item["name"] and item["severity"] in (
            "low",
            "medium",
            "high",
            "critical",
        )
        assert (item["campaign_name"] is None) == (item["entity_type"] == "platform")
    severe = query(
        fresh,
        "acme",
        "anomalies",
        {"status": "all", "period": "365d", "min_severity": "high"},
    )
    assert severe["total"] == sum(1 for _, s in stored if s in ("high", "critical"))
    one_platform = query(
        fresh,
        "acme",
        "anomalies",
        {"status": "all", "period": "365d"},
        Filters(platforms=["meta"]),
    )
    assert all(i["platform"] == "meta" for i in one_platform["items"])

    recs = query(fresh, "acme", "recommendations", {"status": "all"})
    stored_recs = rows(
        fresh["admin"],
        "SELECT r.id, c.name FROM recommendations r JOIN "
        "campaigns c ON c.id = r.campaign_id WHERE r.org_id = :o",
        o=acme,
    )
    assert {(i["id"], i["campaign_name"]) for i in recs["items"]} == set(stored_recs)

    trends = query(fresh, "acme", "trends")
    assert (
        trends["total"]
        == rows(
            fresh["admin"],
            "SELECT COUNT(*) FROM trend_analyses WHERE org_id = :o",
            o=acme,
        )[0][0]
    )
    assert {i["trend_type"] for i in trends["items"]} <= {
        "increasing",
        "decreasing",
        "stable",
        "volatile",
    }
    meta = query(fresh, "acme", "trends", {}, Filters(platforms=["meta"]))
    assert meta["items"] and all(i["entity_id"] == "meta" for i in meta["items"])


def test_applying_a_recommendation_changes_the_campaign_and_is_audited(fresh, client):
    acme = org_id(fresh["admin"], "acme")
    login(client, "editor@acme.example")
    listing = client.get("/api/v1/data/recommendations").get_json()
    assert listing["items"], listing
    rec = listing["items"][0]
    payload = rec["payload"]
    touched = [payload.get("campaign_id") or payload["from_campaign_id"]]
    if payload.get("to_campaign_id"):
        touched.append(payload["to_campaign_id"])
    before = {
        c: rows(
            fresh["admin"],
            "SELECT status, daily_budget FROM campaigns WHERE id = :c",
            c=c,
        )[0]
        for c in touched
    }

    response = client.post(f"/api/v1/recommendations/{rec['id']}/apply")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["recommendation"]["status"] == "applied"
    after = {
        c: rows(
            fresh["admin"],
            "SELECT status, daily_budget FROM campaigns WHERE id = :c",
            c=c,
        )[0]
        for c in touched
    }
    if payload["action"] == "pause":
        assert after[touched[0]][0] == "paused"
    elif payload["action"] == "budget_shift":
        assert after[touched[0]][1] == pytest.approx(
            before[touched[0]][1] - payload["amount"]
        )
        assert after[touched[1]][1] == pytest.approx(
            before[touched[1]][1] + payload["amount"]
        )
    else:
        assert after[touched[0]][1] == pytest.approx(
            before[touched[0]][1] + payload["amount"]
        )
    status, decided_by = rows(
        fresh["admin"],
        "SELECT status, decided_by FROM recommendations WHERE id = :r",
        r=rec["id"],
    )[0]
    editor = rows(
        fresh["admin"], "SELECT id FROM users WHERE email = 'editor@acme.example'"
    )[0][0]
    assert (status, decided_by) == ("applied", editor)
    audit = rows(
        fresh["admin"],
        "SELECT entity_type, entity_id, user_id FROM audit_log WHERE "
        "org_id = :o AND action IN ('apply', 'update')",
        o=acme,
    )
    assert ("recommendation", str(rec["id"]), editor) in audit
    assert all(("campaign", str(c), editor) in audit for c in touched)
    # Served figures were invalidated: the list no longer shows it as pending.
    assert rec["id"] not in [
        i["id"] for i in client.get("/api/v1/data/recommendations").get_json()["items"]
    ]

    again = client.post(f"/api/v1/recommendations/{rec['id']}/apply")
    assert again.status_code == 409 and "already applied" in again.get_json()["error"]
    # A re-run does not propose the applied change again.
    run_analytics(fresh["app"], acme)
    assert (
        rows(
            fresh["admin"],
            "SELECT COUNT(*) FROM recommendations WHERE org_id = :o AND "
            "rec_type = :t AND campaign_id = :c",
            o=acme,
            t=rec["rec_type"],
            c=rec["campaign_id"],
        )[0][0]
        == 1
    )


def test_dismissing_changes_no_campaign(fresh, client):
    login(client, "admin@globex.example")
    items = client.get("/api/v1/data/recommendations").get_json()["items"]
    assert items
    campaigns_before = rows(
        fresh["admin"],
        "SELECT id, status, budget, daily_budget FROM campaigns ORDER BY id",
    )
    response = client.post(f"/api/v1/recommendations/{items[0]['id']}/dismiss")
    assert (
        response.status_code == 200
        and response.get_json()["recommendation"]["status"] == "dismissed"
    )
    assert (
        rows(
            fresh["admin"],
            "SELECT id, status, budget, daily_budget FROM campaigns ORDER BY id",
        )
        == campaigns_before
    )
    assert (
        client.post(f"/api/v1/recommendations/{items[0]['id']}/apply").status_code
        == 409
    )


def test_acknowledging_and_resolving_anomalies(fresh, client):
    login(client, "editor@acme.example")
    listing = client.get("/api/v1/data/anomalies?status=new&period=365d").get_json()
    anomaly = listing["items"][0]
    response = client.post(f"/api/v1/anomalies/{anomaly['id']}/acknowledge")
    assert (
        response.status_code == 200 and response.get_json()["status"] == "acknowledged"
    )
    open_now = client.get("/api/v1/data/anomalies?status=new&period=365d").get_json()
    assert anomaly["id"] not in [i["id"] for i in open_now["items"]]
    assert (
        client.post(f"/api/v1/anomalies/{anomaly['id']}/acknowledge").status_code == 409
    )
    response = client.post(f"/api/v1/anomalies/{anomaly['id']}/resolve")
    assert response.status_code == 200 and response.get_json()["resolved_at"]
    status, acknowledged_by = rows(
        fresh["admin"],
        "SELECT status, acknowledged_by FROM anomalies WHERE id = :a",
        a=anomaly["id"],
    )[0]
    editor = rows(
        fresh["admin"], "SELECT id FROM users WHERE email = 'editor@acme.example'"
    )[0][0]
    assert (status, acknowledged_by) == ("resolved", editor)
    assert client.post(f"/api/v1/anomalies/{anomaly['id']}/resolve").status_code == 409


def test_viewers_may_look_but_not_act(fresh, client):
    acme = org_id(fresh["admin"], "acme")
    rec = rows(
        fresh["admin"], "SELECT id FROM recommendations WHERE org_id = :o", o=acme
    )[0][0]
    anomaly = rows(
        fresh["admin"], "SELECT id FROM anomalies WHERE org_id = :o", o=acme
    )[0][0]
    login(client, "viewer@acme.example")
    assert client.get("/api/v1/data/anomalies").status_code == 200
    for url in (
        f"/api/v1/recommendations/{rec}/apply",
        f"/api/v1/recommendations/{rec}/dismiss",
        f"/api/v1/anomalies/{anomaly}/acknowledge",
        f"/api/v1/anomalies/{anomaly}/resolve",
        "/api/v1/analytics/run",
    ):
        response = client.post(url)
        assert response.status_code == 403, url
        assert "needs role" in response.get_json()["details"][0]


def test_another_orgs_ids_are_not_found(fresh, client):
    globex = org_id(fresh["admin"], "globex")
    rec = rows(
        fresh["admin"], "SELECT id FROM recommendations WHERE org_id = :o", o=globex
    )[0][0]
    anomaly = rows(
        fresh["admin"], "SELECT id, status FROM anomalies WHERE org_id = :o", o=globex
    )[0]
    before = rows(
        fresh["admin"], "SELECT status FROM recommendations WHERE id = :r", r=rec
    )
    login(client, "admin@acme.example")
    for url in (
        f"/api/v1/recommendations/{rec}/apply",
        f"/api/v1/recommendations/{rec}/dismiss",
        f"/api/v1/anomalies/{anomaly[0]}/acknowledge",
        "/api/v1/recommendations/999999/apply",
    ):
        assert client.post(url).status_code == 404, url
    assert (
        rows(fresh["admin"], "SELECT status FROM recommendations WHERE id = :r", r=rec)
        == before
    )
    assert (
        rows(
            fresh["admin"], "SELECT status FROM anomalies WHERE id = :a", a=anomaly[0]
        )[0][0]
        == anomaly[1]
    )


def test_an_editor_can_rerun_the_orgs_analytics(fresh, client):
    acme = org_id(fresh["admin"], "acme")
    login(client, "editor@acme.example")
    response = client.post("/api/v1/analytics/run")
    assert response.status_code == 200, response.get_json()
    summary = response.get_json()
    assert summary["forecasts"] == 8 and summary["as_of"]
    assert (
        rows(
            fresh["admin"],
            "SELECT COUNT(*) FROM audit_log WHERE org_id = :o AND "
            "entity_type = 'analytics' AND action = 'run'",
            o=acme,
        )[0][0]
        == 1
    )
