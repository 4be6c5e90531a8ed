"""One full evaluation pass over 1,000 alerts: ``pulse bench alerts``.

N alerts of the benchmark org, a mix like a busy org's: threshold alerts on the org's
total, per platform and per campaign over day and hour windows, change alerts, anomaly
alerts and forecast (budget depletion) alerts, all active. Each pass is what the
scheduler's ``alerts`` job runs every minute: :func:`commands.alerts.run_alerts` with
delivery switched off (the notifications stay pending: delivery time depends on the
channels' servers, not on Pulse), timed from start to commit. The first pass starts
from no state (every entity whose condition holds gets its state row); the next ones
are the steady state. The alerts (with their states and history) are deleted
afterwards.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from sqlalchemy import delete, func, select

from bench.common import BenchTarget, org_id_of
from commands.alerts import run_alerts
from core.db import Database
from core.models import AlertHistory, AlertState, DashboardAlert

NAME_PREFIX = "bench alert"
METRICS = ("cpa", "roas", "ctr", "spend", "revenue", "conversions", "cpc")
OPERATORS = (">", "<", ">=", "<=")


def alert_mix(count: int) -> list[tuple[str, dict[str, Any]]]:
    """``count`` (type, condition) pairs: 40 % threshold, 25 % change, 15 % anomaly,
    20 % forecast, cycling through metrics, entities and windows."""
    mix: list[tuple[str, dict[str, Any]]] = []
    for number in range(count):
        slot = number % 20
        metric = METRICS[number % len(METRICS)]
        entity = ("org", "platform", "campaign")[number % 3]
        if slot < 8:
            mix.append(
                (
                    "threshold",
                    {
                        "metric": metric,
                        "operator": OPERATORS[number % len(OPERATORS)],
                        "threshold": float(number % 50 + 1),
                        "window": ("1d", "7d", "24h", "30d")[number % 4],
                        "entity_type": entity,
                        "pending_evaluations": 1 + number % 3,
                    },
                )
            )
        elif slot < 13:
            mix.append(
                (
                    "change",
                    {
                        "metric": metric,
                        "change_percent": (-20, 30, -50, 10)[number % 4],
                        "period": ("1d", "7d", "24h")[number % 3],
                        "entity_type": entity,
                    },
                )
            )
        elif slot < 16:
            mix.append(
                (
                    "anomaly",
                    {
                        "severity": ["medium", "high", "critical"],
                        "metric": ("spend", "revenue", "conversions", "roas")[
                            number % 4
                        ],
                    },
                )
            )
        else:
            mix.append(
                (
                    "forecast",
                    {
                        "metric": "budget_depletion",
                        "forecast_days": 7 + number % 14,
                        "threshold": float(80 + number % 20),
                    },
                )
            )
    return mix


def _create(admin: Database, org_id: int, count: int) -> None:
    with admin.session(org_id) as session:
        for number, (kind, condition) in enumerate(alert_mix(count)):
            session.add(
                DashboardAlert(
                    org_id=org_id,
                    name=f"{NAME_PREFIX} {number:04d}",
                    alert_type=kind,
                    condition=condition,
                    notification_config={
                        "channels": ["email"],
                        "recipients": ["ops@bench.example"],
                    },
                    cooldown_minutes=60,
                    is_active=True,
                    history=[],
                )
            )


def _cleanup(admin: Database, org_id: int) -> None:
    with admin.session(org_id) as session:
        ids = select(DashboardAlert.id).where(
            DashboardAlert.name.like(f"{NAME_PREFIX}%")
        )
        for model in (AlertHistory, AlertState):
            session.execute(delete(model).where(model.alert_id.in_(ids)))
        session.execute(
            delete(DashboardAlert).where(DashboardAlert.name.like(f"{NAME_PREFIX}%"))
        )


def measure_alert_pass(
    target: BenchTarget, count: int = 1000, repeat: int = 5
) -> dict[str, Any]:
    """Create ``count`` alerts, time ``repeat`` evaluation passes, delete them."""
    admin = Database(target.owner_url)
    app = Database(target.database_url)
    org_id = org_id_of(admin, target.org)
    _cleanup(admin, org_id)
    _create(admin, org_id, count)
    runs = []
    try:
        for number in range(repeat):
            started = time.perf_counter()
            summary = run_alerts(app, None, org_id)
            seconds = time.perf_counter() - started
            runs.append(
                {
                    "pass": number + 1,
                    "seconds": round(seconds, 3),
                    "alerts": summary["alerts"],
                    "entities": summary["entities"],
                    "changes": summary["changes"],
                    "firing": summary["firing"],
                    "broken": summary["broken"],
                }
            )
        with admin.session(org_id) as session:
            states = session.scalar(
                select(func.count())
                .select_from(AlertState)
                .join(DashboardAlert, DashboardAlert.id == AlertState.alert_id)
                .where(DashboardAlert.name.like(f"{NAME_PREFIX}%"))
            )
    finally:
        _cleanup(admin, org_id)
        admin.dispose()
        app.dispose()
    steady = [run["seconds"] for run in runs[1:]] or [runs[0]["seconds"]]
    return {
        "alerts": count,
        "runs": runs,
        "first_pass_s": runs[0]["seconds"],
        "steady_median_s": round(statistics.median(steady), 3),
        "steady_max_s": max(steady),
        "state_rows": states,
        "goal_s": 10.0,
    }
