"""``GET /healthz``: is the database up, is the cache up."""

from __future__ import annotations

from flask import Flask, jsonify

from core import cache as cache_backend
from server.runtime import runtime


def healthz():
    status, code = {}, 200
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
            code = 503
    status["database"]["backend"] = svc.db.dialect
    status["cache"]["backend"] = svc.settings.effective_cache_type
    failing = [name for name in checks if status[name]["status"] != "ok"]
    body = {"status": "ok" if not failing else "error", **status}
    if failing:
        body["failing"] = failing
    return jsonify(body), code


def init_app(server: Flask) -> None:
    server.add_url_rule("/healthz", "healthz", healthz)
