"""Every command applies the one role policy before it changes anything, whoever calls
it (here without Flask, as the CLI or a job would), and the API answers a refusal with
403 the same way for every route."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from accounts.apikeys import create_key
from accounts.permissions import API_KEY_ROLE, Caller, PermissionDenied
from commands.analytics import run_org_analytics
from commands.anomalies import acknowledge_anomaly, resolve_anomaly
from commands.campaigns import change_campaign, change_campaign_in_table
from commands.dashboards import (
    create_dashboard,
    create_dashboard_from_template,
    delete_dashboard,
    update_dashboard,
)
from commands.ingest import ingest_facts
from commands.list_cards import act_on_list_item
from commands.recommendations import apply_recommendation, dismiss_recommendation
from core.models import AuditLog, Campaign, Dashboard
from tests.conftest import login
from tests.integration.conftest import add_recommendation, campaign, reload

DOCUMENT = {
    "name": "Permission test",
    "widgets": [
        {
            "type": "kpi_card",
            "title": "Spend",
            "data_source": "campaigns",
            "query_params": {"metric": "spend"},
            "position_x": 0,
            "position_y": 0,
            "width": 3,
            "height": 2,
        }
    ],
}


def audit_rows(world) -> int:
    with world["db"].session(world["acme"]) as session:
        return session.scalar(select(func.count()).select_from(AuditLog))


def commands_of(world) -> dict:
    """Each command with arguments that would change something if it ran."""
    target = campaign(world, "active")
    rec = add_recommendation(world, target.id, "Pause for the permission test")
    dashboard, table = world["dashboard"], world["widgets"]["Campaign pacing"]
    return {
        "change_campaign": lambda c: change_campaign(
            world["svc"], c, target.id, {"status": "paused"}
        ),
        "change_campaign_in_table": lambda c: change_campaign_in_table(
            world["svc"], c, dashboard, table, "status", target.id, "paused"
        ),
        "create_dashboard": lambda c: create_dashboard(world["svc"], c, DOCUMENT),
        "create_dashboard_from_template": lambda c: create_dashboard_from_template(
            world["svc"], c, 1
        ),
        "update_dashboard": lambda c: update_dashboard(
            world["svc"], c, dashboard, DOCUMENT
        ),
        "delete_dashboard": lambda c: delete_dashboard(world["svc"], c, dashboard),
        "ingest_facts": lambda c: ingest_facts(world["svc"], c, {"rows": []}),
        "apply_recommendation": lambda c: apply_recommendation(world["svc"], c, rec),
        "dismiss_recommendation": lambda c: dismiss_recommendation(
            world["svc"], c, rec
        ),
        "acknowledge_anomaly": lambda c: acknowledge_anomaly(world["svc"], c, 1),
        "resolve_anomaly": lambda c: resolve_anomaly(world["svc"], c, 1),
        "act_on_list_item": lambda c: act_on_list_item(
            world["svc"],
            c,
            dashboard,
            world["widgets"]["Recommendations"],
            "apply",
            rec,
        ),
        "run_org_analytics": lambda c: run_org_analytics(world["svc"], c),
    }


def test_a_viewer_is_refused_by_every_command_and_nothing_changes(world):
    viewer = world["users"]["viewer@acme.example"]
    commands = commands_of(world)
    target = campaign(world, "active")
    before = audit_rows(world)
    for name, command in commands.items():
        with pytest.raises(PermissionDenied, match="you are viewer"):
            command(viewer)
        assert audit_rows(world) == before, name
    assert reload(world, Campaign, target.id).status == "active"
    assert reload(world, Dashboard, world["dashboard"]) is not None


def test_an_api_key_changes_data_but_does_not_decide(world):
    key = Caller(world["acme"], None, API_KEY_ROLE, api_key_id=None)
    commands = commands_of(world)
    deciding = {
        "apply_recommendation",
        "dismiss_recommendation",
        "acknowledge_anomaly",
        "resolve_anomaly",
        "act_on_list_item",
        "run_org_analytics",
    }
    for name in sorted(deciding):
        with pytest.raises(PermissionDenied, match="needs role admin or editor;"):
            commands[name](key)
    target = campaign(world, "active")
    try:
        changed = commands["change_campaign"](key)
        assert changed["status"] == "paused"
    finally:
        change_campaign(world["svc"], key, target.id, {"status": "active"})
    created = commands["create_dashboard"](key)
    assert created.dashboard.name == "Permission test"
    delete_dashboard(world["svc"], key, created.dashboard.id)


def test_an_editor_may_decide(world):
    editor = world["users"]["editor@acme.example"]
    target = campaign(world, "active")
    rec = add_recommendation(world, target.id, "Dismissed by the editor")
    result = dismiss_recommendation(world["svc"], editor, rec)
    assert result["recommendation"]["status"] == "dismissed"
    assert result["recommendation"]["decided_by"] == editor.user_id


def test_the_api_answers_a_refusal_with_403_for_keys_and_viewers(world):
    _, key = create_key(world["db"], "acme", "permission test")
    headers = {"Authorization": f"Bearer {key}"}
    client = world["app"].server.test_client()
    target = campaign(world, "active")
    rec = add_recommendation(world, target.id, "Not for keys")
    refused = client.post(f"/api/v1/recommendations/{rec}/dismiss", headers=headers)
    assert refused.status_code == 403
    assert refused.get_json() == {
        "error": "forbidden",
        "details": ["needs role admin or editor; you are api"],
    }
    try:
        allowed = client.patch(
            f"/api/v1/campaigns/{target.id}", json={"status": "paused"}, headers=headers
        )
        assert allowed.status_code == 200 and allowed.get_json()["status"] == "paused"
    finally:
        client.patch(
            f"/api/v1/campaigns/{target.id}", json={"status": "active"}, headers=headers
        )
    login(client, "viewer@acme.example")
    viewer = client.patch(f"/api/v1/campaigns/{target.id}", json={"status": "paused"})
    assert viewer.status_code == 403
    assert viewer.get_json()["details"] == [
        "needs role admin or editor or api; you are viewer"
    ]
