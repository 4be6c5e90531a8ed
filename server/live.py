"""``GET /live/version``: the signed-in user's org's data version, for realtime screens.

A dashboard whose refresh interval is ``realtime`` asks this every second with the tag
it last saw in ``If-None-Match``; the answer is ``304 Not Modified`` (no body) until an
ingest or a campaign change bumps the org's version, then ``200`` with the new tag,
and the page's refresh tick runs at once. The version lives in the cache every worker
shares (Redis under gunicorn; the process's memory when embedded, where the one process
is also the one that ingests), so a batch committed through any worker is seen by all.
Why polling rather than Server-Sent Events or websockets: see the README, "Live
dashboards".
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

from commands.live import data_version
from server.runtime import runtime

VERSION_PATH = "/live/version"


def version_view() -> Response:
    tag = data_version(runtime(), current_user.caller)
    if tag in request.if_none_match:
        response = Response(status=304)
    else:
        response = Response(tag, mimetype="text/plain")
    response.set_etag(tag)
    # The tag is the user's org's: never stored by a shared cache, always revalidated.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def init_app(server: Flask) -> None:
    server.add_url_rule(VERSION_PATH, "live_version", version_view)
