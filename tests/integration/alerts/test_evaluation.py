"""Alert evaluation on real ingested data, on SQLite and PostgreSQL (the app role,
under row-level security): each type fires and resolves, a hovering metric fires
once, a broken alert sits beside working ones, and the values equal independent SQL
over the hourly facts."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from commands.alerts import run_alerts
from core.models import Anomaly
from core.windows import org_today
from tests.integration.alerts.conftest import (
    add_alert,
    alert_row,
    campaign_id,
    history,
    hour_now,
    ingest_hours,
    states,
)


def evaluate(alerts_db, now: dt.datetime, **kwargs) -> dict:
    return run_alerts(alerts_db["app"], None, alerts_db["org"].id, now=now, **kwargs)


def test_alr001_threshold_cpa_per_campaign_fires_after_pending_and_resolves(alerts_db):
    app, admin, org = alerts_db["app"], alerts_db["admin"], alerts_db["org"]
    base = hour_now()
    hours = [base - dt.timedelta(hours=n) for n in (3, 2, 1)]
    expensive = {"spend": 100.0, "conversions": 1}
    first = ingest_hours(
        app, org.id, "Alert – Expensive", [(h, expensive) for h in hours]
    )
    cheap = ingest_hours(
        app,
        org.id,
        "Alert – Cheap",
        [(h, {"spend": 30.0, "conversions": 3}) for h in hours],
    )
    ids = [campaign_id(admin, org.id, first), campaign_id(admin, org.id, cheap)]
    alert = add_alert(
        app,
        org.id,
        "threshold",
        {
            "metric": "cpa",
            "operator": ">",
            "threshold": 50,
            "window": "3h",
            "entity_type": "campaign",
            "campaign_ids": ids,
            "pending_evaluations": 2,
        },
    )
    now = base + dt.timedelta(minutes=5)
    evaluate(alerts_db, now)
    key = f"campaign:{ids[0]}"
    assert states(admin, alert)[key]["state"] == "pending"
    assert f"campaign:{ids[1]}" not in states(admin, alert)  # CPA 10: fine
    evaluate(alerts_db, now + dt.timedelta(minutes=1))
    after = states(admin, alert)
    assert after[key]["state"] == "firing"
    # The value equals SQL over the hourly facts: sum(spend) / sum(conversions).
    with admin.engine.connect() as connection:
        spend, conversions = connection.execute(
            text(
                "SELECT SUM(spend), SUM(conversions) FROM metric_facts_hourly "
                "WHERE campaign_id = :c AND hour_utc >= :s AND hour_utc < :e"
            ),
            {"c": ids[0], "s": base - dt.timedelta(hours=3), "e": base},
        ).one()
    assert after[key]["value"] == pytest.approx(float(spend) / float(conversions))
    assert after[key]["value"] == pytest.approx(100.0)
    assert alert_row(admin, alert)["state"] == "firing"
    # Conversions come in for the same hours: CPA 20, the alert resolves.
    ingest_hours(
        app,
        org.id,
        "Alert – Expensive",
        [(h, {"spend": 100.0, "conversions": 5}) for h in hours],
        external_id=first,
    )
    evaluate(alerts_db, now + dt.timedelta(minutes=2))
    assert states(admin, alert)[key]["state"] == "resolved"
    assert [
        (r["from_state"], r["to_state"], r["notify_status"])
        for r in history(admin, alert)
    ] == [
        ("ok", "pending", "none"),
        ("pending", "firing", "pending"),
        ("firing", "resolved", "pending"),
    ]


def test_alr002_hovering_metric_fires_once_with_recovery_threshold(alerts_db):
    app, admin, org = alerts_db["app"], alerts_db["admin"], alerts_db["org"]
    base = hour_now()
    hours = [base - dt.timedelta(hours=n) for n in (2, 1)]
    external = ingest_hours(
        app,
        org.id,
        "Alert – Hover",
        [(h, {"spend": 51.0, "conversions": 1}) for h in hours],
    )
    cid = campaign_id(admin, org.id, external)
    alert = add_alert(
        app,
        org.id,
        "threshold",
        {
            "metric": "cpa",
            "operator": ">",
            "threshold": 50,
            "recovery_threshold": 45,
            "window": "2h",
            "entity_type": "campaign",
            "campaign_ids": [cid],
        },
        cooldown_minutes=30,
    )
    now = base + dt.timedelta(minutes=1)
    # CPA hovers 51, 49, 51, 49.5, 52 ...: above, just below, above the threshold.
    for step, cpa in enumerate([51, 49, 51, 49.5, 52, 48, 50.5]):
        ingest_hours(
            app,
            org.id,
            "Alert – Hover",
            [(h, {"spend": cpa, "conversions": 1}) for h in hours],
            external_id=external,
        )
        evaluate(alerts_db, now + dt.timedelta(minutes=step))
    rows = history(admin, alert)
    assert [r["to_state"] for r in rows if r["notify_status"] != "none"] == ["firing"]
    assert states(admin, alert)[f"campaign:{cid}"]["state"] == "firing"
    # Below the recovery threshold it resolves, once; the cooldown then holds it.
    for step, cpa in enumerate([40, 55, 56]):
        ingest_hours(
            app,
            org.id,
            "Alert – Hover",
            [(h, {"spend": cpa, "conversions": 1}) for h in hours],
            external_id=external,
        )
        evaluate(alerts_db, now + dt.timedelta(minutes=10 + step))
    notified = [
        r["to_state"] for r in history(admin, alert) if r["notify_status"] != "none"
    ]
    assert notified == ["firing", "resolved"]
    assert states(admin, alert)[f"campaign:{cid}"]["state"] == "resolved"
    # After the cooldown the still-high CPA fires again.
    evaluate(alerts_db, now + dt.timedelta(minutes=45))
    notified = [
        r["to_state"] for r in history(admin, alert) if r["notify_status"] != "none"
    ]
    assert notified == ["firing", "resolved", "firing"]


def test_alr003_change_alert_revenue_drop_fires_and_resolves(alerts_db):
    app, admin, org = alerts_db["app"], alerts_db["admin"], alerts_db["org"]
    base = hour_now()
    before = [base - dt.timedelta(hours=n) for n in (4, 3)]
    recent = [base - dt.timedelta(hours=n) for n in (2, 1)]
    external = ingest_hours(
        app,
        org.id,
        "Alert – Revenue",
        [(h, {"spend": 10.0, "revenue": 1000.0}) for h in before]
        + [(h, {"spend": 10.0, "revenue": 700.0}) for h in recent],
    )
    cid = campaign_id(admin, org.id, external)
    alert = add_alert(
        app,
        org.id,
        "change",
        {
            "metric": "revenue",
            "change_percent": -20,
            "period": "2h",
            "entity_type": "campaign",
            "campaign_ids": [cid],
        },
    )
    now = base + dt.timedelta(minutes=2)
    evaluate(alerts_db, now)
    state = states(admin, alert)[f"campaign:{cid}"]
    assert state["state"] == "firing"
    assert state["value"] == pytest.approx(-30.0)  # 1400 vs 2000
    ingest_hours(
        app,
        org.id,
        "Alert – Revenue",
        [(h, {"spend": 10.0, "revenue": 950.0}) for h in recent],
        external_id=external,
    )
    evaluate(alerts_db, now + dt.timedelta(minutes=1))
    state = states(admin, alert)[f"campaign:{cid}"]
    assert state["state"] == "resolved"
    assert state["value"] == pytest.approx(-5.0)


def test_alr004_anomaly_alert_fires_on_new_anomaly_and_resolves_when_acknowledged(
    alerts_db,
):
    app, admin, org = alerts_db["app"], alerts_db["admin"], alerts_db["org"]
    base = hour_now()
    external = ingest_hours(
        app,
        org.id,
        "Alert – Anomalous",
        [(base - dt.timedelta(hours=1), {"spend": 5.0})],
    )
    cid = campaign_id(admin, org.id, external)
    today = org_today(org.timezone, base)
    with app.session(org.id) as session:
        anomaly = Anomaly(
            org_id=org.id,
            entity_key=f"campaign:{cid}",
            campaign_id=cid,
            metric="conversions",
            day=today - dt.timedelta(days=1),
            observed=0.0,
            expected=40.0,
            score=-8.2,
            severity="high",
            status="new",
        )
        session.add(anomaly)
        session.flush()
        anomaly_id = anomaly.id
    alert = add_alert(
        app,
        org.id,
        "anomaly",
        {
            "severity": ["high", "critical"],
            "metric": "conversions",
            "entity_type": "campaign",
        },
    )
    evaluate(alerts_db, base + dt.timedelta(minutes=3))
    assert states(admin, alert)[f"campaign:{cid}"]["state"] == "firing"
    with admin.engine.begin() as connection:
        connection.execute(
            text("UPDATE anomalies SET status = 'acknowledged' WHERE id = :i"),
            {"i": anomaly_id},
        )
    evaluate(alerts_db, base + dt.timedelta(minutes=4))
    assert states(admin, alert)[f"campaign:{cid}"]["state"] == "resolved"


def test_alr005_forecast_budget_depletion_fires_and_resolves(alerts_db):
    app, admin, org = alerts_db["app"], alerts_db["admin"], alerts_db["org"]
    base = hour_now()
    today = org_today(org.timezone, base)
    # One hour at noon (local) on each of the last 7 complete days: 100 a day.
    days = [today - dt.timedelta(days=n) for n in range(1, 8)]
    hours = [
        dt.datetime.combine(day, dt.time(12))
        .replace(tzinfo=org_zone(org))
        .astimezone(dt.UTC)
        .replace(tzinfo=None)
        for day in days
    ]
    external = ingest_hours(
        app, org.id, "Alert – Budget", [(h, {"spend": 100.0}) for h in hours]
    )
    cid = campaign_id(admin, org.id, external)
    with admin.engine.begin() as connection:
        connection.execute(
            text("UPDATE campaigns SET budget = 1500, status = 'active' WHERE id = :c"),
            {"c": cid},
        )
    alert = add_alert(
        app,
        org.id,
        "forecast",
        {
            "metric": "budget_depletion",
            "forecast_days": 7,
            "threshold": 90,
            "campaign_ids": [cid],
        },
    )
    evaluate(alerts_db, base + dt.timedelta(minutes=5))
    state = states(admin, alert)[f"campaign:{cid}"]
    # 700 spent + 100/day x 7 = 1400 of 1500: 93.3 %.
    assert state["state"] == "firing"
    assert state["value"] == pytest.approx(1400 / 1500 * 100)
    with admin.engine.begin() as connection:
        connection.execute(
            text("UPDATE campaigns SET budget = 3000 WHERE id = :c"), {"c": cid}
        )
    evaluate(alerts_db, base + dt.timedelta(minutes=6))
    state = states(admin, alert)[f"campaign:{cid}"]
    assert state["state"] == "resolved"
    assert state["value"] == pytest.approx(1400 / 3000 * 100)


def org_zone(org):
    from zoneinfo import ZoneInfo

    return ZoneInfo(org.timezone)


def test_alr006_broken_alerts_beside_working_ones(alerts_db):
    app, admin, org = alerts_db["app"], alerts_db["admin"], alerts_db["org"]
    base = hour_now()
    external = ingest_hours(
        app,
        org.id,
        "Alert – Doomed",
        [(base - dt.timedelta(hours=1), {"spend": 80.0, "conversions": 1})],
    )
    doomed = campaign_id(admin, org.id, external)
    unknown_metric = add_alert(
        app, org.id, "threshold", {"metric": "cpx", "operator": ">", "threshold": 1}
    )
    deleted_campaign = add_alert(
        app,
        org.id,
        "threshold",
        {
            "metric": "cpa",
            "operator": ">",
            "threshold": 1,
            "window": "1h",
            "entity_type": "campaign",
            "campaign_ids": [doomed],
        },
    )
    working = add_alert(
        app,
        org.id,
        "threshold",
        {"metric": "spend", "operator": ">=", "threshold": 0, "window": "7d"},
    )
    with admin.engine.begin() as connection:
        for table in ("metric_facts_hourly", "metric_facts_daily", "campaign_totals"):
            connection.execute(
                text(f"DELETE FROM {table} WHERE campaign_id = :c"), {"c": doomed}
            )
        connection.execute(text("DELETE FROM campaigns WHERE id = :c"), {"c": doomed})
    summary = evaluate(
        alerts_db,
        base + dt.timedelta(minutes=7),
        alert_ids=[unknown_metric, deleted_campaign, working],
    )
    assert summary["broken"] == 2
    first, second = alert_row(admin, unknown_metric), alert_row(admin, deleted_campaign)
    assert first["state"] == "broken" and "condition.metric" in first["broken_reason"]
    assert "cpx" in first["broken_reason"]
    assert second["state"] == "broken"
    assert f"campaign {doomed} no longer exists" in second["broken_reason"]
    assert alert_row(admin, working)["state"] == "firing"
    assert states(admin, working)["org"]["state"] == "firing"


def test_alr007_org_and_platform_entities_equal_sql_over_days(alerts_db):
    app, admin, org = alerts_db["app"], alerts_db["admin"], alerts_db["org"]
    now = hour_now() + dt.timedelta(minutes=9)
    alert = add_alert(
        app,
        org.id,
        "threshold",
        {
            "metric": "roas",
            "operator": ">",
            "threshold": 0,
            "window": "7d",
            "entity_type": "platform",
        },
    )
    total = add_alert(
        app,
        org.id,
        "threshold",
        {"metric": "cpa", "operator": ">", "threshold": 0, "window": "7d"},
    )
    evaluate(alerts_db, now, alert_ids=[alert, total])
    today = org_today(org.timezone, now)
    start = today - dt.timedelta(days=7)
    with admin.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.platform, SUM(f.revenue), SUM(f.spend), SUM(f.conversions) "
                "FROM metric_facts_hourly f JOIN campaigns c ON c.id = f.campaign_id "
                "WHERE f.org_id = :o AND f.local_date >= :s AND f.local_date < :e "
                "GROUP BY c.platform"
            ),
            {"o": org.id, "s": start, "e": today},
        ).all()
    found = states(admin, alert)
    expected = {
        f"platform:{p}": float(rev) / float(spend) for p, rev, spend, _ in rows if spend
    }
    assert expected
    assert {k: v["value"] for k, v in found.items()} == pytest.approx(expected)
    spend = sum(float(r[2]) for r in rows)
    conversions = sum(float(r[3]) for r in rows)
    assert states(admin, total)["org"]["value"] == pytest.approx(spend / conversions)


def test_alr008_an_ingest_evaluates_at_once_and_mails_to_the_outbox(
    alerts_db, tmp_path
):
    import json

    from commands.ingest import ingest_file
    from tests.conftest import make_settings

    app, admin, org = alerts_db["app"], alerts_db["admin"], alerts_db["org"]
    base = hour_now()
    hour = base - dt.timedelta(hours=1)
    external = ingest_hours(app, org.id, "Alert – Hooked", [(hour, {"spend": 1.0})])
    cid = campaign_id(admin, org.id, external)
    alert = add_alert(
        app,
        org.id,
        "threshold",
        {
            "metric": "spend",
            "operator": ">",
            "threshold": 500,
            "window": "1h",
            "include_current": False,
            "entity_type": "campaign",
            "campaign_ids": [cid],
        },
        name="Spend spike",
    )
    rows = [
        {
            "campaign": external,
            "campaign_name": "Alert – Hooked",
            "platform": "meta",
            "hour": hour.replace(tzinfo=dt.UTC).isoformat(),
            "country": "US",
            "spend": 900,
            "impressions": 1000,
            "clicks": 10,
            "conversions": 0,
            "revenue": 0,
            "currency": "USD",
        }
    ]
    path = tmp_path / "spike.json"
    path.write_text(json.dumps(rows))
    settings = make_settings(admin.url, outbox_dir=tmp_path / "outbox")
    ingest_file(admin, org.id, path, settings)
    assert states(admin, alert)[f"campaign:{cid}"]["state"] == "firing"
    assert [r["notify_status"] for r in history(admin, alert)] == ["sent"]
    files = list((tmp_path / "outbox" / org.slug).glob(f"alert-{org.id}.{alert}.*.eml"))
    assert len(files) == 1
    content = files[0].read_text()
    assert "FIRING: Spend spike" in content and "ops@acme.example" in content


def test_alr009_two_evaluations_at_once_fire_once(alerts_db):
    """The scheduler's job and an ingest evaluating one org at the same moment: one
    waits for the other (an advisory lock on PostgreSQL; SQLite has one writer), so
    the entity fires once and nothing is marked broken."""
    import threading

    app, admin, org = alerts_db["app"], alerts_db["admin"], alerts_db["org"]
    alert = add_alert(
        app,
        org.id,
        "threshold",
        {
            "metric": "spend",
            "operator": ">=",
            "threshold": 0,
            "window": "30d",
            "entity_type": "platform",
        },
    )
    now = hour_now() + dt.timedelta(minutes=11)
    results: list = []

    def run() -> None:
        try:
            results.append(evaluate(alerts_db, now, alert_ids=[alert]))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(isinstance(r, dict) and r["broken"] == 0 for r in results), results
    firing = [r for r in history(admin, alert) if r["to_state"] == "firing"]
    platforms = {r["entity_key"] for r in firing}
    assert len(firing) == len(platforms) >= 2


def test_alr010_anomaly_alert_on_anomalies_the_analytics_found_in_ingested_facts(
    alerts_db,
):
    """Five weeks of steady days, then a spike in conversions yesterday: the
    analytics' detector stores an anomaly, the alert fires on it; the day corrected
    by a new ingest, the detector drops the anomaly and the alert resolves."""
    from zoneinfo import ZoneInfo

    from analytics.anomalies import detect_anomalies

    app, admin, org = alerts_db["app"], alerts_db["admin"], alerts_db["org"]
    zone = ZoneInfo(org.timezone)
    base = hour_now()
    today = org_today(org.timezone, base)
    yesterday = today - dt.timedelta(days=1)

    def noon(day: dt.date) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(12), tzinfo=zone)
        return local.astimezone(dt.UTC).replace(tzinfo=None)

    steady = {"spend": 100.0, "conversions": 10, "revenue": 500.0}
    days = [yesterday - dt.timedelta(days=n) for n in range(35, 0, -1)]
    external = ingest_hours(
        app,
        org.id,
        "Alert – Spiky",
        [(noon(day), steady) for day in days]
        + [(noon(yesterday), steady | {"conversions": 60})],
    )
    cid = campaign_id(admin, org.id, external)

    def detect() -> None:
        with app.session(org.id) as session:
            detect_anomalies(session, org.id, yesterday)

    detect()
    with admin.engine.connect() as connection:
        stored = connection.execute(
            text(
                "SELECT severity, status FROM anomalies WHERE campaign_id = :c "
                "AND metric = 'conversions' AND day = :d"
            ),
            {"c": cid, "d": yesterday},
        ).all()
    assert [tuple(row) for row in stored] == [("critical", "new")]
    alert = add_alert(
        app,
        org.id,
        "anomaly",
        {"severity": ["critical"], "metric": "conversions", "entity_type": "campaign"},
    )
    evaluate(alerts_db, base + dt.timedelta(minutes=12), alert_ids=[alert])
    state = states(admin, alert)[f"campaign:{cid}"]
    assert state["state"] == "firing" and state["value"] == 1
    ingest_hours(
        app, org.id, "Alert – Spiky", [(noon(yesterday), steady)], external_id=external
    )
    detect()
    evaluate(alerts_db, base + dt.timedelta(minutes=13), alert_ids=[alert])
    assert states(admin, alert)[f"campaign:{cid}"]["state"] == "resolved"
