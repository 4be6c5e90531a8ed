"""Creating, editing and deleting dashboards in the browser.

Thin adapters over :mod:`commands.dashboards`, which re-checks the caller's role and
org on every call: ids in the page are only hints.
"""

from __future__ import annotations

import json
import re

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user

from accounts.permissions import PermissionDenied
from commands.dashboards import (
    DashboardNotFound,
    TemplateNotFound,
    create_dashboard_from_template,
    delete_dashboard,
    update_dashboard,
)
from dashboards.schema import TemplateError, element_lines, parse_template
from server.runtime import runtime

# How the template's messages name a widget: 'widget 3 "ROAS": ...'.
WIDGET_LABEL = re.compile(r"widget (\d+)\b")


def document_from_form(
    name, description, refresh, date_range, platforms, widgets_text, meta
) -> dict:
    """The template document the edit form describes (raises ``TemplateError``)."""
    try:
        widgets = json.loads(widgets_text or "[]")
    except json.JSONDecodeError as exc:
        raise TemplateError(
            [
                f"widgets: malformed JSON at line {exc.lineno} column {exc.colno}: "
                f"{exc.msg}"
            ]
        ) from None
    return {
        **(meta or {}),
        "name": name or "",
        "description": description or "",
        "refresh_interval": refresh,
        "widgets": widgets,
        "default_filters": {"date_range": date_range, "platforms": platforms or []},
    }


def with_lines(details: list[str], widgets_text: str | None) -> list[str]:
    """Each problem of "widget N" prefixed with the line where that widget starts in
    the JSON editor, so the user finds it in a long document."""
    starts = element_lines(widgets_text or "")
    located = []
    for detail in details:
        match = WIDGET_LABEL.match(detail)
        index = int(match.group(1)) - 1 if match else -1
        located.append(
            f"line {starts[index]}: {detail}" if 0 <= index < len(starts) else detail
        )
    return located


def problems_list(details: list[str], element_id: str = "edit-errors") -> dbc.Alert:
    return dbc.Alert(
        [
            html.Strong(
                f"{len(details)} problem{'s' if len(details) != 1 else ''}; "
                "nothing is saved until they are fixed:"
            ),
            html.Ul([html.Li(d) for d in details], className="validation-list"),
        ],
        color="danger",
        className="py-2 small",
        id=element_id,
    )


def validate(name, description, refresh, date_range, platforms, widgets_text, meta):
    try:
        spec = parse_template(
            document_from_form(
                name, description, refresh, date_range, platforms, widgets_text, meta
            )
        )
    except TemplateError as exc:
        return problems_list(with_lines(exc.details, widgets_text))
    return html.Div(
        f"Valid: {len(spec.widgets)} widgets.",
        className="text-success small",
        id="edit-valid",
    )


def save(
    _clicks,
    dashboard_id,
    name,
    description,
    refresh,
    date_range,
    platforms,
    widgets_text,
    meta,
):
    """Callback: save the edit form as the dashboard's new template document."""
    if not current_user.is_authenticated:
        raise PreventUpdate
    try:
        update_dashboard(
            runtime(),
            current_user.caller,
            int(dashboard_id),
            document_from_form(
                name, description, refresh, date_range, platforms, widgets_text, meta
            ),
        )
    except PermissionDenied as exc:
        return dbc.Alert(exc.message, color="danger")
    except DashboardNotFound:
        return dbc.Alert("This dashboard no longer exists.", color="danger")
    except TemplateError as exc:
        return problems_list(with_lines(exc.details, widgets_text), "edit-save-refused")
    return dbc.Alert(
        ["Saved. ", html.A("Open the dashboard", href=f"/dashboards/{dashboard_id}")],
        color="success",
        className="py-2",
        id="edit-saved-ok",
    )


def create_from_template(clicks):
    """Callback: a template's "Create dashboard" button; opens the new dashboard."""
    if not any(clicks or []) or not isinstance(ctx.triggered_id, dict):
        raise PreventUpdate
    try:
        view = create_dashboard_from_template(
            runtime(), current_user.caller, int(ctx.triggered_id["index"])
        )
    except PermissionDenied as exc:
        return no_update, dbc.Alert(exc.message, color="danger")
    except TemplateNotFound:
        return no_update, dbc.Alert("That template is not available.", color="danger")
    return f"/dashboards/{view.dashboard.id}", None


def ask_to_delete(clicks):
    if not clicks:
        raise PreventUpdate
    return True


def delete(submitted, dashboard_id):
    """Callback: the delete dialog was confirmed; back to the dashboard list."""
    if not submitted:
        raise PreventUpdate
    try:
        delete_dashboard(runtime(), current_user.caller, int(dashboard_id))
    except PermissionDenied:
        raise PreventUpdate from None
    except DashboardNotFound:
        pass  # deleted meanwhile (another tab): the list is where the user wanted to go
    return dcc.Location(id="dashboard-redirect-to", href="/dashboards", refresh=True)


FORM = [
    State("edit-name", "value"),
    State("edit-description", "value"),
    State("edit-refresh", "value"),
    State("edit-date-range", "value"),
    State("edit-platforms", "value"),
    State("edit-widgets", "value"),
    State("edit-meta", "data"),
]


def register(app: Dash) -> None:
    app.callback(
        Output("edit-validation", "children"),
        *[Input(s.component_id, s.component_property) for s in FORM],
    )(validate)
    app.callback(
        Output("edit-saved", "children"),
        Input("edit-save", "n_clicks"),
        State("edit-dashboard-id", "data"),
        *FORM,
        prevent_initial_call=True,
    )(save)
    app.callback(
        Output("create-dashboard-redirect", "href"),
        Output("create-dashboard-error", "children"),
        Input({"type": "create-from-template", "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )(create_from_template)
    app.callback(
        Output("delete-confirm", "displayed"),
        Input("dashboard-delete-button", "n_clicks"),
        prevent_initial_call=True,
    )(ask_to_delete)
    app.callback(
        Output("dashboard-redirect", "children"),
        Input("delete-confirm", "submit_n_clicks"),
        State("dashboard-id", "data"),
        prevent_initial_call=True,
    )(delete)
