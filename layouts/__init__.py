"""Pages of the Dash app, registered explicitly with Dash's page registry.

Modules named ``_x.py`` hold shared pieces; every other module is one page exposing
``layout(**path_and_query_params)``.
"""

from __future__ import annotations

import dash
from dash import Dash

from layouts import (
    _shell,
    alerts,
    audit,
    dashboard,
    dashboard_edit,
    dashboards,
    kiosk,
    kiosks,
    not_found,
    reports,
    snapshots,
)


def register_pages(app: Dash) -> None:
    """Register every page and the shell around them (idempotent: Dash keys pages by
    module name)."""
    dash.register_page(
        "layouts.dashboards",
        path="/dashboards",
        name="Dashboards",
        title="Dashboards · Pulse",
        layout=dashboards.layout,
    )
    # The home page is the dashboard list too.
    dash.register_page(
        "layouts.home",
        path="/",
        name="Home",
        title="Dashboards · Pulse",
        layout=dashboards.layout,
    )
    # Dash matches path templates with a greedy wildcard, in page order (then module
    # name), so the longer /edit template is ordered before the dashboard view.
    dash.register_page(
        "layouts.dashboard_edit",
        path_template="/dashboards/<dashboard_id>/edit",
        name="Edit dashboard",
        title="Edit dashboard · Pulse",
        layout=dashboard_edit.layout,
        order=0,
    )
    dash.register_page(
        "layouts.dashboard",
        path_template="/dashboards/<dashboard_id>",
        name="Dashboard",
        title="Dashboard · Pulse",
        layout=dashboard.layout,
        order=1,
    )
    dash.register_page(
        "layouts.audit",
        path="/audit",
        name="Audit log",
        title="Audit log · Pulse",
        layout=audit.layout,
    )
    dash.register_page(
        "layouts.reports",
        path="/reports",
        name="Scheduled reports",
        title="Scheduled reports · Pulse",
        layout=reports.layout,
    )
    dash.register_page(
        "layouts.alerts",
        path="/alerts",
        name="Alerts",
        title="Alerts · Pulse",
        layout=alerts.layout,
    )
    dash.register_page(
        "layouts.snapshots",
        path="/snapshots",
        name="Snapshots",
        title="Snapshots · Pulse",
        layout=snapshots.layout,
    )
    # Ordered before the snapshot view's template, which would match "compare".
    dash.register_page(
        "layouts.snapshot_compare",
        path="/snapshots/compare",
        name="Compare snapshots",
        title="Compare snapshots · Pulse",
        layout=snapshots.compare_layout,
        order=0,
    )
    dash.register_page(
        "layouts.snapshot",
        path_template="/snapshots/<snapshot_id>",
        name="Snapshot",
        title="Snapshot · Pulse",
        layout=snapshots.snapshot_layout,
        order=2,
    )
    dash.register_page(
        "layouts.kiosks",
        path="/kiosks",
        name="Kiosk displays",
        title="Kiosk displays · Pulse",
        layout=kiosks.layout,
    )
    # Dash shows the page whose module name ends in "not_found_404" for any address
    # no page has: the product's own page, inside the shell.
    dash.register_page(
        "layouts.not_found_404",
        path="/404",
        name="Not found",
        title="Not found · Pulse",
        layout=not_found.layout,
    )
    app.layout = _shell.layout


# The kiosk app's layout (a second Dash app, see server.factory).
kiosk_page = kiosk.layout
