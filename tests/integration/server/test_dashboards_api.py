"""Dashboards as code: templates, create, replace, delete, data, roles and privacy."""

from __future__ import annotations

import pytest

from tests.conftest import login, logout

KPI = {
    "type": "kpi_card",
    "title": "Spend",
    "data_source": "campaigns",
    "query_params": {"metric": "spend", "period": "7d"},
    "position_x": 0,
    "position_y": 0,
    "width": 3,
    "height": 2,
}


def executive_template(client) -> dict:
    templates = client.get("/api/v1/templates").get_json()["templates"]
    return next(t for t in templates if t["slug"] == "executive")


def test_create_from_template_counts_usage(app_client):
    login(app_client, "editor@acme.example")
    template = executive_template(app_client)
    response = app_client.post(
        "/api/v1/dashboards", json={"template_id": template["id"], "name": "Board view"}
    )
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert (
        created["name"] == "Board view"
        and len(created["widgets"]) == template["widget_count"]
    )
    assert executive_template(app_client)["usage_count"] == template["usage_count"] + 1
    assert app_client.delete(f"/api/v1/dashboards/{created['id']}").status_code == 204
    assert app_client.get(f"/api/v1/dashboards/{created['id']}").status_code == 404


def test_invalid_documents_get_422_with_the_editor_messages(app_client):
    login(app_client, "admin@acme.example")
    bad = {
        "name": "X",
        "widgets": [
            {**KPI, "title": "CPA by Campaign", "query_params": {"metric": "cpx"}}
        ],
    }
    response = app_client.post("/api/v1/dashboards", json=bad)
    assert response.status_code == 422
    assert response.get_json()["details"] == [
        "widget 1 \"CPA by Campaign\": query_params.metric: 'cpx' is not one of "
        "impressions, clicks, "
        "conversions, spend, revenue, ctr, cpc, cpa, roas, conversion_rate, "
        "budget_utilization"
    ]
    response = app_client.post(
        "/api/v1/dashboards", data="{nope", content_type="application/json"
    )
    assert response.status_code == 400


def test_replace_keeps_widget_ids_and_validates(app_client):
    login(app_client, "admin@acme.example")
    created = app_client.post(
        "/api/v1/dashboards", json={"name": "Mine", "widgets": [KPI]}
    ).get_json()
    widget_id = created["widgets"][0]["id"]
    document = {
        **{
            k: created[k]
            for k in (
                "name",
                "category",
                "layout_config",
                "default_filters",
                "refresh_interval",
                "description",
            )
        },
        "name": "Mine, renamed",
        "widgets": [
            {**created["widgets"][0], "title": "Spend (7 days)"},
            {
                **KPI,
                "title": "Revenue",
                "position_x": 3,
                "query_params": {"metric": "revenue"},
            },
        ],
    }
    response = app_client.put(f"/api/v1/dashboards/{created['id']}", json=document)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["name"] == "Mine, renamed"
    assert [w["title"] for w in body["widgets"]] == ["Spend (7 days)", "Revenue"]
    assert body["widgets"][0]["id"] == widget_id
    overlapping = {
        **document,
        "widgets": [*document["widgets"], {**KPI, "title": "Dup"}],
    }
    response = app_client.put(f"/api/v1/dashboards/{created['id']}", json=overlapping)
    assert (
        response.status_code == 422 and "overlaps" in response.get_json()["details"][0]
    )
    app_client.delete(f"/api/v1/dashboards/{created['id']}")


def test_private_widgets_are_seen_and_kept_only_for_their_owner(app_client):
    login(app_client, "editor@acme.example")
    shared = app_client.post(
        "/api/v1/dashboards", json={"name": "Team", "widgets": [KPI]}
    ).get_json()
    private = {**KPI, "title": "My private KPI", "position_x": 6, "is_shared": False}
    document = {"name": "Team", "widgets": [*shared["widgets"], private]}
    assert (
        app_client.put(f"/api/v1/dashboards/{shared['id']}", json=document).status_code
        == 200
    )
    logout(app_client)
    login(app_client, "admin@acme.example")
    seen = app_client.get(f"/api/v1/dashboards/{shared['id']}").get_json()["widgets"]
    assert [w["title"] for w in seen] == ["Spend"]
    # The admin rewrites the dashboard without knowing the private widget: it
    # survives...
    response = app_client.put(
        f"/api/v1/dashboards/{shared['id']}", json={"name": "Team v2", "widgets": seen}
    )
    assert response.status_code == 200
    # ...and may not be covered by the admin's layout.
    covering = {**KPI, "title": "Covering", "position_x": 6}
    response = app_client.put(
        f"/api/v1/dashboards/{shared['id']}",
        json={"name": "Team v2", "widgets": [*seen, covering]},
    )
    assert (
        response.status_code == 422
        and "private widget" in response.get_json()["details"][0]
    )
    logout(app_client)
    login(app_client, "editor@acme.example")
    titles = [
        w["title"]
        for w in app_client.get(f"/api/v1/dashboards/{shared['id']}").get_json()[
            "widgets"
        ]
    ]
    assert titles == ["Spend", "My private KPI"]
    app_client.delete(f"/api/v1/dashboards/{shared['id']}")


@pytest.mark.parametrize(
    "method,url",
    [
        ("post", "/api/v1/dashboards"),
        ("put", "/api/v1/dashboards/{id}"),
        ("delete", "/api/v1/dashboards/{id}"),
    ],
)
def test_viewers_only_view(app_client, method, url):
    login(app_client, "viewer@acme.example")
    dashboard_id = app_client.get("/api/v1/dashboards").get_json()["dashboards"][0][
        "id"
    ]
    response = getattr(app_client, method)(
        url.format(id=dashboard_id), json={"name": "x", "widgets": []}
    )
    assert response.status_code == 403


def test_dashboard_data_returns_every_widget_and_isolates_a_broken_one(
    app_client, admin_db
):
    from sqlalchemy import text

    login(app_client, "admin@acme.example")
    created = app_client.post(
        "/api/v1/dashboards",
        json={
            "name": "Data",
            "widgets": [
                KPI,
                {
                    **KPI,
                    "title": "Revenue",
                    "position_x": 3,
                    "query_params": {"metric": "revenue"},
                },
            ],
        },
    ).get_json()
    broken_id = created["widgets"][1]["id"]
    with admin_db.engine.begin() as connection:  # as if stored by an older version
        connection.execute(
            text("UPDATE dashboard_widgets SET query_params = :q WHERE id = :w"),
            {"q": '{"metric": "cpx"}', "w": broken_id},
        )
    body = app_client.get(
        f"/api/v1/dashboards/{created['id']}/data?platforms=meta"
    ).get_json()
    assert body["filters"]["platforms"] == ["meta"]
    ok, broken = body["widgets"]
    assert ok["data"]["view"] == "summary" and ok["data"]["metric"] == "spend"
    assert "'cpx' is not one of" in broken["error"] and "data" not in broken
    app_client.delete(f"/api/v1/dashboards/{created['id']}")


def test_another_orgs_dashboard_cannot_be_changed(app_client):
    login(app_client, "admin@globex.example")
    globex_id = app_client.get("/api/v1/dashboards").get_json()["dashboards"][0]["id"]
    logout(app_client)
    login(app_client, "admin@acme.example")
    assert (
        app_client.put(
            f"/api/v1/dashboards/{globex_id}", json={"name": "x", "widgets": [KPI]}
        ).status_code
        == 404
    )
    assert app_client.delete(f"/api/v1/dashboards/{globex_id}").status_code == 404
    assert app_client.get(f"/api/v1/dashboards/{globex_id}/data").status_code == 404


def test_dashboard_data_takes_the_comparison_and_a_drill_down_like_the_page(
    app_client,
):
    login(app_client, "admin@acme.example")
    weekly = {
        **KPI,
        "type": "line_chart",
        "title": "Revenue by week",
        "query_params": {
            "metric": "revenue",
            "view": "timeseries",
            "period": "90d",
            "granularity": "week",
        },
        "position_x": 3,
        "width": 6,
    }
    created = app_client.post(
        "/api/v1/dashboards", json={"name": "Drill", "widgets": [KPI, weekly]}
    ).get_json()
    url = f"/api/v1/dashboards/{created['id']}/data"
    try:
        kpi, chart = app_client.get(f"{url}?comparison=previous_year").get_json()[
            "widgets"
        ]
        assert kpi["data"]["comparison"]["kind"] == "previous_year"
        default = app_client.get(url).get_json()["widgets"][0]["data"]
        assert default["comparison"]["kind"] == "previous_period"
        assert chart["data"]["granularity"] == "week"
        # The page's drill into one week: that week's days.
        week = "date_from=2026-11-02&date_to=2026-11-08"
        drilled = app_client.get(f"{url}?{week}&drill=week").get_json()["widgets"][1]
        assert drilled["data"]["granularity"] == "day"
        days = {point["date"][:10] for point in drilled["data"]["series"][0]["points"]}
        assert days == {f"2026-11-0{d}" for d in range(2, 9)}
        # A drill-down without its week, or wider than one, is refused by name.
        for query in (
            "drill=week",
            "date_from=2026-11-01&date_to=2026-11-30&drill=week",
        ):
            refused = app_client.get(f"{url}?{query}")
            assert refused.status_code == 422
            assert refused.get_json()["error"].startswith("filters.drill: ")
    finally:
        app_client.delete(f"/api/v1/dashboards/{created['id']}")
