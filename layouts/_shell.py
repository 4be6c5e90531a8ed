"""The frame around every page: the navigation bar and the page container."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html
from flask_login import current_user

from accounts.permissions import is_admin


def navbar() -> dbc.Navbar:
    user_items = []
    links = [dbc.NavLink("Dashboards", href="/dashboards", active="partial")]
    if current_user and current_user.is_authenticated:
        if is_admin(current_user.role):
            links.append(
                dbc.NavLink("Audit log", href="/audit", active="exact", id="nav-audit")
            )
        user_items = [
            html.Span(
                [
                    html.Strong(current_user.org_name),
                    f" · {current_user.email} ({current_user.role})",
                ],
                className="navbar-text text-light small me-3",
                id="nav-user",
            ),
            html.A(
                "Sign out",
                href="/logout",
                className="btn btn-sm btn-outline-light",
                id="nav-logout",
            ),
        ]
    return dbc.Navbar(
        dbc.Container(
            [
                html.A(
                    "Pulse", href="/dashboards", className="navbar-brand brand fw-bold"
                ),
                dbc.Nav(
                    links,
                    navbar=True,
                    className="me-auto",
                ),
                html.Div(user_items, className="d-flex align-items-center"),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="mb-3",
    )


def layout() -> html.Div:
    """Called on every page load, so the bar shows the signed-in user."""
    return html.Div(
        [navbar(), dbc.Container(dash.page_container, fluid=True, className="pb-4")]
    )
