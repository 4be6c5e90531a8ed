"""What the benchmarks share: the database they measure, the org lookup and a gunicorn
server to measure."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy import select

from core.db import Database
from core.models import Org

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class BenchTarget:
    """The deployment a benchmark measures.

    Attributes:
        database_url: the app's URL (on PostgreSQL the RLS-bound app role).
        admin_url: the schema owner's URL (API keys, row counts, set-up); defaults to
            ``database_url``.
        redis_url: the shared cache; ``None`` measures with an in-process cache.
        org: the slug of the org made by ``pulse bench generate``.
    """

    database_url: str
    admin_url: str | None = None
    redis_url: str | None = None
    org: str = "bench"

    @property
    def owner_url(self) -> str:
        return self.admin_url or self.database_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def org_id_of(admin: Database, slug: str) -> int:
    with admin.unscoped_session() as session:
        found = session.scalars(select(Org.id).where(Org.slug == slug)).one_or_none()
    if found is None:
        raise SystemExit(
            f"no org {slug!r} in the database; run pulse bench generate first"
        )
    return found


@contextmanager
def gunicorn(
    database_url: str,
    redis_url: str | None,
    *,
    extra_env: dict[str, str] | None = None,
    access_log: Path | None = None,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Pulse under gunicorn (2 workers × 4 threads, no scheduler) on a free port, as
    ``(base URL, process)`` once ``/healthz`` answers; stopped on exit.

    ``extra_env`` adds settings; ``access_log`` writes one line per request there:
    path, status, the worker's time in microseconds, response body bytes."""
    port = free_port()
    env = {
        **os.environ,
        "PULSE_DATABASE_URL": database_url,
        "PULSE_SCHEDULER": "off",
        "PULSE_SECRET_KEY": secrets.token_urlsafe(48),
        "PULSE_CACHE_TYPE": "redis" if redis_url else "simple",
        # The limiter stays on (its Redis round trip is part of an API request's
        # cost), with a budget no benchmark run reaches.
        "PULSE_RATE_LIMIT_API": "1000000 per minute",
        # As the README's scaled deployment runs it: two malloc arenas per process.
        "MALLOC_ARENA_MAX": "2",
        **(extra_env or {}),
    }
    if redis_url:
        env["PULSE_REDIS_URL"] = redis_url
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            *(
                [
                    "--access-logfile",
                    str(access_log),
                    "--access-logformat",
                    "%(U)s %(s)s %(D)s %(B)s",
                ]
                if access_log is not None
                else []
            ),
            "app:server",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.3)
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=10)
