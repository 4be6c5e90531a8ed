"""The snapshot pages and the dashboard's "Take snapshot": thin adapters over
:mod:`commands.snapshots`.

The commands re-check the caller's role and org on every call: the ids in the
buttons are only hints, and another org's id is "not found".
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user

from accounts.permissions import PermissionDenied, can_edit
from callbacks._filters import FILTER_STATES, filter_state
from commands import snapshots
from commands.dashboards import DashboardNotFound
from commands.errors import Invalid, NotFound
from core.filters import QueryError
from dashboards.snapshot_parts import download_links, when_text
from reports.errors import ReportRenderError
from server.runtime import runtime


def take(n_clicks, dashboard_id, *filter_values):
    """Callback: take a snapshot of the dashboard under the bar's filters; a toast
    says which, with a link."""
    if not n_clicks or not current_user.is_authenticated:
        raise PreventUpdate
    svc, caller = runtime(), current_user.caller
    try:
        summary = snapshots.take_snapshot(
            svc,
            svc.snapshots(),
            caller,
            dashboard_id,
            filters=filter_state(filter_values),
        )
    except PermissionDenied as exc:
        return _toast(exc.message, "warning")
    except (QueryError, Invalid, DashboardNotFound, ReportRenderError) as exc:
        return _toast(f"No snapshot taken: {exc}", "danger")
    return _toast(
        [
            f"Snapshot “{summary.name}” taken. ",
            html.A(
                "View it", href=f"/snapshots/{summary.id}", id="snapshot-taken-link"
            ),
            " · ",
            html.A("All snapshots", href="/snapshots"),
        ],
        "success",
    )


def _toast(children, colour: str) -> dbc.Toast:
    return dbc.Toast(
        children,
        header="Snapshot",
        icon=colour,
        dismissable=True,
        duration=15_000,
        is_open=True,
        className="snapshot-toast-body",
        id="snapshot-toast-message",
    )


def show_list(_version):
    """Callback: the org's snapshots, newest first."""
    if not current_user.is_authenticated:
        raise PreventUpdate
    caller = current_user.caller
    items = snapshots.list_snapshots(runtime(), caller)
    return snapshots_table(items, can_edit(caller.role))


def picked(values):
    """Callback: the Compare link for exactly two ticked snapshots (the older one
    is A)."""
    chosen = sorted(v for value in values or [] for v in value or [])
    if len(chosen) != 2:
        hint = (
            "Tick two snapshots to compare them."
            if len(chosen) < 2
            else "Tick only two snapshots."
        )
        return "/snapshots", "btn btn-sm btn-primary disabled", hint
    first, second = chosen
    return (
        f"/snapshots/compare?a={first}&b={second}",
        "btn btn-sm btn-primary",
        "Two ticked: the one saved first is A, the other B.",
    )


def ask_to_delete(clicks):
    """Callback: a Delete button was clicked: ask first (nothing is deleted yet)."""
    trigger = ctx.triggered_id
    if not trigger or not any(clicks or []):
        raise PreventUpdate
    return (
        trigger["index"],
        True,
        f"Delete snapshot {trigger['index']}? This cannot be undone.",
    )


def delete(confirmed, snapshot_id, version):
    """Callback: the dialog was confirmed: delete the snapshot."""
    if not confirmed or snapshot_id is None or not current_user.is_authenticated:
        raise PreventUpdate
    try:
        snapshots.delete_snapshot(runtime(), current_user.caller, snapshot_id)
    except PermissionDenied as exc:
        return no_update, _alert(exc.message, "warning")
    except NotFound as exc:
        return (version or 0) + 1, _alert(str(exc), "warning")
    return (version or 0) + 1, _alert("Snapshot deleted.", "info")


def snapshots_table(items: list[snapshots.SnapshotSummary], editor: bool) -> Any:
    """The list's table: a tick box, name, dashboard, type, when (org time), by
    whom, and the buttons."""
    if not items:
        return html.P(
            "No snapshots yet: open a dashboard and choose “Take snapshot”.",
            className="text-muted",
            id="snapshot-empty",
        )
    header = ["", "Name", "Dashboard", "Type", "Taken", "By", ""]
    rows = []
    for item in items:
        buttons: list[Any] = [
            html.A(
                "View",
                href=f"/snapshots/{item.id}",
                className="btn btn-sm btn-outline-primary me-1 mb-1",
                id={"type": "snapshot-view", "index": item.id},
            ),
            *download_links(item.id),
        ]
        if editor:
            buttons.append(
                dbc.Button(
                    "Delete",
                    id={"type": "snapshot-delete", "index": item.id},
                    size="sm",
                    color="danger",
                    outline=True,
                    className="mb-1",
                )
            )
        rows.append(
            html.Tr(
                [
                    html.Td(
                        dcc.Checklist(
                            id={"type": "snapshot-pick", "index": item.id},
                            options=[{"label": "", "value": item.id}],
                            value=[],
                            className="snapshot-pick",
                        )
                    ),
                    html.Td(html.A(item.name, href=f"/snapshots/{item.id}")),
                    html.Td(item.dashboard_name),
                    html.Td(
                        dbc.Badge(
                            item.snapshot_type,
                            color="info"
                            if item.snapshot_type == "scheduled"
                            else "secondary",
                        )
                    ),
                    html.Td(when_text(item.local_date), className="text-nowrap"),
                    html.Td(item.taken_by),
                    html.Td(buttons, className="text-nowrap"),
                ],
                className="snapshot-row",
            )
        )
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(rows)],
        size="sm",
        hover=True,
        responsive=True,
        className="bg-white small snapshots-table",
    )


def _alert(text: str, colour: str) -> dbc.Alert:
    return dbc.Alert(text, color=colour, dismissable=True, className="py-2 small")


def register(app: Dash) -> None:
    app.callback(
        Output("snapshot-toast", "children"),
        Input("snapshot-take-button", "n_clicks"),
        State("dashboard-id", "data"),
        *FILTER_STATES,
        prevent_initial_call=True,
    )(take)
    app.callback(
        Output("snapshot-list", "children"),
        Input("snapshot-version", "data"),
    )(show_list)
    app.callback(
        Output("snapshot-compare-link", "href"),
        Output("snapshot-compare-link", "className"),
        Output("snapshot-compare-hint", "children"),
        Input({"type": "snapshot-pick", "index": ALL}, "value"),
    )(picked)
    app.callback(
        Output("snapshot-delete-pending", "data"),
        Output("snapshot-delete-confirm", "displayed"),
        Output("snapshot-delete-confirm", "message"),
        Input({"type": "snapshot-delete", "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )(ask_to_delete)
    app.callback(
        Output("snapshot-version", "data"),
        Output("snapshot-message", "children"),
        Input("snapshot-delete-confirm", "submit_n_clicks"),
        State("snapshot-delete-pending", "data"),
        State("snapshot-version", "data"),
        prevent_initial_call=True,
    )(delete)
