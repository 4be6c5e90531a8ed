"""Login (email + password form), sessions, sign-out, and who the caller is.

Every page and Dash callback needs a logged-in user; ``/api/v1`` also accepts an org
API key. Signing in opens a server-side session (:mod:`commands.accounts`); the signed
cookie stores ``"<org_id>:<user_id>:<session token>"``, so the user is loaded inside
their own org context and only while that session lives: signing out, idling past
``PULSE_SESSION_IDLE_MINUTES`` or passing ``PULSE_SESSION_MAX_HOURS`` ends it for every
copy of the cookie. The sign-in and sign-out forms carry a CSRF token
(:mod:`server.csrf`); sign-in attempts are rate limited (:mod:`server.limits`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import astuple, dataclass
from urllib.parse import urlparse

from flask import (
    Flask,
    jsonify,
    redirect,
    render_template_string,
    request,
    session,
    url_for,
)
from flask_limiter import Limiter
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from accounts.permissions import Caller
from commands.accounts import SessionPolicy, session_user, sign_in, sign_out
from core.settings import Settings
from server import limits
from server._pages import card_page
from server.csrf import csrf_token
from server.origin import request_origin
from server.runtime import runtime

PUBLIC_PREFIXES = (
    "/login",
    "/logout",
    "/healthz",
    "/assets/",
    "/_dash-component-suites/",
    "/_favicon.ico",
    "/api/",
    # Kiosk displays: their own Dash app, whose one callback checks the kiosk token
    # itself (callbacks.kiosk); a token signs nobody in, so nothing else opens.
    "/kiosk/",
)


@dataclass
class CurrentUser(UserMixin):
    user_id: int
    org_id: int
    email: str
    full_name: str
    role: str
    org_name: str
    session_token: str

    def get_id(self) -> str:
        return f"{self.org_id}:{self.user_id}:{self.session_token}"

    @property
    def caller(self) -> Caller:
        """Who this person is to the commands (their org, id and role), and where the
        request comes from (for the audit trail)."""
        return Caller(self.org_id, self.user_id, self.role, **request_origin())


def session_policy(settings: Settings) -> SessionPolicy:
    return SessionPolicy(
        idle=dt.timedelta(minutes=settings.session_idle_minutes),
        max_age=dt.timedelta(hours=settings.session_max_hours),
    )


def load_user(session_id: str) -> CurrentUser | None:
    """Load the session's user inside its org; a malformed id, or a session that was
    ended, is idle or too old, loads nobody (signed out)."""
    try:
        org, user, token = session_id.split(":")
        org_id, user_id = int(org), int(user)
    except (ValueError, AttributeError):
        return None
    svc = runtime()
    user_row = session_user(svc, org_id, user_id, token, session_policy(svc.settings))
    return None if user_row is None else CurrentUser(*astuple(user_row), token)


LOGIN_PAGE = card_page(
    "Sign in",
    """\
    <h1 class="h3 mb-1 brand">Pulse</h1>
    <p class="text-muted mb-4">Marketing performance, live.</p>
    {% if error %}<div class="alert alert-danger" role="alert" id="login-error">
      {{ error }}</div>{% endif %}
    <form method="post" action="/login">
      <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
      <input type="hidden" name="next" value="{{ next }}">
      <div class="mb-3"><label class="form-label" for="email">Email</label>
        <input class="form-control" id="email" name="email" type="email"
               autocomplete="username" value="{{ email }}" required autofocus></div>
      <div class="mb-3"><label class="form-label" for="password">Password</label>
        <input class="form-control" id="password" name="password" type="password"
               autocomplete="current-password" required></div>
      <button class="btn btn-primary w-100" id="login-submit" type="submit">
        Sign in</button>
    </form>
""",
)

LOGOUT_PAGE = card_page(
    "Sign out",
    """\
  <h1 class="h4 mb-3">Sign out of Pulse?</h1>
  <p class="text-muted">Signed in as {{ email }}.</p>
  <form method="post" action="/logout">
    <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
    <button class="btn btn-primary w-100" id="logout-submit" type="submit">
      Sign out</button>
  </form>
  <p class="mt-3 mb-0"><a href="/">Back to the dashboards</a></p>
""",
)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if (
        parsed.scheme
        or parsed.netloc
        or not target.startswith("/")
        or target.startswith("//")
    ):
        return "/"
    return target


def login_view():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_safe_next(request.args.get("next")))
        return render_template_string(
            LOGIN_PAGE, error=None, email="", next=_safe_next(request.args.get("next"))
        )
    email = (request.form.get("email") or "").strip()
    password = request.form.get("password") or ""
    target = _safe_next(request.form.get("next"))
    signed_in = sign_in(
        runtime(),
        email,
        password,
        ip_address=request.remote_addr,
        user_agent=request.user_agent.string,
    )
    user = (
        None
        if signed_in is None
        else load_user(f"{signed_in.org_id}:{signed_in.user_id}:{signed_in.token}")
    )
    if user is None:
        return render_template_string(
            LOGIN_PAGE, error="Invalid email or password.", email=email, next=target
        ), 401
    # A new CSRF token for the signed-in session: one planted before sign-in (or seen
    # on the sign-in page) is worth nothing afterwards. Made now, so the redirect's
    # cookie carries it and the next page's requests do not race to create one.
    session.pop("csrf_token", None)
    csrf_token()
    login_user(user)
    return redirect(target)


def logout_view():
    """GET asks (a link from another site signs nobody out); POST, with the form's
    CSRF token, ends the session on the server and clears the cookie."""
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for("login"))
        return render_template_string(LOGOUT_PAGE, email=current_user.email)
    if current_user.is_authenticated:
        sign_out(
            runtime(),
            current_user.org_id,
            current_user.user_id,
            current_user.session_token,
        )
    logout_user()
    session.clear()
    return redirect(url_for("login"))


def too_many_requests(exc: limits.RateLimitExceeded):
    """429 with Retry-After: the sign-in form with a message, JSON elsewhere."""
    seconds = limits.retry_after_seconds()
    if request.endpoint == "login":
        response = render_template_string(
            LOGIN_PAGE,
            error=f"Too many sign-in attempts; try again in {seconds} seconds.",
            email=(request.form.get("email") or "").strip(),
            next=_safe_next(request.form.get("next")),
        )
        return response, 429, {"Retry-After": str(seconds)}
    return (
        jsonify(error="too many requests", details=[f"limit: {exc.description}"]),
        429,
        {"Retry-After": str(seconds)},
    )


def require_login():
    """Guard every non-public route: pages redirect to /login, callbacks and the
    live version get 401."""
    path = request.path
    if path.startswith(PUBLIC_PREFIXES) or current_user.is_authenticated:
        return None
    if path.startswith(("/_dash-", "/_reload-hash", "/live/")):
        return jsonify(error="not signed in", details=["sign in again at /login"]), 401
    return redirect(url_for("login", next=request.full_path.rstrip("?")))


def init_app(server: Flask, limiter: Limiter, settings: Settings) -> None:
    manager = LoginManager()
    manager.user_loader(load_user)
    manager.init_app(server)
    login = limiter.limit(
        settings.rate_limit_login_ip, key_func=limits.client_ip, methods=["POST"]
    )(login_view)
    login = limiter.limit(
        settings.rate_limit_login_account,
        key_func=limits.login_account,
        methods=["POST"],
        deduct_when=limits.failed_sign_in,
    )(login)
    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout_view, methods=["GET", "POST"])
    server.register_error_handler(limits.RateLimitExceeded, too_many_requests)
    server.before_request(require_login)
