"""The synthetic-data commands (cli/devdata.py) through click's CliRunner.

``seed`` refusing a database with orgs and re-seeding with ``--force`` are checked in
test_demo_seed.py on its seeded database; here: the settings fallback, bad
configuration, ``bootstrap`` on an empty and on a served database, and ``generate``.
(tests/integration/server/test_startup.py runs ``bootstrap`` as a process with a bad
database URL.)
"""

from __future__ import annotations

import functools
import os

import pytest
from click.testing import CliRunner
from sqlalchemy import text

import devdata.bootstrap
from cli.devdata import bootstrap, generate, seed
from cli.main import pulse
from core.db import Database
from devdata.demo import DEMO_LOGINS, seed_demo
from tests.conftest import sqlite_url


@pytest.fixture
def environment(monkeypatch, tmp_path):
    """No Pulse settings from the caller's environment; a simple cache."""
    for name in list(os.environ):
        if name.startswith("PULSE_") or name in ("DATABASE_URL", "REDIS_URL"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PULSE_CACHE_TYPE", "simple")
    return monkeypatch


def _count(url: str, sql: str) -> int:
    db = Database(url)
    try:
        with db.engine.connect() as connection:
            return connection.execute(text(sql)).scalar_one()
    finally:
        db.dispose()


def test_seed_takes_the_database_from_the_settings(environment, tmp_path):
    url = sqlite_url(tmp_path)
    environment.setenv("PULSE_ADMIN_DATABASE_URL", url)
    environment.setenv("PULSE_DATABASE_URL", "sqlite:///" + str(tmp_path / "app.db"))
    result = CliRunner().invoke(seed, ["--campaigns", "2", "--days", "3"])
    assert result.exit_code == 0, result.output
    assert "seeded demo orgs acme, globex" in result.stdout
    assert "metric_facts_hourly" in result.stdout
    assert _count(url, "SELECT COUNT(*) FROM campaigns") == 4


@pytest.mark.parametrize("command", [seed, bootstrap])
def test_a_malformed_database_url_is_a_usage_error(environment, command):
    environment.setenv("DATABASE_URL", "not a url")
    result = CliRunner().invoke(pulse, [command.name])
    assert result.exit_code == 2
    assert "DATABASE_URL 'not a url' is not a database URL" in result.stderr
    assert isinstance(result.exception, SystemExit)


def test_seed_refuses_sizes_below_one(environment, tmp_path):
    url = sqlite_url(tmp_path)
    result = CliRunner().invoke(seed, ["--database-url", url, "--campaigns", "0"])
    assert result.exit_code == 2
    assert "--campaigns" in result.stderr
    assert _count(url, "SELECT COUNT(*) FROM orgs") == 0


def test_bootstrap_migrates_and_seeds_an_empty_database_once(environment, tmp_path):
    url = "sqlite:///" + str(tmp_path / "pulse.db")
    environment.setenv("DATABASE_URL", url)
    environment.setenv("PULSE_PORT", "8123")
    # The full demo takes seconds; a small one shows the same path.
    environment.setattr(
        devdata.bootstrap,
        "seed_demo",
        functools.partial(seed_demo, campaigns=1, days=2, progress=False),
    )
    first = CliRunner().invoke(bootstrap, [])
    assert first.exit_code == 0, first.output
    assert "empty database: seeding the demo data" in first.stdout
    assert "Pulse will serve on http://127.0.0.1:8123" in first.stdout
    assert all(login in first.stdout for login in DEMO_LOGINS)
    assert _count(url, "SELECT COUNT(*) FROM orgs") == 2

    second = CliRunner().invoke(bootstrap, [])
    assert second.exit_code == 0, second.output
    assert "seeding" not in second.stdout
    assert "Pulse will serve on" in second.stdout
    assert _count(url, "SELECT COUNT(*) FROM campaigns") == 2


def test_generate_creates_the_bench_org(environment, tmp_path):
    url = sqlite_url(tmp_path)
    result = CliRunner().invoke(
        generate,
        ["--database-url", url, "--rows", "2000", "--campaigns", "2", "--seed", "5"],
    )
    assert result.exit_code == 0, result.output
    assert "hourly rows with executemany" in result.stdout
    assert "daily rollup" in result.stdout and "ANALYZE" in result.stdout
    assert _count(url, "SELECT COUNT(*) FROM orgs WHERE slug = 'bench'") == 1
    assert 1800 <= _count(url, "SELECT COUNT(*) FROM metric_facts_hourly") <= 2200


@pytest.mark.parametrize(
    "arguments,message",
    [
        (["--rows", "0"], "--rows"),
        (["--campaigns", "0"], "--campaigns"),
        ([], "--database-url"),
    ],
)
def test_generate_refuses_bad_options(arguments, message):
    url = ["--database-url", "sqlite://"] if arguments else []
    result = CliRunner().invoke(generate, [*url, *arguments])
    assert result.exit_code == 2
    assert message in result.stderr
