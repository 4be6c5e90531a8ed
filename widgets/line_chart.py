"""Line chart: one or more time series of a metric."""

from __future__ import annotations

from typing import Literal

import pandas as pd
import plotly.graph_objects as go
from dash import dcc
from pydantic import BaseModel, ConfigDict, Field

from widgets import theme
from widgets.base import RenderContext, WidgetBase
from widgets.formatting import currency_symbol, plotly_tickformat
from widgets.registry import register


class LineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["currency", "percent", "number", "ratio"] | None = None
    show_markers: bool = False
    area: bool = False


class LineChartSpec(WidgetBase):
    type: Literal["line_chart"] = "line_chart"
    config: LineConfig = Field(default_factory=LineConfig)


def series_frame(data: dict) -> pd.DataFrame:
    """Flatten a ``timeseries`` result into columns ``series``, ``key``, ``date``, ``value``."""
    rows = [
        {"series": s["name"], "key": s.get("key"), "date": p["date"], "value": p["value"]}
        for s in data.get("series", [])
        for p in s["points"]
    ]
    frame = pd.DataFrame(rows, columns=["series", "key", "date", "value"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame


def make_figure(df: pd.DataFrame, *, fmt: str = "number", currency: str = "USD",
                show_markers: bool = False, area: bool = False,
                template: str = theme.LIGHT) -> go.Figure:
    """Lines of ``value`` over ``date``, one per ``series``.

    Args:
        df: columns ``series``, ``date``, ``value`` (NaN shows as a gap, never as 0);
            an optional ``key`` picks the platform colour.
        fmt: value format for the axis and hover (``currency``, ``percent``, ``ratio``,
            ``number``).
        currency: ISO code, for the hover prefix of currency values.
        show_markers: draw a marker on every point.
        area: fill under a single series.
        template: Plotly template name.
    """
    figure = go.Figure()
    hover_format = {"percent": ".2%", "ratio": ".2f", "currency": ",.2f", "number": ",.0f"}[fmt]
    prefix = currency_symbol(currency) if fmt == "currency" else ""
    suffix = "×" if fmt == "ratio" else ""
    for index, (name, group) in enumerate(df.groupby("series", sort=False)):
        key = group["key"].iloc[0] if "key" in group else None
        color = theme.PLATFORM_COLORS.get(key, theme.PALETTE[index % len(theme.PALETTE)])
        figure.add_trace(go.Scatter(
            x=group["date"], y=group["value"], name=str(name),
            mode="lines+markers" if show_markers else "lines",
            line=dict(color=color, width=2.5), connectgaps=False,
            fill="tozeroy" if area and df["series"].nunique() == 1 else None,
            hovertemplate=f"{prefix}%{{y:{hover_format}}}{suffix}<extra>{name}</extra>",
        ))
    figure.update_layout(template=template, showlegend=df["series"].nunique() > 1,
                         yaxis=dict(tickformat=plotly_tickformat(fmt), tickprefix=prefix,
                                    ticksuffix=suffix, rangemode="tozero"),
                         xaxis=dict(type="date"))
    return figure


@register(LineChartSpec, default_params={"view": "timeseries"})
def build(spec: LineChartSpec, data: dict, ctx: RenderContext) -> dcc.Graph:
    """Render a ``timeseries`` result as a line chart filling the widget."""
    figure = make_figure(
        series_frame(data),
        fmt=spec.config.format or data.get("format", "number"),
        currency=data.get("currency", ctx.currency),
        show_markers=spec.config.show_markers,
        area=spec.config.area,
        template=theme.DARK if ctx.theme == "dark" else theme.LIGHT,
    )
    return dcc.Graph(figure=figure, config={"displayModeBar": False, "responsive": True},
                     className="widget-graph", style={"height": "100%"},
                     id={"type": "widget-graph", "index": ctx.widget_id})
