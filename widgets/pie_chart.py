"""Pie or donut chart: each platform's, campaign's or country's share of a total.

Only additive metrics (spend, revenue, conversions, clicks, impressions) have shares;
a pie of ROAS or CTR would show a meaningless "share of the sum of ratios", so the
spec refuses ratio metrics. Slices beyond ``max_slices`` fold into one "Other" slice.
Clicking a legend entry hides that slice and Plotly recomputes the percentages.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html
from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.metrics import METRIC_ALIASES, METRICS
from widgets import _theme as theme
from widgets._base import RenderContext, WidgetBase
from widgets._formatting import NO_DATA, distinct_short_labels, format_value
from widgets._registry import register

OTHER = "Other"
# Legend entries are cut to this many characters; the hover shows the whole name.
MAX_LEGEND_CHARS = 24


class PieConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # 0 draws a pie; a hole (a share of the radius) draws a donut.
    hole: float = Field(0.55, ge=0, le=0.9)
    max_slices: int = Field(6, ge=2, le=20)
    format: Literal["currency", "percent", "number", "ratio"] | None = None
    # The total in the donut's hole (ignored for a pie).
    show_total: bool = True


class PieChartSpec(WidgetBase):
    type: Literal["pie_chart"] = "pie_chart"
    config: PieConfig = Field(default_factory=PieConfig)

    @model_validator(mode="after")
    def _shares_of_an_additive_metric(self) -> PieChartSpec:
        if self.data_source != "campaigns":
            return self
        view = self.query_params.get("view", "breakdown")
        if view != "breakdown":
            raise ValueError(
                f"query_params.view: a pie chart shows a 'breakdown' "
                f"(shares per platform, campaign or country), not {view!r}"
            )
        name = str(self.query_params.get("metric", "revenue"))
        metric = METRICS.get(METRIC_ALIASES.get(name, name))
        if metric is not None and metric.is_ratio:
            additive = ", ".join(m.name for m in METRICS.values() if not m.is_ratio)
            raise ValueError(
                f"query_params.metric: {name!r} is a ratio, and ratios do not "
                f"add up to a whole; a pie chart needs one of {additive}"
            )
        return self


def pie_frame(data: dict) -> pd.DataFrame:
    """A ``breakdown`` result as columns ``name``, ``key``, ``value`` (NaN: no
    value)."""
    rows = [
        {
            "name": str(item.get("name") or item.get("key")),
            "key": item.get("key"),
            "value": item.get("value"),
        }
        for item in data.get("items", [])
    ]
    frame = pd.DataFrame(rows, columns=["name", "key", "value"])
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame


def fold_small_slices(df: pd.DataFrame, max_slices: int) -> pd.DataFrame:
    """The ``max_slices - 1`` largest rows plus one "Other" row summing the rest.

    Rows without a value or with zero are dropped first: they have no share (and a
    missing value is not a zero share). At most ``max_slices`` rows come back.
    """
    shares = df[df["value"] > 0].sort_values("value", ascending=False, kind="stable")
    if len(shares) <= max_slices:
        return shares.reset_index(drop=True)
    kept = shares.iloc[: max_slices - 1]
    rest = shares.iloc[max_slices - 1 :]
    other = pd.DataFrame(
        [{"name": f"{OTHER} ({len(rest)})", "key": OTHER, "value": rest["value"].sum()}]
    )
    return pd.concat([kept, other], ignore_index=True)


def make_figure(
    df: pd.DataFrame,
    *,
    hole: float = 0.55,
    max_slices: int = 6,
    fmt: str = "number",
    currency: str = "USD",
    show_total: bool = True,
    template: str = theme.LIGHT,
) -> go.Figure:
    """Slices of ``value`` per ``name``, largest first, with percentages.

    Args:
        df: columns ``name``, ``key``, ``value`` (see :func:`pie_frame`); a platform
            ``key`` picks that platform's colour.
        hole: 0 for a pie, else the donut hole as a share of the radius.
        max_slices: slices shown at most; the smallest beyond it become "Other".
        fmt: value format for the hover and the total.
        currency: ISO code of the org's currency.
        show_total: write the total in the donut's hole.
        template: Plotly template name.
    """
    slices = fold_small_slices(df, max_slices)
    colors = [
        theme.OTHER_COLOR if key == OTHER else theme.series_color(str(key), index)
        for index, key in enumerate(slices["key"])
    ]
    figure = go.Figure(
        go.Pie(
            # Distinct even when shortened: Plotly merges slices with equal labels.
            labels=distinct_short_labels(slices["name"].tolist(), MAX_LEGEND_CHARS),
            values=slices["value"],
            hole=hole,
            sort=False,  # already largest first, with "Other" last
            direction="clockwise",
            marker=dict(
                colors=colors,
                line=dict(color=theme.background_color(template), width=2),
            ),
            texttemplate="%{percent:.1%}",
            textposition="inside",
            insidetextorientation="horizontal",
            customdata=list(
                zip(
                    slices["name"],
                    [format_value(v, fmt, currency) for v in slices["value"]],
                    strict=True,
                )
            ),
            hovertemplate=(
                "<b>%{customdata[0]}</b><br>%{customdata[1]} · %{percent}"
                "<extra></extra>"
            ),
        )
    )
    if hole >= 0.3 and show_total and not slices.empty:
        figure.add_annotation(
            text="<b>"
            f"{format_value(slices['value'].sum(), fmt, currency, compact=True)}"
            "</b><br><span style='font-size:11px'>Total</span>",
            showarrow=False,
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
            font=dict(size=18),
        )
    figure.update_layout(
        template=template,
        showlegend=True,
        legend=dict(
            orientation="v",
            yanchor="middle",
            y=0.5,
            xanchor="left",
            x=1.02,
            itemclick="toggle",
            itemdoubleclick="toggleothers",
        ),
        uniformtext=dict(minsize=10, mode="hide"),
        hovermode="closest",
        margin=dict(l=8, r=8, t=8, b=8),
    )
    return figure


def spec_figure(spec: PieChartSpec, data: dict, ctx: RenderContext) -> go.Figure | None:
    """The figure :func:`build` shows (also exported into reports), or ``None`` when
    there is no data to draw."""
    frame = pie_frame(data)
    if not (frame["value"] > 0).any():
        return None
    return make_figure(
        frame,
        hole=spec.config.hole,
        max_slices=spec.config.max_slices,
        fmt=spec.config.format or data.get("format", "number"),
        currency=data.get("currency", ctx.currency),
        show_total=spec.config.show_total,
        template=theme.template_name(ctx.theme),
    )


@register(
    PieChartSpec, default_params={"view": "breakdown", "limit": 500}, figure=spec_figure
)
def build(spec: PieChartSpec, data: dict, ctx: RenderContext) -> dcc.Graph | html.Div:
    """Render a ``breakdown`` result as a pie or donut of shares.

    The default ``limit`` of 500 fetches every item, so "Other" is the true remainder;
    a template that sets a smaller ``limit`` gets shares of its top N only.
    """
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
