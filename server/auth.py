"""Login (email + password form), sessions, and who the caller is.

Every page and Dash callback needs a logged-in user; ``/api/v1`` also accepts an org
API key. The session stores ``"<org_id>:<user_id>"`` so the user can be loaded inside
their own org context.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from urllib.parse import urlparse

from flask import Flask, jsonify, redirect, render_template_string, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from accounts.permissions import Caller
from commands.accounts import session_user, sign_in
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
)


@dataclass
class CurrentUser(UserMixin):
    user_id: int
    org_id: int
    email: str
    full_name: str
    role: str
    org_name: str

    def get_id(self) -> str:
        return f"{self.org_id}:{self.user_id}"

    @property
    def caller(self) -> Caller:
        """Who this person is to the commands (their org, id and role), and where the
        request comes from (for the audit trail)."""
        return Caller(self.org_id, self.user_id, self.role, **request_origin())


def load_user(session_id: str) -> CurrentUser | None:
    """Load the session's user inside its org; a malformed or stale id logs out."""
    try:
        org_id, user_id = (int(part) for part in session_id.split(":"))
    except (ValueError, AttributeError):
        return None
    user = session_user(runtime(), org_id, user_id)
    return None if user is None else CurrentUser(*astuple(user))


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Pulse</title>
<link rel="stylesheet" href="/assets/bootstrap.min.css">
<link rel="stylesheet" href="/assets/pulse.css">
</head><body class="login-page">
<main class="login-card card shadow-sm">
  <div class="card-body p-4">
    <h1 class="h3 mb-1 brand">Pulse</h1>
    <p class="text-muted mb-4">Marketing performance, live.</p>
    {% if error %}<div class="alert alert-danger" role="alert" id="login-error">
      {{ error }}</div>{% endif %}
    <form method="post" action="/login">
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
  </div>
</main></body></html>"""


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
    record = sign_in(runtime(), email, password)
    user = None if record is None else load_user(f"{record.org_id}:{record.user_id}")
    if user is None:
        return render_template_string(
            LOGIN_PAGE, error="Invalid email or password.", email=email, next=target
        ), 401
    login_user(user)
    return redirect(target)


def logout_view():
    logout_user()
    return redirect(url_for("login"))


def require_login():
    """Guard every non-public route: pages redirect to /login, callbacks get 401."""
    path = request.path
    if path.startswith(PUBLIC_PREFIXES) or current_user.is_authenticated:
        return None
    if path.startswith(("/_dash-", "/_reload-hash")):
        return jsonify(error="not signed in", details=["sign in again at /login"]), 401
    return redirect(url_for("login", next=request.full_path.rstrip("?")))


def init_app(server: Flask) -> None:
    manager = LoginManager()
    manager.user_loader(load_user)
    manager.init_app(server)
    server.add_url_rule("/login", "login", login_view, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout_view, methods=["GET", "POST"])
    server.before_request(require_login)
