"""Edit a dashboard: a form for its settings and a JSON editor for its widgets.

The JSON is validated as you type (the same messages as the API), and nothing is saved
until the whole document is valid.
"""

from __future__ import annotations

import json

import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from accounts.permissions import can_edit
from commands.dashboards import DashboardNotFound, get_dashboard
from core.reference import DATE_RANGE_LABELS, PLATFORMS, parse_row_id
from dashboards.schema import REFRESH_SECONDS
from layouts import not_found
from server.runtime import runtime

DATE_RANGES = DATE_RANGE_LABELS


def _field(label: str, control, help_text: str | None = None) -> html.Div:
    return html.Div(
        [
            dbc.Label(label, className="fw-semibold small"),
            control,
            dbc.FormText(help_text) if help_text else None,
        ],
        className="mb-3",
    )


def layout(dashboard_id: str | None = None, **_) -> html.Div:
    dashboard_pk = parse_row_id(dashboard_id)
    if dashboard_pk is None:
        return not_found.layout()
    try:
        view = get_dashboard(runtime(), current_user.caller, dashboard_pk)
    except DashboardNotFound:
        return not_found.layout()
    dashboard, document = view.dashboard, view.document()
    if not can_edit(current_user.role):
        return not_found.layout("Viewers can look at dashboards but not change them.")
    filters = document["default_filters"] or {}
    form = dbc.Col(
        [
            _field(
                "Title",
                dbc.Input(id="edit-name", value=document["name"], maxLength=200),
            ),
            _field(
                "Description",
                dbc.Textarea(
                    id="edit-description", value=document["description"], rows=2
                ),
            ),
            _field(
                "Refresh",
                dcc.Dropdown(
                    id="edit-refresh",
                    clearable=False,
                    value=document["refresh_interval"],
                    options=[
                        {
                            "label": "Real time" if k == "realtime" else f"Every {k}",
                            "value": k,
                        }
                        for k in REFRESH_SECONDS
                    ],
                ),
            ),
            _field(
                "Default date range",
                dcc.Dropdown(
                    id="edit-date-range",
                    clearable=False,
                    value=filters.get("date_range", "last_30_days"),
                    options=[{"label": v, "value": k} for k, v in DATE_RANGES.items()],
                ),
            ),
            _field(
                "Default platforms",
                dcc.Dropdown(
                    id="edit-platforms",
                    multi=True,
                    value=filters.get("platforms", []),
                    placeholder="All platforms",
                    options=[{"label": v, "value": k} for k, v in PLATFORMS.items()],
                ),
            ),
        ],
        xs=12,
        lg=4,
    )
    editor = dbc.Col(
        [
            # The editor's verdict sits between its label and the text: where the
            # user is looking, not below a 520 px box.
            _field(
                "Widgets (JSON)",
                html.Div(
                    [
                        html.Div(id="edit-validation", className="mb-2"),
                        dcc.Textarea(
                            id="edit-widgets",
                            value=json.dumps(document["widgets"], indent=2),
                            spellCheck=False,
                            rows=28,
                            className="form-control json-editor",
                            style={"minHeight": "520px"},
                        ),
                    ]
                ),
                "Each widget: type, title, data_source, query_params, config, "
                "position_x, position_y, width, height on the 12-column grid; "
                "is_shared false keeps it private to you.",
            ),
        ],
        xs=12,
        lg=8,
    )
    return html.Div(
        [
            html.Div(
                [
                    html.H1(f"Edit “{document['name']}”", className="h3 mb-0"),
                    html.Div(
                        [
                            html.A(
                                "Back to the dashboard",
                                href=f"/dashboards/{dashboard.id}",
                                className="btn btn-outline-secondary btn-sm me-2",
                            ),
                            dbc.Button(
                                "Save", id="edit-save", color="primary", size="sm"
                            ),
                        ]
                    ),
                ],
                className="d-flex justify-content-between align-items-center mb-3",
            ),
            html.Div(id="edit-saved"),
            dbc.Row([form, editor]),
            dcc.Store(id="edit-dashboard-id", data=dashboard.id),
            dcc.Store(
                id="edit-meta",
                data={
                    "category": document["category"],
                    "layout_config": document["layout_config"],
                    "schema_version": document["schema_version"],
                },
            ),
        ],
        className="dashboard-edit-page",
        id="dashboard-edit",
    )
