"""Bar chart: a metric compared across platforms, campaigns or countries (top/bottom N),
or stacked by platform over weeks.

A ``breakdown`` result gives one bar per item, in the order the source ranked them
(``order`` and ``limit`` in ``query_params`` make it a top or bottom N). A
``timeseries`` result split by platform (``split_by: platform``, e.g. at week
granularity) gives one bar per date, stacked by platform.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html
from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.metrics import METRICS
from widgets import _theme as theme
from widgets._base import RenderContext, WidgetBase, drill_target
from widgets._formatting import (
    NO_DATA,
    NO_VALUE,
    distinct_short_labels,
    format_value,
    plotly_number_parts,
)
from widgets._registry import register

# Category labels longer than this are cut on the axis (the hover shows them whole),
# so that one long campaign name cannot squeeze the bars into a sliver.
MAX_LABEL_CHARS = 22
# Room beyond the longest bar for its value label, as a share of the value range.
LABEL_HEADROOM = 0.18
# Approximate width of one value-label character at the theme's font size, in pixels.
LABEL_CHAR_PX = 7
FRAME_COLUMNS = ["category", "label", "series", "key", "value"]


class BarConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    orientation: Literal["vertical", "horizontal"] = "vertical"
    format: Literal["currency", "percent", "number", "ratio"] | None = None
    show_values: bool = True
    # Stack the series of a split time series; ratios (ROAS, CTR...) are never stacked,
    # because they do not add up.
    stacked: bool = True


class BarChartSpec(WidgetBase):
    type: Literal["bar_chart"] = "bar_chart"
    config: BarConfig = Field(default_factory=BarConfig)

    @model_validator(mode="after")
    def _bar_shaped_view(self) -> BarChartSpec:
        view = self.query_params.get("view", "breakdown")
        if self.data_source == "campaigns" and view not in ("breakdown", "timeseries"):
            raise ValueError(
                "query_params.view: a bar chart shows a 'breakdown' (one bar per "
                "platform, campaign or country) or a 'timeseries' (bars per date), "
                f"not {view!r}"
            )
        return self


def bar_frame(data: dict) -> pd.DataFrame:
    """A ``breakdown`` or ``timeseries`` result as columns ``category`` (item name or
    date), ``label`` (axis text), ``series``, ``key`` (platform, campaign id or
    country) and ``value`` (NaN for no value).

    Breakdown items keep the source's ranking; names that occur twice (two campaigns
    called alike) get their key appended so their bars do not merge, and shortened
    labels stay distinct.
    """
    rows: list[dict[str, Any]] = []
    if "items" in data:
        names = [str(item.get("name") or item.get("key")) for item in data["items"]]
        categories = [
            f"{name} ({item.get('key')})" if names.count(name) > 1 else name
            for item, name in zip(data["items"], names, strict=True)
        ]
        labels = distinct_short_labels(categories, MAX_LABEL_CHARS)
        for item, category, label in zip(
            data["items"], categories, labels, strict=True
        ):
            rows.append(
                {
                    "category": category,
                    "label": label,
                    "series": data.get("label", "Value"),
                    "key": item.get("key"),
                    "value": item.get("value"),
                }
            )
    else:
        for series in data.get("series", []):
            for point in series["points"]:
                rows.append(
                    {
                        "category": point["date"],
                        "label": point["date"],
                        "series": series["name"],
                        "key": series.get("key"),
                        "value": point["value"],
                    }
                )
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame


def is_additive(data: dict) -> bool:
    """Whether the result's metric adds up across series (spend does, ROAS does not).

    Unknown metrics (other data sources' counts) are taken as additive.
    """
    metric = METRICS.get(data.get("metric", ""))
    return metric is None or not metric.is_ratio


def make_figure(
    df: pd.DataFrame,
    *,
    orientation: str = "vertical",
    fmt: str = "number",
    currency: str = "USD",
    show_values: bool = True,
    stacked: bool = True,
    dates: bool = False,
    template: str = theme.LIGHT,
    granularity: str | None = None,
) -> go.Figure:
    """Bars of ``value`` per ``category``, one trace per ``series``.

    A single series colours each bar by its ``key`` when that is a platform (Meta blue,
    Google amber...) and otherwise uses one colour; several series are stacked (or
    grouped when ``stacked`` is false) and coloured by their platform key. Missing
    values draw no bar and are marked "—" on the axis, never as a zero bar.

    Args:
        df: columns ``category``, ``label``, ``series``, ``key``, ``value``
            (see :func:`bar_frame`).
        orientation: ``vertical`` (columns) or ``horizontal`` (rows, first item on top).
        fmt: value format (``currency``, ``percent``, ``ratio``, ``number``).
        currency: ISO code of the org's currency.
        show_values: print each bar's value on or beside it.
        stacked: stack several series instead of grouping them side by side.
        dates: categories are ISO dates (a time series), drawn on a date axis.
        template: Plotly template name.
        granularity: of a time series (``week``, ``day``, ``hour``): each bar of a
            week or a day carries its drill-down target as its last customdata.
    """
    horizontal = orientation == "horizontal"
    # Largest series first: at the bottom of a stack, and first in the hover.
    series_names = list(
        df.groupby("series", sort=False)["value"]
        .sum()
        .sort_values(ascending=False, kind="stable")
        .index
    )
    several = len(series_names) > 1
    figure = go.Figure()
    longest_label = 0
    for index, name in enumerate(series_names):
        group = df[df["series"] == name]
        values = group["value"].tolist()
        exact = [format_value(v, fmt, currency) for v in values]
        short = [
            format_value(v, fmt, currency, compact=True) if pd.notna(v) else ""
            for v in values
        ]
        longest_label = max([longest_label, *(len(text) for text in short)])
        if several:
            colors: str | list[str] = theme.series_color(group["key"].iloc[0], index)
        else:
            colors = [theme.series_color(str(key), 0) for key in group["key"]]
        categories = pd.to_datetime(group["category"]) if dates else group["category"]
        value_axis, category_axis = ("x", "y") if horizontal else ("y", "x")
        figure.add_trace(
            go.Bar(
                **{value_axis: group["value"], category_axis: categories},
                orientation="h" if horizontal else "v",
                name=str(name),
                marker=dict(color=colors),
                text=short if show_values else None,
                textposition=("inside" if several and stacked else "outside")
                if show_values
                else None,
                cliponaxis=False,
                customdata=[
                    [*point, drill_target(granularity, point[0])]
                    if dates and drill_target(granularity, point[0])
                    else list(point)
                    for point in zip(
                        group["category"], exact, group["key"].astype(str), strict=True
                    )
                ],
                hovertemplate=(
                    f"{name}: %{{customdata[1]}}<extra></extra>"
                    if several
                    else "<b>%{customdata[0]}</b><br>%{customdata[1]}<extra></extra>"
                ),
            )
        )
    _mark_missing(figure, df, horizontal=horizontal, dates=dates, template=template)
    max_abs = float(df["value"].abs().max()) if df["value"].notna().any() else None
    prefix, tickformat, suffix = plotly_number_parts(fmt, currency, max_abs=max_abs)
    value_axis_layout: dict[str, Any] = dict(
        tickformat=tickformat,
        tickprefix=prefix,
        ticksuffix=suffix,
        rangemode="tozero",
        # A phone-width card has room for a few ticks; more would be turned on end.
        nticks=5,
    )
    if show_values and not (several and stacked) and max_abs:
        # Outside labels need room past the longest bar, or the plot edge cuts them.
        value_axis_layout["range"] = [0, max_abs * (1 + LABEL_HEADROOM)]
        if horizontal:
            # On a narrow card the headroom is a few pixels: let the label run into a
            # right margin wide enough for it (labels are not clipped to the axes).
            figure.update_layout(margin=dict(r=16 + LABEL_CHAR_PX * longest_label))
            # Every bar says its value: the value axis would only repeat it, and on a
            # phone its ticks have no room but to stand on end.
            value_axis_layout["showticklabels"] = False
    if dates:
        category_axis_layout: dict[str, Any] = dict(type="date")
    else:
        # Full names stay the categories (unique); the ticks show them shortened.
        ticks = df.drop_duplicates("category")
        category_axis_layout = dict(
            type="category",
            tickmode="array",
            tickvals=ticks["category"].tolist(),
            ticktext=ticks["label"].tolist(),
        )
    if horizontal and not dates:
        category_axis_layout["autorange"] = "reversed"  # rank 1 at the top
    if horizontal:
        xaxis, yaxis = value_axis_layout, category_axis_layout
    else:
        xaxis, yaxis = category_axis_layout, value_axis_layout
    figure.update_layout(
        template=template,
        barmode="stack" if several and stacked else "group",
        showlegend=several,
        hovermode=("y unified" if horizontal else "x unified")
        if several
        else "closest",
        uniformtext=dict(minsize=9, mode="hide"),
        xaxis=xaxis,
        yaxis=yaxis,
    )
    return figure


def _mark_missing(
    figure: go.Figure, df: pd.DataFrame, *, horizontal: bool, dates: bool, template: str
) -> None:
    """Write "—" at the base of each category whose value is missing, so an absent bar
    is not read as zero."""
    totals = df.groupby("category", sort=False)["value"].apply(
        lambda v: v.notna().any()
    )
    for category, has_value in totals.items():
        if has_value:
            continue
        position = pd.Timestamp(category) if dates else category
        figure.add_annotation(
            **(
                {"y": position, "x": 0, "xanchor": "left"}
                if horizontal
                else {"x": position, "y": 0, "yanchor": "bottom"}
            ),
            text=NO_VALUE,
            showarrow=False,
            font=dict(color=theme.muted_text(template)),
        )


def spec_figure(spec: BarChartSpec, data: dict, ctx: RenderContext) -> go.Figure | None:
    """The figure :func:`build` shows (also exported into reports), or ``None`` when
    there is no data to draw."""
    frame = bar_frame(data)
    if frame["value"].isna().all():
        return None
    return make_figure(
        frame,
        orientation=spec.config.orientation,
        fmt=spec.config.format or data.get("format", "number"),
        currency=data.get("currency", ctx.currency),
        show_values=spec.config.show_values,
        stacked=spec.config.stacked and is_additive(data),
        dates="items" not in data,
        template=theme.template_name(ctx.theme),
        granularity=data.get("granularity"),
    )


@register(BarChartSpec, default_params={"view": "breakdown"}, figure=spec_figure)
def build(spec: BarChartSpec, data: dict, ctx: RenderContext) -> dcc.Graph | html.Div:
    """Render a ``breakdown`` or split ``timeseries`` result as a bar chart."""
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
