"""Start-up with bad configuration: a clear message, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT


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
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("PULSE_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_the_development_secret():
    env = {**os.environ, "PULSE_ENV": "production"}
    env.pop("PULSE_SECRET_KEY", None)
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "PULSE_SECRET_KEY must be set in production" in result.stderr


def test_a_malformed_rate_limit_stops_start_up_naming_the_variable():
    env = {**os.environ, "PULSE_RATE_LIMIT_LOGIN_ACCOUNT": "five a day"}
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert (
        "PULSE_RATE_LIMIT_LOGIN_ACCOUNT 'five a day' is not a rate limit"
        in result.stderr
    )
    assert "Traceback" not in result.stderr
