"""The alerts page: thin adapters over :mod:`commands.alerts`.

The commands re-check the caller's role and org on every call: the ids in the page's
buttons are only hints. The form's fields become an alert's JSON in
:func:`condition_from_form` and :func:`notification_from_form` (pure), and the live
preview asks :func:`commands.alerts.preview_alert` what the alert would see now.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user

from accounts.permissions import Permission, PermissionDenied, allowed, can_edit
from commands import alerts as alert_commands
from commands.dashboards import DashboardNotFound
from commands.errors import Invalid, NotFound
from server.runtime import runtime

STATE_COLOURS = {
    "firing": "danger",
    "pending": "warning",
    "broken": "dark",
    "resolved": "success",
    "ok": "success",
    "test": "info",
}
NOTIFY_COLOURS = {
    "sent": "success",
    "failed": "danger",
    "muted": "secondary",
    "pending": "warning",
    "sending": "info",
}
RECIPIENT_SEPARATORS = re.compile(r"[\s,;]+")
ANOMALY_METRICS = ("spend", "revenue", "conversions", "roas")
PREVIEW_SHOWN = 8
MUTE_MINUTES = 60


def _number(value: Any) -> Any:
    return value if value not in ("", None) else None


def condition_from_form(
    alert_type: str,
    metric: str | None,
    operator: str | None,
    threshold: Any,
    window: str | None,
    entity: str | None,
    platforms: list[str] | None,
    pending: Any,
    recovery: Any,
) -> dict[str, Any]:
    """The ``condition`` JSON of the form's fields for an alert type (what is missing
    or wrong is left for the validation to name)."""
    extra: dict[str, Any] = {}
    if platforms:
        extra["platforms"] = list(platforms)
    if _number(pending) is not None:
        extra["pending_evaluations"] = pending
    if alert_type == "anomaly":
        condition: dict[str, Any] = {
            "severity": ["high", "critical"],
            "entity_type": "any" if entity in (None, "org") else entity,
            **({"metric": metric} if metric in ANOMALY_METRICS else {}),
        }
        if _number(pending) is not None:
            condition["pending_evaluations"] = pending
        return condition
    if alert_type == "forecast":
        days = re.sub(r"\D", "", window or "") or "7"
        condition = {
            "metric": "budget_depletion",
            "forecast_days": int(days),
            "threshold": _number(threshold),
            **extra,
        }
        if _number(recovery) is not None:
            condition["recovery_threshold"] = recovery
        return condition
    if alert_type == "change":
        condition = {
            "metric": metric,
            "change_percent": _number(threshold),
            "period": window or "1d",
            "entity_type": entity or "org",
            **extra,
        }
        if _number(recovery) is not None:
            condition["recovery_change_percent"] = recovery
        return condition
    condition = {
        "metric": metric,
        "operator": operator or ">",
        "threshold": _number(threshold),
        "window": window or "1d",
        "entity_type": entity or "org",
        **extra,
    }
    if _number(recovery) is not None:
        condition["recovery_threshold"] = recovery
    return condition


def notification_from_form(
    channels: list[str] | None,
    recipients: str | None,
    slack: str | None,
    webhook: str | None,
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "channels": list(channels or []),
        "recipients": [r for r in RECIPIENT_SEPARATORS.split(recipients or "") if r],
    }
    if slack:
        config["slack_webhook"] = slack.strip()
    if webhook:
        config["webhook_url"] = webhook.strip()
    return config


UTC_ZONE = ZoneInfo("UTC")


def _value(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}" if abs(value) >= 100 else f"{value:,.4g}"


def _when(value: str | None, zone: ZoneInfo) -> str:
    """An instant of the API's documents (UTC) as the org's wall-clock time."""
    if not value:
        return "never"
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def _org_zone(caller) -> ZoneInfo:
    """The caller's org's time zone: the page says every time in it."""
    return ZoneInfo(runtime().data.org_context(caller.org_id).timezone)


def _action(label: str, action: str, alert_id: int, colour="secondary"):
    return dbc.Button(
        label,
        id={"type": "alert-action", "action": action, "index": alert_id},
        size="sm",
        color=colour,
        outline=True,
        className="me-1 mb-1",
    )


def alerts_table(documents: list[dict], role: str, zone: ZoneInfo = UTC_ZONE):
    """The alerts, one row each: state, name, what fires, last evaluated, buttons."""
    if not documents:
        return html.P("No alerts yet.", className="text-muted")
    header = ["State", "Name", "Type", "Firing / pending", "Last evaluated", ""]
    rows = []
    for item in documents:
        entities = [
            f"{e['label']}: {_value(e['value'])} ({e['state']})"
            for e in item["entities"]
            if e["state"] in ("firing", "pending")
        ]
        notes = []
        if item["broken_reason"]:
            notes.append(html.Div(item["broken_reason"], className="text-danger"))
        if item["muted_until"]:
            notes.append(html.Div(f"muted until {_when(item['muted_until'], zone)}"))
        if item["acknowledged_at"]:
            notes.append(
                html.Div(f"acknowledged {_when(item['acknowledged_at'], zone)}")
            )
        buttons = [
            dbc.Button(
                "History",
                id={"type": "alert-history-button", "index": item["id"]},
                size="sm",
                color="primary",
                outline=True,
                className="me-1 mb-1",
            )
        ]
        if allowed(role, Permission.DECIDE) and item["state"] == "firing":
            buttons.append(_action("Acknowledge", "acknowledge", item["id"]))
        if can_edit(role):
            muted = bool(item["muted_until"])
            buttons += [
                _action("Unmute" if muted else "Mute 1 h", "mute", item["id"]),
                _action("Test", "test", item["id"]),
                _action("Edit", "edit", item["id"]),
                _action("Delete", "delete", item["id"], "danger"),
            ]
        rows.append(
            html.Tr(
                [
                    html.Td(
                        dbc.Badge(
                            item["state"],
                            color=STATE_COLOURS.get(item["state"], "light"),
                        )
                    ),
                    html.Td([html.Div(item["name"]), *notes]),
                    html.Td(item["alert_type"]),
                    html.Td(
                        html.Ul([html.Li(t) for t in entities], className="mb-0 ps-3")
                        if entities
                        else "—"
                    ),
                    html.Td(
                        _when(item["last_evaluated_at"], zone), className="text-nowrap"
                    ),
                    html.Td(buttons),
                ],
                className=f"alert-row alert-state-{item['state']}",
            )
        )
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(rows)],
        size="sm",
        hover=True,
        responsive=True,
        className="bg-white small alerts-table",
    )


def history_table(entries: list[dict], zone: ZoneInfo = UTC_ZONE):
    if not entries:
        return html.P("No state changes yet.", className="text-muted")
    header = ["When", "Entity", "Change", "Value", "Reason", "Notification"]
    body = []
    for entry in entries:
        attempts = "; ".join(
            f"{d['channel']} #{d['attempt']}: "
            + (str(d["status_code"]) if d["status_code"] else ("ok" if d["ok"] else ""))
            + (f" {d['error']}" if d["error"] else "")
            for d in entry["deliveries"]
        )
        status = entry["notify_status"]
        body.append(
            html.Tr(
                [
                    html.Td(_when(entry["created_at"], zone), className="text-nowrap"),
                    html.Td(entry["entity_label"]),
                    html.Td(f"{entry['from_state']} → {entry['to_state']}"),
                    html.Td(_value(entry["value"])),
                    html.Td(entry["reason"]),
                    html.Td(
                        [
                            dbc.Badge(status, color=NOTIFY_COLOURS.get(status, "light"))
                            if status != "none"
                            else "",
                            html.Div(attempts, className="text-muted"),
                        ]
                    ),
                ],
                className="alert-history-row",
            )
        )
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(body)],
        size="sm",
        striped=True,
        responsive=True,
        className="bg-white small alert-history",
    )


def show_table(_version, _tick):
    """Callback: the alerts table."""
    caller = current_user.caller
    views = alert_commands.list_alerts(runtime(), caller)
    return alerts_table([v.document() for v in views], caller.role, _org_zone(caller))


def choose_history(_clicks):
    """Callback: a row's History button (viewers have it too, so it is not part of
    :func:`act`, whose inputs exist only for editors)."""
    if not ctx.triggered or not ctx.triggered[0]["value"]:
        raise PreventUpdate
    return ctx.triggered_id["index"]


def show_history(alert_id, _version):
    """Callback: the selected alert's history."""
    if not alert_id:
        return "History", html.P(
            "Choose History on an alert to see its state changes.",
            className="text-muted small",
        )
    caller = current_user.caller
    try:
        view = alert_commands.get_alert(runtime(), caller, alert_id)
        entries = alert_commands.alert_history(runtime(), caller, alert_id, limit=100)
    except NotFound:
        return "History", html.P("That alert is gone.", className="text-muted")
    return (
        f"History of “{view.alert.name}”",
        history_table([e.document() for e in entries], _org_zone(caller)),
    )


def preview(
    alert_type,
    metric,
    operator,
    threshold,
    window,
    entity,
    platforms,
    pending,
    recovery,
):
    """Callback: what the alert would see now (the live preview under the form)."""
    condition = condition_from_form(
        alert_type,
        metric,
        operator,
        threshold,
        window,
        entity,
        platforms,
        pending,
        recovery,
    )
    try:
        result = alert_commands.preview_alert(
            runtime(), current_user.caller, alert_type, condition
        )
    except Invalid as exc:
        return html.Span("; ".join(exc.details), className="text-danger")
    entities = result["entities"]
    if not entities:
        return html.Span("Now: no data for this condition.", className="text-muted")
    firing = [e for e in entities if e["met"]]
    shown = sorted(entities, key=lambda e: (not e["met"], e["label"]))[:PREVIEW_SHOWN]
    return html.Div(
        [
            html.Span(
                f"Now: {len(firing)} of {len(entities)} would fire. ",
                className="fw-semibold",
            ),
            html.Span(
                " · ".join(
                    f"{e['label']} {_value(e['value'])}{' ⚠' if e['met'] else ''}"
                    for e in shown
                ),
                className="text-muted",
            ),
        ],
        id="alert-preview-values",
    )


FORM_FIELDS = (
    "alert-name",
    "alert-type",
    "alert-metric",
    "alert-operator",
    "alert-threshold",
    "alert-window",
    "alert-entity",
    "alert-platforms",
    "alert-pending",
    "alert-recovery",
    "alert-cooldown",
    "alert-channels",
    "alert-recipients",
    "alert-slack",
    "alert-webhook",
)
EMPTY_FORM = (
    "",
    "threshold",
    "cpa",
    ">",
    50,
    "1d",
    "org",
    [],
    2,
    None,
    60,
    ["email"],
    "",
    "",
    "",
)


def _form_values(document: dict) -> tuple:
    condition = document["condition"]
    config = document["notification_config"]
    kind = document["alert_type"]
    threshold = condition.get("threshold", condition.get("change_percent"))
    window = condition.get("window", condition.get("period", "1d"))
    if kind == "forecast":
        window = f"{condition.get('forecast_days', 7)}d"
    recovery = condition.get(
        "recovery_threshold", condition.get("recovery_change_percent")
    )
    entity = condition.get("entity_type", "org")
    return (
        document["name"],
        kind,
        condition.get("metric", "cpa") if kind != "forecast" else "spend",
        {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "=="}.get(
            condition.get("operator", "gt"), ">"
        ),
        threshold,
        window,
        "org" if entity in ("any",) else entity,
        condition.get("platforms", []),
        condition.get("pending_evaluations", 1),
        recovery,
        document["cooldown_minutes"],
        config.get("channels", []),
        "\n".join(config.get("recipients", [])),
        config.get("slack_webhook", ""),
        config.get("webhook_url", ""),
    )


def act(_clicks, _save, _cancel, version, editing, *fields):
    """Callback: a row's button or the form's Save and Cancel. Returns the new
    version (the table reloads), a message, the alert being edited, the form's
    title and the form's fields."""
    trigger = ctx.triggered_id
    if not ctx.triggered or not ctx.triggered[0]["value"]:
        raise PreventUpdate  # a button just drawn, not clicked
    svc, caller = runtime(), current_user.caller
    keep_form = (no_update,) * len(FORM_FIELDS)
    values = dict(zip(FORM_FIELDS, fields, strict=True))
    try:
        if trigger == "alert-cancel":
            return version, None, None, "New alert", *EMPTY_FORM
        if trigger == "alert-save":
            body = {
                "name": values["alert-name"] or "",
                "alert_type": values["alert-type"],
                "condition": condition_from_form(
                    values["alert-type"],
                    values["alert-metric"],
                    values["alert-operator"],
                    values["alert-threshold"],
                    values["alert-window"],
                    values["alert-entity"],
                    values["alert-platforms"],
                    values["alert-pending"],
                    values["alert-recovery"],
                ),
                "notification_config": notification_from_form(
                    values["alert-channels"],
                    values["alert-recipients"],
                    values["alert-slack"],
                    values["alert-webhook"],
                ),
                "cooldown_minutes": values["alert-cooldown"]
                if values["alert-cooldown"] is not None
                else 60,
            }
            if editing:
                view = alert_commands.update_alert(
                    svc, svc.settings, caller, editing, body
                )
                message = _note(f"Saved “{view.alert.name}”.", "success")
            else:
                view = alert_commands.create_alert(svc, svc.settings, caller, body)
                text = f"Created “{view.alert.name}”."
                if "webhook" in body["notification_config"]["channels"]:
                    text += (
                        f" Its webhook secret (shown once): {view.alert.webhook_secret}"
                    )
                message = _note(text, "success")
            return version + 1, message, None, "New alert", *EMPTY_FORM
        action, alert_id = trigger["action"], trigger["index"]
        if action == "edit":
            document = alert_commands.get_alert(svc, caller, alert_id).document()
            return (
                no_update,
                None,
                alert_id,
                f"Edit “{document['name']}”",
                *_form_values(document),
            )
        if action == "acknowledge":
            view = alert_commands.acknowledge_alert(svc, caller, alert_id)
            message = _note(f"“{view.alert.name}” acknowledged.", "info")
        elif action == "mute":
            current = alert_commands.get_alert(svc, caller, alert_id).alert
            minutes = 0 if current.muted_until else MUTE_MINUTES
            view = alert_commands.mute_alert(svc, caller, alert_id, minutes)
            message = _note(
                f"“{view.alert.name}” {'muted for an hour' if minutes else 'unmuted'}.",
                "info",
            )
        elif action == "test":
            attempts = alert_commands.send_test_notification(
                svc, svc.settings, caller, alert_id
            )
            ok = bool(attempts) and all(a["ok"] for a in attempts)
            detail = "; ".join(
                f"{a['channel']}: {'ok' if a['ok'] else a['error']}" for a in attempts
            )
            message = _note(
                f"Test {'sent' if ok else 'not delivered'} ({detail}).",
                "success" if ok else "warning",
            )
        elif action == "delete":
            alert_commands.delete_alert(svc, caller, alert_id)
            message = _note("Alert deleted with its history.", "info")
        else:
            raise PreventUpdate
        return version + 1, message, no_update, no_update, *keep_form
    except Invalid as exc:
        return (
            no_update,
            _note("; ".join(exc.details), "danger"),
            no_update,
            no_update,
            *keep_form,
        )
    except (PermissionDenied, NotFound, DashboardNotFound) as exc:
        text = exc.message if isinstance(exc, PermissionDenied) else str(exc)
        return version + 1, _note(text, "warning"), None, no_update, *keep_form


def _note(text: str, colour: str) -> dbc.Alert:
    return dbc.Alert(text, color=colour, dismissable=True, className="py-2 small")


def register(app: Dash) -> None:
    app.callback(
        Output("alert-table", "children"),
        Input("alert-version", "data"),
        Input("alert-refresh", "n_intervals"),
    )(show_table)
    app.callback(
        Output("alert-history-of", "data"),
        Input({"type": "alert-history-button", "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )(choose_history)
    app.callback(
        Output("alert-history-title", "children"),
        Output("alert-history", "children"),
        Input("alert-history-of", "data"),
        Input("alert-version", "data"),
    )(show_history)
    app.callback(
        Output("alert-preview", "children"),
        Input("alert-type", "value"),
        Input("alert-metric", "value"),
        Input("alert-operator", "value"),
        Input("alert-threshold", "value"),
        Input("alert-window", "value"),
        Input("alert-entity", "value"),
        Input("alert-platforms", "value"),
        Input("alert-pending", "value"),
        Input("alert-recovery", "value"),
    )(preview)
    app.callback(
        Output("alert-version", "data"),
        Output("alert-message", "children"),
        Output("alert-editing", "data"),
        Output("alert-form-title", "children"),
        *[Output(field, "value") for field in FORM_FIELDS],
        Input({"type": "alert-action", "action": ALL, "index": ALL}, "n_clicks"),
        Input("alert-save", "n_clicks"),
        Input("alert-cancel", "n_clicks"),
        State("alert-version", "data"),
        State("alert-editing", "data"),
        *[State(field, "value") for field in FORM_FIELDS],
        prevent_initial_call=True,
    )(act)
