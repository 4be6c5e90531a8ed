"""``/api/v1/data/<source>`` and the OpenAPI document."""

from __future__ import annotations

import datetime as dt

import pytest
from openapi_spec_validator import validate

from accounts.apikeys import create_key
from core.windows import DateWindow, org_today
from datasources import registry
from tests.figures import independent_sums, org_context


@pytest.fixture
def acme_key(demo_db, admin_db):
    _, key = create_key(admin_db, "acme", "data-api test")
    return {"Authorization": f"Bearer {key}"}


def test_campaign_figures_through_the_api_match_sql(app_client, admin_db, acme_key):
    org = org_context(admin_db, "acme")
    response = app_client.get(
        "/api/v1/data/campaigns?metric=roas&view=summary&period=30d", headers=acme_key
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    sums = independent_sums(
        admin_db,
        org.id,
        org.timezone,
        DateWindow.last_days(30, org_today(org.timezone)),
    )
    assert body["value"] == pytest.approx(sums["revenue"] / sums["spend"], rel=1e-9)
    assert body["aggregation_period"] == "hourly" and body["stale"] is False


def test_filters_from_the_query_string(app_client, admin_db, acme_key):
    org = org_context(admin_db, "acme")
    today = org_today(org.timezone)
    start = today - dt.timedelta(days=9)
    url = (
        f"/api/v1/data/campaigns?metric=revenue&view=summary&date_from={start}&date_to={today}"
        "&platforms=meta,google"
    )
    body = app_client.get(url, headers=acme_key).get_json()
    window = DateWindow(start, today)
    expected = sum(
        independent_sums(admin_db, org.id, org.timezone, window, p)["revenue"]
        for p in ("meta", "google")
    )
    assert body["value"] == pytest.approx(expected, rel=1e-9)
    assert body["window"] == {"start": start.isoformat(), "end": today.isoformat()}


@pytest.mark.parametrize(
    "url,status,message",
    [
        (
            "/api/v1/data/campaigns?metric=cpx",
            422,
            "campaigns: query_params.metric: 'cpx' is not one of",
        ),
        ("/api/v1/data/campaigns?colour=red", 422, "query_params.colour: Extra inputs"),
        (
            "/api/v1/data/campaigns?date_from=2026-02-01&date_to=2026-01-01",
            422,
            "ends before it starts",
        ),
        ("/api/v1/data/campaigns?platforms=myspace", 422, "unknown platform"),
        ("/api/v1/data/crm", 404, "unknown data_source 'crm'"),
    ],
)
def test_bad_requests_name_the_problem(app_client, acme_key, url, status, message):
    response = app_client.get(url, headers=acme_key)
    assert response.status_code == status
    assert message in response.get_json()["error"]


def test_data_needs_credentials(app_client):
    assert app_client.get("/api/v1/data/campaigns").status_code == 401


def test_source_listing_and_openapi_document(app_client, acme_key):
    listed = {
        s["name"]
        for s in app_client.get("/api/v1/data", headers=acme_key).get_json()["sources"]
    }
    assert listed == set(registry.names())
    document = app_client.get("/api/v1/openapi.json").get_json()
    validate(document)
    for name in registry.names():
        assert f"/api/v1/data/{name}" in document["paths"]
    metric = next(
        p
        for p in document["paths"]["/api/v1/data/campaigns"]["get"]["parameters"]
        if p["name"] == "metric"
    )
    assert metric["schema"]["type"] == "string"


def test_every_api_route_is_in_the_openapi_document(app_client):
    import re

    document = app_client.get("/api/v1/openapi.json").get_json()
    missing = []
    for rule in app_client.application.url_map.iter_rules():
        if (
            not rule.rule.startswith("/api/v1/")
            or "<path:" in rule.rule
            or rule.rule.endswith(("openapi.json", "<source_name>"))
        ):
            continue
        path = re.sub(r"<(?:int:)?[^>]+>", "{id}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in document["paths"].get(path, {}):
                missing.append(f"{method} {path}")
    assert missing == []
