"""Drill-down: which platform a chart click names (the browser's word is checked)."""

from __future__ import annotations

import datetime as dt

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


def test_a_point_of_a_chart_over_time_names_the_bucket_it_drills_into():
    from callbacks.crossfilter import clicked_bucket
    from widgets.line_chart import make_figure as line_figure
    from widgets.line_chart import series_frame

    weekly = {
        "granularity": "week",
        "series": [
            {
                "name": "Meta",
                "key": "meta",
                "points": [
                    {"date": "2026-11-02", "value": 5.0},
                    {"date": "2026-11-09", "value": 6.0},
                ],
            }
        ],
    }
    figure = line_figure(series_frame(weekly), granularity="week")
    custom = list(figure.data[0].customdata[1])
    assert clicked_bucket({"points": [{"customdata": custom}]}) == (
        "week",
        dt.date(2026, 11, 9),
    )
    daily = line_figure(series_frame(weekly), granularity="day")
    assert clicked_bucket(
        {"points": [{"customdata": list(daily.data[0].customdata[0])}]}
    ) == (
        "day",
        dt.date(2026, 11, 2),
    )
    # An hour is as far as a drill goes; a crafted week must start on a Monday.
    hourly = line_figure(series_frame(weekly), granularity="hour")
    assert hourly.data[0].customdata is None
    assert (
        clicked_bucket({"points": [{"customdata": ["drill:week:2026-11-04"]}]}) is None
    )
    assert clicked_bucket({"points": [{"customdata": ["drill:day:tomorrow"]}]}) is None
    assert clicked_bucket({"points": [{"label": "Meta"}]}) is None


def test_a_time_bar_carries_its_drill_target_after_its_platform():
    breakdown_over_time = {
        "granularity": "day",
        "series": [
            {
                "name": "Meta",
                "key": "meta",
                "points": [{"date": "2026-11-02", "value": 1}],
            }
        ],
    }
    figure = bar_figure(bar_frame(breakdown_over_time), dates=True, granularity="day")
    assert list(figure.data[0].customdata[0])[-1] == "drill:day:2026-11-02"
