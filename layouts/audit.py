"""The audit log page (``/audit``): admins filter and page through who did or read
what, when and from where. Others see why they cannot.

The page holds no rule: :func:`commands.audit_log.audit_filter_choices` refuses
non-admins (the refusal is shown instead of the filters), and the table is filled by
the callback in :mod:`callbacks.audit`, which calls the same command as the API.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from accounts.permissions import PermissionDenied
from commands.audit_log import audit_filter_choices
from server.runtime import runtime


def refusal(message: str) -> html.Div:
    return html.Div(
        [html.H1("Audit log", className="h3 mb-3"), dbc.Alert(message, color="info")],
        id="audit-refused",
    )


def _menu(component_id: str, placeholder: str, options: list) -> dbc.Col:
    return dbc.Col(
        dcc.Dropdown(
            id=component_id,
            options=options,
            placeholder=placeholder,
            clearable=True,
        ),
        xs=12,
        md=6,
        xl=2,
        className="mb-2",
    )


def filters_bar(choices: dict) -> dbc.Row:
    return dbc.Row(
        [
            _menu("audit-action", "Any action", choices["actions"]),
            _menu("audit-entity-type", "Any entity", choices["entity_types"]),
            _menu(
                "audit-user",
                "Any user",
                [{"label": u["label"], "value": u["id"]} for u in choices["users"]],
            ),
            _menu(
                "audit-api-key",
                "Any API key",
                [{"label": k["label"], "value": k["id"]} for k in choices["api_keys"]],
            ),
            dbc.Col(
                dcc.DatePickerRange(
                    id="audit-dates",
                    display_format="YYYY-MM-DD",
                    start_date_placeholder_text="From",
                    end_date_placeholder_text="To",
                    clearable=True,
                    className="audit-dates",
                ),
                xs=12,
                md=6,
                xl=2,
                className="mb-2",
            ),
            dbc.Col(
                dbc.Input(
                    id="audit-entity-id",
                    placeholder="Entity id contains…",
                    size="sm",
                    debounce=True,
                    maxLength=64,
                ),
                xs=12,
                md=6,
                xl=2,
                className="mb-2",
            ),
        ],
        className="g-2 audit-filters",
    )


def layout(**_) -> html.Div:
    try:
        choices = audit_filter_choices(runtime(), current_user.caller)
    except PermissionDenied as exc:
        return refusal(exc.message)
    return html.Div(
        [
            html.H1("Audit log", className="h3 mb-1"),
            html.P(
                "Who viewed, exported, read or changed what, when (your org's time) "
                "and from which address. Newest first.",
                className="text-muted small mb-3",
            ),
            filters_bar(choices),
            html.Div(id="audit-summary", className="small text-muted my-2"),
            html.Div(id="audit-table"),
            dbc.Pagination(
                id="audit-pagination",
                max_value=1,
                active_page=1,
                fully_expanded=False,
                first_last=True,
                previous_next=True,
                size="sm",
                className="mt-2",
            ),
        ],
        id="audit-page",
    )
