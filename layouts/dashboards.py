"""The list of the org's dashboards, and the templates to create one from."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from accounts.permissions import can_edit
from commands.dashboards import list_dashboards, list_templates
from dashboards.schema import REFRESH_SECONDS
from server.runtime import runtime


def _refresh_label(interval: str) -> str:
    return "real time" if interval == "realtime" else f"every {interval}"


def dashboard_card(dashboard, widget_count: int) -> dbc.Col:
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(
                        dashboard.category.replace("_", " ").title(),
                        className="text-uppercase small text-muted fw-semibold",
                    ),
                    html.H3(
                        html.A(
                            dashboard.name,
                            href=f"/dashboards/{dashboard.id}",
                            className="stretched-link text-decoration-none",
                        ),
                        className="h5 mt-1",
                    ),
                    html.P(dashboard.description, className="text-muted small mb-2"),
                    html.Div(
                        f"{widget_count} widgets · refreshes "
                        f"{_refresh_label(dashboard.refresh_interval)}",
                        className="small",
                    ),
                ]
            ),
            className="dashboard-card h-100 shadow-sm",
        ),
        xs=12,
        md=6,
        xl=4,
        className="mb-3",
    )


def template_card(template, used: int, can_edit: bool) -> dbc.Col:
    action = (
        dbc.Button(
            "Create dashboard",
            size="sm",
            color="primary",
            outline=True,
            id={"type": "create-from-template", "index": template.id},
        )
        if can_edit
        else None
    )
    scope = "Built-in" if template.org_id is None else "Your org"
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(
                        f"{scope} template · {template.category.replace('_', ' ')}",
                        className="text-uppercase small text-muted fw-semibold",
                    ),
                    html.H3(template.name, className="h6 mt-1"),
                    html.P(template.description, className="text-muted small mb-2"),
                    html.Div(
                        [
                            html.Span(
                                f"{len(template.widgets or [])} widgets · used by "
                                f"{used} dashboard{'s' if used != 1 else ''}",
                                className="small me-2",
                            ),
                            action,
                        ],
                        className="d-flex align-items-center justify-content-between",
                    ),
                ]
            ),
            className="template-card h-100",
        ),
        xs=12,
        md=6,
        xl=4,
        className="mb-3",
    )


def layout(**_) -> html.Div:
    svc, caller = runtime(), current_user.caller
    rows = list_dashboards(svc, caller)
    templates = list_templates(svc, caller)
    cards = [
        dashboard_card(d, n) for d, n in rows if d.refresh_interval in REFRESH_SECONDS
    ]
    body = (
        dbc.Row(cards)
        if cards
        else html.P(
            "Your org has no dashboards yet.",
            className="text-muted",
            id="no-dashboards",
        )
    )
    return html.Div(
        [
            html.H1("Dashboards", className="h3 mb-3"),
            body,
            html.H2("Templates", className="h5 mt-4 mb-3"),
            dbc.Row(
                [template_card(t, n, can_edit(caller.role)) for t, n in templates],
                id="template-list",
            ),
            html.Div(id="create-dashboard-error"),
            dcc.Location(id="create-dashboard-redirect", refresh=True),
        ],
        id="dashboard-list",
    )
