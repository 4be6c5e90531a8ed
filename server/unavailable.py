"""What a request gets while the database cannot be reached: a 503, never a traceback.

The user loader runs on every signed-in request and reads the database, so with the
database down a page, a Dash callback and an API call all fail before their own code
runs; a database that drops mid-request fails them later. Either way the error reaches
these handlers:

* a page gets a small 503 page "Pulse cannot reach its database — data is unavailable,
  retrying…" that reloads itself every :data:`RETRY_SECONDS` (a ``<meta refresh>``: the
  Content-Security-Policy allows no inline script);
* a Dash callback gets a 503 JSON answer; ``assets/outage.js`` on the open page sees
  it, shows a banner "Data is unavailable — retrying…", polls ``/healthz`` and
  refreshes the widgets once the database is back;
* the JSON API gets ``{"error": "database unavailable", "details": [...]}``.

Every answer carries ``Retry-After``. The pool pre-pings its connections, so when the
database returns the next request reconnects: nothing has to be restarted. Other
database errors (a bad statement, a query cut off by its time limit) are not outages
and keep their usual handling.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, jsonify, request
from sqlalchemy import exc as sa_exc

from core.db import is_unavailable
from server._pages import card_page

log = logging.getLogger(__name__)

RETRY_SECONDS = 10
# At most one warning per this many seconds while the database stays down, however many
# requests fail (each failing request would otherwise log a traceback).
LOG_EVERY_SECONDS = 60.0

UNAVAILABLE_PAGE = card_page(
    "Data is unavailable",
    """\
    <h1 class="h3 mb-1 brand">Pulse</h1>
    <h2 class="h5 mt-3">Pulse cannot reach its database</h2>
    <p class="mb-2">Data is unavailable, retrying… This page reloads by itself every
      {retry} seconds and shows your page as soon as the database is back.</p>
    <p class="text-muted small mb-0">Nothing you saved is lost.</p>
""",
    head='<meta http-equiv="refresh" content="{retry}">\n',
    card_id="unavailable",
)


class _OutageLog:
    """Log the outage once a minute, not once per failing request."""

    def __init__(self) -> None:
        self._last = float("-inf")

    def note(self, error: BaseException) -> None:
        now = time.monotonic()
        if now - self._last < LOG_EVERY_SECONDS:
            return
        self._last = now
        reason = str(getattr(error, "orig", error)).strip().splitlines()
        log.warning(
            "database unavailable (%s: %s); answering 503 and retrying",
            type(error).__name__,
            reason[0] if reason else "",
        )


def database_unavailable(error: sa_exc.SQLAlchemyError, outage_log: _OutageLog):
    """The 503 answer for the kind of request that failed (re-raise if the error is
    not an outage)."""
    if not is_unavailable(error):
        raise error
    outage_log.note(error)
    path = request.path
    headers = {"Retry-After": str(RETRY_SECONDS), "Cache-Control": "no-store"}
    if path.startswith(("/api/", "/_dash-", "/_reload-hash", "/kiosk/_dash-")):
        body = jsonify(
            error="database unavailable",
            details=[
                "Pulse cannot reach its database; data is unavailable, retrying. "
                f"Try again in {RETRY_SECONDS} seconds."
            ],
        )
        return body, 503, headers
    # Not a Jinja template: Flask-Login's context processor would load the user,
    # which needs the database.
    page = UNAVAILABLE_PAGE.format(retry=RETRY_SECONDS)
    return page, 503, headers | {"Content-Type": "text/html; charset=utf-8"}


def init_app(server: Flask) -> None:
    """Answer 503 instead of 500 for database outages anywhere in ``server``."""
    outage_log = _OutageLog()

    def handler(error: sa_exc.SQLAlchemyError):
        return database_unavailable(error, outage_log)

    server.register_error_handler(sa_exc.DBAPIError, handler)
    server.register_error_handler(sa_exc.TimeoutError, handler)
