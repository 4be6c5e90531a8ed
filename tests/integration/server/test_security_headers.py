"""Security headers on every kind of response the Flask app gives, and a CSP that the
page's own inline scripts satisfy."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from app import create_app
from tests.conftest import make_settings
from tests.integration.server.test_api import login

EXPECTED = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", re.S)
# Dash's IE warning sits in a conditional comment, which no other browser runs.
COMMENT = re.compile(r"<!--.*?-->", re.S)


@pytest.fixture(scope="module")
def client(demo_sqlite):
    app = create_app(make_settings(demo_sqlite["app"]))
    client = app.server.test_client()
    login(client)
    yield client
    app.server.extensions["pulse"].db.dispose()


def csp(response) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy", "")
    return {
        name: values
        for name, *values in (d.split() for d in policy.split(";") if d.strip())
    }


@pytest.mark.parametrize(
    "path,status",
    [
        ("/", 200),  # a page
        ("/login", 302),  # signed in: sent on to the dashboards
        ("/api/v1/dashboards", 200),
        ("/api/v1/no-such-route", 404),
        ("/assets/pulse.css", 200),
        ("/_dash-layout", 200),
        ("/healthz", 200),
    ],
)
def test_every_response_carries_the_security_headers(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    assert {name: response.headers.get(name) for name in EXPECTED} == EXPECTED
    policy = csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]


def test_a_dash_component_bundle_carries_them_too(client):
    page = client.get("/").get_data(as_text=True)
    bundle = re.search(r'src="(/_dash-component-suites/[^"]+)"', page).group(1)
    response = client.get(bundle)
    assert response.status_code == 200
    assert {name: response.headers.get(name) for name in EXPECTED} == EXPECTED
    assert csp(response)["frame-ancestors"] == ["'none'"]


def test_the_login_page_of_a_signed_out_visitor_carries_them(demo_sqlite):
    app = create_app(make_settings(demo_sqlite["app"]))
    try:
        response = app.server.test_client().get("/login")
        assert response.status_code == 200
        assert {name: response.headers.get(name) for name in EXPECTED} == EXPECTED
        assert csp(response)["form-action"] == ["'self'"]
    finally:
        app.server.extensions["pulse"].db.dispose()


def test_every_inline_script_of_the_page_is_allowed_by_its_hash(client):
    response = client.get("/")
    allowed = set(csp(response)["script-src"])
    page = COMMENT.sub("", response.get_data(as_text=True))
    scripts = [
        body
        for attributes, body in INLINE_SCRIPT.findall(page)
        if "application/json" not in attributes
    ]
    assert scripts, "Dash writes at least its renderer bootstrap inline"
    for body in scripts:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in allowed, body[:80]
