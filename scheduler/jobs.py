"""The scheduler's job list, as data.

Each job names the function it runs (``module:function``, imported when it runs, so
this list loads without importing the analytics), its trigger in APScheduler's terms,
and whether it runs once per org. Every run writes one ``job_runs`` row, except for
jobs that log their own work (``logged=False``: ``report_deliveries`` runs every
minute and writes a ``report_deliveries`` row for each report it sends or misses).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class JobDefinition:
    name: str
    func: str
    trigger: dict[str, Any]
    per_org: bool = True
    description: str = ""
    # False: no job_runs row per run (the job's own rows say what it did).
    logged: bool = True
    options: dict[str, Any] = field(default_factory=dict)


JOBS: list[JobDefinition] = [
    JobDefinition(
        "analytics",
        "scheduler.tasks:analytics",
        {"trigger": "cron", "hour": 2, "minute": 15},
        description=(
            "forecasts, anomalies, trends and recommendations, daily (UTC 02:15)"
        ),
    ),
    JobDefinition(
        "analytics_after_ingest",
        "scheduler.tasks:queued_analytics",
        {"trigger": "interval", "minutes": 5},
        description="re-run analytics for orgs whose data changed (the refresh queue)",
    ),
    JobDefinition(
        "automation_rules",
        "scheduler.tasks:automation_rules",
        {"trigger": "interval", "minutes": 15},
        description="evaluate automation rules and apply their actions",
    ),
    JobDefinition(
        "retention",
        "scheduler.tasks:retention",
        {"trigger": "cron", "hour": 3, "minute": 30},
        description=(
            "delete hourly facts, audit rows and job runs past the org's retention, "
            "daily (UTC 03:30); the rollups are kept"
        ),
    ),
    JobDefinition(
        "snapshot_retention",
        "scheduler.tasks:snapshot_retention",
        {"trigger": "cron", "hour": 3, "minute": 45},
        description=(
            "delete dashboard snapshots older than the org's snapshot retention, "
            "daily (UTC 03:45); an org without one keeps them"
        ),
    ),
]


JOBS.append(
    JobDefinition(
        "report_deliveries",
        "scheduler.tasks:report_deliveries",
        # Every minute, a few seconds past it: a report due at 09:00 leaves at 09:00.
        {"trigger": "cron", "second": 5},
        description=(
            "send the scheduled reports that are due (each fire instant once), retry "
            "failed sends, record missed ones; every minute"
        ),
        logged=False,
    )
)

JOBS.append(
    JobDefinition(
        "alerts",
        "scheduler.tasks:alerts",
        # Every minute, off the reports' second so the two do not start together.
        {"trigger": "cron", "second": 20},
        description=(
            "evaluate the alerts (ok -> pending -> firing -> resolved) and send what "
            "fired or resolved; every minute"
        ),
        # The alerts' own rows say what each run did (alert_states.last_evaluated_at,
        # alert_history, alert_deliveries); a job_runs row a minute per org is noise.
        logged=False,
    )
)


def job(name: str) -> JobDefinition:
    for definition in JOBS:
        if definition.name == name:
            return definition
    raise KeyError(
        f"unknown job {name!r}; expected one of {', '.join(j.name for j in JOBS)}"
    )
