"""The alerts page (``/alerts``): the org's alerts with their state (firing first),
what fires and since when, when each was last evaluated; a form to create or edit one
(editors and admins) with a live preview of the current value; Acknowledge, Mute,
Test, History and Delete; and the selected alert's history with its delivery
attempts.

The page holds no rule: :mod:`callbacks.alerts` fills and handles it through
:mod:`commands.alerts`, like the API.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from accounts.permissions import can_edit
from core.metrics import METRICS
from core.reference import PLATFORMS

# How often the table reloads while the page is open (states change every minute).
REFRESH_MS = 30_000
ALERT_TYPES = [
    {"label": "Threshold: a metric compared with a value", "value": "threshold"},
    {"label": "Change: % change vs the previous window", "value": "change"},
    {"label": "Anomaly: new anomalies of some severities", "value": "anomaly"},
    {"label": "Forecast: budget depletion", "value": "forecast"},
]
OPERATORS = [">", ">=", "<", "<=", "=="]
ENTITIES = [
    {"label": "Org total", "value": "org"},
    {"label": "Each platform", "value": "platform"},
    {"label": "Each campaign", "value": "campaign"},
]


def _field(label: str, control, width: int = 3, field_id: str | None = None):
    return dbc.Col(
        [dbc.Label(label, className="small mb-1"), control],
        xs=12,
        md=6,
        xl=width,
        className="mb-2",
        id=field_id or "",
    )


def alert_form() -> dbc.Card:
    metrics = [
        {"label": m.label, "value": name}
        for name, m in METRICS.items()
        if name != "budget_utilization"
    ]
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("New alert", className="h6", id="alert-form-title"),
                dbc.Row(
                    [
                        _field(
                            "Name", dbc.Input(id="alert-name", maxLength=200, size="sm")
                        ),
                        _field(
                            "Type",
                            dcc.Dropdown(
                                id="alert-type",
                                options=ALERT_TYPES,
                                value="threshold",
                                clearable=False,
                            ),
                            width=4,
                        ),
                        _field(
                            "Metric",
                            dcc.Dropdown(
                                id="alert-metric",
                                options=metrics,
                                value="cpa",
                                clearable=False,
                            ),
                            width=2,
                        ),
                        _field(
                            "Operator",
                            dcc.Dropdown(
                                id="alert-operator",
                                options=OPERATORS,
                                value=">",
                                clearable=False,
                            ),
                            width=1,
                            field_id="alert-operator-field",
                        ),
                        _field(
                            "Threshold (change: %, forecast: % of budget)",
                            dbc.Input(
                                id="alert-threshold", type="number", value=50, size="sm"
                            ),
                            width=2,
                        ),
                        _field(
                            "Window (7d, 24h; forecast: days ahead)",
                            dbc.Input(id="alert-window", value="1d", size="sm"),
                            width=2,
                        ),
                        _field(
                            "Entity",
                            dcc.Dropdown(
                                id="alert-entity",
                                options=ENTITIES,
                                value="org",
                                clearable=False,
                            ),
                            width=2,
                        ),
                        _field(
                            "Platforms (none: all)",
                            dcc.Dropdown(
                                id="alert-platforms",
                                options=[
                                    {"label": name, "value": code}
                                    for code, name in PLATFORMS.items()
                                ],
                                multi=True,
                            ),
                            width=3,
                        ),
                        _field(
                            "Hold for (evaluations)",
                            dbc.Input(
                                id="alert-pending",
                                type="number",
                                min=1,
                                max=60,
                                step=1,
                                value=2,
                                size="sm",
                            ),
                            width=1,
                        ),
                        _field(
                            "Recovery threshold (blank: the threshold)",
                            dbc.Input(id="alert-recovery", type="number", size="sm"),
                            width=2,
                        ),
                        _field(
                            "Cooldown (minutes)",
                            dbc.Input(
                                id="alert-cooldown",
                                type="number",
                                min=0,
                                step=1,
                                value=60,
                                size="sm",
                            ),
                            width=1,
                        ),
                        _field(
                            "Channels",
                            dbc.Checklist(
                                id="alert-channels",
                                options=[
                                    {"label": "Email", "value": "email"},
                                    {"label": "Slack", "value": "slack"},
                                    {"label": "Webhook", "value": "webhook"},
                                ],
                                value=["email"],
                                inline=True,
                            ),
                            width=3,
                        ),
                        _field(
                            "Recipients (one per line or comma-separated)",
                            dbc.Textarea(
                                id="alert-recipients", rows=2, className="small"
                            ),
                            width=3,
                        ),
                        _field(
                            "Slack incoming webhook URL",
                            dbc.Input(id="alert-slack", size="sm"),
                            width=3,
                        ),
                        _field(
                            "Webhook URL (signed with the alert's secret)",
                            dbc.Input(id="alert-webhook", size="sm"),
                            width=3,
                        ),
                    ],
                    className="g-2",
                ),
                html.Div(id="alert-preview", className="small mb-2 mt-1"),
                html.Div(
                    [
                        dbc.Button(
                            "Save alert", id="alert-save", size="sm", color="primary"
                        ),
                        dbc.Button(
                            "Cancel edit",
                            id="alert-cancel",
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
        id="alert-form",
    )


def layout(**_) -> html.Div:
    editor = can_edit(current_user.caller.role)
    return html.Div(
        [
            html.H1("Alerts", className="h3 mb-1"),
            html.P(
                "Threshold, change, anomaly and forecast alerts, evaluated every "
                "minute and after each ingest; an entity fires after its condition "
                "held for the set number of evaluations and resolves past the "
                "recovery threshold. Firing and resolution are notified.",
                className="text-muted small mb-3",
            ),
            alert_form() if editor else html.Div(),
            dcc.Store(id="alert-editing"),
            dcc.Store(id="alert-version", data=0),
            dcc.Store(id="alert-history-of"),
            dcc.Interval(id="alert-refresh", interval=REFRESH_MS),
            html.Div(id="alert-message"),
            html.H2("Alerts", className="h5 mt-2"),
            html.Div(id="alert-table"),
            html.H2("History", className="h5 mt-4", id="alert-history-title"),
            html.Div(id="alert-history"),
        ],
        id="alerts-page",
    )
