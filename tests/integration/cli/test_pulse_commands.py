"""``pulse migrate``, ``pulse pgsetup``, ``pulse apikeys`` and ``pulse scheduler`` on
real databases."""

from __future__ import annotations

import re
import uuid

import psycopg
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from cli.main import pulse
from core.db import Database
from core.models import Dashboard
from dashboards.builtin import TEMPLATE_DIR
from tests.conftest import seed_small_demo, sqlite_url


def global_templates(url: str) -> int:
    db = Database(url)
    try:
        with db.unscoped_session() as session:
            return session.scalar(
                select(func.count())
                .select_from(Dashboard)
                .where(Dashboard.org_id.is_(None))
            )
    finally:
        db.dispose()


def test_migrate_creates_the_schema_and_installs_the_builtin_templates(tmp_path):
    url = f"sqlite:///{tmp_path / 'pulse.db'}"
    runner = CliRunner()
    for _ in range(2):  # a second run finds nothing to do and changes nothing
        result = runner.invoke(pulse, ["migrate", "--database-url", url])
        assert result.exit_code == 0, result.output
        assert result.stdout == "database schema is up to date\n"
        assert global_templates(url) == len(list(TEMPLATE_DIR.glob("*.json")))


def test_pgsetup_prints_the_owner_and_app_role_urls(postgres_admin_url):
    name = f"pulse_test_{uuid.uuid4().hex[:10]}"
    try:
        result = CliRunner().invoke(
            pulse,
            [
                "pgsetup",
                "--admin-url",
                postgres_admin_url,
                "--database",
                name,
                "--app-role",
                "pulse_test_app",
            ],
        )
        assert result.exit_code == 0, result.output
        owner, app = result.stdout.splitlines()
        assert owner.startswith("PULSE_ADMIN_DATABASE_URL=postgresql+psycopg://")
        assert app.startswith("DATABASE_URL=postgresql+psycopg://pulse_test_app@")
        assert make_url(owner.partition("=")[2]).database == name
        assert global_templates(owner.partition("=")[2]) == len(
            list(TEMPLATE_DIR.glob("*.json"))
        )
    finally:
        libpq = (
            make_url(postgres_admin_url)
            .set(drivername="postgresql")
            .render_as_string(False)
        )
        with psycopg.connect(libpq, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_pgsetup_refuses_a_database_name_that_is_not_an_identifier():
    result = CliRunner().invoke(pulse, ["pgsetup", "--database", "Pulse; DROP"])
    assert result.exit_code == 2
    assert "error: database name 'Pulse; DROP' must be a lower-case identifier" in (
        result.stderr
    )


def test_apikeys_create_list_and_revoke(demo_db, monkeypatch):
    monkeypatch.setenv("PULSE_CACHE_TYPE", "simple")
    runner = CliRunner()
    owner = ["--database-url", demo_db["admin"]]

    created = runner.invoke(
        pulse, ["apikeys", "create", "--org", "acme", "--name", "cli test", *owner]
    )
    assert created.exit_code == 0, created.output
    key = created.stdout.splitlines()[-1]
    assert re.fullmatch(r"pulse_[\w-]{43}", key)
    prefix = key[:12]
    assert f"created key {prefix}… for org acme" in created.stdout

    listed = runner.invoke(pulse, ["apikeys", "list", "--org", "acme", *owner])
    assert listed.exit_code == 0, listed.output
    [line] = [row for row in listed.stdout.splitlines() if row.startswith(prefix)]
    assert line.split()[1] == "active" and line.endswith("cli test")

    revoked = runner.invoke(
        pulse, ["apikeys", "revoke", "--org", "acme", prefix, *owner]
    )
    assert revoked.exit_code == 0, revoked.output
    assert revoked.stdout == f"revoked 1 key(s) with prefix {prefix}\n"
    listed = runner.invoke(pulse, ["apikeys", "list", "--org", "acme", *owner])
    [line] = [row for row in listed.stdout.splitlines() if row.startswith(prefix)]
    assert line.split()[1] == "revoked"

    again = runner.invoke(pulse, ["apikeys", "revoke", "--org", "acme", prefix, *owner])
    assert again.exit_code == 1
    assert f"no active key with prefix {prefix!r} in org acme" in again.stderr
    nobody = runner.invoke(pulse, ["apikeys", "list", "--org", "initech", *owner])
    assert nobody.exit_code == 2
    assert "error: no org with slug 'initech'" in nobody.stderr


def test_scheduler_run_then_history_shows_the_run(tmp_path, seed_now, monkeypatch):
    """On a demo of its own: the job acts on campaigns, which the shared demo keeps."""
    url = sqlite_url(tmp_path)
    seed_small_demo(url, seed_now)
    monkeypatch.setenv("PULSE_DATABASE_URL", url)
    monkeypatch.delenv("PULSE_ADMIN_DATABASE_URL", raising=False)
    monkeypatch.setenv("PULSE_CACHE_TYPE", "simple")
    runner = CliRunner()
    run = runner.invoke(
        pulse, ["scheduler", "run", "automation_rules", "--org", "acme"]
    )
    assert run.exit_code == 0, run.output
    assert re.match(r"org \d+: automation_rules success ", run.stdout)
    history = runner.invoke(
        pulse, ["scheduler", "history", "--org", "acme", "--limit", "1"]
    )
    assert history.exit_code == 0, history.output
    [latest] = history.stdout.splitlines()
    assert latest.split()[2:4] == ["automation_rules", "success"]
