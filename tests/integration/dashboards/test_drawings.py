"""A widget drawn from a cached answer is built once and reused while nothing it
depends on changes: not another org's, not after new data, not after an edit."""

from __future__ import annotations

from core.cache import make_cache
from core.db import Database
from core.filters import Filters
from dashboards.render import draw_widget
from datasources.cache import QueryCache
from tests.conftest import make_settings, org_id
from tests.integration.dashboards.test_widget_data_key import _widget


def test_a_drawing_is_reused_until_its_answer_or_widget_changes(demo_sqlite):
    admin = Database(demo_sqlite["admin"])
    acme, globex = org_id(admin, "acme"), org_id(admin, "globex")
    admin.dispose()
    db = Database(demo_sqlite["app"])
    data = QueryCache(
        db, make_cache(make_settings(demo_sqlite["app"], cache_type="simple"))
    )
    widget = _widget()

    def draw(row=widget, org=acme, **options):
        return draw_widget(row, data=data, org_id=org, filters=Filters(), **options)

    first = draw()
    assert first.computed_at is not None and "Last 30 days" in str(first.component)
    assert draw() is first
    # Another org (same widget id), a viewer without edit rights, another theme, an
    # edited widget: each a drawing of its own.
    assert draw(org=globex) is not first
    assert draw(can_edit=True) is not first
    assert draw(theme="dark") is not first
    assert draw(row=_widget(title="Revenue (edited)")) is not first
    # New data for the org: a new answer, a new drawing.
    data.invalidate_org(acme)
    assert draw() is not first
    db.dispose()
