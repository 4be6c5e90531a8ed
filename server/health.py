"""``GET /healthz``: is the database up, is the cache up.

The database is essential: without it Pulse serves nothing, so the answer is 503 and a
load balancer takes the node out. The cache is not: with Redis down every request is
answered straight from the database, so the answer stays 200 with ``"status":
"degraded"`` (a load balancer must not drop every node because their shared Redis is
down).
"""

from __future__ import annotations

from flask import Flask, jsonify

from core import cache as cache_backend
from server.runtime import runtime

ESSENTIAL = ("database",)


def healthz():
    status = {}
    svc = runtime()
    checks = {"database": svc.db.ping, "cache": lambda: cache_backend.ping(svc.cache)}
    for name, check in checks.items():
        try:
            check()
            status[name] = {"status": "ok"}
        except Exception as exc:  # noqa: BLE001 - any failure is reported, not raised
            status[name] = {
                "status": "error",
                "error": f"{type(exc).__name__}: {exc}"[:300],
            }
    status["database"]["backend"] = svc.db.dialect
    status["cache"]["backend"] = svc.settings.effective_cache_type
    down = [name for name in checks if status[name]["status"] != "ok"]
    failing = [name for name in down if name in ESSENTIAL]
    degraded = [name for name in down if name not in ESSENTIAL]
    body: dict = {"status": "error" if failing else "degraded" if degraded else "ok"}
    body |= status
    if failing:
        body["failing"] = failing
    if degraded:
        body["degraded"] = degraded
    return jsonify(body), 503 if failing else 200


def init_app(server: Flask) -> None:
    server.add_url_rule("/healthz", "healthz", healthz)
