"""The commands the scheduler runs for an org: analytics (nightly and when an ingest
queued the org) and automation rules; each leaves the org's cached figures stale."""

from __future__ import annotations

import datetime as dt

from commands.analytics import (
    run_org_analytics,
    run_queued_analytics,
    run_scheduled_analytics,
)
from commands.automation import run_automation_rules
from core.models import AnalyticsRefresh
from tests.integration.conftest import audits


def cache_version(world) -> int:
    return world["svc"].data.org_version(world["acme"])


def test_queued_analytics_run_only_for_a_queued_org(world):
    acme = world["acme"]
    run_scheduled_analytics(world["svc"], acme)  # empties the queue
    assert run_queued_analytics(world["svc"], acme) == {"skipped": "nothing queued"}
    day = dt.date.today() - dt.timedelta(days=1)
    with world["db"].session(acme) as session:
        session.add(AnalyticsRefresh(org_id=acme, first_day=day, last_day=day))
    before = cache_version(world)
    summary = run_queued_analytics(world["svc"], acme)
    assert summary["first_day"] == summary["last_day"] == day.isoformat()
    assert summary["as_of"] and "forecasts" in summary
    assert cache_version(world) > before
    assert run_queued_analytics(world["svc"], acme) == {"skipped": "nothing queued"}


def test_a_person_running_the_analytics_is_audited(world):
    editor = world["users"]["editor@acme.example"]
    summary = run_org_analytics(world["svc"], editor)
    [entry] = [a for a in audits(world, "analytics", None) if a.details == summary]
    assert (entry.action, entry.user_id) == ("run", editor.user_id)


def test_automation_rules_run_and_invalidate_the_cache(world):
    before = cache_version(world)
    summary = run_automation_rules(world["svc"], world["acme"])
    assert summary["rules"] >= 1 and summary["evaluated"] >= 1
    assert cache_version(world) > before
