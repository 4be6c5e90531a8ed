"""Pure widget builders and figure functions."""

from __future__ import annotations

import math
import re

import pandas as pd

from widgets._base import RenderContext
from widgets.kpi_card import (
    KpiCardSpec,
    make_sparkline,
    sparkline_svg,
    status_color,
)
from widgets.kpi_card import (
    build as build_kpi,
)
from widgets.line_chart import (
    LineChartSpec,
    make_figure,
    series_frame,
)
from widgets.line_chart import (
    build as build_line,
)


def find(component, predicate):
    """Depth-first search of a Dash component tree."""
    if predicate(component):
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            found = find(child, predicate)
            if found is not None:
                return found
    return None


def text_of(component) -> str:
    children = getattr(component, "children", None)
    if isinstance(children, str):
        return children
    if isinstance(children, list):
        return "".join(c if isinstance(c, str) else text_of(c) for c in children)
    return "" if children is None else text_of(children)


SUMMARY = {
    "view": "summary",
    "metric": "roas",
    "format": "ratio",
    "higher_is_better": True,
    "currency": "EUR",
    "value": 2.5,
    "previous": 2.0,
    "change_pct": 25.0,
    "trend": "up",
    "series": [
        {"date": "2026-11-01", "value": 2.4},
        {"date": "2026-11-02", "value": None},
    ],
}


def kpi(**config):
    return KpiCardSpec(title="ROAS", data_source="campaigns", config=config)


def has_class(name):
    return lambda c: name in (getattr(c, "className", "") or "").split()


def test_kpi_shows_value_change_and_sparkline():
    card = build_kpi(kpi(), SUMMARY, RenderContext(widget_id=7))
    assert text_of(find(card, has_class("kpi-value"))) == "2.50×"
    change = find(card, has_class("kpi-change"))
    assert text_of(change) == "▲ +25.0%" and "text-success" in change.className
    assert "vs 2.00× previous period" in text_of(card)
    assert find(card, has_class("kpi-sparkline")) is not None


def test_kpi_without_value_shows_a_dash_not_zero():
    data = {
        **SUMMARY,
        "value": None,
        "previous": None,
        "change_pct": None,
        "trend": "neutral",
    }
    card = build_kpi(kpi(goal=3), data, RenderContext(widget_id=7))
    assert text_of(find(card, has_class("kpi-value"))) == "—"
    assert "— of goal 3.00×" in text_of(card)
    assert "text-secondary" in find(card, has_class("kpi-change")).className


def test_kpi_goal_progress_and_currency_format():
    data = {**SUMMARY, "format": "currency", "value": 45230.5, "previous": 42100.0}
    card = build_kpi(kpi(goal=100000), data, RenderContext(widget_id=1))
    assert text_of(find(card, has_class("kpi-value"))) == "€45,230"
    assert "45% of goal €100,000" in text_of(card)


def test_status_colour_respects_the_metric_sense():
    assert status_color(10.0, higher_is_better=True) == "success"
    assert status_color(10.0, higher_is_better=False) == "danger"  # CPA went up
    assert status_color(10.0, higher_is_better=None) == "secondary"  # spend: neither
    assert status_color(0.2, higher_is_better=True) == "secondary"


def test_sparkline_keeps_gaps():
    figure = make_sparkline(pd.DataFrame(SUMMARY["series"]))
    assert math.isnan(float(figure.data[0].y[1]))
    assert figure.data[0].connectgaps is False


TIMESERIES = {
    "view": "timeseries",
    "format": "currency",
    "currency": "USD",
    "series": [
        {
            "name": "Meta",
            "key": "meta",
            "points": [
                {"date": "2026-11-01", "value": 10.0},
                {"date": "2026-11-02", "value": None},
            ],
        },
        {
            "name": "Google",
            "key": "google",
            "points": [
                {"date": "2026-11-01", "value": 5.0},
                {"date": "2026-11-02", "value": 7.0},
            ],
        },
    ],
}


def test_line_figure_has_one_trace_per_series_with_platform_colours():
    figure = make_figure(series_frame(TIMESERIES), fmt="currency", currency="EUR")
    assert [trace.name for trace in figure.data] == ["Meta", "Google"]
    assert figure.data[0].line.color == "#2563eb"
    assert math.isnan(float(figure.data[0].y[1]))  # no value stays a gap, never 0
    assert figure.layout.yaxis.tickprefix == "€"
    assert figure.layout.showlegend is True


def test_the_bucket_still_filling_is_dotted_and_says_so_far():
    data = {**TIMESERIES, "partial_bucket": "2026-11-02"}
    figure = build_line(
        LineChartSpec(title="Revenue", data_source="campaigns"),
        data,
        RenderContext(widget_id=3),
    ).figure
    final = [t for t in figure.data if not t.name.endswith("(so far)")]
    so_far = [t for t in figure.data if t.name.endswith("(so far)")]
    assert [t.name for t in final] == ["Meta", "Google"]
    assert [list(t.y) for t in final] == [[10.0], [5.0]]
    # The dotted part starts at the last final point, so the line does not break.
    google = next(t for t in so_far if t.legendgroup == "Google")
    assert list(google.y) == [5.0, 7.0] and google.line.dash == "dot"
    assert google.showlegend is False and "so far" in google.hovertemplate
    assert google.line.color == final[1].line.color


def test_nothing_is_dotted_when_the_window_ended_before_today():
    figure = make_figure(series_frame(TIMESERIES), partial_from=None)
    assert len(figure.data) == 2 and all(t.line.dash is None for t in figure.data)


def test_card_sparkline_is_a_small_svg_with_gaps_and_a_dotted_today():
    frame = pd.DataFrame(
        [
            {"date": "2026-11-01", "value": 4.0},
            {"date": "2026-11-02", "value": 2.0},
            {"date": "2026-11-03", "value": None},
            {"date": "2026-11-04", "value": 3.0},
            {"date": "2026-11-05", "value": 1.0},
        ]
    )
    svg = sparkline_svg(frame, partial_from="2026-11-05")
    solid = re.findall(r'<polyline points="([^"]+)"(?![^>]*dasharray)', svg)
    dotted = re.findall(r'<polyline points="([^"]+)"[^>]*stroke-dasharray', svg)
    # Days 1-2 are one run; day 3 has no value (a gap, never 0); day 4 stands alone;
    # the dotted part joins day 4 to today.
    assert solid == ["0,0 25,24", "75,12"]
    assert dotted == ["75,12 100,36"]
    assert sparkline_svg(pd.DataFrame([{"date": "2026-11-01", "value": None}])) == ""


def test_kpi_card_draws_its_sparkline_as_an_image():
    card = build_kpi(
        kpi(), {**SUMMARY, "partial_bucket": "2026-11-02"}, RenderContext(widget_id=7)
    )
    image = find(card, has_class("kpi-sparkline"))
    assert image.src.startswith("data:image/svg+xml;utf8,%3Csvg")
    assert "ROAS" in image.alt


def test_sparkline_dots_today():
    figure = make_sparkline(
        pd.DataFrame(
            [{"date": "2026-11-01", "value": 3.0}, {"date": "2026-11-02", "value": 1.0}]
        ),
        partial_from="2026-11-02",
    )
    assert [list(t.y) for t in figure.data] == [[3.0], [3.0, 1.0]]
    assert figure.data[1].line.dash == "dot"


def test_line_build_wraps_figure_in_graph():
    spec = LineChartSpec(title="Revenue", data_source="campaigns")
    graph = build_line(spec, TIMESERIES, RenderContext(widget_id=3))
    assert graph.id == {"type": "widget-graph", "index": 3}
    assert len(graph.figure.data) == 2
