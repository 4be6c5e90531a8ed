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

import datetime as dt
import statistics
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import delete, func, select, text

from accounts.permissions import Caller
from bench.common import BenchTarget, org_id_of
from commands.alerts import run_alerts
from commands.ingest import ingest_facts
from core.cache import make_cache
from core.db import Database
from core.models import AlertHistory, AlertState, DashboardAlert
from core.settings import load_settings
from datasources.cache import QueryCache

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


# The campaign the ingest-to-webhook measure writes to: its own, created by the first
# ingest, with a few dollars an hour, so the benchmark org's figures barely move.
HOOK_CAMPAIGN = "bench-alert-hook"


class _Receiver:
    """A webhook receiver on a free loopback port: when each request arrived."""

    def __init__(self) -> None:
        self.arrivals: list[float] = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.arrivals.append(time.perf_counter())
                receiver.arrived.set()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class _Context:
    db: Database
    data: QueryCache


def measure_ingest_to_webhook(
    target: BenchTarget, repeat: int = 5, mix: int = 0
) -> dict[str, Any]:
    """Time an ingest that makes an alert fire until its signed webhook arrives.

    One threshold alert (its own campaign's spend over the last full hour above $50,
    fired at the first evaluation that sees it) posts to a receiver on loopback
    (allowed by the allow-list setting). Each run clears the alert's state, ingests
    $100 of spend for that hour through :func:`commands.ingest.ingest_facts` (what
    ``POST /api/v1/ingest`` calls: the batch commits, the org's alerts are evaluated
    and the notifications sent), and times from the call to the webhook's arrival.
    ``mix`` more alerts of :func:`alert_mix` are evaluated with it (an org with many
    alerts waits for all of them)."""
    admin = Database(target.owner_url)
    app = Database(target.database_url)
    org_id = org_id_of(admin, target.org)
    receiver = _Receiver()
    settings = load_settings(
        database_url=target.database_url,
        cache_type="simple",
        webhook_allowlist="127.0.0.1",
    )
    context = _Context(app, QueryCache(app, make_cache(settings)))
    caller = Caller(org_id=org_id, user_id=None, role="editor")
    hour = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    hour -= dt.timedelta(hours=1)
    _cleanup(admin, org_id)
    if mix:
        _create(admin, org_id, mix)

    def row(spend: float) -> dict[str, Any]:
        return {
            "campaign": HOOK_CAMPAIGN,
            "campaign_name": "Bench alert hook",
            "platform": "meta",
            "hour": hour.isoformat(),
            "country": "US",
            "spend": spend,
            "impressions": 1000,
            "clicks": 10,
            "conversions": 1,
            "revenue": 0,
            "currency": "USD",
        }

    took, calls = [], []
    try:
        # The campaign exists before the alert names it.
        ingest_facts(context, caller, [row(1.0)], on_unknown_campaign="create")
        with admin.session(org_id) as session:
            campaign = session.scalar(
                text("SELECT id FROM campaigns WHERE external_id = :e"),
                {"e": HOOK_CAMPAIGN},
            )
            session.add(
                DashboardAlert(
                    org_id=org_id,
                    name=f"{NAME_PREFIX} hook",
                    alert_type="threshold",
                    condition={
                        "metric": "spend",
                        "operator": ">",
                        "threshold": 50,
                        "window": "1h",
                        "include_current": False,
                        "entity_type": "campaign",
                        "campaign_ids": [campaign],
                    },
                    notification_config={
                        "channels": ["webhook"],
                        "webhook_url": receiver.url,
                    },
                    webhook_secret="bench-secret",
                    cooldown_minutes=0,
                    is_active=True,
                    history=[],
                )
            )
        for number in range(repeat):
            with admin.session(org_id) as session:
                hook = select(DashboardAlert.id).where(
                    DashboardAlert.name == f"{NAME_PREFIX} hook"
                )
                session.execute(delete(AlertState).where(AlertState.alert_id.in_(hook)))
            # Below the threshold first (the state is ok), then the spike.
            ingest_facts(context, caller, [row(1.0 + number / 100)], settings=settings)
            receiver.arrived.clear()
            started = time.perf_counter()
            ingest_facts(context, caller, [row(100.0 + number)], settings=settings)
            returned = time.perf_counter()
            if not receiver.arrived.wait(30):
                raise RuntimeError("the webhook did not arrive within 30 s")
            took.append((receiver.arrivals[-1] - started) * 1000)
            calls.append((returned - started) * 1000)
    finally:
        _cleanup(admin, org_id)
        receiver.close()
        admin.dispose()
        app.dispose()
    return {
        "alerts": 1 + mix,
        "repeat": repeat,
        "ingest_to_webhook_ms": [round(t, 1) for t in took],
        "ingest_call_ms": [round(t, 1) for t in calls],
        "p50_ms": round(statistics.median(took), 1),
        "max_ms": round(max(took), 1),
    }
