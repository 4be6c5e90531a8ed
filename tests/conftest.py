"""Shared fixtures: real SQLite and PostgreSQL databases, Redis, seeded demo data.

PostgreSQL and Redis are found at PULSE_TEST_POSTGRES_URL (a superuser URL, default
postgresql://postgres@127.0.0.1:5432/postgres) and PULSE_TEST_REDIS_URL (default
redis://127.0.0.1:6379/15). Under CI=true a missing service fails the run; elsewhere the
tests that need it are skipped with a message saying how to enable them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from pathlib import Path

import pytest

from commands.database import install_builtin_templates, migrate_database
from core.db import Database
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get(
    "PULSE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("PULSE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
OUTPUT_DIR = ROOT / "test-output"
# Long and random-looking, as the settings require of every secret.
TEST_SECRET = "pulse-tests-3f9c1a7e5b2d4068a1c9e7f3b5d2a4c6"
# The tests' snapshot key (a Fernet key), so no test writes var/snapshot_keys.
TEST_SNAPSHOT_KEY = "BCiLxHLH9wr_ZPDdla9LpVbZdmv1vDzFcINMRJ6Mbl0="
# Small enough to seed in a few seconds, big enough for 30-day windows with a
# comparison.
DEMO_SIZE = {"campaigns": 6, "days": 75}


def missing_service(message: str):
    """Fail under CI (a missing service is a broken setup), skip elsewhere."""
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    import psycopg
    from sqlalchemy.engine import make_url

    try:
        libpq = (
            make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(False)
        )
        with psycopg.connect(libpq, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as exc:
        missing_service(
            f"PostgreSQL not reachable at {POSTGRES_URL} ({exc}); start it or set "
            "PULSE_TEST_POSTGRES_URL to a superuser URL"
        )
    return POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        # The test database starts empty: entries of an earlier run's databases (same
        # org ids) must not be served.
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).flushdb()
    except redis.RedisError as exc:
        missing_service(
            f"Redis not reachable at {REDIS_URL} ({exc}); start redis-server or set "
            "PULSE_TEST_REDIS_URL"
        )
    return REDIS_URL


def sqlite_url(directory: Path) -> str:
    url = f"sqlite:///{directory / 'pulse.db'}"
    migrate_database(url)
    return url


class PostgresDatabase:
    """A throwaway PostgreSQL database with an owner URL and an RLS-bound app URL."""

    def __init__(self, admin_url: str) -> None:
        from core.pgsetup import setup

        self.name = f"pulse_test_{uuid.uuid4().hex[:10]}"
        self.server_admin_url = admin_url
        self.admin_url, self.app_url = setup(admin_url, self.name, "pulse_test_app")
        install_builtin_templates(self.admin_url)

    def drop(self) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        libpq = (
            make_url(self.server_admin_url)
            .set(drivername="postgresql")
            .render_as_string(False)
        )
        with psycopg.connect(libpq, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


@pytest.fixture(scope="session")
def seed_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(
        tzinfo=None, minute=0, second=0, microsecond=0
    )


def seed_small_demo(url: str, now: dt.datetime) -> None:
    from devdata.demo import seed_demo

    db = Database(url)
    try:
        seed_demo(db, seed=7, now=now, progress=False, **DEMO_SIZE)
    finally:
        db.dispose()


@pytest.fixture(scope="session")
def demo_sqlite(tmp_path_factory, seed_now) -> dict[str, str]:
    """A migrated SQLite file with the small demo seeded:
    ``{"admin": url, "app": url}``."""
    url = sqlite_url(tmp_path_factory.mktemp("demo-sqlite"))
    seed_small_demo(url, seed_now)
    return {"admin": url, "app": url, "engine": "sqlite"}


@pytest.fixture(scope="session")
def demo_postgres(postgres_admin_url, seed_now):
    """A PostgreSQL database with the small demo seeded by the owner; the app URL is
    RLS-bound."""
    database = PostgresDatabase(postgres_admin_url)
    seed_small_demo(database.admin_url, seed_now)
    yield {"admin": database.admin_url, "app": database.app_url, "engine": "postgresql"}
    database.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_db(request) -> dict[str, str]:
    """The seeded demo on each engine in turn."""
    name = "demo_sqlite" if request.param == "sqlite" else "demo_postgres"
    return request.getfixturevalue(name)


@pytest.fixture
def app_db(demo_db):
    db = Database(demo_db["app"])
    yield db
    db.dispose()


@pytest.fixture
def admin_db(demo_db):
    db = Database(demo_db["admin"])
    yield db
    db.dispose()


def make_settings(database_url: str, **overrides) -> Settings:
    """Test settings; rate limits are off unless a test passes ``rate_limits=True``
    (the suite signs in far more often than any person)."""
    return Settings(
        database_url=database_url,
        cache_type=overrides.pop("cache_type", "simple"),
        secret_key=TEST_SECRET,
        snapshot_keys=overrides.pop("snapshot_keys", TEST_SNAPSHOT_KEY),
        env="test",
        rate_limits=overrides.pop("rate_limits", False),
        **overrides,
    )


@pytest.fixture
def app_client(demo_db):
    """A Flask test client of the full app on the seeded demo."""
    from app import create_app

    app = create_app(make_settings(demo_db["app"], admin_database_url=demo_db["admin"]))
    client = app.server.test_client()
    yield client
    app.server.extensions["pulse"].db.dispose()


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
# The origin of Flask's test client (its requests go to http://localhost/).
TEST_ORIGIN = "http://localhost"


def csrf_token(client) -> str:
    """The CSRF token of the client's session, read from the sign-in form (or, when
    the client is signed in, from the sign-out page), as a browser would see it."""
    for path in ("/login", "/logout"):
        response = client.get(path)
        found = CSRF_FIELD.search(response.get_data(as_text=True))
        if found:
            return found.group(1)
    raise AssertionError("no page with a CSRF token: neither /login nor /logout")


def login(client, email="admin@acme.example", password="pulse-demo", **form):
    """Sign in through the form, with its CSRF token, as a browser does.

    The client then also sends this site's ``Origin`` with every request, as a
    browser does, so its cookie-authenticated API writes pass the same-origin check.
    """
    client.environ_base["HTTP_ORIGIN"] = TEST_ORIGIN
    data = {"email": email, "password": password, **form}
    return client.post("/login", data={**data, "csrf_token": csrf_token(client)})


def logout(client):
    """Sign out through the navigation bar's form (a POST with the CSRF token)."""
    return client.post("/logout", data={"csrf_token": csrf_token(client)})


def org_id(db: Database, slug: str) -> int:
    from sqlalchemy import text

    with db.engine.connect() as connection:
        return connection.execute(
            text("SELECT id FROM orgs WHERE slug = :s"), {"s": slug}
        ).scalar_one()
