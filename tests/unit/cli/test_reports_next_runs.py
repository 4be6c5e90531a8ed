"""``pulse reports next-runs``: the instants one a line, or one line naming the
problem with exit status 2."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cli.main import pulse

WEEKLY = {"day_of_week": 1, "time": "09:00", "timezone": "America/New_York"}


def run(*args: str):
    return CliRunner().invoke(pulse, ["reports", "next-runs", *args])


def test_prints_the_next_runs_with_the_zone_offset():
    result = run(
        json.dumps(WEEKLY),
        "--frequency",
        "weekly",
        "-n",
        "3",
        "--after",
        "2026-03-01T12:00:00+00:00",
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "2026-03-02T09:00:00-05:00",
        "2026-03-09T09:00:00-04:00",
        "2026-03-16T09:00:00-04:00",
    ]


def test_without_after_the_runs_start_from_now():
    result = run(json.dumps(WEEKLY), "--frequency", "weekly")
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 5


def test_bad_input_is_one_line_with_exit_status_2():
    cases = {
        "{": ("--frequency", "weekly"),
        json.dumps(WEEKLY | {"timezone": "Europe/Pariss"}): ("--frequency", "weekly"),
        json.dumps(WEEKLY): ("--frequency", "fortnightly"),
        json.dumps(WEEKLY) + " ": ("--frequency", "weekly", "--after", "soon"),
    }
    expected = [
        "schedule_config: not JSON",
        "schedule_config.timezone:",
        "frequency:",
        "--after:",
    ]
    for (config, options), start in zip(cases.items(), expected, strict=True):
        result = run(config, *options)
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(start), lines
