"""The app factory: ``create_app(settings, mount_ui) -> Dash``.

Builds the runtime (settings, database, cache, query cache) once, wires rate limits,
CSRF checks, login, the JSON API and the health check, then lets ``mount_ui`` add the
pages and callbacks (``app.py`` passes them in, so the HTTP layer never imports the
UI). No I/O happens at import time.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable

from dash import Dash
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from accounts.audit import ReadLog
from core.cache import make_cache
from core.crypto import SnapshotCipher
from core.db import Database
from core.settings import PROJECT_ROOT, Settings, load_settings
from datasources.cache import QueryCache
from server import api, auth, csrf, headers, health, limits, live, unavailable
from server.runtime import EXTENSION_KEY, Runtime
from server.version import app_version

# The kiosk app's assets are the files named kiosk*, plus the shared widget styles; the
# main app leaves the kiosk's files alone.
KIOSK_ASSETS = r"^(?!kiosk|pulse\.css|bootstrap\.min\.css)"
MAIN_ASSETS_IGNORE = r"^kiosk"


def create_app(
    settings: Settings | None,
    mount_ui: Callable[[Dash], None],
    mount_kiosk: Callable[[Dash], None] | None = None,
) -> Dash:
    """Create the Pulse Dash app (its Flask server is ``app.server``).

    Args:
        settings: configuration; ``None`` reads :func:`core.settings.load_settings`.
        mount_ui: registers the pages and callbacks on the new app.
        mount_kiosk: registers the kiosk display's layout and callbacks on a second
            Dash app at ``/kiosk/`` on the same server, which has no other callback
            (so a kiosk token can reach nothing else); ``None``: no kiosk.
    """
    settings = settings or load_settings()
    logging.basicConfig(
        level=logging.DEBUG if settings.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    server = Flask("pulse", root_path=str(PROJECT_ROOT))
    server.config.update(
        SECRET_KEY=settings.session_secret(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.env == "production",
        REMEMBER_COOKIE_HTTPONLY=True,
        # Static assets (plotly.js is 4.8 MB) are cacheable by the browser for a day.
        SEND_FILE_MAX_AGE_DEFAULT=86400,
    )
    if settings.trusted_proxies:
        # Behind N proxies the client is the N-th address from the right of
        # X-Forwarded-For; without this every visitor would share the proxy's IP (and
        # its sign-in limit). Never set more than there are: the rest is forgeable.
        server.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            server.wsgi_app,
            x_for=settings.trusted_proxies,
            x_proto=settings.trusted_proxies,
            x_host=settings.trusted_proxies,
        )
    db = Database(settings.database_url)
    cache = make_cache(settings, server)
    server.extensions[EXTENSION_KEY] = Runtime(
        settings,
        db,
        cache,
        QueryCache(db, cache, query_timeout_seconds=settings.query_timeout_seconds),
        ReadLog(db),
        app_version(settings),
        snapshot_cipher=SnapshotCipher(settings.snapshot_key_list()),
    )

    # In this order, which is the order of their checks on each request: rate limits
    # (so attempts without a valid form still count), CSRF, then the login guard.
    limiter = limits.init_app(server, settings)
    csrf.init_app(server)
    auth.init_app(server, limiter, settings)
    health.init_app(server)
    live.init_app(server)
    unavailable.init_app(server)
    routes = api.load_routes()
    # One budget per caller across every API route (a plain limit would be per route).
    limiter.shared_limit(
        settings.rate_limit_api, scope="api", key_func=limits.api_caller
    )(routes)
    server.register_blueprint(routes)

    # The kiosk app first: Dash remembers the last app created as "the" app (page
    # registry paths), which must be the main one.
    kiosk = None
    if mount_kiosk is not None:
        kiosk = Dash(
            "pulse_kiosk",
            server=server,
            url_base_pathname="/kiosk/",
            use_pages=False,
            assets_folder=str(PROJECT_ROOT / "assets"),
            assets_ignore=KIOSK_ASSETS,
            title="Pulse",
            update_title=None,
            suppress_callback_exceptions=True,
            # The main app compresses every response of the server.
            compress=False,
            serve_locally=True,
        )
        mount_kiosk(kiosk)
    app = Dash(
        "pulse",
        server=server,
        use_pages=True,
        pages_folder="",
        assets_folder=str(PROJECT_ROOT / "assets"),
        assets_ignore=MAIN_ASSETS_IGNORE,
        title="Pulse",
        update_title=None,
        suppress_callback_exceptions=True,
        compress=True,
        serve_locally=True,
    )
    mount_ui(app)
    _register_component_bundles(app)
    if kiosk is not None:
        _register_component_bundles(kiosk)
    headers.init_app(app, *([kiosk] if kiosk is not None else []))
    # Everything loaded so far (modules, registries, templates) lives as long as the
    # process: move it out of the collector's way, so that full collections during
    # requests scan only request garbage instead of pausing a query for ~40 ms.
    gc.collect()
    gc.freeze()
    return app


def _register_component_bundles(app: Dash) -> None:
    """Let this process serve every component bundle before it has rendered a page.

    Dash records which JS/CSS files it may serve while rendering the index page. Under
    gunicorn a worker that never rendered it would answer 500 for a bundle the page
    from another worker asked for, so every worker renders the tags once at start-up.
    """
    with app.server.test_request_context("/"):
        app._setup_server()
        app._generate_css_dist_html()
        app._generate_scripts_html()
