"""PostgreSQL stops under a running app, then comes back (issue 12).

The app runs in-process on a throwaway PostgreSQL server the test stops and starts for
real (``tests/outage.py``), connected as the RLS-bound app role. While it is down every
kind of request gets a prompt 503 that says so — never a traceback — and when it is back
the same app, not restarted, serves the data again.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

import pytest
from sqlalchemy import select

from app import create_app
from commands.apikeys import create_api_key
from core.db import Database, is_unavailable
from core.filters import Filters
from core.models import DashboardWidget
from core.windows import DateWindow, org_today
from dashboards.render import render_widget
from datasources.cache import QueryCache
from tests.conftest import csrf_token, login, make_settings
from tests.figures import independent_sums, org_context

pytestmark = pytest.mark.postgres


@pytest.fixture
def running_app(outage_postgres):
    server, urls = outage_postgres
    app = create_app(make_settings(urls["app"], admin_database_url=urls["admin"]))
    admin = Database(urls["admin"])
    yield server, app, admin
    app.server.extensions["pulse"].db.dispose()
    admin.dispose()


def past_window(admin: Database) -> tuple[str, DateWindow]:
    org = org_context(admin, "acme")
    today = org_today(org.timezone)
    window = DateWindow(today - dt.timedelta(days=20), today - dt.timedelta(days=10))
    url = (
        "/api/v1/data/campaigns?metric=revenue&view=summary"
        f"&date_from={window.start}&date_to={window.end}"
    )
    return url, window


def test_a_stopped_database_answers_503_everywhere_and_recovers_by_itself(
    running_app, caplog
):
    server, app, admin = running_app
    org = org_context(admin, "acme")
    _, key = create_api_key(admin, "acme", "outage")
    bearer = {"Authorization": f"Bearer {key}"}
    data_url, window = past_window(admin)
    expected = independent_sums(admin, org.id, org.timezone, window)["revenue"]
    client = app.server.test_client()
    assert client.get("/healthz").status_code == 200
    assert login(client, "viewer@acme.example").status_code == 302
    assert client.get("/dashboards").status_code == 200
    # The form's token, read while pages still load (the sign-in form is a page).
    form = {
        "email": "viewer@acme.example",
        "password": "pulse-demo",
        "csrf_token": csrf_token(client),
    }

    server.stop()
    caplog.set_level(logging.WARNING)
    started = time.monotonic()
    health = client.get("/healthz")
    assert time.monotonic() - started < 5
    assert health.status_code == 503
    assert health.get_json()["failing"] == ["database"]
    assert health.get_json()["status"] == "error"

    for _ in range(3):
        page = client.get("/dashboards")
        text = page.get_data(as_text=True)
        assert page.status_code == 503, text[:500]
        assert "Pulse cannot reach its database" in text
        assert "data is unavailable, retrying" in text.lower()
        assert 'http-equiv="refresh"' in text
        assert "Traceback" not in text and "OperationalError" not in text
        assert page.headers["Retry-After"] == "10"
    callback = client.post("/_dash-update-component", json={"output": "x.children"})
    assert callback.status_code == 503
    assert callback.get_json()["error"] == "database unavailable"
    api = client.get("/api/v1/campaigns", headers=bearer)
    assert api.status_code == 503, api.get_data(as_text=True)
    assert api.get_json()["error"] == "database unavailable"
    assert api.headers["Retry-After"] == "10"
    # A login attempt cannot check the password: the same page, not a 500.
    assert client.post("/login", data=form).status_code == 503
    outage_lines = [
        r for r in caplog.records if "database unavailable" in r.getMessage()
    ]
    assert len(outage_lines) == 1, [r.getMessage() for r in outage_lines]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    server.start()
    assert client.get("/healthz").status_code == 200
    assert client.get("/dashboards").status_code == 200
    answer = client.get(data_url, headers=bearer)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["value"] == pytest.approx(expected, rel=1e-9)


def test_a_refresh_while_the_database_is_down_serves_the_cached_value_as_stale(
    running_app,
):
    server, app, admin = running_app
    runtime = app.server.extensions["pulse"]
    data: QueryCache = runtime.data
    org = org_context(admin, "acme")
    _, window = past_window(admin)
    params = {"metric": "revenue", "view": "summary"}
    filters = Filters(date_from=window.start, date_to=window.end)
    first = data.query(org.id, "campaigns", params, filters)
    assert first["stale"] is False

    server.stop()
    again = data.query(org.id, "campaigns", params, filters, fresh=True)
    assert again["stale"] is True and again["value"] == first["value"]
    assert again["age_seconds"] >= 0
    with pytest.raises(Exception) as raised:
        data.query(org.id, "campaigns", {"metric": "spend", "view": "summary"}, filters)
    assert is_unavailable(raised.value)


def test_a_widget_whose_query_cannot_reach_the_database_says_so(running_app):
    server, app, admin = running_app
    org = org_context(admin, "acme")
    with admin.unscoped_session() as session:
        row = session.scalars(
            select(DashboardWidget)
            .where(DashboardWidget.org_id == org.id)
            .where(DashboardWidget.data_source == "campaigns")
            .limit(1)
        ).one()
    server.stop()
    card = str(
        render_widget(
            row,
            data=app.server.extensions["pulse"].data,
            org_id=org.id,
            filters=Filters(),
            fresh=True,
        )
    )
    assert "data is unavailable" in card and "Retrying" in card
    assert "OperationalError" not in card
