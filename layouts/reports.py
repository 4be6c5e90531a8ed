"""The scheduled reports page (``/reports``): the org's report schedules with their
next five runs in each schedule's time zone, a form to create or edit one (editors
and admins), Preview, Send now, Pause/Resume, Delete, and the delivery log.

The page holds no rule: the tables and every button are filled and handled by
:mod:`callbacks.reports`, which calls :mod:`commands.report_schedules`, like the API.
"""

from __future__ import annotations

import calendar

import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from accounts.permissions import can_edit
from commands.dashboards import list_dashboards
from reports.schedules import FREQUENCIES, zone_names
from server.runtime import runtime

# How often the delivery log reloads while the page is open (a send in progress
# shows its outcome without a reload).
LOG_REFRESH_MS = 15_000


def _field(label: str, control, width: int = 3, field_id: str | None = None):
    return dbc.Col(
        [dbc.Label(label, className="small mb-1"), control],
        xs=12,
        md=6,
        xl=width,
        className="mb-2",
        id=field_id or "",
    )


def schedule_form(org_timezone: str) -> dbc.Card:
    dashboards = list_dashboards(runtime(), current_user.caller)
    weekdays = [
        {"label": calendar.day_name[number - 1], "value": number}
        for number in range(1, 8)
    ]
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("New schedule", className="h6", id="report-form-title"),
                dbc.Row(
                    [
                        _field(
                            "Name",
                            dbc.Input(id="report-name", maxLength=200, size="sm"),
                        ),
                        _field(
                            "Dashboard",
                            dcc.Dropdown(
                                id="report-dashboard",
                                options=[
                                    {"label": d.name, "value": d.id}
                                    for d, _ in dashboards
                                ],
                                clearable=False,
                            ),
                        ),
                        _field(
                            "Format",
                            dbc.RadioItems(
                                id="report-format",
                                options=[
                                    {"label": "PDF", "value": "pdf"},
                                    {"label": "Excel", "value": "xlsx"},
                                    {"label": "CSV", "value": "csv"},
                                    {"label": "Snapshot", "value": "snapshot"},
                                ],
                                value="pdf",
                                inline=True,
                            ),
                            width=2,
                        ),
                        _field(
                            "Frequency",
                            dcc.Dropdown(
                                id="report-frequency",
                                options=[
                                    {"label": f.title(), "value": f}
                                    for f in FREQUENCIES
                                ],
                                value="weekly",
                                clearable=False,
                            ),
                            width=2,
                        ),
                        _field(
                            "Day of the week",
                            dcc.Dropdown(
                                id="report-day-of-week",
                                options=weekdays,
                                value=1,
                                clearable=False,
                            ),
                            width=2,
                            field_id="report-day-of-week-field",
                        ),
                        _field(
                            "Day of the month (31: the last day)",
                            dbc.Input(
                                id="report-day-of-month",
                                type="number",
                                min=1,
                                max=31,
                                step=1,
                                value=1,
                                size="sm",
                            ),
                            width=2,
                            field_id="report-day-of-month-field",
                        ),
                        _field(
                            "Time",
                            dbc.Input(
                                id="report-time", type="time", value="09:00", size="sm"
                            ),
                            width=2,
                        ),
                        _field(
                            "Time zone",
                            dcc.Dropdown(
                                id="report-timezone",
                                options=sorted(zone_names()),
                                value=org_timezone,
                                clearable=False,
                            ),
                        ),
                        _field(
                            "Recipients (one per line or comma-separated)",
                            dbc.Textarea(
                                id="report-recipients", rows=2, className="small"
                            ),
                            width=5,
                        ),
                    ],
                    className="g-2",
                ),
                html.Div(id="report-next-runs", className="small text-muted mb-2 mt-1"),
                html.Div(
                    [
                        dbc.Button(
                            "Save schedule",
                            id="report-save",
                            size="sm",
                            color="primary",
                        ),
                        dbc.Button(
                            "Cancel edit",
                            id="report-cancel",
                            size="sm",
                            color="secondary",
                            outline=True,
                            className="ms-2",
                        ),
                    ]
                ),
            ]
        ),
        className="shadow-sm mb-3",
        id="report-form",
    )


def layout(**_) -> html.Div:
    caller = current_user.caller
    editor = can_edit(caller.role)
    org_timezone = runtime().data.org_context(caller.org_id).timezone
    return html.Div(
        [
            html.H1("Scheduled reports", className="h3 mb-1"),
            html.P(
                "Dashboards mailed as PDF, Excel or CSV at a local time in a time "
                "zone you choose; each run once, logged below.",
                className="text-muted small mb-3",
            ),
            schedule_form(org_timezone) if editor else html.Div(),
            dcc.Store(id="report-editing"),
            dcc.Store(id="report-version", data=0),
            dcc.Interval(id="report-log-refresh", interval=LOG_REFRESH_MS),
            html.Div(id="report-message"),
            html.H2("Schedules", className="h5 mt-2"),
            html.Div(id="report-schedules"),
            html.H2("Delivery log", className="h5 mt-4"),
            html.Div(id="report-deliveries"),
        ],
        id="reports-page",
    )
