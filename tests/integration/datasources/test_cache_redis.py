"""The metrics cache on a real Redis: per-org entries, shared across service
instances."""

from __future__ import annotations

import threading

import pytest
import redis
from sqlalchemy import text

from core.cache import make_cache
from core.db import Database
from datasources.cache import QueryCache
from tests.conftest import make_settings, org_id

PARAMS = {"metric": "revenue", "view": "summary", "period": "30d"}
# A whole day of the 30-day window (today so far is summed from the hours, so a change
# to today's daily rollup row would not show).
SECOND_LAST_DAY = (
    "(SELECT day FROM metric_facts_daily_platform WHERE org_id = :o "
    "GROUP BY day ORDER BY day DESC LIMIT 1 OFFSET 1)"
)


def same_entry(a: dict, b: dict) -> bool:
    """Two answers served from one cache entry (only their age differs)."""
    strip = lambda r: {k: v for k, v in r.items() if k != "age_seconds"}  # noqa: E731
    return strip(a) == strip(b)


@pytest.fixture
def redis_services(demo_postgres, redis_url):
    redis.Redis.from_url(redis_url).flushdb()
    settings = make_settings(
        demo_postgres["app"], cache_type="redis", redis_url=redis_url
    )
    db = Database(demo_postgres["app"])
    # Two services = two web workers sharing one Redis.
    yield QueryCache(db, make_cache(settings)), QueryCache(db, make_cache(settings)), db
    db.dispose()


def test_two_orgs_get_their_own_figures_through_redis(
    redis_services, demo_postgres, redis_url
):
    first, second, _ = redis_services
    admin = Database(demo_postgres["admin"])
    acme, globex = org_id(admin, "acme"), org_id(admin, "globex")
    admin.dispose()
    acme_result = first.query(acme, "campaigns", PARAMS)
    globex_result = first.query(globex, "campaigns", PARAMS)
    assert acme_result["value"] != globex_result["value"]
    assert (acme_result["currency"], globex_result["currency"]) == ("USD", "EUR")

    keys = {k.decode() for k in redis.Redis.from_url(redis_url).keys("*pulse:data:*")}
    assert any(f"pulse:data:{acme}:" in k for k in keys)
    assert any(f"pulse:data:{globex}:" in k for k in keys)

    # The second worker is served the same entry (same computed_at), per org.
    assert same_entry(second.query(acme, "campaigns", PARAMS), acme_result)
    assert same_entry(second.query(globex, "campaigns", PARAMS), globex_result)


def test_invalidating_one_org_keeps_the_other(redis_services, demo_postgres):
    first, second, db = redis_services
    admin = Database(demo_postgres["admin"])
    acme, globex = org_id(admin, "acme"), org_id(admin, "globex")
    acme_before = first.query(acme, "campaigns", PARAMS)
    globex_before = first.query(globex, "campaigns", PARAMS)
    # Change acme's data underneath the cache, then invalidate acme from the other
    # worker.
    with admin.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE metric_facts_daily_platform SET revenue = revenue + 1000 "
                "WHERE org_id = :o AND day = " + SECOND_LAST_DAY
            ),
            {"o": acme},
        )
    try:
        assert (
            first.query(acme, "campaigns", PARAMS)["value"] == acme_before["value"]
        )  # cached
        second.invalidate_org(acme)
        acme_after = first.query(acme, "campaigns", PARAMS)
        assert acme_after["computed_at"] > acme_before["computed_at"]
        assert acme_after["value"] > acme_before["value"]
        assert same_entry(
            first.query(globex, "campaigns", PARAMS), globex_before
        )  # still cached
    finally:
        with admin.engine.begin() as connection:
            connection.execute(
                text(
                    "UPDATE metric_facts_daily_platform SET revenue = revenue - 1000 "
                    "WHERE org_id = :o AND day = " + SECOND_LAST_DAY
                ),
                {"o": acme},
            )
        admin.dispose()


def expire(service: QueryCache, org: int) -> str:
    """Age the cached entry of PARAMS past its TTL, as time passing would."""
    from core.filters import Filters
    from datasources.registry import get

    params = get("campaigns").parse_params(PARAMS).model_dump(mode="json")
    key = service.cache_key(org, "campaigns", params, Filters())
    entry = service.cache.get(key)
    entry["fresh_until"] = 0
    service.cache.set(key, entry, timeout=600)
    return key


def test_stale_value_is_served_while_one_refresh_runs(
    redis_services, demo_postgres, monkeypatch
):
    first, second, _ = redis_services
    admin = Database(demo_postgres["admin"])
    acme = org_id(admin, "acme")
    admin.dispose()
    original = first.query(acme, "campaigns", PARAMS)
    expire(first, acme)
    computes = []
    release = threading.Event()  # the refresh takes a while: reads arrive during it

    for service in (first, second):

        def slow_compute(*a, _real=service._compute, **k):
            computes.append(1)
            release.wait(10)
            return _real(*a, **k)

        monkeypatch.setattr(service, "_compute", slow_compute)
    answers = [
        service.query(acme, "campaigns", PARAMS) for service in (first, second) * 3
    ]
    release.set()
    assert all(a["stale"] and a["value"] == original["value"] for a in answers)
    first.wait_for_refreshes()
    second.wait_for_refreshes()
    assert len(computes) == 1  # one recomputation for six stale reads on two workers
    refreshed = second.query(acme, "campaigns", PARAMS)
    assert not refreshed["stale"] and refreshed["computed_at"] > original["computed_at"]


def test_failed_refresh_keeps_the_last_value_marked_stale(
    redis_services, demo_postgres, monkeypatch, caplog
):
    first, _, _ = redis_services
    admin = Database(demo_postgres["admin"])
    acme = org_id(admin, "acme")
    admin.dispose()
    original = first.query(acme, "campaigns", PARAMS)
    expire(first, acme)

    def broken(*_args, **_kwargs):
        raise ConnectionError("database went away")

    # The org context (time zone) stays cached; its queries fail.
    monkeypatch.setattr(first.db, "session", broken)
    assert first.query(acme, "campaigns", PARAMS)["stale"]
    first.wait_for_refreshes()
    again = first.query(acme, "campaigns", PARAMS)
    assert again["stale"] and again["value"] == original["value"]
    assert (
        "background refresh of campaigns" in caplog.text
        and "database went away" in caplog.text
    )


def test_invalidation_is_never_answered_with_a_stale_value(
    redis_services, demo_postgres
):
    first, second, _ = redis_services
    admin = Database(demo_postgres["admin"])
    acme = org_id(admin, "acme")
    admin.dispose()
    before = first.query(acme, "campaigns", PARAMS)
    expire(first, acme)
    second.invalidate_org(acme)
    after = first.query(acme, "campaigns", PARAMS)
    assert not after["stale"] and after["computed_at"] > before["computed_at"]


def test_kpi_records_land_in_the_realtime_metrics_cache(redis_services, demo_postgres):
    from datasources.metrics_cache import read_kpi

    first, _, db = redis_services
    admin = Database(demo_postgres["admin"])
    acme = org_id(admin, "acme")
    admin.dispose()
    first.invalidate_org(acme)
    result = first.query(acme, "campaigns", PARAMS)
    with db.session(acme) as session:
        record = read_kpi(session, "revenue", "30d")
    assert record["metric_data"]["current"] == result["value"]
    assert record["metric_data"]["previous_period"] == result["previous"]
    assert record["metric_data"]["trend"] == result["trend"]
    assert record["aggregation_period"] == "hourly"
