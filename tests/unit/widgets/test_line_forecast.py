"""The line chart draws a forecast as actuals, a dashed forecast and a shaded 95% band,
marks anomalies when asked, and keeps small currency values readable on its axis."""

from __future__ import annotations

import math

import pandas as pd

from dashboards.schema import parse_widget
from widgets._base import RenderContext
from widgets.line_chart import (
    LineChartSpec,
    anomaly_frame,
    build,
    forecast_figure,
    forecast_frames,
    make_figure,
    series_frame,
)

FORECAST = {
    "view": "forecast",
    "metric": "revenue",
    "format": "currency",
    "currency": "USD",
    "history": [
        {"date": "2026-11-20", "value": 100.0},
        {"date": "2026-11-21", "value": None},
        {"date": "2026-11-22", "value": 120.0},
    ],
    "points": [
        {"date": "2026-11-23", "value": 125.0, "lower": 90.0, "upper": 160.0},
        {"date": "2026-11-24", "value": 130.0, "lower": 92.0, "upper": 168.0},
    ],
    "series": [],
}
ANOMALIES = [
    {
        "day": "2026-11-22",
        "metric": "revenue",
        "label": "Revenue",
        "format": "currency",
        "name": "Meta – Spring",
        "observed": 120.0,
        "expected": 60.0,
        "severity": "high",
    },
    {
        "day": "2026-11-20",
        "metric": "spend",
        "label": "Spend",
        "format": "currency",
        "name": "Google",
        "observed": 10.0,
        "expected": 5.0,
        "severity": "low",
    },
]


def traces(figure):
    return {trace.name: trace for trace in figure.data}


def test_forecast_shows_actuals_a_dashed_forecast_and_a_shaded_95_percent_band():
    history, forecast = forecast_frames(FORECAST)
    figure = forecast_figure(history, forecast, fmt="currency")
    by_name = traces(figure)
    assert {"Actual", "Forecast", "95% interval"} <= set(by_name)
    band = by_name["95% interval"]
    upper = by_name["95% interval (upper)"]
    assert band.fill == "tonexty" and list(band.y) == [90.0, 92.0]
    assert list(upper.y) == [160.0, 168.0] and upper.showlegend is False
    # The band's upper edge comes right before the lower one, so the fill is between
    # them.
    names = [t.name for t in figure.data]
    assert names.index("95% interval (upper)") + 1 == names.index("95% interval")
    assert by_name["Forecast"].line.dash == "dash"
    # Actuals keep plotly's default solid line; only the forecast is dashed.
    assert by_name["Actual"].line.dash is None
    assert figure.layout.showlegend is True


def test_forecast_line_continues_from_the_last_actual_and_gaps_stay_gaps():
    history, forecast = forecast_frames(FORECAST)
    by_name = traces(forecast_figure(history, forecast))
    assert list(by_name["Forecast"].y) == [120.0, 125.0, 130.0]
    assert math.isnan(float(by_name["Actual"].y[1]))  # no value is a gap, never 0


def test_small_currency_values_keep_their_cents_on_the_axis():
    frame = series_frame(
        {
            "series": [
                {
                    "name": "CPC",
                    "key": None,
                    "points": [
                        {"date": "2026-11-01", "value": 0.61},
                        {"date": "2026-11-02", "value": 0.55},
                    ],
                }
            ]
        }
    )
    figure = make_figure(frame, fmt="currency")
    assert "s" not in figure.layout.yaxis.tickformat  # d3 "s" shows $0.61 as "610m"
    assert figure.layout.yaxis.tickprefix == "$"
    large = make_figure(frame.assign(value=frame["value"] * 1e6), fmt="currency")
    assert large.layout.yaxis.tickformat.endswith("s")  # $610k stays abbreviated


def test_anomalies_of_the_charted_metric_are_marked_on_the_line():
    frame = anomaly_frame(ANOMALIES, "revenue")
    assert list(frame["date"]) == [pd.Timestamp("2026-11-22")]
    assert "Meta – Spring" in frame["text"].iloc[0] and "high" in frame["text"].iloc[0]
    history, forecast = forecast_frames(FORECAST)
    marker = traces(forecast_figure(history, forecast, anomalies=frame))["Anomalies"]
    assert list(marker.y) == [120.0]  # on the actual line at that day
    assert marker.mode == "markers"


def test_build_draws_a_forecast_result_and_anomalies_only_when_configured():
    spec = LineChartSpec(
        title="Revenue forecast",
        data_source="forecasts",
        config={"show_anomalies": True, "anomaly_metric": "revenue"},
    )
    graph = build(
        spec, {**FORECAST, "anomalies": ANOMALIES}, RenderContext(widget_id=7)
    )
    assert graph.id == {"type": "widget-graph", "index": 7}
    assert "Anomalies" in traces(graph.figure) and "Forecast" in traces(graph.figure)
    plain = build(
        LineChartSpec(title="Revenue forecast", data_source="forecasts"),
        {**FORECAST, "anomalies": ANOMALIES},
        RenderContext(widget_id=7),
    )
    assert "Anomalies" not in traces(plain.figure)


def test_execution_outcomes_are_drawn_in_status_colours():
    data = {
        "series": [
            {
                "name": "Success",
                "key": "success",
                "points": [{"date": "2026-11-01", "value": 3}],
            },
            {
                "name": "Failed",
                "key": "failed",
                "points": [{"date": "2026-11-01", "value": 1}],
            },
        ]
    }
    by_name = traces(make_figure(series_frame(data)))
    assert by_name["Success"].line.color == "#15803d"
    assert by_name["Failed"].line.color == "#b91c1c"


def test_a_forecast_line_widget_validates_against_the_forecasts_source():
    spec = parse_widget(
        {
            "type": "line_chart",
            "title": "30-Day Revenue Forecast",
            "data_source": "forecasts",
            "query_params": {
                "metric": "revenue",
                "method": "seasonal",
                "horizon_days": 30,
            },
        }
    )
    assert spec.data_source == "forecasts"


def test_an_area_under_a_single_line_is_translucent():
    frame = series_frame(
        {
            "series": [
                {
                    "name": "ROAS",
                    "key": None,
                    "points": [
                        {"date": "2026-11-01", "value": 2.0},
                        {"date": "2026-11-02", "value": 3.0},
                    ],
                }
            ]
        }
    )
    trace = make_figure(frame, fmt="ratio", area=True).data[0]
    assert trace.fill == "tozeroy"
    assert trace.fillcolor.startswith("rgba(") and trace.fillcolor.endswith(", 0.18)")
