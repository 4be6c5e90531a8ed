"""The page for unknown addresses and for dashboards the user may not see."""

from __future__ import annotations

from dash import html


def layout(
    message: str = "This page does not exist or you do not have access to it.", **_
) -> html.Div:
    return html.Div(
        [
            html.H2("Not found", className="h4"),
            html.P(message, className="text-muted"),
            html.A(
                "Back to dashboards",
                href="/dashboards",
                className="btn btn-outline-primary btn-sm",
            ),
        ],
        className="not-found py-5 text-center",
        id="not-found",
    )
