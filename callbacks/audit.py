"""The audit log page's table: filters and the page number in, one page of entries out.

A thin adapter over :func:`commands.audit_log.list_audit_entries`, which checks the
caller is an admin and reads only their org: ids in the page's menus are hints, never
trusted.
"""

from __future__ import annotations

import json

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, ctx, html
from flask_login import current_user

from accounts.permissions import PermissionDenied
from commands.audit_log import list_audit_entries
from commands.errors import Invalid
from server.runtime import runtime

DETAILS_SHOWN = 160
PER_PAGE = 25
FILTER_INPUTS = (
    ("audit-action", "value"),
    ("audit-entity-type", "value"),
    ("audit-user", "value"),
    ("audit-api-key", "value"),
    ("audit-dates", "start_date"),
    ("audit-dates", "end_date"),
    ("audit-entity-id", "value"),
)


def _details(details: dict) -> html.Span | str:
    if not details:
        return ""
    text = json.dumps(details, ensure_ascii=False, sort_keys=True)
    shown = text if len(text) <= DETAILS_SHOWN else text[: DETAILS_SHOWN - 1] + "…"
    return html.Span(shown, title=text, className="audit-details")


def _entity(item: dict) -> str:
    entity = item["entity_type"].replace("_", " ")
    return f"{entity} {item['entity_id']}" if item["entity_id"] else entity


def audit_table(items: list[dict]) -> dbc.Table | html.P:
    if not items:
        return html.P(
            "No audit entries match these filters.",
            className="text-muted",
            id="audit-empty",
        )
    header = html.Thead(
        html.Tr(
            [html.Th(h) for h in ("When", "Who", "Action", "Entity", "Details", "From")]
        )
    )
    rows = [
        html.Tr(
            [
                html.Td(item["when"].replace("T", " "), className="text-nowrap"),
                html.Td(item["who"]["label"]),
                html.Td(html.Span(item["action"], className="badge text-bg-light")),
                html.Td(_entity(item), className="text-nowrap"),
                html.Td(_details(item["details"])),
                html.Td(
                    item["address"] or "—",
                    title=item["user_agent"] or "",
                    className="text-nowrap",
                ),
            ],
            className="audit-row",
        )
        for item in items
    ]
    return dbc.Table(
        [header, html.Tbody(rows)],
        striped=True,
        hover=True,
        size="sm",
        responsive=True,
        className="audit-table bg-white small",
    )


def show_page(
    action, entity_type, user_id, api_key_id, date_from, date_to, entity_id, page
):
    """Callback: the entries for the filters; a changed filter goes back to page 1."""
    if ctx.triggered_id != "audit-pagination":
        page = 1
    filters = {
        "action": action,
        "entity_type": entity_type,
        "user_id": user_id,
        "api_key_id": api_key_id,
        "date_from": date_from,
        "date_to": date_to,
        "entity_id": entity_id,
    }
    try:
        result = list_audit_entries(
            runtime(), current_user.caller, filters, page or 1, PER_PAGE
        )
    except PermissionDenied as exc:
        return dbc.Alert(exc.message, color="info"), "", 1, 1
    except Invalid as exc:
        return dbc.Alert("; ".join(exc.details), color="warning"), "", 1, 1
    summary = (
        f"{result.total:,} entr{'y' if result.total == 1 else 'ies'} · "
        f"page {result.page} of {result.pages}"
    )
    return audit_table(result.items), summary, result.pages, result.page


def register(app: Dash) -> None:
    app.callback(
        Output("audit-table", "children"),
        Output("audit-summary", "children"),
        Output("audit-pagination", "max_value"),
        Output("audit-pagination", "active_page"),
        *[Input(component, prop) for component, prop in FILTER_INPUTS],
        Input("audit-pagination", "active_page"),
    )(show_page)
