"""Kiosk displays under load: ``pulse bench kiosk``.

Serves Pulse with gunicorn (2 workers × 4 threads, Redis cache) on the database made
by ``pulse bench generate``, gives each of N simulated displays its own kiosk token
for the bench org's Executive dashboard, and has them tick as a browser would
(``POST /kiosk/_dash-update-component`` with the token's path and the store the
previous answer left) every ``tick`` seconds, spread evenly over the tick, for
``duration`` seconds.

Each display opens with one whole-screen draw (the warm-up, reported apart); the
measured ticks are the steady state of a wall where nothing changes. Reported: errors
(anything but 200/204, and failed connections), the worker's time per tick from
gunicorn's access log (``%(D)s``: from reading the request to the last byte sent),
the client's round trip, and the bytes of a tick both ways.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import requests
from sqlalchemy import select

from accounts.permissions import OPERATOR_ROLE, Caller
from bench.common import BenchTarget, gunicorn, org_id_of
from bench.render import prepare
from commands.kiosk import create_kiosk_token
from core.db import Database
from core.models import KioskToken

TICK_PATH = "/kiosk/_dash-update-component"
SINGLE_OUTPUTS = [
    ("kiosk-screen", "children"),
    ("kiosk-state", "data"),
    ("kiosk-tick", "interval"),
    ("kiosk-tick", "disabled"),
    ("kiosk-title", "children"),
    ("kiosk-position", "children"),
    ("kiosk-asof", "children"),
    ("kiosk-location", "href"),
]
OUTPUT = (
    '..kiosk-screen.children...{"index":["ALL"],"type":"kiosk-widget"}.children...'
    + "...".join(f"{i}.{p}" for i, p in SINGLE_OUTPUTS[1:])
    + ".."
)


class _Context:
    def __init__(self, db: Database) -> None:
        self.db, self.data = db, None


def make_tokens(target: BenchTarget, dashboard_id: int, displays: int) -> list[str]:
    """One kiosk token per display, for the dashboard (earlier bench tokens are
    revoked, so each run starts from the same state)."""
    admin = Database(target.owner_url)
    org_id = org_id_of(admin, target.org)
    with admin.unscoped_session() as session:
        for row in session.scalars(
            select(KioskToken).where(
                KioskToken.org_id == org_id, KioskToken.name.like("bench display %")
            )
        ):
            session.delete(row)
    caller = Caller(org_id, None, OPERATOR_ROLE)
    tokens = [
        create_kiosk_token(
            _Context(admin), caller, f"bench display {n}", dashboard_id=dashboard_id
        )[1]
        for n in range(displays)
    ]
    admin.dispose()
    return tokens


def tick_body(token: str, state: dict, shown: list[int], as_of: Any) -> dict:
    outputs: list[Any] = [{"id": i, "property": p} for i, p in SINGLE_OUTPUTS]
    outputs.insert(
        1,
        [
            {"id": {"type": "kiosk-widget", "index": wid}, "property": "children"}
            for wid in shown
        ],
    )
    return {
        "output": OUTPUT,
        "outputs": outputs,
        "inputs": [
            {"id": "kiosk-tick", "property": "n_intervals", "value": 1},
            {
                "id": "kiosk-location",
                "property": "pathname",
                "value": f"/kiosk/{token}",
            },
        ],
        "changedPropIds": ["kiosk-tick.n_intervals"],
        "state": [
            {"id": "kiosk-state", "property": "data", "value": state},
            {"id": "kiosk-asof", "property": "children", "value": as_of},
        ],
    }


class Display:
    """One simulated wall display: its token and what its screen shows."""

    def __init__(self, base: str, token: str, version: str) -> None:
        self.base, self.token = base, token
        self.state: dict = {"version": version}
        self.shown: list[int] = []
        self.as_of: Any = None

    def tick(self) -> tuple[int, float, int, int, int]:
        """(status, round trip in ms, request body bytes, response body bytes,
        response header bytes)."""
        body = json.dumps(tick_body(self.token, self.state, self.shown, self.as_of))
        started = time.perf_counter()
        # A new connection per tick, as a browser makes one after gunicorn closed
        # the idle one (its keep-alive is 2 s; a tick comes every 10).
        response = requests.post(
            self.base + TICK_PATH,
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code == 200:
            answer = response.json()["response"]
            if "kiosk-state" in answer:
                self.state = answer["kiosk-state"]["data"]
                self.shown = [int(k) for k in self.state.get("digests", {})]
            if "kiosk-asof" in answer:
                self.as_of = answer["kiosk-asof"]["children"]
        headers = sum(len(k) + len(v) + 4 for k, v in response.raw.headers.items())
        headers += len(f"HTTP/1.1 {response.status_code} {response.reason}\r\n\r\n")
        return response.status_code, elapsed, len(body), len(response.content), headers


def _version(base: str) -> str:
    layout = requests.get(base + "/kiosk/_dash-layout", timeout=30).json()
    for child in layout["props"]["children"]:
        if child["props"].get("id") == "kiosk-state":
            return child["props"]["data"]["version"]
    raise SystemExit("no kiosk-state in the kiosk layout")


def measure(
    target: BenchTarget,
    displays: int,
    tick_seconds: float,
    duration: float,
    workers: int = 32,
) -> dict[str, Any]:
    """Run the displays; return the figures (see the module docstring)."""
    dashboard_id = prepare(Database(target.owner_url), target.org, "executive")
    tokens = make_tokens(target, dashboard_id, displays)
    log = Path(tempfile.mkdtemp(prefix="pulse-kiosk-bench-")) / "access.log"
    env = {"PULSE_KIOSK_TICK_SECONDS": str(tick_seconds)}
    results: list[tuple[float, int, float, int, int, int]] = []
    errors: list[str] = []
    lock = threading.Lock()
    with gunicorn(
        target.database_url, target.redis_url, extra_env=env, access_log=log
    ) as (base, _server):
        version = _version(base)
        screens = [Display(base, token, version) for token in tokens]
        warm_started = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            first = list(pool.map(lambda d: d.tick(), screens))
        warm_up = {
            "seconds": time.perf_counter() - warm_started,
            "errors": sum(1 for status, *_ in first if status != 200),
            "response_bytes_p50": float(np.median([r[3] for r in first])),
        }
        log_offset = log.stat().st_size
        start = time.perf_counter() + 1.0
        stop = start + duration

        def run(index: int, display: Display) -> None:
            due = start + tick_seconds * index / displays
            while due < stop:
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                try:
                    answer = display.tick()
                except requests.RequestException as exc:
                    with lock:
                        errors.append(type(exc).__name__)
                else:
                    with lock:
                        results.append((due, *answer))
                due += tick_seconds

        # One thread per display: a thread sleeps until its display's tick is due,
        # so the ticks keep their schedule whatever the others wait for.
        threads = [
            threading.Thread(target=run, args=(index, display), daemon=True)
            for index, display in enumerate(screens)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        server_ms = _server_times(log, log_offset)
    statuses = [r[1] for r in results]
    bad = [s for s in statuses if s not in (200, 204)]
    unchanged = [r for r in results if r[1] == 204]
    return {
        "displays": displays,
        "tick_seconds": tick_seconds,
        "duration_seconds": duration,
        "ticks": len(results),
        "ticks_per_second": len(results) / duration,
        "errors": len(bad) + len(errors),
        "error_kinds": sorted({str(s) for s in bad} | set(errors)),
        "answers_204": len(unchanged),
        "server_ms": _percentiles(server_ms),
        "round_trip_ms": _percentiles([r[2] for r in results]),
        "request_bytes_p50": float(np.median([r[3] for r in results])),
        "response_body_bytes_unchanged": max((r[4] for r in unchanged), default=0),
        "response_header_bytes_unchanged": max((r[5] for r in unchanged), default=0),
        "warm_up": warm_up,
    }


def _server_times(log: Path, offset: int) -> list[float]:
    """The worker's time (ms) of each tick logged after ``offset``."""
    times = []
    with log.open() as lines:
        lines.seek(offset)
        for line in lines:
            parts = line.split()
            if len(parts) >= 3 and parts[0] == TICK_PATH:
                times.append(int(parts[2]) / 1000)
    return times


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    array = np.array(values)
    return {
        "n": len(values),
        "p50": float(np.percentile(array, 50)),
        "p95": float(np.percentile(array, 95)),
        "p99": float(np.percentile(array, 99)),
        "max": float(array.max()),
    }
