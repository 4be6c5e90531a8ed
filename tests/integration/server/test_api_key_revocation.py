"""Revoking an API key that is in continuous use on two web workers.

Two app instances (two workers) share one real Redis cache; threads keep calling the API
with the key on both while the operator revokes it the way ``pulse apikeys revoke``
does. The revocation's commit is made slow (as on a busy database), which widens the
window in which a worker can look the key up while it is still active: however it
interleaves, every request that starts after ``revoke_api_key`` returned is refused.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import event

from app import create_app
from commands.apikeys import create_api_key, revoke_api_key
from core.cache import make_cache
from core.db import Database
from tests.conftest import make_settings

WORKERS = 2
THREADS_PER_WORKER = 2


@pytest.fixture
def two_workers(demo_db, redis_url):
    settings = make_settings(
        demo_db["app"],
        admin_database_url=demo_db["admin"],
        cache_type="redis",
        redis_url=redis_url,
    )
    apps = [create_app(settings) for _ in range(WORKERS)]
    yield settings, apps
    for app in apps:
        app.server.extensions["pulse"].db.dispose()


def test_a_key_in_use_on_two_workers_is_refused_once_revoke_returns(
    two_workers, demo_db
):
    settings, apps = two_workers
    admin = Database(demo_db["admin"])
    row, key = create_api_key(admin, "globex", "in use")
    headers = {"Authorization": f"Bearer {key}"}
    calls: list[tuple[int, float, int]] = []  # (worker, started, status)
    stop = threading.Event()

    def keep_calling(worker: int) -> None:
        client = apps[worker].server.test_client()
        while not stop.is_set():
            started = time.monotonic()
            status = client.get("/api/v1/campaigns", headers=headers).status_code
            calls.append((worker, started, status))

    slow_commit = threading.Event()

    @event.listens_for(admin.engine, "commit")
    def _busy_database(connection):
        if slow_commit.is_set():
            slow_commit.clear()
            time.sleep(0.5)

    threads = [
        threading.Thread(target=keep_calling, args=(worker,), daemon=True)
        for worker in range(WORKERS)
        for _ in range(THREADS_PER_WORKER)
    ]
    try:
        for thread in threads:
            thread.start()
        time.sleep(0.5)  # both workers use (and remember) the key
        slow_commit.set()
        operator_cache = make_cache(settings)  # the CLI's own client of the cache
        assert revoke_api_key(admin, "globex", row.prefix, operator_cache) == 1
        returned = time.monotonic()
        time.sleep(1.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        admin.dispose()

    before = [c for c in calls if c[1] < returned]
    after = [c for c in calls if c[1] > returned]
    assert {worker for worker, _, status in before if status == 200} == {0, 1}
    assert {worker for worker, _, _ in after} == {0, 1}
    accepted_after = [c for c in after if c[2] != 401]
    assert not accepted_after, (
        f"{len(accepted_after)} of {len(after)} requests started after the revocation "
        f"were not refused: {sorted({status for _, _, status in accepted_after})}"
    )
