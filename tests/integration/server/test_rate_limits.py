"""Rate limits on real Redis, shared by two app instances (two web workers): sign-in
attempts per IP and failed ones per account, API requests per key; a limited request
gets 429 with Retry-After, and no one else is affected."""

from __future__ import annotations

import pytest

from accounts.apikeys import create_key
from app import create_app
from core.db import Database
from tests.conftest import csrf_token, login, make_settings

ATTACKER = {"REMOTE_ADDR": "203.0.113.7"}
SOMEONE_ELSE = {"REMOTE_ADDR": "198.51.100.20"}


@pytest.fixture
def workers(demo_sqlite, redis_url):
    """A factory of two apps on one database and one Redis, limits on; the limit
    counters of earlier tests are cleared first."""
    apps = []

    def build(**limits):
        for _ in range(2):
            settings = make_settings(
                demo_sqlite["app"],
                redis_url=redis_url,
                cache_type="redis",
                rate_limits=True,
                **limits,
            )
            apps.append(create_app(settings))
        apps[0].server.extensions["pulse.limiter"].reset()
        return apps[-2], apps[-1]

    yield build
    for app in apps:
        app.server.extensions["pulse"].db.dispose()


def client_of(app, environ: dict[str, str]):
    client = app.server.test_client()
    client.environ_base.update(environ)
    return client


def attempt(client, email="viewer@acme.example", password="wrong-password"):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(client)},
    )


def assert_retry_after(response, window: int) -> int:
    """Retry-After is when the oldest counted attempt leaves the window: these tests
    make their attempts within a few seconds, so nearly the whole window."""
    seconds = int(response.headers["Retry-After"])
    assert window - 30 <= seconds <= window
    return seconds


def test_sign_in_attempts_per_ip_are_counted_across_workers(workers):
    first, second = workers(rate_limit_login_ip="3 per minute")
    one, two = client_of(first, ATTACKER), client_of(second, ATTACKER)
    assert attempt(one).status_code == 401
    assert attempt(two).status_code == 401
    assert login(one).status_code == 302  # successes count per IP too
    refused = attempt(two, "admin@acme.example", "pulse-demo")
    assert refused.status_code == 429
    seconds = assert_retry_after(refused, 60)
    page = refused.get_data(as_text=True)
    assert f"Too many sign-in attempts; try again in {seconds} seconds." in page
    assert 'id="login-submit"' in page  # the form again, the email kept
    assert 'value="admin@acme.example"' in page
    # Another address is unaffected, and so is looking at the form.
    assert login(client_of(first, SOMEONE_ELSE)).status_code == 302
    assert client_of(first, ATTACKER).get("/login").status_code == 200


def test_only_failed_sign_ins_count_against_an_account(workers):
    first, second = workers(
        rate_limit_login_ip="100 per minute",
        rate_limit_login_account="2 per 15 minutes",
    )
    for app in (first, second, first):  # successful sign-ins are free
        assert login(client_of(app, ATTACKER), "editor@acme.example").status_code == 302
    assert attempt(client_of(first, ATTACKER), "editor@acme.example").status_code == 401
    assert (
        attempt(client_of(second, SOMEONE_ELSE), "EDITOR@acme.example").status_code
        == 401
    )
    # Locked for the account, from any address, even with the right password.
    locked = attempt(
        client_of(first, SOMEONE_ELSE), "editor@acme.example", "pulse-demo"
    )
    assert locked.status_code == 429
    assert_retry_after(locked, 15 * 60)
    assert "Too many sign-in attempts" in locked.get_data(as_text=True)
    # Another account is not.
    other = client_of(second, ATTACKER)
    assert login(other, "admin@acme.example").status_code == 302


def test_api_requests_are_limited_per_key_across_workers(workers, demo_sqlite):
    first, second = workers(rate_limit_api="3 per minute")
    owner = Database(demo_sqlite["admin"])
    try:
        keys = [create_key(owner, "acme", f"limits {n}")[1] for n in range(2)]
    finally:
        owner.dispose()
    busy, quiet = ({"Authorization": f"Bearer {key}"} for key in keys)
    for app in (first, second, first):
        response = app.server.test_client().get("/api/v1/campaigns", headers=busy)
        assert response.status_code == 200
    refused = second.server.test_client().get("/api/v1/dashboards", headers=busy)
    assert refused.status_code == 429
    assert_retry_after(refused, 60)
    body = refused.get_json()
    assert body["error"] == "too many requests"
    assert "3 per 1 minute" in body["details"][0]
    quiet_answer = first.server.test_client().get("/api/v1/campaigns", headers=quiet)
    assert quiet_answer.status_code == 200


def test_cookie_api_calls_are_limited_per_user_but_callbacks_and_assets_never(
    workers,
):
    first, second = workers(rate_limit_api="2 per minute")
    viewer = client_of(first, ATTACKER)
    login(viewer, "viewer@acme.example")
    assert viewer.get("/api/v1/campaigns").status_code == 200
    # The same user on the other worker, from another address: one budget.
    cookie = viewer.get_cookie("session")
    elsewhere = client_of(second, SOMEONE_ELSE)
    elsewhere.set_cookie("session", cookie.value)
    assert elsewhere.get("/api/v1/campaigns").status_code == 200
    assert elsewhere.get("/api/v1/campaigns").status_code == 429
    assert viewer.get("/api/v1/campaigns").status_code == 429
    for _ in range(5):
        assert viewer.get("/_dash-layout").status_code == 200
        assert viewer.get("/assets/pulse.css").status_code == 200
        assert viewer.post("/_dash-update-component", json={}).status_code != 429
    # Another user is unaffected.
    admin = client_of(first, ATTACKER)
    login(admin, "admin@acme.example")
    assert admin.get("/api/v1/campaigns").status_code == 200


def test_an_unreachable_redis_falls_back_to_memory(demo_sqlite):
    settings = make_settings(
        demo_sqlite["app"],
        redis_url="redis://127.0.0.1:1/0",  # nothing listens there
        rate_limits=True,
        rate_limit_login_ip="2 per minute",
    )
    app = create_app(settings)
    try:
        client = client_of(app, ATTACKER)
        assert login(client).status_code == 302  # no error for want of Redis
        assert attempt(client).status_code == 401
        assert attempt(client).status_code == 429  # still limited, in memory
    finally:
        app.server.extensions["pulse"].db.dispose()


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(
    workers, demo_sqlite
):
    first, _ = workers(rate_limit_login_ip="1 per minute", trusted_proxies=1)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # every request comes through the proxy
    visitor = client_of(first, {**proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.7"})
    other = client_of(first, {**proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.20"})
    assert attempt(visitor).status_code == 401
    assert attempt(visitor).status_code == 429
    assert attempt(other).status_code == 401  # not the visitor's budget
    # Without the setting the proxy's address is all Pulse sees: one shared budget.
    direct = create_app(
        make_settings(
            demo_sqlite["app"], rate_limits=True, rate_limit_login_ip="1 per minute"
        )
    )
    try:
        assert attempt(client_of(direct, {**proxy, "HTTP_X_FORWARDED_FOR": "1.2.3.4"}))
        refused = attempt(
            client_of(direct, {**proxy, "HTTP_X_FORWARDED_FOR": "5.6.7.8"})
        )
        assert refused.status_code == 429
    finally:
        direct.server.extensions["pulse"].db.dispose()
