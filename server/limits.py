"""Rate limits (Flask-Limiter): sign-in attempts and the JSON API.

* ``POST /login``: ``PULSE_RATE_LIMIT_LOGIN_IP`` attempts per client IP address, and
  ``PULSE_RATE_LIMIT_LOGIN_ACCOUNT`` *failed* attempts per email address (a successful
  sign-in is not counted; once the account's limit is reached even the right password
  waits until the window has passed).
* ``/api/v1``: ``PULSE_RATE_LIMIT_API`` requests per API key, per signed-in user for
  cookie callers, or per IP address for requests with neither.

Nothing else is limited: Dash callbacks (a dashboard makes many at once), pages and
static assets are not. Counters live in Redis when ``REDIS_URL`` is set, so every
gunicorn worker and server shares them; otherwise in the process's memory. If Redis
cannot be reached the limiter falls back to memory (per process) and never fails a
request because of its storage. A limited request gets 429 with ``Retry-After``
(seconds): JSON for the API (:mod:`server.api._core`), the sign-in form with a message
for ``/login`` (:mod:`server.auth`). ``PULSE_RATE_LIMITS=false`` turns them off.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import Flask, current_app, request, session
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded

from core.settings import Settings

EXTENSION_KEY = "pulse.limiter"
# A moving window: "5 per 15 minutes" means in any 15 minutes, not per clock
# quarter-hour (which would let 10 through across a boundary), and Retry-After is
# exact: when the oldest counted request leaves the window. It keeps one timestamp per
# counted request (at most N per key), which is little at these limits.
STRATEGY = "moving-window"
# An unreachable Redis must not stall requests: give up quickly, then use memory.
REDIS_TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
# Retry-After when the limiter cannot say (its storage failed meanwhile).
DEFAULT_RETRY_SECONDS = 60

__all__ = ["RateLimitExceeded", "init_app", "retry_after_seconds"]


def init_app(server: Flask, settings: Settings) -> Limiter:
    """The app's limiter, with its storage; routes add their limits with it."""
    storage_uri = settings.redis_url or "memory://"
    limiter = Limiter(
        client_ip,
        storage_uri=storage_uri,
        storage_options=REDIS_TIMEOUTS if settings.redis_url else {},
        strategy=STRATEGY,
        key_prefix="pulse",
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        headers_enabled=False,
        enabled=settings.rate_limits,
    )
    limiter.init_app(server)
    server.extensions[EXTENSION_KEY] = limiter
    return limiter


def client_ip() -> str:
    """The address the request came from (behind a proxy: the proxy's)."""
    return f"ip:{request.remote_addr or 'unknown'}"


def login_account() -> str:
    """The email a sign-in attempt names (hashed: the key is not the address)."""
    email = (request.form.get("email") or "").strip().lower()
    return f"email:{hashlib.sha256(email.encode()).hexdigest()[:32]}"


def failed_sign_in(response) -> bool:
    """Only refused passwords count against an account's limit."""
    return response.status_code == 401


def api_caller() -> str:
    """Whose API budget a request spends: its API key (hashed), else the signed-in
    user of the session cookie, else its IP address.

    Read from the request and the signed session alone, without the database: a key
    function must not fail.
    """
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        key = header[7:].strip()
        return f"apikey:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
    # flask-login keeps "<org>:<user>:<token>" (see server.auth); the user, not the
    # session, is the budget, so signing in again does not reset it.
    user = str(session.get("_user_id") or "").split(":")[:2]
    if len(user) == 2 and all(part.isdigit() for part in user):
        return f"user:{user[0]}:{user[1]}"
    return client_ip()


def retry_after_seconds() -> int:
    """Seconds until the limit this request broke lets a request through again."""
    limiter: Limiter | None = current_app.extensions.get(EXTENSION_KEY)
    limit = limiter.current_limit if limiter is not None else None
    if limit is None:
        return DEFAULT_RETRY_SECONDS
    try:
        reset_at = limit.window[0]  # when the window lets one request through
        return max(1, math.ceil(reset_at - time.time()))
    except Exception:  # noqa: BLE001 - the storage failed: a fair guess will do
        return DEFAULT_RETRY_SECONDS
