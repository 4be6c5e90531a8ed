"""A line chart with ``show_anomalies`` marks the days the anomaly detector flagged."""

from __future__ import annotations

from sqlalchemy import text

from core.cache import make_cache
from core.db import Database
from core.filters import Filters
from core.models import DashboardWidget
from datasources.cache import QueryCache
from tests.conftest import make_settings, org_id


def test_anomaly_days_are_marked_on_the_line(demo_db):
    admin = Database(demo_db["admin"])
    acme = org_id(admin, "acme")
    with admin.engine.connect() as connection:
        flagged = {
            str(row[0])[:10]
            for row in connection.execute(
                text(
                    "SELECT DISTINCT day FROM anomalies WHERE org_id = :o AND metric = "
                    "'revenue'"
                ),
                {"o": acme},
            )
        }
    admin.dispose()
    assert flagged, "the demo's analytics flag some revenue anomalies"
    db = Database(demo_db["app"])
    service = QueryCache(
        db, make_cache(make_settings(demo_db["app"], cache_type="simple"))
    )
    from dashboards.render import render_widget

    widget = DashboardWidget(
        id=7,
        widget_type="line_chart",
        title="Revenue",
        data_source="campaigns",
        query_params={"metric": "revenue", "period": "90d"},
        config={"format": "currency", "show_anomalies": True},
        position_x=0,
        position_y=0,
        width=6,
        height=4,
        is_shared=True,
    )
    shown = render_widget(widget, data=service, org_id=acme, filters=Filters())
    db.dispose()
    # Under its caption ("per day · Last 90 days"): the graph.
    caption, body = shown.children
    assert caption.children == "per day · Last 90 days"
    figure = body.children.figure
    markers = [t for t in figure.data if t.mode == "markers"]
    assert len(markers) == 1
    marked = {str(x)[:10] for x in markers[0].x}
    assert marked and marked <= flagged
