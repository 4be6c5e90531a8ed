"""The ``pulse`` command: its entry point, its subcommands, and settings errors."""

from __future__ import annotations

import importlib
import tomllib

import pytest
from click.testing import CliRunner

from cli.main import pulse
from scheduler.jobs import JOBS
from tests.conftest import ROOT

BAD_SETTINGS = {"DATABASE_URL": "not a url", "PULSE_DATABASE_URL": None}


def test_the_console_script_is_the_pulse_group():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["pulse"].partition(":")
    assert getattr(importlib.import_module(module), name) is pulse


def test_every_task_of_the_readme_is_a_subcommand():
    assert set(pulse.commands) == {
        "migrate",
        "pgsetup",
        "seed",
        "bootstrap",
        "ingest",
        "apikeys",
        "users",
        "retention",
        "reports",
        "scheduler",
        "snapshots",
        "bench",
    }
    assert set(pulse.commands["snapshots"].commands) == {
        "generate-key",
        "rotate-keys",
        "retention",
    }
    assert set(pulse.commands["apikeys"].commands) == {"create", "list", "revoke"}
    assert set(pulse.commands["users"].commands) == {"list", "delete"}
    assert set(pulse.commands["retention"].commands) == {"show", "set"}
    assert set(pulse.commands["reports"].commands) == {"next-runs"}
    assert set(pulse.commands["scheduler"].commands) == {
        "list",
        "run",
        "history",
        "serve",
    }
    assert set(pulse.commands["bench"].commands) == {
        "generate",
        "queries",
        "render",
        "filters",
        "ingest",
        "live",
        "reports",
        "deliveries",
        "kiosk",
        "alerts",
        "alert-webhook",
        "report",
    }


@pytest.mark.parametrize(
    "args",
    [
        ["migrate"],
        ["bootstrap"],
        ["seed", "--quiet"],
        ["ingest", "file.csv", "--org", "acme"],
        ["apikeys", "list", "--org", "acme"],
        ["scheduler", "run", "analytics"],
        ["scheduler", "history", "--org", "acme"],
    ],
)
def test_a_settings_error_is_one_message_and_exit_status_2(args):
    result = CliRunner().invoke(pulse, args, env=BAD_SETTINGS)
    assert result.exit_code == 2
    assert result.stderr.startswith("Invalid configuration:")
    assert "DATABASE_URL 'not a url' is not a database URL" in result.stderr
    assert result.stdout == ""
    assert isinstance(result.exception, SystemExit)  # no traceback, no other error


def test_commands_that_need_no_settings_run_despite_bad_ones(tmp_path):
    runner = CliRunner()
    listing = runner.invoke(pulse, ["scheduler", "list"], env=BAD_SETTINGS)
    assert listing.exit_code == 0, listing.output
    assert [line.split()[0] for line in listing.stdout.splitlines()] == [
        j.name for j in JOBS
    ]
    report = runner.invoke(
        pulse, ["bench", "report", "--results", str(tmp_path)], env=BAD_SETTINGS
    )
    assert report.exit_code == 0, report.output
    assert report.stdout == "\n"  # no result files: no tables


def test_ingest_refuses_contradictory_unknown_campaign_flags(tmp_path):
    result = CliRunner().invoke(
        pulse,
        [
            "ingest",
            str(tmp_path / "file.csv"),
            "--org",
            "acme",
            "--create-campaigns",
            "--refuse-unknown",
        ],
    )
    assert result.exit_code == 2
    assert "--create-campaigns and --refuse-unknown exclude each other" in (
        result.stderr
    )
