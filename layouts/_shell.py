"""The frame around every page: the navigation bar and the page container."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html
from flask_login import current_user

from accounts.permissions import is_admin
from commands.alerts import firing_count
from server.csrf import csrf_token
from server.runtime import runtime


def alerts_link() -> dbc.NavLink:
    """ "Alerts", with a red badge counting the org's firing alerts."""
    try:
        firing = firing_count(runtime(), current_user.caller)
    except Exception:  # noqa: BLE001 - the bar must draw even if the count cannot
        firing = 0
    badge = (
        dbc.Badge(
            str(firing),
            color="danger",
            pill=True,
            className="ms-1",
            id="nav-alerts-firing",
        )
        if firing
        else None
    )
    return dbc.NavLink(
        ["Alerts", badge], href="/alerts", active="exact", id="nav-alerts"
    )


def navbar() -> dbc.Navbar:
    user_items = []
    links = [dbc.NavLink("Dashboards", href="/dashboards", active="partial")]
    if current_user and current_user.is_authenticated:
        links.append(
            dbc.NavLink("Reports", href="/reports", active="exact", id="nav-reports")
        )
        links.append(alerts_link())
        links.append(
            dbc.NavLink(
                "Snapshots", href="/snapshots", active="partial", id="nav-snapshots"
            )
        )
        if is_admin(current_user.role):
            links.append(
                dbc.NavLink("Audit log", href="/audit", active="exact", id="nav-audit")
            )
            links.append(
                dbc.NavLink(
                    "Kiosk displays", href="/kiosks", active="exact", id="nav-kiosks"
                )
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
            # A form, not a link: signing out is a POST with the session's CSRF
            # token (the submit button carries it), so no other site can sign
            # anyone out, and the server ends the session for every copy of the
            # cookie.
            html.Form(
                html.Button(
                    "Sign out",
                    type="submit",
                    name="csrf_token",
                    value=csrf_token(),
                    className="btn btn-sm btn-outline-light",
                    id="nav-logout",
                ),
                action="/logout",
                method="post",
                className="m-0",
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
