"""Dashboard commands without Flask: each change audited with who made it, another
org's ids not found, and opening a dashboard audited as a view."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from commands.dashboards import (
    DashboardNotFound,
    TemplateNotFound,
    create_dashboard,
    create_dashboard_from_template,
    delete_dashboard,
    get_dashboard,
    list_dashboards,
    list_templates,
    open_dashboard,
    update_dashboard,
)
from core.models import Dashboard
from dashboards.schema import TemplateError
from tests.integration.conftest import audits

KPI = {
    "type": "kpi_card",
    "title": "Spend",
    "data_source": "campaigns",
    "query_params": {"metric": "spend", "period": "30d"},
    "position_x": 0,
    "position_y": 0,
    "width": 3,
    "height": 2,
}


def test_create_update_and_delete_are_audited_as_the_callers(world):
    editor = world["users"]["editor@acme.example"]
    created = create_dashboard(
        world["svc"], editor, {"name": "Made by a command", "widgets": [KPI]}
    )
    dashboard_id = created.dashboard.id
    assert [w.title for w in created.widgets] == ["Spend"]
    assert created.document()["widgets"][0]["query_params"]["metric"] == "spend"
    updated = update_dashboard(
        world["svc"],
        editor,
        dashboard_id,
        {"name": "Renamed", "widgets": [KPI | {"title": "Spend, 30 days"}]},
    )
    assert updated.dashboard.name == "Renamed"
    assert [w.title for w in updated.widgets] == ["Spend, 30 days"]
    delete_dashboard(world["svc"], editor, dashboard_id)
    with world["db"].session(world["acme"]) as session:
        assert session.get(Dashboard, dashboard_id) is None
    trail = audits(world, "dashboard", dashboard_id)
    assert [(a.action, a.user_id) for a in trail] == [
        ("create", editor.user_id),
        ("update", editor.user_id),
        ("delete", editor.user_id),
    ]


def test_an_invalid_document_saves_nothing(world):
    editor = world["users"]["editor@acme.example"]
    before = get_dashboard(world["svc"], editor, world["dashboard"])
    with pytest.raises(TemplateError) as refused:
        update_dashboard(
            world["svc"],
            editor,
            world["dashboard"],
            {"name": "Broken", "widgets": [KPI | {"width": 13}]},
        )
    assert refused.value.details
    after = get_dashboard(world["svc"], editor, world["dashboard"])
    assert after.dashboard.name == before.dashboard.name
    assert [w.id for w in after.widgets] == [w.id for w in before.widgets]


def test_cloning_a_template_names_the_new_dashboard(world):
    admin = world["users"]["admin@acme.example"]
    template, _ = list_templates(world["svc"], admin)[0]
    view = create_dashboard_from_template(world["svc"], admin, template.id, "Clone")
    try:
        assert view.dashboard.name == "Clone"
        assert view.dashboard.source_template_id == template.id
        assert len(view.widgets) == len(template.widgets)
    finally:
        delete_dashboard(world["svc"], admin, view.dashboard.id)
    with pytest.raises(TemplateNotFound):
        create_dashboard_from_template(world["svc"], admin, 999_999)


def test_an_unnamed_copy_of_a_template_gets_a_name_no_dashboard_has(world):
    admin = world["users"]["admin@acme.example"]
    template = next(
        t
        for t, _ in list_templates(world["svc"], admin)
        if t.name == "Executive Overview"
    )
    names = {d.name for d, _ in list_dashboards(world["svc"], admin)}
    assert "Executive Overview" in names  # the demo's own copy
    made = []
    try:
        for name in (None, "  ", None):
            made.append(
                create_dashboard_from_template(world["svc"], admin, template.id, name)
            )
        assert [v.dashboard.name for v in made] == [
            "Executive Overview (2)",
            "Executive Overview (3)",
            "Executive Overview (4)",
        ]
        # A name the user gives is kept as given, even one another dashboard has.
        made.append(
            create_dashboard_from_template(
                world["svc"], admin, template.id, "Executive Overview"
            )
        )
        assert made[-1].dashboard.name == "Executive Overview"
    finally:
        for view in made:
            delete_dashboard(world["svc"], admin, view.dashboard.id)
    # Another org's dashboards do not count: Globex's first copy is numbered from
    # its own.
    globex = world["users"]["admin@globex.example"]
    view = create_dashboard_from_template(world["svc"], globex, template.id)
    try:
        assert view.dashboard.name == "Executive Overview (2)"
    finally:
        delete_dashboard(world["svc"], globex, view.dashboard.id)


def test_opening_a_dashboard_is_audited_and_another_orgs_is_not_found(world):
    viewer = world["users"]["viewer@acme.example"]
    view = open_dashboard(world["svc"], viewer, world["dashboard"])
    assert {w.title for w in view.widgets} >= {"Campaign pacing", "Top Campaigns"}
    last = audits(world, "dashboard", world["dashboard"])[-1]
    assert (last.action, last.user_id) == ("view", viewer.user_id)
    outsider = world["users"]["admin@globex.example"]
    for command in (get_dashboard, open_dashboard, delete_dashboard):
        with pytest.raises(DashboardNotFound):
            command(world["svc"], outsider, world["dashboard"])
    with world["db"].session(world["acme"]) as session:
        assert session.scalars(
            select(Dashboard).where(Dashboard.id == world["dashboard"])
        ).one()
