"""A widget query that runs too long is stopped; its widget says so, the others work."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from core.cache import make_cache
from core.db import Database, is_timeout
from core.filters import Filters
from core.models import DashboardWidget
from dashboards.render import render_widget
from datasources import registry
from datasources.cache import QueryCache
from datasources.registry import QueryParams
from tests.conftest import make_settings, org_id


class NoParams(QueryParams):
    pass


def slow_source(session, org, params, filters):
    """A query that would take far longer than the limit on either engine."""
    if session.bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_sleep(30)"))
    else:
        session.execute(
            text(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                "WHERE x < 2000000000) SELECT count(*) FROM c"
            )
        )
    return {"value": 1.0}


@pytest.fixture
def slow_service(demo_db):
    registry.load_builtin_sources()
    registry.register("slow_for_test", NoParams, period="realtime")(slow_source)
    db = Database(demo_db["app"])
    service = QueryCache(
        db,
        make_cache(make_settings(demo_db["app"], cache_type="simple")),
        query_timeout_seconds=0.5,
    )
    admin = Database(demo_db["admin"])
    acme = org_id(admin, "acme")
    admin.dispose()
    yield service, acme
    registry._REGISTRY.pop("slow_for_test", None)
    db.dispose()


def test_a_slow_query_is_stopped_and_the_widget_says_so(slow_service):
    service, acme = slow_service
    started = time.monotonic()
    with pytest.raises(Exception) as raised:
        service.query(acme, "slow_for_test", {})
    assert is_timeout(raised.value)
    assert time.monotonic() - started < 10  # stopped, not run to the end

    widget = DashboardWidget(
        id=1,
        widget_type="kpi_card",
        title="Slow",
        data_source="slow_for_test",
        query_params={},
        config={},
        position_x=0,
        position_y=0,
        width=3,
        height=2,
        is_shared=True,
    )
    card = str(render_widget(widget, data=service, org_id=acme, filters=Filters()))
    assert "took longer than 0.5 s" in card

    # The same service (and its pooled connections) keeps answering other widgets.
    revenue = service.query(acme, "campaigns", {"metric": "revenue", "view": "summary"})
    assert revenue["value"] > 0
