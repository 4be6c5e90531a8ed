"""Changing campaigns through the API: roles, audit, tenancy and cache invalidation."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import login, logout


def campaigns(client) -> list[dict]:
    return client.get("/api/v1/campaigns").get_json()["campaigns"]


def test_pausing_a_campaign_is_audited_and_refreshes_figures(app_client, admin_db):
    login(app_client, "editor@acme.example")
    active = next(c for c in campaigns(app_client) if c["status"] == "active")
    pacing_before = app_client.get(
        "/api/v1/data/campaigns?view=pacing&limit=500"
    ).get_json()
    assert any(i["key"] == active["id"] for i in pacing_before["items"])
    response = app_client.patch(
        f"/api/v1/campaigns/{active['id']}",
        json={"status": "paused", "daily_budget": 123.0},
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "paused"
    with admin_db.engine.connect() as connection:
        status, daily = connection.execute(
            text("SELECT status, daily_budget FROM campaigns WHERE id = :c"),
            {"c": active["id"]},
        ).one()
        audit = connection.execute(
            text(
                "SELECT action, details FROM audit_log WHERE "
                "entity_type = 'campaign' AND entity_id = :c"
            ),
            {"c": str(active["id"])},
        ).all()
    assert (status, daily) == ("paused", 123.0)
    assert audit and audit[-1][0] == "update"
    # The cached pacing answer was invalidated: the campaign now shows as paused.
    pacing_after = app_client.get(
        "/api/v1/data/campaigns?view=pacing&limit=500"
    ).get_json()
    assert pacing_after["computed_at"] > pacing_before["computed_at"]
    assert (
        next(i for i in pacing_after["items"] if i["key"] == active["id"])["status"]
        == "paused"
    )
    app_client.patch(f"/api/v1/campaigns/{active['id']}", json={"status": "active"})


def test_viewers_cannot_change_campaigns(app_client):
    login(app_client, "viewer@acme.example")
    campaign = campaigns(app_client)[0]
    response = app_client.patch(
        f"/api/v1/campaigns/{campaign['id']}", json={"status": "paused"}
    )
    assert (
        response.status_code == 403
        and "needs role" in response.get_json()["details"][0]
    )


def test_other_orgs_campaigns_are_not_found(app_client):
    login(app_client, "admin@globex.example")
    globex_campaign = campaigns(app_client)[0]["id"]
    logout(app_client)
    login(app_client, "admin@acme.example")
    response = app_client.patch(
        f"/api/v1/campaigns/{globex_campaign}", json={"status": "paused"}
    )
    assert response.status_code == 404


def test_bad_changes_name_the_field(app_client):
    login(app_client, "admin@acme.example")
    campaign = campaigns(app_client)[0]["id"]
    for body, message in [
        ({"status": "deleted"}, "status"),
        ({"budget": -5}, "budget"),
        ({}, "at least one"),
        ({"colour": "red"}, "colour"),
        ({"status": None}, "status cannot be empty"),
    ]:
        response = app_client.patch(f"/api/v1/campaigns/{campaign}", json=body)
        assert response.status_code == 422 and message in response.get_json()["error"]
    assert (
        app_client.patch(
            f"/api/v1/campaigns/{campaign}",
            data="nope",
            content_type="application/json",
        ).status_code
        == 400
    )


def test_a_completed_campaign_keeps_its_status(app_client, admin_db):
    login(app_client, "editor@acme.example")
    campaign = campaigns(app_client)[0]
    with admin_db.engine.begin() as connection:  # its flight has ended
        connection.execute(
            text("UPDATE campaigns SET status = 'completed' WHERE id = :c"),
            {"c": campaign["id"]},
        )
    try:
        for status in ("paused", "active"):
            response = app_client.patch(
                f"/api/v1/campaigns/{campaign['id']}", json={"status": status}
            )
            assert (
                response.status_code == 409
                and "completed" in response.get_json()["error"]
            )
        with admin_db.engine.connect() as connection:
            assert (
                connection.execute(
                    text("SELECT status FROM campaigns WHERE id = :c"),
                    {"c": campaign["id"]},
                ).scalar_one()
                == "completed"
            )
    finally:
        with admin_db.engine.begin() as connection:
            connection.execute(
                text("UPDATE campaigns SET status = :s WHERE id = :c"),
                {"s": campaign["status"], "c": campaign["id"]},
            )
