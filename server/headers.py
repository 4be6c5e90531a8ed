"""Security headers on every response: pages, callbacks, the JSON API, assets, /healthz.

The Content-Security-Policy allows only what Pulse serves itself (``assets/`` and Dash's
own bundles; nothing comes from a CDN):

- scripts from this origin, plus the inline scripts Dash writes into its index page
  (the renderer bootstrap and any clientside callbacks), by their hashes
  (``Dash.csp_hashes``) — no ``'unsafe-inline'``, no ``'unsafe-eval'``;
- styles from this origin and inline ``style`` attributes, which plotly.js, AG Grid and
  Dash components set on every element they draw (``'unsafe-inline'``);
- images from this origin and ``data:``/``blob:`` (Bootstrap's inline SVG icons, a
  figure's "download as PNG");
- ``fetch`` to this origin only (callbacks, the map's topojson under ``/assets``);
- no web workers from elsewhere: ``default-src 'self'`` covers them (plotly.js starts
  one only for its MapLibre traces, which Pulse does not draw; its maps are ``geo``);
- no plugins, no ``<base>`` elsewhere, forms post only here, and no framing
  (``frame-ancestors 'none'``, with ``X-Frame-Options: DENY`` for older browsers).
"""

from __future__ import annotations

from dash import Dash
from flask import Response


def content_security_policy(app: Dash, *others: Dash) -> str:
    """The CSP for ``app`` as it stands: the hashes cover every inline script Dash
    writes into the index page, including the clientside callback that Dash pages adds
    on the first request, so it is computed per response (hashing two short scripts)."""
    directives = {
        "default-src": ["'self'"],
        "script-src": [
            "'self'",
            *dict.fromkeys(h for a in (app, *others) for h in a.csp_hashes()),
        ],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(
        f"{name} {' '.join(values)}" for name, values in directives.items()
    )


STATIC_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def init_app(app: Dash, *others: Dash) -> None:
    """Add the security headers to every response of ``app.server`` (whose inline
    scripts are those of ``app`` and of the ``others`` Dash apps on the same server,
    such as the kiosk's)."""

    def add_security_headers(response: Response) -> Response:
        response.headers.setdefault(
            "Content-Security-Policy", content_security_policy(app, *others)
        )
        for name, value in STATIC_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.server.after_request(add_security_headers)
