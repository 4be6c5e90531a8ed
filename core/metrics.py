"""Metric definitions: what each metric sums, divides and how it is shown.

Derived metrics are always ratios of sums over the window (never an average of
per-row ratios), and a zero or empty denominator gives ``None`` ("no value", shown as
an em dash), not 0 or infinity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Float, cast, func, literal, null
from sqlalchemy.sql.elements import ColumnElement

Format = Literal["currency", "percent", "number", "ratio"]
BASE_COLUMNS = ("impressions", "clicks", "conversions", "spend", "revenue")


@dataclass(frozen=True)
class Metric:
    """One metric: a base sum, or numerator-sum / denominator-sum."""

    name: str
    label: str
    format: Format
    numerator: str
    denominator: str | None = None
    # None: a change is neither good nor bad (more spend is not a success by itself).
    higher_is_better: bool | None = True

    @property
    def is_ratio(self) -> bool:
        return self.denominator is not None

    def value(self, sums: Mapping[str, float | None]) -> float | None:
        """Compute the metric from a row of sums (Python side, e.g. for weeks)."""
        top = sums.get(self.numerator)
        if self.denominator is None:
            return float(top) if top is not None else 0.0
        bottom = sums.get(self.denominator)
        if top is None or not bottom:
            return None
        return float(top) / float(bottom)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("impressions", "Impressions", "number", "impressions"),
        Metric("clicks", "Clicks", "number", "clicks"),
        Metric("conversions", "Conversions", "number", "conversions"),
        Metric("spend", "Spend", "currency", "spend", higher_is_better=None),
        Metric("revenue", "Revenue", "currency", "revenue"),
        Metric("ctr", "CTR", "percent", "clicks", "impressions"),
        Metric("cpc", "CPC", "currency", "spend", "clicks", higher_is_better=False),
        Metric(
            "cpa", "CPA", "currency", "spend", "conversions", higher_is_better=False
        ),
        Metric("roas", "ROAS", "ratio", "revenue", "spend"),
        Metric(
            "conversion_rate", "Conversion rate", "percent", "conversions", "clicks"
        ),
        Metric(
            "budget_utilization", "Budget utilization", "percent", "spend", "budget"
        ),
    )
}
# Other names templates may use for the same metrics.
METRIC_ALIASES = {
    "total_revenue": "revenue",
    "total_spend": "spend",
    "total_conversions": "conversions",
    "total_clicks": "clicks",
    "total_impressions": "impressions",
    "cvr": "conversion_rate",
}
MetricName = Literal[
    "impressions",
    "clicks",
    "conversions",
    "spend",
    "revenue",
    "ctr",
    "cpc",
    "cpa",
    "roas",
    "conversion_rate",
    "budget_utilization",
]


def resolve_metric(name: str) -> Metric:
    """Look a metric up by name or seed alias; raise ``ValueError`` listing valid
    ones."""
    key = METRIC_ALIASES.get(name, name)
    if key not in METRICS:
        raise ValueError(f"{name!r} is not one of {', '.join(METRICS)}")
    return METRICS[key]


def ratio(numerator: ColumnElement, denominator: ColumnElement) -> ColumnElement:
    """``numerator / denominator`` in SQL as a float, NULL when the denominator is 0."""
    return cast(numerator, Float) / func.nullif(cast(denominator, Float), literal(0.0))


def sql_value(metric: Metric, columns) -> ColumnElement:
    """The SQL expression for ``metric`` over a table with the base columns.

    ``budget_utilization`` needs budgets, which live on campaigns, so it is computed
    by the caller and this returns NULL for it.
    """
    if metric.denominator == "budget":
        return null()
    top = func.sum(getattr(columns, metric.numerator))
    if metric.denominator is None:
        return func.coalesce(top, 0)
    return ratio(top, func.sum(getattr(columns, metric.denominator)))
