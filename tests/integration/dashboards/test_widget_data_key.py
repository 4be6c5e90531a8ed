"""A widget's data key changes exactly when what it would show can change: new data
for its org (an ingest bumps the version), other filters, or an edit of the widget."""

from __future__ import annotations

import datetime as dt

from core.cache import make_cache
from core.db import Database
from core.filters import Filters
from core.models import DashboardWidget
from dashboards.render import widget_data_key
from datasources.cache import QueryCache
from tests.conftest import make_settings, org_id


def _widget(**overrides) -> DashboardWidget:
    fields = dict(
        id=7,
        widget_type="line_chart",
        title="Revenue",
        data_source="campaigns",
        query_params={"metric": "revenue", "period": "30d"},
        config={"format": "currency"},
        position_x=0,
        position_y=0,
        width=6,
        height=4,
        is_shared=True,
    )
    return DashboardWidget(**{**fields, **overrides})


def test_the_key_follows_data_filters_and_edits(demo_sqlite):
    admin = Database(demo_sqlite["admin"])
    acme, beta = org_id(admin, "acme"), org_id(admin, "globex")
    admin.dispose()
    db = Database(demo_sqlite["app"])
    data = QueryCache(
        db, make_cache(make_settings(demo_sqlite["app"], cache_type="simple"))
    )
    widget = _widget()
    key = widget_data_key(widget, data=data, org_id=acme, filters=Filters())
    assert key == widget_data_key(widget, data=data, org_id=acme, filters=Filters())
    # Another org, other filters, an edited widget: another key.
    assert key != widget_data_key(widget, data=data, org_id=beta, filters=Filters())
    narrowed = Filters(platforms=["meta"])
    assert key != widget_data_key(widget, data=data, org_id=acme, filters=narrowed)
    window = Filters(date_from=dt.date(2026, 11, 1), date_to=dt.date(2026, 11, 7))
    assert key != widget_data_key(widget, data=data, org_id=acme, filters=window)
    edited = _widget(title="Revenue (edited)")
    assert key != widget_data_key(edited, data=data, org_id=acme, filters=Filters())
    # New data for the org (what an ingest does) changes it; another org's does not.
    data.invalidate_org(beta)
    assert key == widget_data_key(widget, data=data, org_id=acme, filters=Filters())
    data.invalidate_org(acme)
    assert key != widget_data_key(widget, data=data, org_id=acme, filters=Filters())
    # A widget whose spec is invalid keeps one key (it shows one error card).
    broken = _widget(query_params={"metric": "nonsense"})
    assert widget_data_key(
        broken, data=data, org_id=acme, filters=Filters()
    ) == widget_data_key(broken, data=data, org_id=acme, filters=narrowed)
    db.dispose()
