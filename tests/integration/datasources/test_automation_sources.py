"""The automation executions source against independent SQL, on both engines."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from core.filters import parse_filters
from core.windows import org_today
from datasources.sources.automation import (
    AutomationExecutionsParams,
    automation_executions_source,
)
from tests.figures import org_context


def utc(iso: str) -> dt.datetime:
    """An ISO UTC instant as the naive UTC the tables store."""
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).replace(tzinfo=None)


def test_campaigns_paused_by_rules_are_listed_once_each_and_only_while_paused(
    app_db, admin_db
):
    """ "Campaigns Paused by Rules": each campaign a rule paused in the period and that
    is still paused, once, with its latest pause (not every pause event)."""
    checked = events = 0
    for slug, still in [(s, p) for s in ("acme", "globex") for p in ("paused", None)]:
        org = org_context(admin_db, slug)
        params = AutomationExecutionsParams(
            view="timeline",
            period="30d",
            limit=500,
            action="pause",
            status="success",
            campaign_status=still,
            latest_per_campaign=True,
        )
        with app_db.session(org.id) as session:
            result = automation_executions_source(
                session, org, params, parse_filters({})
            )
        window = result["window"]
        listed = [item["campaign_id"] for item in result["items"]]
        assert len(listed) == len(set(listed))  # once each
        with admin_db.engine.connect() as connection:
            expected = dict(
                connection.execute(
                    text(
                        "SELECT e.campaign_id, MAX(e.executed_at) "
                        "FROM automation_executions e "
                        "JOIN campaigns c ON c.id = e.campaign_id "
                        "WHERE e.org_id = :org AND e.action_taken = 'pause' "
                        "AND e.status = 'success' "
                        + ("AND c.status = :still " if still else "")
                        + "AND e.executed_at >= :start AND e.executed_at < :end "
                        "GROUP BY e.campaign_id"
                    ),
                    {
                        "org": org.id,
                        "still": still,
                        "start": utc(window["start"]),
                        "end": utc(window["end"]),
                    },
                ).all()
            )
        assert set(listed) == set(expected)
        checked += len(expected)
        with admin_db.engine.connect() as connection:
            events += connection.execute(
                text(
                    "SELECT COUNT(*) FROM automation_executions WHERE org_id = :org "
                    "AND action_taken = 'pause' AND status = 'success' "
                    "AND executed_at >= :start AND executed_at < :end"
                ),
                {
                    "org": org.id,
                    "start": utc(window["start"]),
                    "end": utc(window["end"]),
                },
            ).scalar_one()
        for item in result["items"]:
            assert item["executed_at"][:19] == str(expected[item["campaign_id"]])[
                :19
            ].replace(" ", "T")
    assert checked >= 1, "the demo has campaigns that rules paused"
    # Some campaigns were paused more than once: listing each once is the point.
    assert events > checked


def test_executions_per_day_name_today_as_the_day_still_filling(app_db, admin_db):
    org = org_context(admin_db, "acme")
    with app_db.session(org.id) as session:
        result = automation_executions_source(
            session,
            org,
            AutomationExecutionsParams(view="daily", period="7d"),
            parse_filters({}),
        )
    today = org_today(org.timezone).isoformat()
    assert result["partial_bucket"] == today == result["days"][-1]["date"]
