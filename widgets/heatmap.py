"""Heatmap: a metric by hour of day (0-23) and weekday (Mon..Sun), in the org's time
zone, from the ``campaigns`` source's ``heatmap`` view.

Cells without a value (CPA in hours without conversions) stay empty: they have no
colour and no hover, so they are never mistaken for a zero.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html
from pydantic import BaseModel, ConfigDict, Field, model_validator

from widgets import _theme as theme
from widgets._base import RenderContext, WidgetBase
from widgets._formatting import NO_DATA, format_value, plotly_number_parts
from widgets._registry import register

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
HOURS = list(range(24))


class HeatmapConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["currency", "percent", "number", "ratio"] | None = None
    show_scale: bool = True
    # Reverse the colours for metrics where low is good (CPA, CPC): dark is then cheap.
    reverse_scale: bool = False


class HeatmapSpec(WidgetBase):
    type: Literal["heatmap"] = "heatmap"
    config: HeatmapConfig = Field(default_factory=HeatmapConfig)

    @model_validator(mode="after")
    def _heatmap_view(self) -> HeatmapSpec:
        view = self.query_params.get("view", "heatmap")
        if self.data_source == "campaigns" and view != "heatmap":
            raise ValueError(
                f"query_params.view: a heatmap shows the 'heatmap' view "
                f"(weekday × hour of day), not {view!r}"
            )
        return self


def heatmap_frame(data: dict) -> pd.DataFrame:
    """A ``heatmap`` result as columns ``weekday`` (0 = Monday), ``hour`` (0-23,
    org-local) and ``value`` (NaN for no value)."""
    frame = pd.DataFrame(data.get("cells", []), columns=["weekday", "hour", "value"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame


def hour_range(hour: int) -> str:
    """``14`` -> ``"14:00–15:00"``, the span a cell covers."""
    return f"{hour:02d}:00–{(hour + 1) % 24:02d}:00"


def make_figure(
    df: pd.DataFrame,
    *,
    fmt: str = "number",
    currency: str = "USD",
    timezone: str | None = None,
    show_scale: bool = True,
    reverse_scale: bool = False,
    template: str = theme.LIGHT,
) -> go.Figure:
    """A 7 × 24 grid of ``value``: weekdays top to bottom (Monday first), hours left to
    right.

    Args:
        df: columns ``weekday``, ``hour``, ``value`` (see :func:`heatmap_frame`); absent
            cells and NaN values are drawn empty.
        fmt: value format for the hover and the colour bar.
        currency: ISO code of the org's currency.
        timezone: the org's IANA zone, named under the hour axis.
        show_scale: draw the colour bar.
        reverse_scale: darkest for the lowest value (for costs, where low is good).
        template: Plotly template name.
    """
    grid = df.pivot_table(
        index="weekday", columns="hour", values="value", aggfunc="first", dropna=False
    ).reindex(index=range(7), columns=HOURS)
    values = grid.to_numpy(dtype=float)
    z = [[None if np.isnan(v) else v for v in row] for row in values]
    labels = [[format_value(v, fmt, currency) for v in row] for row in z]
    hover = [
        [f"{WEEKDAYS[day]} {hour_range(hour)}" for hour in HOURS] for day in range(7)
    ]
    finite = values[~np.isnan(values)]
    prefix, tick_format, suffix = plotly_number_parts(
        fmt, currency, max_abs=float(np.abs(finite).max()) if finite.size else None
    )
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=HOURS,
            y=WEEKDAYS,
            colorscale=theme.sequential_scale(template),
            reversescale=reverse_scale,
            hoverongaps=False,
            xgap=1,
            ygap=1,
            customdata=np.dstack([hover, labels]),
            hovertemplate="%{customdata[0]}<br><b>%{customdata[1]}</b><extra></extra>",
            showscale=show_scale,
            colorbar=dict(
                tickformat=tick_format,
                tickprefix=prefix,
                ticksuffix=suffix,
                thickness=10,
                outlinewidth=0,
                len=0.9,
            ),
        )
    )
    figure.update_layout(
        template=template,
        hovermode="closest",
        xaxis=dict(
            title=dict(
                text=f"Hour of day ({timezone})" if timezone else "Hour of day",
                font=dict(size=11, color=theme.muted_text(template)),
            ),
            tickmode="array",
            tickvals=HOURS[::3],
            ticktext=[f"{h:02d}" for h in HOURS[::3]],
            showgrid=False,
            zeroline=False,
        ),
        yaxis=dict(
            autorange="reversed", showgrid=False, zeroline=False, type="category"
        ),
        plot_bgcolor=theme.background_color(template),
    )
    return figure


def spec_figure(spec: HeatmapSpec, data: dict, ctx: RenderContext) -> go.Figure | None:
    """The figure :func:`build` shows (also exported into reports), or ``None`` when
    there is no data to draw."""
    frame = heatmap_frame(data)
    # No cell with a value, or only zeros (a window without any delivery): a grid of
    # one colour would say nothing.
    if not frame["value"].fillna(0).ne(0).any():
        return None
    return make_figure(
        frame,
        fmt=spec.config.format or data.get("format", "number"),
        currency=data.get("currency", ctx.currency),
        timezone=data.get("timezone"),
        show_scale=spec.config.show_scale,
        reverse_scale=spec.config.reverse_scale,
        template=theme.template_name(ctx.theme),
    )


@register(HeatmapSpec, default_params={"view": "heatmap"}, figure=spec_figure)
def build(spec: HeatmapSpec, data: dict, ctx: RenderContext) -> dcc.Graph | html.Div:
    """Render a ``heatmap`` result as a weekday × hour grid."""
    figure = spec_figure(spec, data, ctx)
    if figure is None:
        return html.Div(NO_DATA, className="widget-empty")
    return dcc.Graph(
        figure=figure,
        config={"displayModeBar": False, "responsive": True},
        className="widget-graph",
        style={"height": "100%"},
        id={"type": "widget-graph", "index": ctx.widget_id},
    )
