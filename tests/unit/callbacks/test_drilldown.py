"""Drill-down: which platform a chart click names (the browser's word is checked)."""

from __future__ import annotations

from callbacks.crossfilter import clicked_platform
from widgets.bar_chart import bar_frame
from widgets.bar_chart import make_figure as bar_figure


def test_a_bar_of_a_by_platform_chart_names_its_platform():
    breakdown = {
        "view": "breakdown",
        "group_by": "platform",
        "format": "ratio",
        "items": [
            {"key": "google", "name": "Google", "value": 3.0},
            {"key": "meta", "name": "Meta", "value": 2.0},
        ],
    }
    figure = bar_figure(bar_frame(breakdown), fmt="ratio")
    trace = figure.data[0]
    click = {
        "points": [
            {
                "curveNumber": 0,
                "pointNumber": 1,
                "x": trace.x[1],
                "y": trace.y[1],
                "customdata": list(trace.customdata[1]),
            }
        ]
    }
    assert clicked_platform(click) == "meta"


def test_a_pie_slice_label_names_its_platform():
    assert (
        clicked_platform(
            {"points": [{"label": "TikTok", "customdata": ["TikTok", "$1"]}]}
        )
        == "tiktok"
    )


def test_anything_else_is_not_a_platform():
    assert clicked_platform(None) is None
    assert clicked_platform({"points": []}) is None
    assert (
        clicked_platform({"points": [{"customdata": ["Brand Search", "$5", "17"]}]})
        is None
    )
    assert clicked_platform({"points": [{"label": "myspace"}]}) is None
    assert clicked_platform({"points": [{"location": "USA"}]}) is None
