"""Conditions over a metric window, shared by automation rules and alerts.

A condition compares one metric, computed from base-column sums over a window (ratio
of sums, see :mod:`core.metrics`), with a threshold::

    {"metric": "cpa", "operator": ">", "threshold": 60, "window": "7d",
     "min_spend": 100}

or compares its percent change against the window of equal length just before::

    {"metric": "spend", "operator": "change_pct_gt", "threshold": 50, "window": "1d"}

The shorthand ``{"metric": "spend_change_pct", "operator": ">", ...}`` means the
same. Operators are ``gt gte lt lte eq`` (or ``> >= < <= ==``) and ``change_pct_gt
change_pct_gte change_pct_lt change_pct_lte``. Conditions combine with
``{"all": [...]}`` or ``{"any": [...]}``.

A metric without a value (zero denominator, no previous value) never satisfies a
condition: "no data" must not pause a campaign or fire an alert. Evaluation is pure;
the caller fetches the sums (in SQL) for the windows that :func:`evaluation_window`
describes.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from core.metrics import Metric, resolve_metric
from core.windows import org_today

Operator = Literal[
    "gt",
    "gte",
    "lt",
    "lte",
    "eq",
    "change_pct_gt",
    "change_pct_gte",
    "change_pct_lt",
    "change_pct_lte",
]
OPERATOR_ALIASES = {
    ">": "gt",
    ">=": "gte",
    "<": "lt",
    "<=": "lte",
    "==": "eq",
    "=": "eq",
}
CHANGE_SUFFIX = "_change_pct"
SYMBOLS = {"gt": ">", "gte": "≥", "lt": "<", "lte": "≤", "eq": "="}
WINDOW_PATTERN = re.compile(r"^(\d{1,4})([dh])$")
MAX_WINDOW = {"d": 366, "h": 24 * 31}
EQUAL_TOLERANCE = 1e-9


class ConditionError(ValueError):
    """A condition's JSON is invalid; the message names the field
    (``condition.metric``)."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or [message]


def _compare(operator: str, value: float, threshold: float) -> bool:
    if operator == "gt":
        return value > threshold
    if operator == "gte":
        return value >= threshold
    if operator == "lt":
        return value < threshold
    if operator == "lte":
        return value <= threshold
    return math.isclose(
        value, threshold, rel_tol=EQUAL_TOLERANCE, abs_tol=EQUAL_TOLERANCE
    )


class Condition(BaseModel):
    """One metric compared with a threshold over a window of org-local days or UTC
    hours.

    ``window`` is ``"7d"`` (the last 7 complete org-local days) or ``"24h"`` (the last
    24 complete hours); ``include_current`` adds the running day or hour.
    ``min_spend`` guards against judging a campaign on too little data: below it the
    condition is not met.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str
    operator: Operator
    threshold: float = Field(allow_inf_nan=False)
    window: str = "7d"
    min_spend: float | None = Field(None, ge=0, allow_inf_nan=False)
    include_current: bool = False

    @model_validator(mode="before")
    @classmethod
    def _seed_shorthand(cls, data: Any) -> Any:
        """Map symbols to names and ``<metric>_change_pct`` to a change operator."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        operator = data.get("operator")
        if isinstance(operator, str):
            operator = OPERATOR_ALIASES.get(operator.strip(), operator.strip())
            data["operator"] = operator
        metric = data.get("metric")
        if isinstance(metric, str) and metric.endswith(CHANGE_SUFFIX):
            data["metric"] = metric.removesuffix(CHANGE_SUFFIX)
            if isinstance(operator, str) and operator in ("gt", "gte", "lt", "lte"):
                data["operator"] = f"change_pct_{operator}"
            elif isinstance(operator, str) and not operator.startswith("change_pct_"):
                raise ValueError(
                    f"operator: {operator!r} cannot compare a percent change; "
                    "use >, >=, < or <="
                )
        return data

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        return resolve_metric(value).name

    @field_validator("window")
    @classmethod
    def _valid_window(cls, value: str) -> str:
        match = WINDOW_PATTERN.match(value)
        if not match or not 1 <= int(match.group(1)) <= MAX_WINDOW[match.group(2)]:
            raise ValueError(
                f"{value!r} is not a window like '7d' (1-366 days) or '24h' "
                "(1-744 hours)"
            )
        return value

    @property
    def metric_def(self) -> Metric:
        return resolve_metric(self.metric)

    @property
    def is_change(self) -> bool:
        return self.operator.startswith("change_pct_")

    @property
    def comparison(self) -> str:
        """The plain comparison (``gt`` …) applied to the value or to its change."""
        return self.operator.removeprefix("change_pct_")

    @property
    def window_amount(self) -> int:
        return int(self.window[:-1])

    @property
    def window_unit(self) -> Literal["d", "h"]:
        return "d" if self.window.endswith("d") else "h"

    def describe(self) -> str:
        """Human text such as ``cpa > 60 over 7d`` or ``spend change > 50% over 1d``."""
        symbol = SYMBOLS[self.comparison]
        subject = f"{self.metric} change" if self.is_change else self.metric
        suffix = "%" if self.is_change else ""
        return f"{subject} {symbol} {self.threshold:g}{suffix} over {self.window}"


class CompoundCondition(BaseModel):
    """All (or any) of several conditions; exactly one of ``all``/``any``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    all_of: list[ConditionTree] | None = Field(None, alias="all", min_length=1)
    any_of: list[ConditionTree] | None = Field(None, alias="any", min_length=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> CompoundCondition:
        if (self.all_of is None) == (self.any_of is None):
            raise ValueError("give exactly one of 'all' or 'any'")
        return self

    @property
    def mode(self) -> Literal["all", "any"]:
        return "all" if self.all_of is not None else "any"

    @property
    def parts(self) -> list[ConditionTree]:
        return self.all_of if self.all_of is not None else self.any_of  # type: ignore[return-value]


def _kind(raw: Any) -> str:
    """A JSON object with ``all``/``any`` is a compound; anything else a condition."""
    if isinstance(raw, dict):
        return "compound" if ("all" in raw or "any" in raw) else "single"
    return "compound" if isinstance(raw, CompoundCondition) else "single"


ConditionTree = Annotated[
    Annotated[Condition, Tag("single")] | Annotated[CompoundCondition, Tag("compound")],
    Discriminator(_kind),
]
CompoundCondition.model_rebuild()


@dataclass(frozen=True)
class ConditionResult:
    """The outcome of one evaluation.

    ``value`` is the metric (or its percent change); ``None`` means "no value" and never
    satisfies a condition. ``parts`` holds the results of a compound's members.
    """

    met: bool
    value: float | None
    reason: str
    parts: tuple[ConditionResult, ...] = ()


def _format_value(value: float) -> str:
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.2f}"


def evaluate(
    condition: Condition,
    current: dict[str, float],
    previous: dict[str, float] | None = None,
) -> ConditionResult:
    """Evaluate one condition on the base-column sums of its window.

    Args:
        condition: a validated condition.
        current: sums over the current window (``impressions``, ``clicks``,
            ``conversions``, ``spend``, ``revenue``; ``budget`` for budget utilization).
        previous: sums over the window just before, needed by change operators.

    Returns:
        Whether it is met, the compared value and a one-line reason.
    """
    metric = condition.metric_def
    text = condition.describe()
    if condition.min_spend is not None:
        spend = float(current.get("spend") or 0)
        if spend < condition.min_spend:
            return ConditionResult(
                False,
                None,
                f"spend {_format_value(spend)} is below "
                f"min_spend {condition.min_spend:g}; {text} not judged",
            )
    value = metric.value(current)
    if condition.is_change:
        before = metric.value(previous) if previous is not None else None
        if value is None or before is None or before == 0:
            return ConditionResult(
                False,
                None,
                f"{condition.metric} change has no value "
                f"(no previous figure); {text} not met",
            )
        value = (value - before) / abs(before) * 100.0
    if value is None:
        return ConditionResult(
            False,
            None,
            f"{condition.metric} has no value (nothing to divide by); {text} not met",
        )
    met = _compare(condition.comparison, value, condition.threshold)
    shown = _format_value(value) + ("%" if condition.is_change else "")
    return ConditionResult(
        met,
        value,
        f"{condition.metric}{' change' if condition.is_change else ''}"
        f" = {shown}: {text} {'met' if met else 'not met'}",
    )


SumsLookup = Callable[[Condition], tuple[dict[str, float], dict[str, float] | None]]


def evaluate_tree(condition: ConditionTree, sums_for: SumsLookup) -> ConditionResult:
    """Evaluate a condition or a compound; ``sums_for`` gives each leaf's window sums.

    A compound's ``value`` is its first member's value (what a single-metric display
    shows); its reason joins the members' reasons.
    """
    if isinstance(condition, Condition):
        return evaluate(condition, *sums_for(condition))
    parts = tuple(evaluate_tree(part, sums_for) for part in condition.parts)
    flags = [p.met for p in parts]
    met = all(flags) if condition.mode == "all" else any(flags)
    reason = f"{condition.mode} of: " + "; ".join(p.reason for p in parts)
    return ConditionResult(met, parts[0].value, reason, parts)


def leaves(condition: ConditionTree) -> list[Condition]:
    """Every single condition of a tree, in order."""
    if isinstance(condition, Condition):
        return [condition]
    return [leaf for part in condition.parts for leaf in leaves(part)]


def format_errors(
    exc: ValidationError, prefix: str, hidden: tuple[str, ...] = ()
) -> list[str]:
    """Pydantic errors as ``prefix.field: message`` lines.

    ``hidden`` names union tags to leave out of the field path (``action.budget_adjust.
    percent`` reads ``action.percent``).
    """
    lines = []
    skip = {"single", "compound", *hidden}
    for err in exc.errors():
        location = ".".join(str(p) for p in err["loc"] if p not in skip)
        location = location.replace("all_of", "all").replace("any_of", "any")
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "union_tag_not_found":
            tag = str(err.get("ctx", {}).get("discriminator", "type")).strip("'")
            location, message = (
                f"{location}.{tag}" if location else tag,
                "Field required",
            )
        if (
            not location
            and ": " in message
            and message.split(": ", 1)[0].isidentifier()
        ):
            # A before-validator names its own field ("operator: ...").
            location, message = message.split(": ", 1)
        lines.append(f"{prefix}{'.' + location if location else ''}: {message}")
    return lines


def parse_condition(raw: Any) -> ConditionTree:
    """Validate a condition's JSON, compound or single.

    Raises:
        ConditionError: naming the field, e.g. ``condition.metric: 'cpx' is not one
            of …``.
    """
    if not isinstance(raw, dict):
        raise ConditionError(
            f"condition: expected a JSON object, got {type(raw).__name__}"
        )
    model = CompoundCondition if ("all" in raw or "any" in raw) else Condition
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        details = format_errors(exc, "condition")
        raise ConditionError(details[0], details) from None


@dataclass(frozen=True)
class EvaluationWindow:
    """The current and previous window of a condition, as half-open bounds.

    For day windows the bounds are org-local dates (``start <= day < end``); for hour
    windows they are naive-UTC hour starts (``start <= hour_utc < end``).
    """

    unit: Literal["d", "h"]
    start: dt.date | dt.datetime
    end: dt.date | dt.datetime
    previous_start: dt.date | dt.datetime
    previous_end: dt.date | dt.datetime

    def as_dict(self) -> dict[str, str]:
        return {
            "unit": self.unit,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "previous_start": self.previous_start.isoformat(),
            "previous_end": self.previous_end.isoformat(),
        }


def evaluation_window(
    condition: Condition, timezone: str, now: dt.datetime | None = None
) -> EvaluationWindow:
    """Where a condition looks: the last N complete org-local days (or UTC hours), plus
    the running one when ``include_current``; the previous window has equal length.

    Complete periods by default, so a morning's partial day is not compared with a full
    one (a "conversions dropped 40 %" rule would otherwise fire every morning).
    """
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    amount = condition.window_amount
    if condition.window_unit == "d":
        end: dt.date | dt.datetime = org_today(timezone, now) + dt.timedelta(
            days=1 if condition.include_current else 0
        )
        length: dt.timedelta = dt.timedelta(days=amount)
    else:
        hour = now.astimezone(dt.UTC).replace(
            tzinfo=None, minute=0, second=0, microsecond=0
        )
        end = hour + dt.timedelta(hours=1 if condition.include_current else 0)
        length = dt.timedelta(hours=amount)
    start = end - length
    return EvaluationWindow(condition.window_unit, start, end, start - length, start)
