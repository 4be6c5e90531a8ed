"""Where a request comes from, for the audit trail.

The client address is the socket's peer (``request.remote_addr``) unless
``PULSE_TRUSTED_PROXIES`` names how many reverse proxies in front of Pulse to trust:
then werkzeug's ``ProxyFix`` (installed by the app factory) takes it from that many
``X-Forwarded-For`` hops. Without that setting a forwarded header is ignored, so a
client cannot write another address into the audit log.
"""

from __future__ import annotations

from flask import has_request_context, request

from accounts.permissions import USER_AGENT_LENGTH


def request_origin() -> dict[str, str | None]:
    """``{"address": ..., "user_agent": ...}`` of the current request (both ``None``
    outside a request), ready to be passed to :class:`accounts.permissions.Caller`."""
    if not has_request_context():
        return {"address": None, "user_agent": None}
    agent = request.headers.get("User-Agent", "")[:USER_AGENT_LENGTH]
    return {"address": request.remote_addr, "user_agent": agent or None}
