"""Dash callbacks: thin adapters from browser events to the commands and data layers."""

from __future__ import annotations

from dash import Dash

from callbacks import (
    actions,
    alerts,
    audit,
    crossfilter,
    dashboard,
    kiosk,
    kiosks,
    manage,
    reports,
    snapshots,
)


def register_callbacks(app: Dash) -> None:
    dashboard.register(app)
    crossfilter.register(app)
    manage.register(app)
    actions.register(app)
    audit.register(app)
    reports.register(app)
    alerts.register(app)
    snapshots.register(app)
    kiosks.register(app)


def register_kiosk_callbacks(app: Dash) -> None:
    """The kiosk app's callbacks: the tick, and nothing else."""
    kiosk.register(app)
