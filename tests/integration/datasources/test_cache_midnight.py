"""Cached answers roll over at the org's midnight: a relative period ("today") cached
just before an org's local midnight is never served as "today" just after it, on Redis
with two workers and a controlled clock, on either engine, DST days included."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import redis
import time_machine
from sqlalchemy import func, select

from core.cache import make_cache
from core.db import Database
from core.models import MetricFactHourly
from datasources.cache import QueryCache
from tests.conftest import make_settings, org_id

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = {"metric": "revenue", "view": "summary", "period": "today"}


@pytest.fixture
def workers(demo_db, redis_url):
    """Two services = two web workers sharing one Redis, on each engine."""
    redis.Redis.from_url(redis_url).flushdb()
    settings = make_settings(demo_db["app"], cache_type="redis", redis_url=redis_url)
    db = Database(demo_db["app"])
    admin = Database(demo_db["admin"])
    yield (
        QueryCache(db, make_cache(settings)),
        QueryCache(db, make_cache(settings)),
        admin,
    )
    admin.dispose()
    db.dispose()


def at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    """That Berlin wall-clock time on ``day``."""
    return dt.datetime.combine(day, dt.time(hour, minute), BERLIN)


def local_day_revenue(
    admin: Database, org: int, day: dt.date, until: dt.datetime | None = None
) -> float:
    """Globex's revenue on one Berlin day, summed from the hourly facts over that day's
    UTC bounds (23, 24 or 25 hours), independently of the rollups the source reads;
    with ``until``, only the hours that start before that moment (today so far)."""
    start, end = (
        at(d, 0, 0).astimezone(dt.UTC).replace(tzinfo=None)
        for d in (day, day + dt.timedelta(days=1))
    )
    if until is not None:
        end = min(end, until.astimezone(dt.UTC).replace(tzinfo=None))
    statement = select(func.coalesce(func.sum(MetricFactHourly.revenue), 0)).where(
        MetricFactHourly.org_id == org,
        MetricFactHourly.hour_utc >= start,
        MetricFactHourly.hour_utc < end,
    )
    with admin.engine.connect() as connection:
        return float(connection.execute(statement).scalar_one())


def ask_at(moment: dt.datetime, worker: QueryCache, org: int) -> dict:
    """``period=today`` asked of ``worker`` at ``moment`` (and any background refresh
    it starts finished at that moment too)."""
    with time_machine.travel(moment, tick=False):
        answer = worker.query(org, "campaigns", TODAY)
        worker.wait_for_refreshes()
        return answer


def test_today_cached_before_midnight_is_not_served_after_it(workers):
    first, second, admin = workers
    globex = org_id(admin, "globex")
    # The seeded data ends at the hour the session started, so "yesterday" (Berlin) is
    # a full day of data and the new day holds what has been seeded of it so far.
    new_day = dt.datetime.now(BERLIN).date()
    old_day = new_day - dt.timedelta(days=1)

    before = ask_at(at(old_day, 23, 58), first, globex)
    assert before["window"] == {"start": str(old_day), "end": str(old_day)}
    assert before["value"] == pytest.approx(local_day_revenue(admin, globex, old_day))

    # Four minutes later, within the entry's five fresh minutes, on the other worker:
    # the new day so far (its hours that start before 00:02, whatever time of day the
    # suite runs at and however much of the new day the seed holds).
    after = ask_at(at(new_day, 0, 2), second, globex)
    assert after["window"] == {"start": str(new_day), "end": str(new_day)}
    assert after["value"] == pytest.approx(
        local_day_revenue(admin, globex, new_day, until=at(new_day, 0, 2))
    )
    assert after["value"] != pytest.approx(before["value"])
    assert not after["stale"]
    assert after["computed_at"] > before["computed_at"]

    # The new day's answer is then shared by both workers until it expires.
    again = ask_at(at(new_day, 0, 3), first, globex)
    assert again["computed_at"] == after["computed_at"]


def test_a_dst_day_is_one_window_of_25_hours(workers):
    """Berlin leaves summer time on 25 October 2026 (02:00 CEST -> 02:00 CET): the
    local day has 25 hours and "today" is all of them, from the first local minute to
    the last, then rolls over at local midnight (23:00 UTC, not 22:00)."""
    first, second, admin = workers
    globex = org_id(admin, "globex")
    eve, dst_day, next_day = (
        dt.date(2026, 10, 24),
        dt.date(2026, 10, 25),
        dt.date(2026, 10, 26),
    )

    def window(day: dt.date) -> dict:
        return {"start": str(day), "end": str(day)}

    assert ask_at(at(eve, 23, 58), first, globex)["window"] == window(eve)
    # "Today" is today so far (compared like for like with yesterday to the same time).
    start = ask_at(at(dst_day, 0, 2), second, globex)
    assert start["window"] == window(dst_day)
    dst_revenue = local_day_revenue(admin, globex, dst_day)
    assert start["value"] == pytest.approx(
        local_day_revenue(admin, globex, dst_day, at(dst_day, 0, 2))
    )
    # 22:58 UTC: 23:58 CET, still 25 October (00:58 on the 26th at the summer offset);
    # its last hour (22:00 UTC) has started, so all 25 hours count.
    late = dt.datetime(2026, 10, 25, 22, 58, tzinfo=dt.UTC)
    # The 00:02 answer (today so far at 00:02) is served once, stale, while it is
    # recomputed; the next ask has the day so far at 23:58.
    assert ask_at(late, first, globex)["stale"] is True
    end = ask_at(late, first, globex)
    assert end["window"] == window(dst_day) and end["stale"] is False
    assert end["value"] == pytest.approx(dst_revenue)
    rolled_at = dt.datetime(2026, 10, 25, 23, 2, tzinfo=dt.UTC)
    rolled = ask_at(rolled_at, second, globex)
    assert rolled["window"] == window(next_day)
    assert rolled["value"] == pytest.approx(
        local_day_revenue(admin, globex, next_day, rolled_at)
    )
    assert rolled["value"] != pytest.approx(dst_revenue)
