"""Creating, editing and deleting dashboards in the browser.

Each callback re-checks the caller's role and org: ids in the page are only hints.
"""

from __future__ import annotations

import json

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user

from accounts import audit
from dashboards import store as dashboard_store
from dashboards.builtin import create_dashboard_from_template
from dashboards.schema import TemplateError, TemplateSpec, parse_template
from server.runtime import runtime


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
        return problems_list(exc.details)
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
    if not (current_user.is_authenticated and current_user.can_edit):
        return dbc.Alert(
            "Only editors and admins can change dashboards.", color="danger"
        )
    try:
        spec: TemplateSpec = parse_template(
            document_from_form(
                name, description, refresh, date_range, platforms, widgets_text, meta
            )
        )
        with runtime().db.session(current_user.org_id) as session:
            dashboard = dashboard_store.get_dashboard(session, int(dashboard_id))
            if dashboard is None:
                return dbc.Alert("This dashboard no longer exists.", color="danger")
            dashboard_store.update_dashboard(
                session, dashboard, spec, user_id=current_user.user_id
            )
            audit.record(
                session,
                "update",
                "dashboard",
                dashboard.id,
                user_id=current_user.user_id,
            )
    except TemplateError as exc:
        return problems_list(exc.details, "edit-save-refused")
    return dbc.Alert(
        ["Saved. ", html.A("Open the dashboard", href=f"/dashboards/{dashboard_id}")],
        color="success",
        className="py-2",
        id="edit-saved-ok",
    )


def create_from_template(clicks):
    if not any(clicks or []) or not isinstance(ctx.triggered_id, dict):
        raise PreventUpdate
    if not current_user.can_edit:
        return no_update, dbc.Alert(
            "Only editors and admins can create dashboards.", color="danger"
        )
    with runtime().db.session(current_user.org_id) as session:
        template = dashboard_store.get_template(session, int(ctx.triggered_id["index"]))
        if template is None:
            return no_update, dbc.Alert(
                "That template is not available.", color="danger"
            )
        dashboard = create_dashboard_from_template(
            session, template, org_id=current_user.org_id, owner_id=current_user.user_id
        )
        audit.record(
            session, "create", "dashboard", dashboard.id, user_id=current_user.user_id
        )
        dashboard_id = dashboard.id
    return f"/dashboards/{dashboard_id}", None


def ask_to_delete(clicks):
    if not clicks:
        raise PreventUpdate
    return True


def delete(submitted, dashboard_id):
    if not submitted or not current_user.can_edit:
        raise PreventUpdate
    with runtime().db.session(current_user.org_id) as session:
        dashboard = dashboard_store.get_dashboard(session, int(dashboard_id))
        if dashboard is not None:
            dashboard_store.delete_dashboard(session, dashboard)
            audit.record(
                session,
                "delete",
                "dashboard",
                dashboard_id,
                user_id=current_user.user_id,
            )
    return "/dashboards"


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
        Output("dashboard-redirect", "href"),
        Input("delete-confirm", "submit_n_clicks"),
        State("dashboard-id", "data"),
        prevent_initial_call=True,
    )(delete)
