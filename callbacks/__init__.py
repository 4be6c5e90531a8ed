"""Dash callbacks: thin adapters from browser events to the data and widget layers."""

from __future__ import annotations

from dash import Dash


def register_callbacks(app: Dash) -> None:
    from callbacks import actions, dashboard, manage

    dashboard.register(app)
    manage.register(app)
    actions.register(app)
