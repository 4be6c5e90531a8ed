"""Cross-site request forgery: the sign-in form needs its token, cookie-authenticated
API writes must come from Pulse's own origin (or carry the token), API keys and Dash
callbacks need neither."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from accounts.apikeys import create_key
from app import create_app
from core.db import Database
from tests.conftest import csrf_token, login, make_settings

EVIL = "https://evil.example"


@pytest.fixture
def app(demo_sqlite):
    app = create_app(make_settings(demo_sqlite["app"]))
    yield app
    app.server.extensions["pulse"].db.dispose()


@pytest.fixture
def owner(demo_sqlite):
    db = Database(demo_sqlite["admin"])
    yield db
    db.dispose()


def scalar(db: Database, sql: str, **params):
    with db.engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def budget_of(db: Database, campaign_id: int) -> float:
    return scalar(db, "SELECT daily_budget FROM campaigns WHERE id = :c", c=campaign_id)


def active_campaign(db: Database) -> tuple[int, float]:
    with db.engine.connect() as connection:
        return tuple(
            connection.execute(
                text(
                    "SELECT c.id, c.daily_budget FROM campaigns c JOIN orgs o "
                    "ON o.id = c.org_id WHERE o.slug = 'acme' ORDER BY c.id LIMIT 1"
                )
            ).one()
        )


def test_a_sign_in_without_its_token_is_refused_with_a_400_naming_csrf(app):
    client = app.server.test_client()
    credentials = {"email": "admin@acme.example", "password": "pulse-demo"}
    missing = client.post("/login", data=credentials)
    assert missing.status_code == 400
    page = missing.get_data(as_text=True)
    assert "CSRF" in page and "token is missing" in page
    # A token of another browser's session is no better.
    other = app.server.test_client()
    stolen = client.post(
        "/login", data={**credentials, "csrf_token": csrf_token(other)}
    )
    assert stolen.status_code == 400
    assert client.get("/api/v1/dashboards").status_code == 401
    assert login(client).status_code == 302  # with its own token it works


def test_a_cookie_api_write_from_another_origin_is_refused(app, owner):
    client = app.server.test_client()
    login(client, "editor@acme.example")
    campaign_id, budget = active_campaign(owner)
    url = f"/api/v1/campaigns/{campaign_id}"
    change = {"daily_budget": budget + 1}

    for headers in ({"Origin": EVIL}, {"Origin": "null"}):
        refused = client.patch(url, json=change, headers=headers)
        assert refused.status_code == 400
        assert refused.get_json()["error"] == "CSRF check failed"
    without_origin = app.server.test_client()
    login(without_origin, "editor@acme.example")
    del without_origin.environ_base["HTTP_ORIGIN"]
    refused = without_origin.patch(url, json=change, headers={"Referer": f"{EVIL}/x"})
    assert refused.status_code == 400
    assert "Referer 'https://evil.example/x' is not this host" in str(
        refused.get_json()["details"]
    )
    assert without_origin.patch(url, json=change).status_code == 400
    assert (
        scalar(owner, "SELECT daily_budget FROM campaigns WHERE id = :c", c=campaign_id)
        == budget
    )

    # A CSV ingest as text/plain needs no CORS preflight: a cross-site form can send
    # it. The check refuses it before the body is read.
    batches = scalar(owner, "SELECT COUNT(*) FROM ingest_batches")
    forged = client.post(
        "/api/v1/ingest",
        data="campaign,platform,hour\nX,meta,2024-01-01T00:00:00Z\n",
        content_type="text/plain",
        headers={"Origin": EVIL},
    )
    assert (
        forged.status_code == 400 and forged.get_json()["error"] == "CSRF check failed"
    )
    assert scalar(owner, "SELECT COUNT(*) FROM ingest_batches") == batches
    # Reading is not refused (the browser keeps another origin from reading it).
    assert client.get("/api/v1/campaigns", headers={"Origin": EVIL}).status_code == 200
    # An API key is no ambient credential: it needs neither Origin nor token.
    _, key = create_key(owner, "acme", "csrf test")
    by_key = app.server.test_client()
    headers = {"Authorization": f"Bearer {key}", "Origin": EVIL}
    try:
        assert by_key.patch(url, json=change, headers=headers).status_code == 200
        assert budget_of(owner, campaign_id) == budget + 1
    finally:
        by_key.patch(url, json={"daily_budget": budget}, headers=headers)


def test_a_same_origin_or_token_carrying_api_write_is_accepted(app, owner):
    client = app.server.test_client()
    login(client, "editor@acme.example")
    campaign_id, budget = active_campaign(owner)
    url = f"/api/v1/campaigns/{campaign_id}"
    try:
        same_origin = client.patch(url, json={"daily_budget": budget + 1})
        assert same_origin.status_code == 200, same_origin.get_json()
        del client.environ_base["HTTP_ORIGIN"]
        by_referer = client.patch(
            url,
            json={"daily_budget": budget + 2},
            headers={"Referer": "http://localhost/"},
        )
        assert by_referer.status_code == 200
        by_token = client.patch(
            url,
            json={"daily_budget": budget + 3},
            headers={"X-CSRFToken": csrf_token(client)},
        )
        assert by_token.status_code == 200
        assert (
            scalar(
                owner, "SELECT daily_budget FROM campaigns WHERE id = :c", c=campaign_id
            )
            == budget + 3
        )
    finally:
        client.patch(
            url,
            json={"daily_budget": budget},
            headers={"X-CSRFToken": csrf_token(client)},
        )


def test_dash_callbacks_need_no_token_the_forms_need(app):
    client = app.server.test_client()
    login(client, "viewer@acme.example")
    del client.environ_base["HTTP_ORIGIN"]
    assert client.post("/logout").status_code == 400  # a form: its token is needed
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200
    callback = client.post(
        "/_dash-update-component",
        json={"output": "nothing.children", "outputs": {}, "inputs": []},
    )
    assert callback.status_code != 400  # not refused for want of a token
    # What a cross-site form could send instead is not accepted.
    form = client.post(
        "/_dash-update-component",
        data="{}",
        content_type="text/plain",
    )
    assert form.status_code == 415


def test_signing_in_replaces_the_token_of_the_sign_in_page(app):
    client = app.server.test_client()
    before = csrf_token(client)
    assert login(client).status_code == 302
    after = csrf_token(client)
    assert after != before
    refused = client.post("/logout", data={"csrf_token": before})
    assert refused.status_code == 400
    assert client.get("/api/v1/dashboards").status_code == 200
