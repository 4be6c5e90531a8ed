"""Start-up with bad configuration: a clear message, no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.conftest import ROOT, TEST_SNAPSHOT_KEY


def free_closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_pulse(
    command: list[str], *, unset: tuple[str, ...] = (), **env: str
) -> subprocess.CompletedProcess:
    """``python <command>`` from the project folder with ``env`` set and ``unset``
    (and PULSE_DATABASE_URL, which would beat DATABASE_URL) removed."""
    # A snapshot key, so a start that gets that far never writes var/snapshot_keys.
    environment = {**os.environ, "PULSE_SNAPSHOT_KEYS": TEST_SNAPSHOT_KEY, **env}
    for name in ("PULSE_DATABASE_URL", *unset):
        environment.pop(name, None)
    return subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "command",
    [["app.py"], ["-m", "cli", "migrate"], ["-m", "cli", "bootstrap"]],
)
@pytest.mark.parametrize(
    "url,expected",
    [
        ("not a url", "DATABASE_URL 'not a url' is not a database URL"),
        ("mysql://root@localhost/pulse", "Pulse supports sqlite and postgresql"),
    ],
)
def test_malformed_database_url_is_a_clear_message(command, url, expected):
    result = run_pulse(command, DATABASE_URL=url)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "command",
    [["app.py"], ["-m", "cli", "migrate"], ["-m", "cli", "bootstrap"]],
)
def test_an_unreachable_postgresql_is_one_line_naming_host_and_port(command):
    port = free_closed_port()
    result = run_pulse(
        command,
        DATABASE_URL=f"postgresql+psycopg://pulse@127.0.0.1:{port}/pulse",
        PULSE_SECRET_KEY="startup-tests-8d2f6a4c1e9b7d3f5a0c2e4b6d8f1a3c",
        PULSE_PORT=str(free_closed_port()),
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("database: cannot connect")
    assert f"{port}" in lines[0] and "127.0.0.1" in lines[0]


@pytest.mark.parametrize("command", [["app.py"], ["-m", "cli", "migrate"]])
def test_a_sqlite_file_in_a_missing_folder_is_refused_not_created(command, tmp_path):
    folder = tmp_path / "no-such-folder"
    result = run_pulse(command, DATABASE_URL=f"sqlite:///{folder}/pulse.db")
    assert result.returncode == 2
    assert f"the folder '{folder}' does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert not folder.exists()


def test_production_refuses_the_development_secret():
    result = run_pulse(
        ["app.py"], unset=("PULSE_SECRET_KEY", "SECRET_KEY"), PULSE_ENV="production"
    )
    assert result.returncode == 2
    assert "PULSE_SECRET_KEY must be set in production" in result.stderr


def test_a_malformed_rate_limit_stops_start_up_naming_the_variable():
    result = run_pulse(["app.py"], PULSE_RATE_LIMIT_LOGIN_ACCOUNT="five a day")
    assert result.returncode == 2
    assert (
        "PULSE_RATE_LIMIT_LOGIN_ACCOUNT 'five a day' is not a rate limit"
        in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_production_refuses_to_start_without_snapshot_keys():
    result = run_pulse(
        ["app.py"],
        unset=("PULSE_SNAPSHOT_KEYS",),
        PULSE_ENV="production",
        PULSE_SECRET_KEY="startup-tests-8d2f6a4c1e9b7d3f5a0c2e4b6d8f1a3c",
    )
    assert result.returncode == 2
    assert "PULSE_SNAPSHOT_KEYS must be set in production" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_web_worker_does_not_load_the_report_renderers(tmp_path):
    # What `gunicorn app:server` imports in each worker. WeasyPrint (Pango and its
    # fonts), kaleido and openpyxl cost a worker ~30 MB and are loaded by the first
    # PDF, chart export or workbook instead (the report tests render all three).
    probe = (
        "import sys, app; "
        "print(','.join(sorted(m for m in ('weasyprint', 'kaleido', 'openpyxl') "
        "if m in sys.modules)))"
    )
    result = run_pulse(
        ["-c", probe],
        PULSE_SCHEDULER="off",
        PULSE_SECRET_KEY="a-test-secret-key-that-is-long-enough-0123456789",
        DATABASE_URL=f"sqlite:///{tmp_path / 'pulse.db'}",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
