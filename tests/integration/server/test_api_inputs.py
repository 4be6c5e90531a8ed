"""Bad input to the JSON API gets a clear 4xx naming what is wrong, never a 500, and
nothing is stored: ids, bodies, query parameters, windows and paging (both engines)."""

from __future__ import annotations

import pytest

from core.reference import MAX_ROW_ID
from tests.integration.server.test_api import login
from tests.integration.server.test_dashboards_api import executive_template

HUGE_ID = 99_999_999_999_999_999_999


def dashboard_count(client) -> int:
    return client.get("/api/v1/dashboards").get_json()["total"]


@pytest.mark.parametrize("template_id", ["abc", None, [2], 2.7, True, 0, "2"])
def test_a_template_id_that_is_not_a_whole_number_is_refused(app_client, template_id):
    login(app_client, "editor@acme.example")
    before = dashboard_count(app_client)
    response = app_client.post(
        "/api/v1/dashboards", json={"template_id": template_id, "name": "Nope"}
    )
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["error"].startswith("template_id: "), body
    assert dashboard_count(app_client) == before  # 2.7 is not silently 2


def test_a_clone_request_with_an_unknown_key_is_refused(app_client):
    login(app_client, "editor@acme.example")
    template = executive_template(app_client)
    response = app_client.post(
        "/api/v1/dashboards", json={"template_id": template["id"], "nmae": "Typo"}
    )
    assert response.status_code == 422
    assert "nmae" in response.get_json()["error"]


@pytest.mark.parametrize(
    "method,path",
    [
        ("get", "/api/v1/dashboards/{id}"),
        ("put", "/api/v1/dashboards/{id}"),
        ("delete", "/api/v1/dashboards/{id}"),
        ("get", "/api/v1/dashboards/{id}/data"),
        ("patch", "/api/v1/campaigns/{id}"),
    ],
)
@pytest.mark.parametrize("row_id", [HUGE_ID, MAX_ROW_ID + 1, 0])
def test_an_id_beyond_the_integer_range_is_not_found(app_client, method, path, row_id):
    login(app_client, "admin@acme.example")
    response = getattr(app_client, method)(
        path.format(id=row_id), json={"status": "paused"}
    )
    assert response.status_code == 404, response.get_data(as_text=True)
    assert response.get_json()["error"] in ("dashboard not found", "campaign not found")


def test_the_largest_id_is_an_ordinary_missing_dashboard(app_client):
    login(app_client, "admin@acme.example")
    response = app_client.get(f"/api/v1/dashboards/{MAX_ROW_ID}")
    assert response.status_code == 404
    assert response.get_json()["error"] == "dashboard not found"


def test_a_malformed_json_body_is_refused_without_echoing_it(app_client):
    login(app_client, "editor@acme.example")
    before = dashboard_count(app_client)
    secret = "sk_live_do_not_echo_me"
    for method, path in (
        ("post", "/api/v1/dashboards"),
        ("put", "/api/v1/dashboards/1"),
        ("patch", "/api/v1/campaigns/1"),
    ):
        response = getattr(app_client, method)(
            path,
            data='{"name": "' + secret + '", "widgets": [',
            content_type="application/json",
        )
        assert response.status_code == 400, (path, response.get_data(as_text=True))
        body = response.get_json()
        assert body["error"] == "the body must be JSON"
        assert body["details"][0].startswith("malformed JSON at line 1 column ")
        assert secret not in response.get_data(as_text=True)
    assert dashboard_count(app_client) == before


@pytest.mark.parametrize(
    "query,message",
    [
        ("date_from=1900-01-01&date_to=2100-12-31", "the longest is 1096 days"),
        ("date_from=1990-01-01&date_to=1990-01-31", "before 2000-01-01"),
        ("date_from=2090-01-01&date_to=2090-01-31", "more than a year from now"),
        (f"campaign_ids={HUGE_ID}", "campaign_ids"),
    ],
)
def test_windows_are_bounded_on_every_data_route(app_client, query, message):
    login(app_client, "viewer@acme.example")
    dashboard_id = app_client.get("/api/v1/dashboards").get_json()["dashboards"][0][
        "id"
    ]
    for path in (
        f"/api/v1/data/campaigns?view=timeseries&metric=spend&{query}",
        f"/api/v1/dashboards/{dashboard_id}/data?{query}",
    ):
        response = app_client.get(path)
        assert response.status_code == 422, (path, response.get_data(as_text=True))
        assert message in " ".join(
            [response.get_json()["error"], *response.get_json()["details"]]
        )


def test_a_period_longer_than_three_years_is_refused(app_client):
    login(app_client, "viewer@acme.example")
    response = app_client.get("/api/v1/data/campaigns?view=summary&period=5000d")
    assert response.status_code == 422
    assert "longer than the longest window, 1096 days" in str(response.get_json())
    ok = app_client.get("/api/v1/data/campaigns?view=summary&period=1096d")
    assert ok.status_code == 200


def test_an_unknown_query_parameter_is_refused_everywhere(app_client):
    login(app_client, "viewer@acme.example")
    dashboard_id = app_client.get("/api/v1/dashboards").get_json()["dashboards"][0][
        "id"
    ]
    for path in (
        "/api/v1/data/campaigns?view=summary&timezone=UTC",
        f"/api/v1/dashboards/{dashboard_id}/data?timezone=UTC",
        "/api/v1/campaigns?timezone=UTC",
        "/api/v1/dashboards?timezone=UTC",
        "/api/v1/templates?timezone=UTC",
    ):
        response = app_client.get(path)
        assert response.status_code == 422, path
        assert "timezone" in str(response.get_json()), path


def test_list_routes_page_with_a_bounded_limit_and_offset(app_client):
    login(app_client, "viewer@acme.example")
    everything = app_client.get("/api/v1/campaigns").get_json()
    assert everything["total"] == len(everything["campaigns"]) >= 4
    assert (everything["limit"], everything["offset"]) == (500, 0)
    first = app_client.get("/api/v1/campaigns?limit=2").get_json()
    second = app_client.get("/api/v1/campaigns?limit=2&offset=2").get_json()
    assert [c["id"] for c in first["campaigns"] + second["campaigns"]] == [
        c["id"] for c in everything["campaigns"][:4]
    ]
    assert first["total"] == everything["total"]
    for bad in ("limit=0", "limit=501", "limit=abc", "offset=-1", "limit=2.5"):
        response = app_client.get(f"/api/v1/campaigns?{bad}")
        assert response.status_code == 422, bad
        assert response.get_json()["error"].startswith(bad.split("=")[0] + ":")


def test_what_get_answers_can_be_put_back_as_it_is(app_client):
    login(app_client, "editor@acme.example")
    dashboard_id = app_client.get("/api/v1/dashboards").get_json()["dashboards"][0][
        "id"
    ]
    document = app_client.get(f"/api/v1/dashboards/{dashboard_id}").get_json()
    document["name"] = "Round trip"
    response = app_client.put(f"/api/v1/dashboards/{dashboard_id}", json=document)
    assert response.status_code == 200, response.get_json()
    after = app_client.get(f"/api/v1/dashboards/{dashboard_id}").get_json()
    assert after["name"] == "Round trip"
    assert len(after["widgets"]) == len(document["widgets"])
