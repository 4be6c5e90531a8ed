"""The KPI card says what its change is measured against: the same time of day when
the window holds today so far, the previous period for complete days."""

from __future__ import annotations

import pytest

from widgets._base import RenderContext
from widgets.kpi_card import KpiCardSpec, comparison_label
from widgets.kpi_card import build as build_kpi

SUMMARY = {
    "view": "summary",
    "metric": "revenue",
    "format": "currency",
    "higher_is_better": True,
    "currency": "EUR",
    "value": 1200.0,
    "previous": 1000.0,
    "change_pct": 20.0,
    "trend": "up",
    "series": [],
}


def text_of(component) -> str:
    children = getattr(component, "children", component)
    if isinstance(children, str):
        return children
    if isinstance(children, list):
        return "".join(text_of(child) for child in children)
    return "" if children is None else text_of(children)


@pytest.mark.parametrize(
    "days,label",
    [
        (1, "vs same time yesterday"),
        (7, "vs same time last week"),
        (30, "vs previous 30 days to the same time"),
    ],
)
def test_label_of_a_window_holding_today(days, label):
    assert comparison_label({"same_time": True, "days": days}) == label


def test_complete_days_have_no_same_time_label():
    assert comparison_label({"same_time": False, "days": 7}) is None
    assert comparison_label(None) is None


def test_card_shows_the_same_time_comparison():
    spec = KpiCardSpec(title="Revenue", data_source="campaigns")
    data = {**SUMMARY, "comparison": {"same_time": True, "days": 7}}
    text = text_of(build_kpi(spec, data, RenderContext(widget_id=1)))
    assert "vs same time last week (€1,000)" in text
    assert "previous period" not in text
    whole = {**SUMMARY, "comparison": {"same_time": False, "days": 7}}
    assert "vs €1,000 previous period" in text_of(
        build_kpi(spec, whole, RenderContext(widget_id=1))
    )
