"""The kiosk displays page (``/kiosks``, admins): create a display link for one
dashboard or playlist, list and revoke links, build playlists.

The page holds no rule: :func:`commands.kiosk.list_playlists` refuses non-admins (the
refusal is shown instead of the forms), and the tables are filled by
:mod:`callbacks.kiosks`, which calls the same commands as ``/api/v1/kiosk-tokens`` and
``/api/v1/playlists``.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from accounts.permissions import PermissionDenied
from commands.dashboards import list_dashboards
from commands.kiosk import list_playlists
from core.reference import DATE_RANGE_CHOICES, PLATFORMS
from server.runtime import runtime


def _label(text: str, control: object) -> html.Div:
    return html.Div(
        [dbc.Label(text, className="small mb-1"), control], className="mb-2"
    )


def token_form(targets: list[dict]) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("New display link", className="h5"),
                html.P(
                    "A link opens one dashboard or playlist full screen, read-only, "
                    "with no sign-in. It is shown once: copy it to the display.",
                    className="text-muted small",
                ),
                dbc.Row(
                    [
                        dbc.Col(
                            _label(
                                "Name",
                                dbc.Input(
                                    id="kiosks-token-name",
                                    placeholder="e.g. Lobby TV",
                                    maxLength=120,
                                ),
                            ),
                            md=3,
                        ),
                        dbc.Col(
                            _label(
                                "Shows",
                                dcc.Dropdown(
                                    id="kiosks-token-target",
                                    options=targets,
                                    placeholder="A dashboard or a playlist",
                                ),
                            ),
                            md=3,
                        ),
                        dbc.Col(
                            _label(
                                "Date range",
                                dcc.Dropdown(
                                    id="kiosks-token-date-range",
                                    options=[
                                        {"label": v, "value": k}
                                        for k, v in DATE_RANGE_CHOICES.items()
                                    ],
                                    placeholder="The dashboard's default",
                                ),
                            ),
                            md=2,
                        ),
                        dbc.Col(
                            _label(
                                "Platforms",
                                dcc.Dropdown(
                                    id="kiosks-token-platforms",
                                    multi=True,
                                    options=[
                                        {"label": v, "value": k}
                                        for k, v in PLATFORMS.items()
                                    ],
                                    placeholder="The dashboard's default",
                                ),
                            ),
                            md=2,
                        ),
                        dbc.Col(
                            dbc.Button(
                                "Create link",
                                id="kiosks-token-create",
                                color="primary",
                                className="mt-4 w-100",
                            ),
                            md=2,
                        ),
                    ],
                    className="g-2",
                ),
                html.Div(id="kiosks-token-created"),
            ]
        ),
        className="mb-3",
    )


def playlist_form(dashboards: list[dict]) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("New playlist", className="h5"),
                html.P(
                    "Dashboards shown in turn, in the order you pick them, each for "
                    "the same number of seconds (the API sets one per dashboard).",
                    className="text-muted small",
                ),
                dbc.Row(
                    [
                        dbc.Col(
                            _label(
                                "Name",
                                dbc.Input(
                                    id="kiosks-playlist-name",
                                    placeholder="e.g. Sales floor",
                                    maxLength=120,
                                ),
                            ),
                            md=3,
                        ),
                        dbc.Col(
                            _label(
                                "Dashboards, in order",
                                dcc.Dropdown(
                                    id="kiosks-playlist-dashboards",
                                    options=dashboards,
                                    multi=True,
                                ),
                            ),
                            md=5,
                        ),
                        dbc.Col(
                            _label(
                                "Seconds each",
                                dbc.Input(
                                    id="kiosks-playlist-seconds",
                                    type="number",
                                    min=5,
                                    value=60,
                                ),
                            ),
                            md=2,
                        ),
                        dbc.Col(
                            dbc.Button(
                                "Create playlist",
                                id="kiosks-playlist-create",
                                color="primary",
                                className="mt-4 w-100",
                            ),
                            md=2,
                        ),
                    ],
                    className="g-2",
                ),
                html.Div(id="kiosks-playlist-message"),
                html.Div(id="kiosks-playlists", className="mt-2"),
            ]
        ),
        className="mb-3",
    )


def layout(**_) -> html.Div:
    svc, caller = runtime(), current_user.caller
    try:
        playlists = list_playlists(svc, caller)
    except PermissionDenied as exc:
        return html.Div(
            [
                html.H1("Kiosk displays", className="h3 mb-3"),
                dbc.Alert(exc.message, color="info"),
            ],
            id="kiosks-refused",
        )
    dashboards = [
        {"label": dashboard.name, "value": dashboard.id}
        for dashboard, _ in list_dashboards(svc, caller)
    ]
    targets = [
        {"label": f"Dashboard: {d['label']}", "value": f"dashboard:{d['value']}"}
        for d in dashboards
    ] + [
        {"label": f"Playlist: {p.name}", "value": f"playlist:{p.id}"} for p in playlists
    ]
    return html.Div(
        [
            html.H1("Kiosk displays", className="h3 mb-1"),
            html.P(
                "Wall screens that show a dashboard or a playlist with no one signed "
                "in. Every view is in the audit log under the link's name.",
                className="text-muted small mb-3",
            ),
            token_form(targets),
            html.H2("Display links", className="h5"),
            html.Div(id="kiosks-tokens", className="mb-4"),
            playlist_form(dashboards),
        ],
        id="kiosks-page",
    )
