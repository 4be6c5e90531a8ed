"""The scheduled reports page: thin adapters over :mod:`commands.report_schedules`.

The commands re-check the caller's role and org on every call: the ids in the page's
buttons are only hints. The next five runs under the form are worked out by the pure
:func:`reports.schedules.next_runs`, as the schedule will be.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user

from accounts.permissions import PermissionDenied, can_edit
from commands import report_schedules as schedules
from commands.dashboards import DashboardNotFound
from commands.errors import Invalid, NotFound
from reports.schedules import ScheduleError, next_runs, parse_schedule
from server.runtime import runtime

STATUS_COLOURS = {
    "sent": "success",
    "failed": "danger",
    "missed": "warning",
    "retrying": "warning",
    "running": "info",
    "pending": "secondary",
}
RECIPIENT_SEPARATORS = re.compile(r"[\s,;]+")
DELIVERIES_SHOWN = 50


def _action(label: str, action: str, schedule_id: int, colour="secondary"):
    return dbc.Button(
        label,
        id={"type": "report-action", "action": action, "index": schedule_id},
        size="sm",
        color=colour,
        outline=True,
        className="me-1 mb-1",
    )


def _runs_list(view: schedules.ScheduleView) -> html.Ul | str:
    if not view.next_runs:
        return "paused" if not view.schedule.is_active else "—"
    return html.Ul(
        [html.Li(f"{run:%a %d %b %Y %H:%M %Z}") for run in view.next_runs],
        className="list-unstyled mb-0 report-next-runs",
    )


def schedules_table(views: list[schedules.ScheduleView], editor: bool):
    if not views:
        return html.P("No report schedules yet.", className="text-muted")
    header = ["Name", "Dashboard", "When", "Next runs", "Recipients", "Format", ""]
    rows = []
    for view in views:
        item = view.schedule
        # A snapshot schedule has no file to preview: its snapshots are listed on
        # the Snapshots page.
        buttons = (
            []
            if item.format == schedules.SNAPSHOT_FORMAT
            else [
                html.A(
                    "Preview",
                    href=f"/api/v1/report-schedules/{item.id}/preview",
                    className="btn btn-sm btn-outline-primary me-1 mb-1",
                    id={"type": "report-preview", "index": item.id},
                )
            ]
        )
        if editor:
            buttons += [
                _action("Send now", "send", item.id, "primary"),
                _action("Edit", "edit", item.id),
                _action("Resume" if not item.is_active else "Pause", "pause", item.id),
                _action("Delete", "delete", item.id, "danger"),
            ]
        rows.append(
            html.Tr(
                [
                    html.Td(item.name),
                    html.Td(view.dashboard_name),
                    html.Td(view.description),
                    html.Td(_runs_list(view), className="text-nowrap"),
                    html.Td(", ".join(item.recipients)),
                    html.Td(item.format.upper()),
                    html.Td(buttons),
                ],
                className="report-schedule-row",
            )
        )
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(rows)],
        size="sm",
        hover=True,
        responsive=True,
        className="bg-white small report-schedules",
    )


def deliveries_table(rows: list[schedules.DeliveryView], zones: dict[int, str]):
    if not rows:
        return html.P("Nothing delivered yet.", className="text-muted")
    header = ["Scheduled for", "Schedule", "Trigger", "Status", "Attempts", "Details"]
    body = []
    for row in rows:
        item = row.delivery
        zone = ZoneInfo(zones.get(item.schedule_id, "UTC"))
        when = item.scheduled_for.replace(tzinfo=dt.UTC).astimezone(zone)
        details: object = item.error or item.outbox_file or ", ".join(item.recipients)
        if item.snapshot_id and not item.error:
            details = html.A(
                f"Snapshot {item.snapshot_id}", href=f"/snapshots/{item.snapshot_id}"
            )
        body.append(
            html.Tr(
                [
                    html.Td(f"{when:%Y-%m-%d %H:%M %Z}", className="text-nowrap"),
                    html.Td(row.schedule_name),
                    html.Td(item.trigger),
                    html.Td(
                        dbc.Badge(
                            item.status, color=STATUS_COLOURS.get(item.status, "light")
                        )
                    ),
                    html.Td(str(item.attempts)),
                    html.Td(details, className="report-delivery-details"),
                ],
                className=f"report-delivery-row report-delivery-{item.status}",
            )
        )
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(body)],
        size="sm",
        striped=True,
        responsive=True,
        className="bg-white small report-deliveries",
    )


def show_tables(_version, _tick):
    """Callback: the schedules and the delivery log."""
    caller = current_user.caller
    svc = runtime()
    views = schedules.list_schedules(svc, caller)
    zones = {
        v.schedule.id: v.schedule.schedule_config.get("timezone", "UTC") for v in views
    }
    log = schedules.list_deliveries(svc, caller, limit=DELIVERIES_SHOWN)
    return (
        schedules_table(views, can_edit(caller.role)),
        deliveries_table(log, zones),
    )


def form_config(frequency, day_of_week, day_of_month, time, timezone) -> dict:
    config = {"time": time, "timezone": timezone}
    if frequency == "weekly":
        config["day_of_week"] = day_of_week
    if frequency in ("monthly", "quarterly"):
        config["day_of_month"] = day_of_month
    return config


def preview_runs(frequency, day_of_week, day_of_month, time, timezone):
    """Callback: the form's next five runs (or what is wrong), and which day field
    its frequency uses."""
    shown, hidden = {}, {"display": "none"}
    week = shown if frequency == "weekly" else hidden
    month = shown if frequency in ("monthly", "quarterly") else hidden
    config = form_config(frequency, day_of_week, day_of_month, time, timezone)
    try:
        parsed = parse_schedule(frequency, config)
    except ScheduleError as exc:
        return html.Span("; ".join(exc.details), className="text-danger"), week, month
    runs = next_runs(frequency, parsed, dt.datetime.now(dt.UTC), 5)
    text = " · ".join(f"{run:%a %d %b %Y %H:%M %Z}" for run in runs)
    return f"Next runs: {text}", week, month


FORM_FIELDS = (
    "report-name",
    "report-dashboard",
    "report-format",
    "report-frequency",
    "report-day-of-week",
    "report-day-of-month",
    "report-time",
    "report-timezone",
    "report-recipients",
)
EMPTY_FORM = (
    "",
    no_update,
    "pdf",
    "weekly",
    1,
    1,
    "09:00",
    no_update,
    "",
)


def act(
    _clicks,
    _save,
    _cancel,
    version,
    editing,
    name,
    dashboard_id,
    fmt,
    frequency,
    day_of_week,
    day_of_month,
    time,
    timezone,
    recipients,
):
    """Callback: a row's button (send, edit, pause, delete) or the form's Save and
    Cancel. Returns the new version (tables reload), a message, the schedule being
    edited, the form's title and its fields."""
    trigger = ctx.triggered_id
    if not ctx.triggered or not ctx.triggered[0]["value"]:
        raise PreventUpdate  # a button just drawn, not clicked
    svc, caller = runtime(), current_user.caller
    keep_form = (no_update,) * len(FORM_FIELDS)
    try:
        if trigger == "report-cancel":
            return version, None, None, "New schedule", *EMPTY_FORM
        if trigger == "report-save":
            body = {
                "name": name or "",
                "dashboard_id": dashboard_id,
                "frequency": frequency,
                "schedule_config": form_config(
                    frequency, day_of_week, day_of_month, time, timezone
                ),
                "recipients": [
                    r for r in RECIPIENT_SEPARATORS.split(recipients or "") if r
                ],
                "format": fmt,
            }
            if editing:
                view = schedules.update_schedule(svc, caller, editing, body)
                message = f"Saved “{view.schedule.name}”."
            else:
                view = schedules.create_schedule(svc, caller, body)
                message = f"Created “{view.schedule.name}”: {view.description}."
            return (
                version + 1,
                _alert(message, "success"),
                None,
                "New schedule",
                *EMPTY_FORM,
            )
        action, schedule_id = trigger["action"], trigger["index"]
        if action == "edit":
            view = schedules.get_schedule(svc, caller, schedule_id)
            item, config = view.schedule, view.schedule.schedule_config
            return (
                no_update,
                None,
                item.id,
                f"Edit “{item.name}”",
                item.name,
                item.dashboard_id,
                item.format,
                item.frequency,
                config.get("day_of_week", 1),
                config.get("day_of_month", 1),
                config["time"],
                config["timezone"],
                "\n".join(item.recipients),
            )
        if action == "send":
            delivery = schedules.send_now(svc, svc.settings, caller, schedule_id)
            item = delivery.delivery
            colour = "success" if item.status == "sent" else "warning"
            where = item.outbox_file or ", ".join(item.recipients)
            if item.status == "sent" and item.snapshot_id:
                text = f"Took snapshot {item.snapshot_id} (see Snapshots)."
            elif item.status == "sent":
                text = f"Sent to {where}."
            else:
                text = f"Not sent yet ({item.error}); it is retried."
            message = _alert(text, colour)
        elif action == "pause":
            current = schedules.get_schedule(svc, caller, schedule_id).schedule
            view = schedules.pause_schedule(
                svc, caller, schedule_id, paused=current.is_active
            )
            state = "paused" if not view.schedule.is_active else "resumed"
            message = _alert(f"“{view.schedule.name}” {state}.", "info")
        elif action == "delete":
            schedules.delete_schedule(svc, caller, schedule_id)
            message = _alert("Schedule deleted with its delivery log.", "info")
        else:
            raise PreventUpdate
        return version + 1, message, no_update, no_update, *keep_form
    except Invalid as exc:
        return (
            no_update,
            _alert("; ".join(exc.details), "danger"),
            no_update,
            no_update,
            *keep_form,
        )
    except (PermissionDenied, NotFound, DashboardNotFound) as exc:
        text = exc.message if isinstance(exc, PermissionDenied) else str(exc)
        return version + 1, _alert(text, "warning"), None, no_update, *keep_form


def _alert(text: str, colour: str) -> dbc.Alert:
    return dbc.Alert(text, color=colour, dismissable=True, className="py-2 small")


def register(app: Dash) -> None:
    app.callback(
        Output("report-schedules", "children"),
        Output("report-deliveries", "children"),
        Input("report-version", "data"),
        Input("report-log-refresh", "n_intervals"),
    )(show_tables)
    app.callback(
        Output("report-next-runs", "children"),
        Output("report-day-of-week-field", "style"),
        Output("report-day-of-month-field", "style"),
        Input("report-frequency", "value"),
        Input("report-day-of-week", "value"),
        Input("report-day-of-month", "value"),
        Input("report-time", "value"),
        Input("report-timezone", "value"),
    )(preview_runs)
    app.callback(
        Output("report-version", "data"),
        Output("report-message", "children"),
        Output("report-editing", "data"),
        Output("report-form-title", "children"),
        *[Output(field, "value") for field in FORM_FIELDS],
        Input({"type": "report-action", "action": ALL, "index": ALL}, "n_clicks"),
        Input("report-save", "n_clicks"),
        Input("report-cancel", "n_clicks"),
        State("report-version", "data"),
        State("report-editing", "data"),
        *[State(field, "value") for field in FORM_FIELDS],
        prevent_initial_call=True,
    )(act)
