"""Redis stops under a running app, then comes back (issue 12).

The app uses a throwaway ``redis-server`` the test stops and starts for real
(``tests/outage.py``) and the throwaway PostgreSQL, as the app role. While Redis is down
the dashboards' data is answered straight from the database (the figures still match
SQL), without a timeout per request and with one warning in the log; when Redis is
back the cache is used again, and nothing written before the outage that a change
during it made outdated (an org's figures after an ingest, an API key revoked) is
served.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import pytest

from app import create_app
from commands.apikeys import create_api_key, revoke_api_key
from core.cache import ResilientRedisCache, make_cache
from core.db import Database
from core.windows import DateWindow, org_today
from tests.conftest import make_settings
from tests.figures import independent_sums, org_context

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def redis_app(outage_postgres, outage_redis):
    _, urls = outage_postgres
    settings = make_settings(
        urls["app"],
        admin_database_url=urls["admin"],
        cache_type="redis",
        redis_url=outage_redis.url,
    )
    app = create_app(settings)
    admin = Database(urls["admin"])
    _, key = create_api_key(admin, "acme", "cache outage")
    yield app, admin, {"Authorization": f"Bearer {key}"}, settings
    app.server.extensions["pulse"].db.dispose()
    admin.dispose()


def revenue_query(admin: Database, days_ago: int) -> tuple[str, float]:
    """A past 5-day window's revenue summary URL and its figure in SQL."""
    org = org_context(admin, "acme")
    end = org_today(org.timezone) - dt.timedelta(days=days_ago)
    window = DateWindow(end - dt.timedelta(days=4), end)
    url = (
        "/api/v1/data/campaigns?metric=revenue&view=summary"
        f"&date_from={window.start}&date_to={window.end}"
    )
    return url, independent_sums(admin, org.id, org.timezone, window)["revenue"]


def data_keys(redis_server) -> list[bytes]:
    return list(redis_server.client().scan_iter(match="pulse:data:*"))


def test_dashboards_answer_from_the_database_while_redis_is_down(
    redis_app, outage_redis, caplog
):
    app, admin, bearer, _ = redis_app
    client = app.server.test_client()
    url, expected = revenue_query(admin, 10)
    assert client.get(url, headers=bearer).get_json()["value"] == pytest.approx(
        expected, rel=1e-9
    )
    assert data_keys(outage_redis), "the answer was not cached in Redis"

    outage_redis.stop()
    caplog.set_level(logging.INFO, logger="core.cache")
    started = time.monotonic()
    for days_ago in range(3, 23):
        url, expected = revenue_query(admin, days_ago)
        response = client.get(url, headers=bearer)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["value"] == pytest.approx(expected, rel=1e-9)
    # No request waited for a Redis timeout: 20 answers, straight from PostgreSQL.
    assert time.monotonic() - started < 10
    health = client.get("/healthz")
    assert health.status_code == 200
    body = health.get_json()
    assert body["status"] == "degraded" and body["degraded"] == ["cache"]
    assert body["database"]["status"] == "ok" and "failing" not in body
    warnings = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING

    outage_redis.start()
    assert client.get("/healthz").get_json()["status"] == "ok"
    back = [r for r in caplog.records if "reachable again" in r.getMessage()]
    assert len(back) == 1 and back[0].levelno == logging.INFO
    url, expected = revenue_query(admin, 30)
    assert client.get(url, headers=bearer).get_json()["value"] == pytest.approx(
        expected, rel=1e-9
    )
    assert data_keys(outage_redis), "the cache is not used again"
    assert len([r for r in caplog.records if "unreachable" in r.getMessage()]) == 1


def test_redis_calls_skip_a_down_server_then_try_again_after_the_back_off(
    redis_app, outage_redis, monkeypatch
):
    app, _, _, _ = redis_app
    backend = app.server.extensions["pulse"].cache.cache
    assert isinstance(backend, ResilientRedisCache)
    monkeypatch.setattr(backend, "retry_after_seconds", 0.5)
    assert backend.set("probe", 1)
    outage_redis.stop()
    assert backend.get("probe") is None and not backend.available
    assert backend.set("probe", 2) is False
    outage_redis.start()
    # Within the back-off Redis is not asked, although it is up again.
    assert backend.add("during-back-off", 1) is False
    assert outage_redis.client().get("pulse:during-back-off") is None
    time.sleep(0.6)
    assert backend.set("probe", 3) and backend.available
    assert backend.get("probe") == 3


def test_an_ingest_during_the_outage_is_not_hidden_by_entries_from_before(
    redis_app, outage_redis, monkeypatch
):
    """Redis comes back with its data (a restart with persistence): the answer cached
    before the outage must not be served after an ingest made during it."""
    app, admin, bearer, _ = redis_app
    backend = app.server.extensions["pulse"].cache.cache
    monkeypatch.setattr(backend, "retry_after_seconds", 0.2)
    client = app.server.test_client()
    org = org_context(admin, "acme")
    url, before = revenue_query(admin, 40)
    assert client.get(url, headers=bearer).get_json()["value"] == pytest.approx(before)
    assert data_keys(outage_redis)

    outage_redis.stop(keep_data=True)
    day = org_today(org.timezone) - dt.timedelta(days=42)
    row = {
        "campaign": "Outage Campaign",
        "platform": "tiktok",
        "date": day.isoformat(),
        "hour": 12,
        "country": "US",
        "spend": 10.0,
        "impressions": 1000,
        "clicks": 10,
        "conversions": 1,
        "revenue": 1234.5,
    }
    ingested = client.post(
        "/api/v1/ingest?unknown_campaigns=create", json={"rows": [row]}, headers=bearer
    )
    assert ingested.status_code == 201, ingested.get_json()
    during = client.get(url, headers=bearer).get_json()["value"]
    assert during == pytest.approx(before + 1234.5)

    outage_redis.start()
    assert data_keys(outage_redis), "Redis came back without its data"
    time.sleep(0.3)  # past the back-off: the next call uses Redis again
    after = client.get(url, headers=bearer).get_json()
    assert after["value"] == pytest.approx(before + 1234.5)
    assert backend.available
    # The answer is cached again, under the same key: the entry is the new one.
    assert data_keys(outage_redis) and not after["stale"]


def test_a_key_revoked_while_redis_is_down_is_refused_when_redis_returns(
    redis_app, outage_redis
):
    """The worker remembered the key as active in Redis before the outage and does not
    notice the outage itself; the operator revokes the key while Redis is down and
    Redis comes back with the old entry: the key is refused once revoke returns."""
    app, admin, bearer, settings = redis_app
    worker = app.server.test_client()
    assert worker.get("/api/v1/campaigns", headers=bearer).status_code == 200
    assert list(outage_redis.client().scan_iter(match="pulse:apikey:*"))

    outage_redis.stop(keep_data=True)
    prefix = bearer["Authorization"].split()[1][:12]
    operator_cache = make_cache(settings)
    done: list[int] = []
    revoking = threading.Thread(
        target=lambda: done.append(
            revoke_api_key(admin, "acme", prefix, operator_cache)
        )
    )
    revoking.start()
    time.sleep(1.0)
    # The revocation is committed; Redis is still down, the operator still waits.
    assert revoking.is_alive()
    # Another worker that reads nothing from the cache asks the database: refused.
    other = create_app(settings)
    try:
        assert (
            other.server.test_client()
            .get("/api/v1/campaigns", headers=bearer)
            .status_code
            == 401
        )
    finally:
        other.server.extensions["pulse"].db.dispose()
    outage_redis.start()
    revoking.join(timeout=15)
    assert done == [1]
    assert worker.get("/api/v1/campaigns", headers=bearer).status_code == 401
