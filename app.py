"""Pulse entry point and composition root.

``python app.py`` serves the app on PULSE_HOST:PULSE_PORT (127.0.0.1:8050); under
gunicorn use ``app:server``. This is the one place that puts the HTTP server
(``server``), the pages (``layouts``) and the callbacks (``callbacks``) together.
"""

from __future__ import annotations

import sys

from dash import Dash
from sqlalchemy.exc import OperationalError

import callbacks
import layouts
from core.errors import unreachable_database
from core.settings import ConfigurationError, Settings, load_settings
from scheduler.process import start_in_background
from server import factory


def mount_ui(app: Dash) -> None:
    """Register the pages and their callbacks on ``app``."""
    layouts.register_pages(app)
    callbacks.register_callbacks(app)


def mount_kiosk(app: Dash) -> None:
    """The kiosk display (``/kiosk/<token>``): its page and its one callback."""
    app.layout = layouts.kiosk_page
    callbacks.register_kiosk_callbacks(app)


def create_app(settings: Settings | None = None) -> Dash:
    """The whole Pulse app: HTTP server, login, API, pages and callbacks."""
    return factory.create_app(settings, mount_ui, mount_kiosk)


def main() -> int:
    try:
        settings = load_settings()
        app = create_app(settings)  # reads or generates the session secret
        if settings.scheduler == "embedded":
            start_in_background(settings)
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 2
    except OperationalError as exc:
        print(unreachable_database(exc, settings.database_url), file=sys.stderr)
        return 2
    print(f"Pulse is serving on http://{settings.host}:{settings.port}", flush=True)
    app.run(host=settings.host, port=settings.port, debug=settings.debug)
    return 0


def __getattr__(name: str):
    # `gunicorn app:server` builds the app on first access, not at import time.
    if name == "server":
        return create_app().server
    raise AttributeError(name)


if __name__ == "__main__":
    sys.exit(main())
