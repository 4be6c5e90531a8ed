"""Cards every widget may show in place of its content."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


def error_card(reason: str) -> dbc.Alert:
    """The card a widget shows when it cannot be drawn, saying why."""
    return dbc.Alert(
        [html.Strong("This widget could not be shown. "), html.Span(reason)],
        color="danger",
        className="widget-error mb-0",
    )


def stale_badge(component: object, age_seconds: float) -> object:
    """``component`` with a badge saying how old the (stale) data it shows is."""
    minutes = int(age_seconds // 60)
    return html.Div(
        [
            component,
            html.Span(f"stale · {minutes} min old", className="widget-stale badge"),
        ],
        className="widget-content",
    )
