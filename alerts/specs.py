"""Alert types: one pydantic model per ``alert_type`` and one registry of them.

An alert's ``condition`` JSON is validated by its type's model (``extra="forbid"``,
errors name the field: ``condition.metric: 'cpx' is not one of ...``); its
``notification_config`` by :class:`NotificationConfig`. The seed's shapes are accepted
as written::

    threshold  {"metric": "cpa", "operator": ">", "threshold": 50,
                "entity_type": "campaign"}
    change     {"metric": "revenue", "change_percent": -20, "period": "24h"}
    anomaly    {"severity": ["high", "critical"], "metric": "conversions"}
    forecast   {"metric": "budget_depletion", "forecast_days": 7, "threshold": 90}

Every type shares the anti-flapping settings: ``pending_evaluations`` (the condition
must hold that many evaluations in a row before the alert fires) and a recovery
threshold (a firing alert resolves only once the value is back past it; by default
the firing threshold). The alert's ``cooldown_minutes`` column keeps a resolved entity
from firing again too soon.

The registry (:func:`register`, :func:`alert_type`, :func:`reset_registry` for
tests) maps a type name to its :class:`AlertType`; :mod:`alerts.observe` registers
the four built-in types with the function that measures each.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from automation.conditions import OPERATOR_ALIASES, Condition
from core.reference import PLATFORMS

EntityKind = Literal["org", "platform", "campaign"]
MAX_PENDING_EVALUATIONS = 60
SEVERITIES = ("low", "medium", "high", "critical")
ANOMALY_METRICS = ("spend", "revenue", "conversions", "roas")


class AlertSpecError(ValueError):
    """An alert's JSON is invalid; ``details`` names each field."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or [message]


def _messages(exc: ValidationError, prefix: str) -> list[str]:
    lines = []
    for err in exc.errors():
        location = ".".join(str(part) for part in err["loc"])
        message = err["msg"].removeprefix("Value error, ")
        if (
            not location
            and ": " in message
            and message.split(": ", 1)[0].isidentifier()
        ):
            location, message = message.split(": ", 1)
        lines.append(f"{prefix}{'.' + location if location else ''}: {message}")
    return lines


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    pending_evaluations: int = Field(1, ge=1, le=MAX_PENDING_EVALUATIONS)


class _Scoped(_Spec):
    """Which entities an alert looks at: the org's total, each platform or each
    campaign, optionally only some platforms or campaigns."""

    entity: EntityKind = Field("org", alias="entity_type")
    platforms: list[str] = Field(default_factory=list)
    campaign_ids: list[int] = Field(default_factory=list)

    @field_validator("platforms")
    @classmethod
    def _known_platforms(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in PLATFORMS]
        if unknown:
            raise ValueError(
                f"unknown platform(s) {unknown}; expected some of {list(PLATFORMS)}"
            )
        return value


class ThresholdSpec(_Scoped):
    """A metric compared with a value over a window: ``cpa > 50 over 1d``."""

    metric: str
    operator: Literal["gt", "gte", "lt", "lte", "eq"]
    threshold: float = Field(allow_inf_nan=False)
    window: str = "1d"
    include_current: bool = False
    min_spend: float | None = Field(None, ge=0, allow_inf_nan=False)
    recovery_threshold: float | None = Field(None, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _symbols(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("operator"), str):
            data = dict(data)
            operator = data["operator"].strip()
            data["operator"] = OPERATOR_ALIASES.get(operator, operator)
        return data

    @model_validator(mode="after")
    def _check(self) -> ThresholdSpec:
        _metric_ok(self.metric)
        self.condition()  # validates metric and window
        _recovery_ok(self.operator, self.threshold, self.recovery_threshold)
        return self

    def condition(self, recovery: bool = False) -> Condition:
        threshold = self.threshold
        if recovery and self.recovery_threshold is not None:
            threshold = self.recovery_threshold
        return _condition(
            metric=self.metric,
            operator=self.operator,
            threshold=threshold,
            window=self.window,
            include_current=self.include_current,
            min_spend=self.min_spend,
        )


class ChangeSpec(_Scoped):
    """A metric's change in percent against the previous window of equal length:
    ``change_percent: -20, period: "24h"`` fires when revenue over the last 24 hours
    is at least 20 % below the 24 hours before; a positive percent fires on a rise."""

    metric: str
    change_percent: float = Field(allow_inf_nan=False)
    window: str = Field("1d", alias="period")
    include_current: bool = False
    min_spend: float | None = Field(None, ge=0, allow_inf_nan=False)
    recovery_change_percent: float | None = Field(None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _check(self) -> ChangeSpec:
        if self.change_percent == 0:
            raise ValueError("change_percent: a change of 0 % is not a condition")
        _metric_ok(self.metric)
        self.condition()
        operator = "lte" if self.change_percent < 0 else "gte"
        _recovery_ok(
            operator,
            self.change_percent,
            self.recovery_change_percent,
            field="recovery_change_percent",
        )
        return self

    def condition(self, recovery: bool = False) -> Condition:
        threshold = self.change_percent
        if recovery and self.recovery_change_percent is not None:
            threshold = self.recovery_change_percent
        return _condition(
            metric=self.metric,
            operator="change_pct_lte" if self.change_percent < 0 else "change_pct_gte",
            threshold=threshold,
            window=self.window,
            include_current=self.include_current,
            min_spend=self.min_spend,
        )


class AnomalySpec(_Spec):
    """New anomalies (status ``new``) of the listed severities for a metric, found by
    the analytics over the last ``lookback_days``: each campaign or platform with one
    fires; it resolves when its anomalies are acknowledged or resolved."""

    metric: Literal["spend", "revenue", "conversions", "roas"] | None = None
    severity: list[Literal["low", "medium", "high", "critical"]] = Field(
        default_factory=lambda: ["high", "critical"],  # type: ignore[arg-type]
        min_length=1,
    )
    entity: Literal["any", "campaign", "platform"] = Field("any", alias="entity_type")
    lookback_days: int = Field(7, ge=1, le=90)

    @field_validator("severity", mode="before")
    @classmethod
    def _one_severity(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class ForecastSpec(_Spec):
    """Budget depletion: a campaign whose spend to date plus its recent daily rate
    for ``forecast_days`` reaches ``threshold`` % of its lifetime budget."""

    metric: Literal["budget_depletion"] = "budget_depletion"
    forecast_days: int = Field(7, ge=1, le=365)
    threshold: float = Field(90, gt=0, le=1000, allow_inf_nan=False)
    lookback_days: int = Field(7, ge=1, le=90)
    platforms: list[str] = Field(default_factory=list)
    campaign_ids: list[int] = Field(default_factory=list)
    recovery_threshold: float | None = Field(None, gt=0, allow_inf_nan=False)
    # Forecasts are per campaign; the key is accepted for the seed's shape.
    entity: Literal["campaign"] = Field("campaign", alias="entity_type")

    @model_validator(mode="after")
    def _check(self) -> ForecastSpec:
        _recovery_ok("gte", self.threshold, self.recovery_threshold)
        return self


def _condition(**fields: Any) -> Condition:
    try:
        return Condition(**fields)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "metric"
        raise ValueError(
            f"{field}: {err['msg'].removeprefix('Value error, ')}"
        ) from None


def _metric_ok(metric: str) -> None:
    if metric == "budget_utilization":
        raise ValueError(
            "metric: budget_utilization is not alerted on this way; use a forecast "
            "alert (budget_depletion)"
        )


def _recovery_ok(
    operator: str,
    threshold: float,
    recovery: float | None,
    field: str = "recovery_threshold",
) -> None:
    """The recovery threshold lies on the safe side of the firing one (or equals it):
    for ``cpa > 50`` it is at most 50, for ``roas < 2`` at least 2."""
    if recovery is None:
        return
    if operator == "eq":
        raise ValueError(f"{field}: an '==' alert has no recovery threshold")
    if operator in ("gt", "gte") and recovery > threshold:
        raise ValueError(f"{field}: must be at most the threshold {threshold:g}")
    if operator in ("lt", "lte") and recovery < threshold:
        raise ValueError(f"{field}: must be at least the threshold {threshold:g}")


class NotificationConfig(BaseModel):
    """Where an alert's notifications go: ``{"channels": ["email", "slack"],
    "recipients": ["a@acme.example"], "slack_webhook": "https://hooks.slack.com/...",
    "webhook_url": "https://..."}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channels: list[Literal["email", "slack", "webhook"]] = Field(
        default_factory=lambda: ["email"]  # type: ignore[arg-type]
    )
    recipients: list[str] = Field(default_factory=list, max_length=50)
    slack_webhook: str | None = Field(None, max_length=500)
    webhook_url: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _targets(self) -> NotificationConfig:
        if "email" in self.channels and not self.recipients:
            raise ValueError("recipients: the email channel needs at least one")
        if "slack" in self.channels and not self.slack_webhook:
            raise ValueError("slack_webhook: the slack channel needs its URL")
        if "webhook" in self.channels and not self.webhook_url:
            raise ValueError("webhook_url: the webhook channel needs its URL")
        return self


# ----------------------------------------------------------------------- registry
@dataclass(frozen=True)
class AlertType:
    """A registered alert type: its condition model and how it is measured
    (``observe(session, org, spec, now) -> list[Observation]``, see
    :mod:`alerts.observe`)."""

    name: str
    spec: type[_Spec]
    observe: Callable[..., Any]
    label: str = ""


_REGISTRY: dict[str, AlertType] = {}


def register(name: str, spec: type[_Spec], label: str = "") -> Callable:
    """Register ``observe`` as alert type ``name`` with its condition model.

    Raises:
        ValueError: ``name`` is registered already.
    """

    def decorate(observe: Callable) -> Callable:
        if name in _REGISTRY:
            raise ValueError(f"alert type {name!r} is registered twice")
        _REGISTRY[name] = AlertType(name, spec, observe, label or name)
        return observe

    return decorate


def reset_registry() -> dict[str, AlertType]:
    """Empty the registry and return what it held (tests put it back)."""
    held = dict(_REGISTRY)
    _REGISTRY.clear()
    return held


def restore_registry(held: dict[str, AlertType]) -> None:
    _REGISTRY.clear()
    _REGISTRY.update(held)


def alert_types() -> dict[str, AlertType]:
    _load_builtin()
    return dict(_REGISTRY)


def alert_type(name: str) -> AlertType:
    """The registered type ``name``.

    Raises:
        AlertSpecError: naming ``alert_type`` and the known types.
    """
    _load_builtin()
    if name not in _REGISTRY:
        raise AlertSpecError(
            f"alert_type: {name!r} is not one of {', '.join(sorted(_REGISTRY))}"
        )
    return _REGISTRY[name]


def _load_builtin() -> None:
    # The built-in types register themselves when their module is imported; it
    # imports this one, so it is loaded on first use rather than at the top.
    if not _REGISTRY:
        importlib.import_module("alerts.observe")


@dataclass(frozen=True)
class ParsedAlert:
    type: AlertType
    spec: Any
    notification: NotificationConfig


def parse_alert(alert_type_name: Any, condition: Any, notification: Any) -> ParsedAlert:
    """Validate an alert's type, condition and notification JSON together.

    Raises:
        AlertSpecError: every problem, each naming its field (``condition.window:
            ...``, ``notification_config.recipients: ...``).
    """
    if not isinstance(alert_type_name, str):
        raise AlertSpecError("alert_type: expected one of threshold, change, ...")
    kind = alert_type(alert_type_name)
    details: list[str] = []
    spec = None
    if not isinstance(condition, dict):
        details.append("condition: expected a JSON object")
    else:
        try:
            spec = kind.spec.model_validate(condition)
        except ValidationError as exc:
            details += _messages(exc, "condition")
    config = None
    try:
        config = NotificationConfig.model_validate(notification or {})
    except ValidationError as exc:
        details += _messages(exc, "notification_config")
    if details:
        raise AlertSpecError(details[0], details)
    assert spec is not None and config is not None
    return ParsedAlert(kind, spec, config)
