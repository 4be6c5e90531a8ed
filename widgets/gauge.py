"""Gauge: one value on a dial, against coloured threshold bands and a target marker.

Typical uses: budget pacing (``view: pacing``, 100% is on track), ROAS against a
target (``view: summary``), rate-limit usage. Thresholds work like Grafana's: each
one starts a band at its ``value`` that runs up to the next threshold (or ``max``) in
its ``color``, and the needle bar takes the colour of the band the value is in.
"""

from __future__ import annotations

import math
import re
from typing import Literal

import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from widgets import _theme as theme
from widgets._base import RenderContext, WidgetBase
from widgets._formatting import NO_DATA, NO_VALUE, format_value, plotly_number_parts
from widgets._registry import register

HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
# Budget pacing bands, the same cut-offs as the source's pacing_state: under 90% is
# under-delivering, 90-110% on track, over 110% overspending.
PACING_THRESHOLDS = [
    {"value": 0.0, "color": "warning"},
    {"value": 0.9, "color": "good"},
    {"value": 1.1, "color": "bad"},
]
PACING_TARGET = 1.0
# Opacity of the threshold bands behind the bar, so the bar stays the strongest mark.
BAND_OPACITY = 0.28


class Threshold(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: float
    color: str = Field(
        description="good, warning, bad, neutral or a hex colour such as #15803d"
    )

    @field_validator("color")
    @classmethod
    def _known_color(cls, value: str) -> str:
        if value not in theme.STATUS_COLORS and not HEX_COLOR.match(value):
            raise ValueError(
                f"{value!r} is not a colour; use one of "
                f"{', '.join(theme.STATUS_COLORS)} or a hex code like #15803d"
            )
        return value

    @property
    def css_color(self) -> str:
        return theme.STATUS_COLORS.get(self.color, self.color)


class GaugeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min: float = 0.0
    # None: a round number a little above the value, target and last threshold.
    max: float | None = None
    target: float | None = None
    thresholds: list[Threshold] = Field(default_factory=list)
    format: Literal["currency", "percent", "number", "ratio"] | None = None
    # Change against the previous period under the number (summary results only).
    show_delta: bool = True

    @model_validator(mode="after")
    def _consistent_scale(self) -> GaugeConfig:
        if self.max is not None and self.max <= self.min:
            raise ValueError(
                f"max ({self.max:g}) must be greater than min ({self.min:g})"
            )
        upper = math.inf if self.max is None else self.max
        if self.target is not None and not self.min <= self.target <= upper:
            raise ValueError(f"target ({self.target:g}) must lie between min and max")
        values = [t.value for t in self.thresholds]
        if any(b <= a for a, b in zip(values, values[1:], strict=False)):
            raise ValueError(
                f"thresholds must be in increasing order of value, got {values}"
            )
        outside = [v for v in values if not self.min <= v <= upper]
        if outside:
            raise ValueError(f"thresholds {outside} lie outside min..max")
        return self


class GaugeSpec(WidgetBase):
    type: Literal["gauge"] = "gauge"
    config: GaugeConfig = Field(default_factory=GaugeConfig)

    @model_validator(mode="after")
    def _single_value_view(self) -> GaugeSpec:
        view = self.query_params.get("view", "summary")
        if self.data_source == "campaigns" and view not in (
            "summary",
            "pacing",
            "realtime",
        ):
            raise ValueError(
                f"query_params.view: a gauge shows one value ('summary', 'pacing' "
                f"or 'realtime'), not {view!r}"
            )
        return self


def gauge_frame(data: dict) -> pd.DataFrame:
    """The dial's value as one row: ``value`` and ``previous`` (NaN: no value).

    A ``pacing`` result's value is its ``overall`` pacing; summary-like results (also
    other sources') give ``value`` and ``previous``.
    """
    value = data.get("overall") if data.get("view") == "pacing" else data.get("value")
    frame = pd.DataFrame([{"value": value, "previous": data.get("previous")}])
    return frame.apply(pd.to_numeric, errors="coerce")


NICE_STEPS = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)


def nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.2, 1.5, 2 ... 8 × 10^k) at or above
    ``value`` > 0, so a dial ends at 150% or 6×, not at 121% or 10×."""
    magnitude = 10 ** math.floor(math.log10(value))
    return next(
        round(step * magnitude, 12) for step in NICE_STEPS if step * magnitude >= value
    )


def scale_max(
    value: float | None,
    *,
    minimum: float,
    target: float | None,
    thresholds: list[Threshold],
) -> float:
    """An automatic top of the scale: 10% above the largest of the value, the target and
    the last threshold, rounded up to a nice number."""
    marks = [
        m for m in (value, target, *(t.value for t in thresholds)) if m is not None
    ]
    top = max(marks, default=minimum + 1) * 1.1
    return nice_ceiling(top - minimum) + minimum if top > minimum else minimum + 1


def band_color(value: float | None, thresholds: list[Threshold]) -> str:
    """The colour of the band ``value`` falls in (the brand blue below every band)."""
    color = theme.PALETTE[0]
    for threshold in thresholds:
        if value is not None and value >= threshold.value:
            color = threshold.css_color
    return color


def _translucent(color: str, opacity: float) -> str:
    hex_digits = color.lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(c * 2 for c in hex_digits)
    red, green, blue = (int(hex_digits[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({red}, {green}, {blue}, {opacity})"


def target_text(target: float, fmt: str, currency: str) -> str:
    """A target as people say it: "100 %" or "85.5 %", not "100.00%"."""
    if fmt == "percent":
        return f"{round(target * 100, 1):g} %"
    return format_value(target, fmt, currency)


def make_figure(
    df: pd.DataFrame,
    *,
    minimum: float = 0.0,
    maximum: float | None = None,
    target: float | None = None,
    thresholds: list[Threshold] | None = None,
    fmt: str = "number",
    currency: str = "USD",
    show_delta: bool = True,
    higher_is_better: bool | None = True,
    template: str = theme.LIGHT,
) -> go.Figure:
    """An angular gauge of ``df['value']`` with threshold bands and a target line.

    Args:
        df: one row with ``value`` and optionally ``previous`` (see
            :func:`gauge_frame`); a missing value shows "—" and no bar, never a dial at
            zero.
        minimum: bottom of the scale.
        maximum: top of the scale; ``None`` picks one (see :func:`scale_max`).
        target: value marked by a line across the dial, and named under it.
        thresholds: bands (see the module docstring).
        fmt: value format (``currency``, ``percent``, ``ratio``, ``number``).
        currency: ISO code of the org's currency.
        show_delta: show the relative change against ``previous`` when there is one.
        higher_is_better: colours the change (``None``: neither good nor bad).
        template: Plotly template name.
    """
    thresholds = thresholds or []
    value = df["value"].iloc[0]
    value = None if pd.isna(value) else float(value)
    previous = df["previous"].iloc[0] if "previous" in df else None
    previous = (
        None
        if previous is None or pd.isna(previous) or previous == 0
        else float(previous)
    )
    top = (
        maximum
        if maximum is not None
        else scale_max(value, minimum=minimum, target=target, thresholds=thresholds)
    )
    prefix, tick_format, suffix = plotly_number_parts(fmt, currency, max_abs=abs(top))
    if fmt == "percent":
        tick_format = ".0%"  # a dial's ticks are landmarks: 50%, not 50.0%
    number_format = {"percent": ".1%", "ratio": ".2f"}.get(
        fmt, ",.0f" if value is not None and abs(value) >= 1000 else ",.2~f"
    )
    bounds = [t.value for t in thresholds] + [top]
    steps = [
        dict(
            range=[t.value, bounds[i + 1]],
            color=_translucent(t.css_color, BAND_OPACITY),
        )
        for i, t in enumerate(thresholds)
    ]
    text = theme.muted_text(template)
    gauge = dict(
        shape="angular",
        axis=dict(
            range=[minimum, top],
            tickformat=tick_format,
            tickprefix=prefix,
            ticksuffix=suffix,
            tickcolor=text,
            nticks=6,
        ),
        bar=dict(color=band_color(value, thresholds), thickness=0.45),
        bgcolor=_translucent(theme.OTHER_COLOR, 0.15),
        borderwidth=0,
        steps=steps,
    )
    if target is not None:
        gauge["threshold"] = dict(
            line=dict(color=theme.text_color(template), width=3),
            thickness=0.9,
            value=target,
        )
    delta_shown = show_delta and previous is not None and value is not None
    good, bad = {True: (theme.GOOD, theme.BAD), False: (theme.BAD, theme.GOOD)}.get(
        higher_is_better, (theme.NEUTRAL, theme.NEUTRAL)
    )
    figure = go.Figure(
        go.Indicator(
            mode="gauge"
            + ("+number" if value is not None else "")
            + ("+delta" if delta_shown else ""),
            value=value if value is not None else minimum,
            number=dict(
                prefix=prefix,
                suffix=suffix,
                valueformat=number_format,
                font=dict(size=34),
            ),
            delta=dict(
                reference=previous,
                relative=True,
                valueformat=".1%",
                increasing=dict(color=good),
                decreasing=dict(color=bad),
            )
            if delta_shown
            else None,
            gauge=gauge,
            domain=dict(x=[0, 1], y=[0.1 if target is not None else 0, 1]),
        )
    )
    if value is None:
        # Without a value the dial stays empty; say so where the number would be.
        figure.data[0].gauge.bar.thickness = 0
        figure.add_annotation(
            text=NO_VALUE,
            x=0.5,
            y=0.22 if target is not None else 0.12,
            xref="paper",
            yref="paper",
            showarrow=False,
            font=dict(size=34),
        )
    if target is not None:
        figure.add_annotation(
            text=f"Target {target_text(target, fmt, currency)}",
            x=0.5,
            y=0,
            xref="paper",
            yref="paper",
            yanchor="bottom",
            showarrow=False,
            font=dict(size=12, color=text),
        )
    # Side margins hold the end ticks (0%, 150%), which sit outside the arc.
    figure.update_layout(template=template, margin=dict(l=48, r=48, t=24, b=8))
    return figure


def spec_figure(spec: GaugeSpec, data: dict, ctx: RenderContext) -> go.Figure | None:
    """The figure :func:`build` shows (also exported into reports), or ``None`` when
    there is no data to draw."""
    config = spec.config
    pacing = data.get("view") == "pacing"
    if ("overall" if pacing else "value") not in data:
        return None
    frame = gauge_frame(data)
    thresholds = config.thresholds or (
        [Threshold.model_validate(t) for t in PACING_THRESHOLDS] if pacing else []
    )
    return make_figure(
        frame,
        minimum=config.min,
        maximum=config.max,
        target=config.target
        if config.target is not None
        else (PACING_TARGET if pacing else None),
        thresholds=thresholds,
        fmt=config.format or data.get("format", "number"),
        currency=data.get("currency", ctx.currency),
        show_delta=config.show_delta,
        higher_is_better=data.get("higher_is_better"),
        template=theme.template_name(ctx.theme),
    )


@register(GaugeSpec, default_params={"view": "summary"}, figure=spec_figure)
def build(spec: GaugeSpec, data: dict, ctx: RenderContext) -> dcc.Graph | html.Div:
    """Render a summary value (or a pacing result's overall pacing) as a gauge.

    A pacing result without configured thresholds gets the pacing bands and a 100%
    target, so a "Budget Pacing" widget needs no config. A value of ``None`` (ROAS
    without spend, no active campaign to pace) shows "—" on an empty dial.
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
