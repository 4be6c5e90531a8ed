"""Line chart: one or more time series of a metric, or a forecast with its 95% band.

A ``timeseries`` result (campaigns, API calls, executions per day) draws one line per
series. A ``forecasts`` result (``view: forecast``) draws the actuals, the forecast as
a dashed line continuing from the last actual, and the 95% prediction interval as a
shaded band. Anomalies passed in the data (``anomalies``: items of the ``anomalies``
source) are overlaid as markers when ``config.show_anomalies`` is set.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
import plotly.graph_objects as go
from dash import dcc
from pydantic import BaseModel, ConfigDict, Field

from widgets import _theme as theme
from widgets._base import RenderContext, WidgetBase, drill_target
from widgets._formatting import currency_symbol, format_value, plotly_number_parts
from widgets._registry import register

FORECAST_COLOR = "#7c3aed"
BAND_FILL = "rgba(124, 58, 237, 0.16)"
ANOMALY_COLOR = theme.BAD
COMPARISON_COLOR = "#94a3b8"
HOVER_FORMATS = {"percent": ".2%", "ratio": ".2f", "currency": ",.2f", "number": ",.0f"}
# Series of outcomes (automation executions per day) in their status colours.
STATUS_SERIES_COLORS = {
    "success": theme.GOOD,
    "failed": theme.BAD,
    "skipped": theme.NEUTRAL,
}


class LineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["currency", "percent", "number", "ratio"] | None = None
    show_markers: bool = False
    area: bool = False
    # Overlay the anomalies handed in with the data (``data["anomalies"]``), of
    # ``anomaly_metric`` only when set (else of the chart's metric).
    show_anomalies: bool = False
    anomaly_metric: str | None = Field(None, max_length=32)


class LineChartSpec(WidgetBase):
    type: Literal["line_chart"] = "line_chart"
    config: LineConfig = Field(default_factory=LineConfig)


def series_frame(data: dict) -> pd.DataFrame:
    """Flatten a ``timeseries`` result into columns ``series``, ``key``, ``date``,
    ``value``."""
    rows = [
        {
            "series": s["name"],
            "key": s.get("key"),
            "date": p["date"],
            "value": p["value"],
        }
        for s in data.get("series", [])
        for p in s["points"]
    ]
    frame = pd.DataFrame(rows, columns=["series", "key", "date", "value"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame


def _points_frame(points: list[dict], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [{c: p.get(c) for c in columns} for p in points], columns=columns
    )
    frame["date"] = pd.to_datetime(frame["date"])
    for column in columns[1:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def forecast_frames(data: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A ``forecasts`` result as ``(history, forecast)``: columns ``date``, ``value``,
    and for the forecast also ``lower``/``upper`` (the 95% interval); NaN: no value."""
    return (
        _points_frame(data.get("history", []), ["date", "value"]),
        _points_frame(data.get("points", []), ["date", "value", "lower", "upper"]),
    )


def anomaly_text(item: dict) -> str:
    """One anomaly for a hover: who, which metric, observed against expected,
    severity."""
    fmt = item.get("format", "number")
    who = item.get("name") or item.get("entity_key", "")
    return (
        f"{who}: {item.get('label', item.get('metric'))} "
        f"{format_value(item.get('observed'), fmt)} vs expected "
        f"{format_value(item.get('expected'), fmt)} ({item.get('severity', '')})"
    )


def anomaly_frame(items: list[dict], metric: str | None = None) -> pd.DataFrame:
    """Anomaly items (of ``metric`` when given) as columns ``date``, ``severity``,
    ``text`` (what the hover says); one row per day, its anomalies in the source's
    order (strongest first)."""
    rows = [
        {"date": i["day"], "severity": i.get("severity", ""), "text": anomaly_text(i)}
        for i in items
        if isinstance(i, dict)
        and i.get("day")
        and (metric is None or i.get("metric") == metric)
    ]
    frame = pd.DataFrame(rows, columns=["date", "severity", "text"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.groupby("date", as_index=False).agg(
        severity=("severity", "first"), text=("text", "<br>".join)
    )


def translucent(color: str, opacity: float) -> str:
    """A ``#rrggbb`` colour as ``rgba()`` with ``opacity`` (area fills under a line)."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {opacity})"


def _axis_and_hover(fmt: str, currency: str, values: pd.Series) -> tuple[dict, str]:
    """The value axis layout and the hover value template for ``fmt``.

    Small currency values keep their decimals ($0.61, not d3's "610m").
    """
    finite = values.dropna().abs()
    prefix, tickformat, suffix = plotly_number_parts(
        fmt, currency, max_abs=float(finite.max()) if len(finite) else None
    )
    hover_prefix = currency_symbol(currency) if fmt == "currency" else ""
    hover_suffix = "×" if fmt == "ratio" else ""
    hover = f"{hover_prefix}%{{y:{HOVER_FORMATS.get(fmt, ',.2f')}}}{hover_suffix}"
    return dict(
        tickformat=tickformat, tickprefix=prefix, ticksuffix=suffix, rangemode="tozero"
    ), hover


def _add_anomalies(
    figure: go.Figure, line: pd.DataFrame, anomalies: pd.DataFrame | None
) -> None:
    """Markers on ``line`` (columns ``date``, ``value``) at the anomalies' days."""
    if anomalies is None or anomalies.empty:
        return
    marked = anomalies.merge(line[["date", "value"]].dropna(), on="date", how="inner")
    if marked.empty:
        return
    figure.add_trace(
        go.Scatter(
            x=marked["date"],
            y=marked["value"],
            name="Anomalies",
            mode="markers",
            marker=dict(
                color=ANOMALY_COLOR, size=11, symbol="circle-open", line=dict(width=2.5)
            ),
            customdata=marked[["text"]],
            hovertemplate="%{customdata[0]}<extra>Anomaly</extra>",
        )
    )


def _drill_points(points: pd.DataFrame, granularity: str | None) -> list | None:
    """Each point's drill-down target as customdata (``None`` when it has none)."""
    if drill_target(granularity, "2000-01-01") is None:
        return None
    return [[drill_target(granularity, day.date())] for day in points["date"]]


def comparison_frame(data: dict) -> pd.DataFrame:
    """A time series' ``comparison`` (the previous period or the same period last year,
    laid over the current dates) as columns ``date``, ``value``, ``compared_date``."""
    points = (data.get("comparison") or {}).get("points") or []
    frame = pd.DataFrame(
        [
            {
                "date": p.get("date"),
                "value": p.get("value"),
                "compared_date": str(p.get("compared_date", ""))[:16].replace("T", " "),
            }
            for p in points
        ],
        columns=["date", "value", "compared_date"],
    )
    frame["date"] = pd.to_datetime(frame["date"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame


def split_partial(
    points: pd.DataFrame, partial_from: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(final, so_far)``: the points before the partial bucket, and the last final
    point joined to the partial ones (empty when nothing is partial), so a dotted
    segment can continue the line without a break."""
    if partial_from is None or points.empty:
        return points, points.iloc[0:0]
    cut = points["date"] >= pd.Timestamp(partial_from)
    if not cut.any():
        return points, points.iloc[0:0]
    final = points[~cut]
    return final, pd.concat([final.tail(1), points[cut]])


def make_figure(
    df: pd.DataFrame,
    *,
    fmt: str = "number",
    currency: str = "USD",
    show_markers: bool = False,
    area: bool = False,
    template: str = theme.LIGHT,
    anomalies: pd.DataFrame | None = None,
    partial_from: str | None = None,
    granularity: str | None = None,
    comparison: pd.DataFrame | None = None,
    comparison_name: str = "Compared",
) -> go.Figure:
    """Lines of ``value`` over ``date``, one per ``series``.

    Args:
        df: columns ``series``, ``date``, ``value`` (NaN shows as a gap, never as 0);
            an optional ``key`` picks the platform colour.
        fmt: value format for the axis and hover (``currency``, ``percent``, ``ratio``,
            ``number``).
        currency: ISO code, for the currency symbol.
        show_markers: draw a marker on every point.
        area: fill under a single series.
        template: Plotly template name.
        anomalies: optional :func:`anomaly_frame`; marked on the first series.
        partial_from: ISO date of the bucket that is still filling (today, this week):
            from the last final point on, each line is dotted and its hover says
            "so far", so an unfinished day does not read as a collapse.
        granularity: the buckets' size (``week``, ``day``, ``hour``): a week's or a
            day's point carries its drill-down target (see
            :func:`widgets._base.drill_target`), so a click on it narrows the
            dashboard to that bucket.
        comparison: optional :func:`comparison_frame`: the compared period's values
            laid over the same dates, drawn as a grey dashed line.
        comparison_name: its legend name ("Same period last year").
    """
    figure = go.Figure()
    values = df["value"]
    if comparison is not None and not comparison.empty:
        values = pd.concat([values, comparison["value"]])
    yaxis, hover = _axis_and_hover(fmt, currency, values)
    if comparison is not None and not comparison.empty:
        figure.add_trace(
            go.Scatter(
                x=comparison["date"],
                y=comparison["value"],
                name=comparison_name,
                mode="lines",
                line=dict(color=COMPARISON_COLOR, width=2, dash="dash"),
                connectgaps=False,
                customdata=comparison[["compared_date"]],
                hovertemplate=f"{hover} on %{{customdata[0]}}"
                f"<extra>{comparison_name}</extra>",
            )
        )
    for index, (name, group) in enumerate(df.groupby("series", sort=False)):
        key = group["key"].iloc[0] if "key" in group else None
        color = theme.PLATFORM_COLORS.get(key) or STATUS_SERIES_COLORS.get(
            key, theme.PALETTE[index % len(theme.PALETTE)]
        )
        final, so_far = split_partial(group, partial_from)
        fill = "tozeroy" if area and df["series"].nunique() == 1 else None
        figure.add_trace(
            go.Scatter(
                x=final["date"],
                y=final["value"],
                customdata=_drill_points(final, granularity),
                name=str(name),
                legendgroup=str(name),
                mode="lines+markers" if show_markers else "lines",
                line=dict(color=color, width=2.5),
                connectgaps=False,
                fill=fill,
                fillcolor=translucent(color, 0.18),
                hovertemplate=f"{hover}<extra>{name}</extra>",
            )
        )
        if not so_far.empty:
            figure.add_trace(
                go.Scatter(
                    x=so_far["date"],
                    y=so_far["value"],
                    customdata=_drill_points(so_far, granularity),
                    name=f"{name} (so far)",
                    legendgroup=str(name),
                    showlegend=False,
                    mode="lines+markers" if show_markers else "lines",
                    line=dict(color=color, width=2.5, dash="dot"),
                    connectgaps=False,
                    fill=fill,
                    fillcolor=translucent(color, 0.08),
                    hovertemplate=f"{hover} so far<extra>{name}</extra>",
                )
            )
        if index == 0:
            _add_anomalies(figure, group, anomalies)
    several = (
        df["series"].nunique() > 1
        or (anomalies is not None and len(figure.data) > 1)
        or (comparison is not None and not comparison.empty)
    )
    figure.update_layout(
        template=template, showlegend=several, yaxis=yaxis, xaxis=dict(type="date")
    )
    return figure


def forecast_figure(
    history_df: pd.DataFrame,
    forecast_df: pd.DataFrame,
    *,
    fmt: str = "number",
    currency: str = "USD",
    template: str = theme.LIGHT,
    anomalies: pd.DataFrame | None = None,
) -> go.Figure:
    """Actuals, the forecast (dashed) and its shaded 95% interval.

    Args:
        history_df: columns ``date``, ``value``: the actuals.
        forecast_df: columns ``date``, ``value``, ``lower``, ``upper``.
        fmt, currency, template: as for :func:`make_figure`.
        anomalies: optional :func:`anomaly_frame`, marked on the actuals.
    """
    figure = go.Figure()
    yaxis, hover = _axis_and_hover(
        fmt, currency, pd.concat([history_df["value"], forecast_df["upper"]])
    )
    actual_color = theme.PALETTE[0]
    figure.add_trace(
        go.Scatter(
            x=forecast_df["date"],
            y=forecast_df["upper"],
            name="95% interval (upper)",
            mode="lines",
            line=dict(width=0, color=FORECAST_COLOR),
            showlegend=False,
            legendgroup="interval",
            hovertemplate=f"{hover}<extra>upper 95%</extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=forecast_df["date"],
            y=forecast_df["lower"],
            name="95% interval",
            mode="lines",
            line=dict(width=0, color=FORECAST_COLOR),
            fill="tonexty",
            fillcolor=BAND_FILL,
            legendgroup="interval",
            hovertemplate=f"{hover}<extra>lower 95%</extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=history_df["date"],
            y=history_df["value"],
            name="Actual",
            mode="lines",
            line=dict(color=actual_color, width=2.5),
            connectgaps=False,
            hovertemplate=f"{hover}<extra>Actual</extra>",
        )
    )
    # The forecast line starts at the last actual, so the two read as one story.
    last_actual = history_df.dropna(subset=["value"]).tail(1)[["date", "value"]]
    line = pd.concat([last_actual, forecast_df[["date", "value"]]], ignore_index=True)
    figure.add_trace(
        go.Scatter(
            x=line["date"],
            y=line["value"],
            name="Forecast",
            mode="lines",
            line=dict(color=FORECAST_COLOR, width=2.5, dash="dash"),
            hovertemplate=f"{hover}<extra>Forecast</extra>",
        )
    )
    _add_anomalies(figure, history_df, anomalies)
    figure.update_layout(
        template=template,
        showlegend=True,
        yaxis=yaxis,
        xaxis=dict(type="date"),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0),
    )
    return figure


def is_forecast(data: dict) -> bool:
    return data.get("view") == "forecast" and "points" in data


def spec_figure(spec: LineChartSpec, data: dict, ctx: RenderContext) -> go.Figure:
    """The figure :func:`build` shows (also exported into reports): lines of a
    ``timeseries`` result, or a forecast with its band."""
    config = spec.config
    fmt = config.format or data.get("format", "number")
    currency = data.get("currency", ctx.currency)
    template = theme.DARK if ctx.theme == "dark" else theme.LIGHT
    anomalies = None
    if config.show_anomalies and isinstance(data.get("anomalies"), list):
        anomalies = anomaly_frame(
            data["anomalies"], config.anomaly_metric or data.get("metric")
        )
    if is_forecast(data):
        history, forecast = forecast_frames(data)
        return forecast_figure(
            history,
            forecast,
            fmt=fmt,
            currency=currency,
            template=template,
            anomalies=anomalies,
        )
    return make_figure(
        series_frame(data),
        fmt=fmt,
        currency=currency,
        show_markers=config.show_markers,
        area=config.area,
        template=template,
        anomalies=anomalies,
        partial_from=data.get("partial_bucket"),
        granularity=data.get("granularity"),
        comparison=comparison_frame(data) if data.get("comparison") else None,
        comparison_name=(data.get("comparison") or {}).get("name", "Compared"),
    )


@register(LineChartSpec, default_params={"view": "timeseries"}, figure=spec_figure)
def build(spec: LineChartSpec, data: dict, ctx: RenderContext) -> dcc.Graph:
    """Render a ``timeseries`` result as lines, or a forecast with its band."""
    return dcc.Graph(
        figure=spec_figure(spec, data, ctx),
        config={"displayModeBar": False, "responsive": True},
        className="widget-graph",
        style={"height": "100%"},
        id={"type": "widget-graph", "index": ctx.widget_id},
    )
