"""Pulse entry point.

``python app.py`` serves the app on PULSE_HOST:PULSE_PORT (127.0.0.1:8050); under
gunicorn use ``app:server``.
"""

from __future__ import annotations

import sys

from server.settings import ConfigurationError, load_settings


def main() -> int:
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 2
    from server.factory import create_app

    app = create_app(settings)
    if settings.scheduler == "embedded":
        from scheduler.service import start_in_background

        start_in_background(settings)
    print(f"Pulse is serving on http://{settings.host}:{settings.port}", flush=True)
    app.run(host=settings.host, port=settings.port, debug=settings.debug)
    return 0


def __getattr__(name: str):
    # `gunicorn app:server` builds the app on first access, not at import time.
    if name == "server":
        from server.factory import create_app

        return create_app().server
    raise AttributeError(name)


if __name__ == "__main__":
    sys.exit(main())
