"""A seeded demo database of the test module's own, on each engine in turn, for tests
that purge, delete users or change settings (the shared ``demo_db`` must not change
under other tests)."""

from __future__ import annotations

import pytest

from tests.conftest import PostgresDatabase, seed_small_demo, sqlite_url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def own_demo(request, tmp_path_factory, seed_now):
    """``{"admin": url, "app": url, "engine": name}`` of a freshly seeded demo; on
    PostgreSQL the app URL is the RLS-bound role."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("own-demo"))
        seed_small_demo(url, seed_now)
        yield {"admin": url, "app": url, "engine": "sqlite"}
        return
    database = PostgresDatabase(request.getfixturevalue("postgres_admin_url"))
    seed_small_demo(database.admin_url, seed_now)
    yield {"admin": database.admin_url, "app": database.app_url, "engine": "postgresql"}
    database.drop()
