"""Cross-site request forgery: which requests must prove they come from Pulse's pages.

* **Forms** (``POST /login``, ``POST /logout``, and any form route added later): every
  request with an unsafe method (POST, PUT, PATCH, DELETE) must carry the CSRF token
  of its session (Flask-WTF), as the hidden ``csrf_token`` field or the
  ``X-CSRFToken`` header. This is the default: a new route is checked unless it is
  listed in :data:`EXEMPT_PREFIXES`.
* **Dash callbacks** (``POST /_dash-update-component``) are exempt from the token: Dash
  only accepts a JSON body, which a cross-site page can send only after a CORS
  preflight that Pulse never grants, and the session cookie is ``SameSite=Lax``, so
  the browser does not attach it to another site's POST at all.
* **The JSON API** (``/api/v1``) is exempt from the token too. A request with
  ``Authorization: Bearer <API key>`` carries a credential no browser adds by itself,
  so it cannot be forged from another site. A request authenticated by the session
  cookie that changes something must show that it comes from Pulse itself
  (:func:`cross_site_problem`): an ``Origin`` (or, without one, ``Referer``) of this
  host, or the ``X-CSRFToken`` header. The API accepts ``text/csv`` and ``text/plain``
  bodies (ingest), which a cross-site form or ``fetch`` can send without a preflight;
  this check is what keeps those out.

A refusal is a 400 naming the CSRF problem: JSON ``{"error", "details"}`` for the API
and callbacks, a short page with a way back for a form.
"""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Flask, current_app, jsonify, render_template_string, request
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf, validate_csrf
from wtforms.validators import ValidationError

from server._pages import card_page

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Paths whose unsafe requests are not checked for the form token, and why (see the
# module docstring): Dash callbacks take only JSON; the API checks cookie callers'
# Origin itself (server.api._core) and API keys are not ambient credentials.
EXEMPT_PREFIXES = ("/_dash-update-component", "/kiosk/_dash-update-component", "/api/")
TOKEN_HEADER = "X-CSRFToken"

REFUSED_PAGE = card_page(
    "Request refused",
    """\
  <h1 class="h4 mb-3">Request refused</h1>
  <p id="csrf-error">The form was not accepted: its CSRF (cross-site request forgery)
  token is missing or does not belong to this browser session
  ({{ reason }}). This happens when a form was left open across a sign-out, or when
  another site tried to submit it for you.</p>
  <p class="mb-0"><a href="{{ retry }}">Open the page again</a> and resubmit it.</p>
""",
)


def csrf_token() -> str:
    """The CSRF token of the current session (created on first use), for a form's
    hidden ``csrf_token`` field."""
    return generate_csrf()


def init_app(server: Flask) -> None:
    """Check the CSRF token of every unsafe request outside :data:`EXEMPT_PREFIXES`."""
    server.config.update(
        # Checked by check_csrf below, which names its exemptions by path.
        WTF_CSRF_CHECK_DEFAULT=False,
        # A token lives as long as its session (the server ends sessions, see
        # commands.accounts): a dashboard left open for hours can still sign out.
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_HEADERS=[TOKEN_HEADER, "X-CSRF-Token"],
    )
    CSRFProtect(server)
    server.before_request(check_csrf)
    server.register_error_handler(CSRFError, csrf_refused)


def check_csrf() -> None:
    """Refuse (CSRFError, 400) an unsafe request without its session's token."""
    if request.method in SAFE_METHODS or request.path.startswith(EXEMPT_PREFIXES):
        return
    current_app.extensions["csrf"].protect()


def csrf_refused(exc: CSRFError):
    reason = exc.description or "CSRF validation failed"
    if request.path.startswith(("/api/", "/_dash-")):
        return jsonify(error="CSRF check failed", details=[reason]), 400
    retry = "/logout" if request.path.startswith("/logout") else "/login"
    return render_template_string(REFUSED_PAGE, reason=reason, retry=retry), 400


def cross_site_problem() -> str | None:
    """Why this cookie-authenticated request might come from another site, or ``None``
    when it is safe (a safe method, a same-host ``Origin``/``Referer``, or a valid
    ``X-CSRFToken``)."""
    if request.method in SAFE_METHODS:
        return None
    origin = request.headers.get("Origin")
    source = origin if origin is not None else request.referrer
    if source and urlparse(source).netloc.lower() == request.host.lower():
        return None
    token = request.headers.get(TOKEN_HEADER)
    if token:
        try:
            validate_csrf(token)
        except ValidationError as exc:
            return f"{TOKEN_HEADER}: {exc.args[0]}"
        return None
    if source is None:
        return (
            "a request signed in by the session cookie that changes data needs an "
            f"Origin header of this host or the {TOKEN_HEADER} header; API clients "
            "should send 'Authorization: Bearer <org API key>' instead"
        )
    return (
        f"{'Origin' if origin is not None else 'Referer'} {source!r} is not this "
        f"host ({request.host}); send 'Authorization: Bearer <org API key>' or the "
        f"{TOKEN_HEADER} header"
    )
