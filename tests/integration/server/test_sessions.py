"""Sessions end on the server: after idle time, after their maximum age, and at
sign-out, for every copy of the cookie; sign-out is a POST with the CSRF token.

Each test runs on SQLite and on PostgreSQL (as the RLS-bound app role), on a clock
the test moves (time-machine).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from app import create_app
from commands.accounts import session_id
from core.db import Database
from core.models import AuditLog, UserSession
from tests.conftest import csrf_token, login, logout, make_settings

CALLBACK = {"output": "x.children", "outputs": {}, "inputs": [], "changedPropIds": []}


@pytest.fixture
def build_app(demo_db):
    """Apps on the seeded demo (several share one database, like web workers)."""
    apps = []

    def build(**overrides):
        settings = make_settings(
            demo_db["app"], admin_database_url=demo_db["admin"], **overrides
        )
        apps.append(create_app(settings))
        return apps[-1]

    yield build
    for app in apps:
        app.server.extensions["pulse"].db.dispose()


@pytest.fixture
def owner(demo_db):
    db = Database(demo_db["admin"])
    yield db
    db.dispose()


@pytest.fixture
def clock():
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False) as traveller:
        yield traveller


def signed_in(client) -> bool:
    return client.get("/api/v1/dashboards").status_code == 200


def session_row(owner: Database, app, client) -> UserSession:
    """The user_sessions row of the client's cookie (found by its token's hash)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    serializer = app.server.session_interface.get_signing_serializer(app.server)
    token = serializer.loads(cookie.value)["_user_id"].split(":")[2]
    with owner.unscoped_session() as session:
        return session.get(UserSession, session_id(token))


def assert_signed_out(client) -> None:
    api = client.get("/api/v1/dashboards")
    assert api.status_code == 401
    page = client.get("/dashboards")
    assert page.status_code == 302
    assert page.headers["Location"].endswith("/login?next=/dashboards")
    callback = client.post("/_dash-update-component", json=CALLBACK)
    assert callback.status_code == 401
    assert callback.get_json()["error"] == "not signed in"


def test_a_session_ends_after_the_idle_time_however_young(build_app, clock):
    client = build_app(session_idle_minutes=60).server.test_client()
    assert login(client, "viewer@acme.example").status_code == 302
    # Requests 59 minutes apart keep it alive: idle time counts from the last one.
    for _ in range(3):
        clock.shift(dt.timedelta(minutes=59))
        assert signed_in(client)
    clock.shift(dt.timedelta(minutes=61))
    assert_signed_out(client)


def test_a_session_ends_after_its_maximum_age_however_busy(build_app, clock):
    client = build_app(session_max_hours=2).server.test_client()
    assert login(client, "viewer@acme.example").status_code == 302
    for _ in range(4):  # 1 h 40 min of steady use
        clock.shift(dt.timedelta(minutes=25))
        assert signed_in(client)
    clock.shift(dt.timedelta(minutes=21))  # 2 h 01 min after signing in
    assert_signed_out(client)
    # Signing in again opens a new session.
    assert login(client, "viewer@acme.example").status_code == 302
    assert signed_in(client)


def test_last_seen_is_written_at_most_once_a_minute(build_app, owner, clock):
    app = build_app()
    client = app.server.test_client()
    login(client, "viewer@acme.example")
    opened = session_row(owner, app, client)
    assert opened.last_seen_at == opened.created_at
    for _ in range(5):
        clock.shift(dt.timedelta(seconds=10))
        assert signed_in(client)
    assert session_row(owner, app, client).last_seen_at == opened.last_seen_at
    clock.shift(dt.timedelta(seconds=15))  # 65 s after the last write
    assert signed_in(client)
    touched = session_row(owner, app, client).last_seen_at
    assert touched - opened.last_seen_at == dt.timedelta(seconds=65)


def test_a_copied_cookie_stops_working_at_sign_out(build_app, owner):
    first, second = build_app(), build_app()  # two web workers
    browser = first.server.test_client()
    assert login(browser, "editor@acme.example").status_code == 302
    cookie = browser.get_cookie("session")
    assert cookie is not None
    row = session_row(owner, first, browser)
    thief = second.server.test_client()
    thief.set_cookie("session", cookie.value)
    assert signed_in(thief)

    response = logout(browser)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert_signed_out(browser)
    assert_signed_out(thief)  # the copy kept from before the sign-out
    with owner.unscoped_session() as session:
        ended = session.get(UserSession, row.id)
    assert ended.ended_at is not None and ended.last_seen_at == row.last_seen_at
    with owner.unscoped_session() as session:
        actions = session.scalars(
            select(AuditLog.action)
            .where(AuditLog.entity_type == "user")
            .where(AuditLog.entity_id == str(ended.user_id))
            .order_by(AuditLog.id.desc())
            .limit(2)
        ).all()
    assert actions == ["logout", "login"]


def test_sign_out_without_the_csrf_token_signs_nobody_out(build_app):
    client = build_app().server.test_client()
    login(client, "editor@acme.example")
    refused = client.post("/logout")
    assert refused.status_code == 400
    assert "CSRF" in refused.get_data(as_text=True)
    forged = client.post("/logout", data={"csrf_token": "not-the-token"})
    assert forged.status_code == 400
    # A link (GET), e.g. from another site, only asks.
    asked = client.get("/logout")
    assert asked.status_code == 200 and 'id="logout-submit"' in asked.get_data(True)
    assert signed_in(client)


def test_the_navigation_bar_signs_out_with_its_form(build_app):
    """The Sign out button of every page posts /logout with the session's token."""
    app = build_app()
    client = app.server.test_client()
    login(client, "viewer@acme.example")
    layout = client.get("/_dash-layout").get_json()
    form = _form_around(layout, "nav-logout")
    assert form["props"]["action"] == "/logout" and form["props"]["method"] == "post"
    button = _find(layout, "nav-logout")
    assert button["type"] == "submit" and button["name"] == "csrf_token"
    # The session's token: each signed copy carries the second it was signed in, so
    # two copies of one token differ when a second boundary falls between them.
    signed = URLSafeTimedSerializer(app.server.secret_key, salt="wtf-csrf-token")
    assert signed.loads(button["value"]) == signed.loads(csrf_token(client))
    response = client.post("/logout", data={"csrf_token": button["value"]})
    assert response.status_code == 302
    assert_signed_out(client)


def _form_around(node, component_id: str):
    """The html.Form component that holds the component ``component_id``."""
    if isinstance(node, dict):
        if node.get("type") == "Form" and _find(node["props"], component_id):
            return node
        children = list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _form_around(child, component_id)
        if found is not None:
            return found
    return None


def _find(node, component_id: str):
    """The props of the component ``component_id`` in a Dash layout."""
    if isinstance(node, dict):
        props = node.get("props", {})
        if props.get("id") == component_id:
            return props
        children = list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _find(child, component_id)
        if found is not None:
            return found
    return None
