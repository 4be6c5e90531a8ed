"""KPI card: a headline number, its change against the previous period (up to the same
time of day when the period holds today), a sparkline, goal progress and a colour
status."""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import html
from pydantic import BaseModel, ConfigDict, Field

from widgets import _theme as theme
from widgets._base import RenderContext, WidgetBase
from widgets._formatting import NO_VALUE, format_change, format_value, is_missing
from widgets._registry import register
from widgets.line_chart import split_partial


class KpiConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["currency", "percent", "number", "ratio"] | None = None
    show_sparkline: bool = True
    goal: float | None = Field(None, gt=0)
    comparison_period: Literal[
        "previous_period", "previous_7_days", "previous_30_days", "previous_90_days"
    ] = "previous_period"
    higher_is_better: bool | None = None
    metric: str | None = None  # templates may name it here; query_params.metric wins


class KpiCardSpec(WidgetBase):
    type: Literal["kpi_card"] = "kpi_card"
    config: KpiConfig = Field(default_factory=KpiConfig)


def make_sparkline(
    df: pd.DataFrame,
    *,
    color: str = theme.PALETTE[0],
    template: str = theme.LIGHT,
    partial_from: str | None = None,
) -> go.Figure:
    """A bare line of ``df['value']`` over ``df['date']`` for a card's background.

    Args:
        df: columns ``date`` and ``value`` (``None`` for days with no value: a gap).
        color: line colour.
        template: Plotly template name.
        partial_from: ISO date of the day still filling (today): dotted from the day
            before.
    """
    df = df.assign(date=pd.to_datetime(df["date"]))
    final, so_far = split_partial(df, partial_from)
    figure = go.Figure(
        go.Scatter(
            x=final["date"],
            y=final["value"],
            mode="lines",
            line=dict(color=color, width=2),
            fill="tozeroy",
            fillcolor="rgba(37, 99, 235, 0.08)",
            hoverinfo="skip",
            connectgaps=False,
        )
    )
    if not so_far.empty:
        figure.add_trace(
            go.Scatter(
                x=so_far["date"],
                y=so_far["value"],
                mode="lines",
                line=dict(color=color, width=2, dash="dot"),
                hoverinfo="skip",
                connectgaps=False,
            )
        )
    figure.update_layout(
        template=template,
        margin=dict(l=0, r=0, t=0, b=0),
        height=48,
        showlegend=False,
        hovermode=False,
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
    )
    return figure


SPARK_WIDTH, SPARK_HEIGHT = 100.0, 48.0


def sparkline_svg(
    df: pd.DataFrame, *, color: str = theme.PALETTE[0], partial_from: str | None = None
) -> str:
    """The sparkline as a small standalone SVG: a line over a light area down to zero,
    gaps where a day has no value, and the day still filling dotted.

    A card shows it as an image: ten KPI cards then cost the browser ten tiny images
    instead of ten Plotly graphs. :func:`make_sparkline` draws the same as a figure for
    exports.
    """
    df = df.assign(
        date=pd.to_datetime(df["date"]),
        value=pd.to_numeric(df["value"], errors="coerce"),
    )
    values = df["value"].tolist()
    known = [v for v in values if pd.notna(v)]
    if not known:
        return ""
    low, high = min(0.0, *known), max(0.0, *known)
    span = (high - low) or 1.0
    step = SPARK_WIDTH / max(len(values) - 1, 1)
    final, so_far = split_partial(df, partial_from)

    def points(frame: pd.DataFrame) -> list[list[tuple[float, float]]]:
        """Runs of consecutive known points, as SVG coordinates."""
        runs: list[list[tuple[float, float]]] = [[]]
        for index, value in zip(frame.index, frame["value"], strict=True):
            if pd.isna(value):
                runs.append([])
                continue
            x = df.index.get_loc(index) * step
            runs[-1].append(
                (round(x, 2), round(SPARK_HEIGHT * (1 - (value - low) / span), 2))
            )
        return [run for run in runs if run]

    def path(run: list[tuple[float, float]]) -> str:
        return " ".join(f"{x:g},{y:g}" for x, y in run)

    base = round(SPARK_HEIGHT * (1 - (0.0 - low) / span), 2)
    shapes = []
    for run in points(final):
        if len(run) > 1:
            area = f"{run[0][0]:g},{base:g} {path(run)} {run[-1][0]:g},{base:g}"
            shapes.append(
                f'<polygon points="{area}" fill="{color}" fill-opacity="0.08"/>'
            )
        shapes.append(
            f'<polyline points="{path(run)}" fill="none" stroke="{color}" '
            'stroke-width="2" vector-effect="non-scaling-stroke"/>'
        )
    for run in points(so_far):
        shapes.append(
            f'<polyline points="{path(run)}" fill="none" stroke="{color}" '
            'stroke-width="2" stroke-dasharray="2 3" '
            'vector-effect="non-scaling-stroke"/>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SPARK_WIDTH:g} '
        f'{SPARK_HEIGHT:g}" preserveAspectRatio="none">{"".join(shapes)}</svg>'
    )


def status_color(change_pct: float | None, higher_is_better: bool | None) -> str:
    """``success``/``danger``/``secondary`` for a change, judged by the metric's sense.

    ``higher_is_better=None`` (e.g. spend) is never coloured good or bad.
    """
    if is_missing(change_pct) or abs(change_pct) < 0.5 or higher_is_better is None:
        return "secondary"
    improving = (change_pct > 0) == higher_is_better
    return "success" if improving else "danger"


def comparison_label(comparison: dict | None) -> str | None:
    """What the figure is compared with: the same period last year, or a window
    holding today so far; ``None`` for a window of complete days compared with the
    previous period's whole days."""
    if comparison and comparison.get("kind") == "previous_year":
        if comparison.get("same_time"):
            return "vs same time last year"
        return "vs same period last year"
    if not comparison or not comparison.get("same_time"):
        return None
    days = comparison.get("days", 1)
    if days == 1:
        return "vs same time yesterday"
    if days == 7:
        return "vs same time last week"
    return f"vs previous {days} days to the same time"


@register(KpiCardSpec, default_params={"view": "summary"})
def build(spec: KpiCardSpec, data: dict, ctx: RenderContext) -> html.Div:
    """Render the KPI card body from a ``campaigns`` summary result."""
    fmt = spec.config.format or data.get("format", "number")
    currency = data.get("currency", ctx.currency)
    higher_is_better = (
        spec.config.higher_is_better
        if spec.config.higher_is_better is not None
        else data.get("higher_is_better")
    )
    change = data.get("change_pct")
    colour = status_color(change, higher_is_better)
    arrow = {"up": "▲", "down": "▼"}.get(data.get("trend"), "■")
    previous_text = format_value(data.get("previous"), fmt, currency)
    label = comparison_label(data.get("comparison"))
    children = [
        html.Div(
            format_value(data.get("value"), fmt, currency),
            className="kpi-value",
            id={"type": "kpi-value", "index": ctx.widget_id},
        ),
    ]
    if (
        "previous" in data
    ):  # sources with no comparison period (e.g. a count of rules) omit it
        children.append(
            html.Div(
                [
                    html.Span(
                        f"{arrow} {format_change(change)}",
                        className=f"kpi-change text-{colour}",
                    ),
                    html.Span(
                        f" {label} ({previous_text})"
                        if label
                        else f" vs {previous_text} previous period",
                        className="kpi-previous text-muted",
                    ),
                ],
                className="kpi-comparison",
            )
        )
    if spec.config.goal:
        value = data.get("value")
        share = (
            0.0 if is_missing(value) else max(0.0, min(value / spec.config.goal, 1.0))
        )
        goal_text = format_value(spec.config.goal, fmt, currency)
        children.append(
            html.Div(
                [
                    dbc.Progress(
                        value=share * 100,
                        color=colour if colour != "secondary" else "info",
                        className="kpi-goal-bar",
                        style={"height": "6px"},
                    ),
                    html.Small(
                        f"{share:.0%} of goal {goal_text}"
                        if not is_missing(value)
                        else f"{NO_VALUE} of goal {goal_text}",
                        className="text-muted",
                    ),
                ],
                className="kpi-goal",
            )
        )
    if spec.config.show_sparkline and data.get("series"):
        svg = sparkline_svg(
            pd.DataFrame(data["series"]), partial_from=data.get("partial_bucket")
        )
        if svg:
            children.append(
                html.Img(
                    src="data:image/svg+xml;utf8," + quote(svg),
                    className="kpi-sparkline",
                    alt=f"{spec.title}: daily trend over the period",
                    style={"height": "48px", "width": "100%"},
                )
            )
    return html.Div(children, className=f"kpi-card kpi-status-{colour}")
