"""List cards: anomalies (acknowledge/resolve), recommendations (apply/dismiss) and
platform warnings (token expiry, unhealthy connections) as a list of alert cards.

Action buttons appear only for users who can edit; ``callbacks.actions`` handles them
(re-checking role, org and widget) and re-renders the list with this module's
:func:`list_children`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from dash import html
from pydantic import BaseModel, ConfigDict, Field, model_validator

from widgets._base import RenderContext, WidgetBase
from widgets._formatting import NO_VALUE, format_value
from widgets._registry import register

Kind = Literal["anomalies", "recommendations", "warnings"]
KIND_BY_SOURCE = {
    "anomalies": "anomalies",
    "recommendations": "recommendations",
    "platform_connections": "warnings",
}
# Actions a button may ask for, per kind of item.
ACTIONS = {
    "anomalies": ("acknowledge", "resolve"),
    "recommendations": ("apply", "dismiss"),
}
ACTION_LABELS = {
    "acknowledge": "Acknowledge",
    "resolve": "Resolve",
    "apply": "Apply",
    "dismiss": "Dismiss",
}
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3, "warning": 2}
EMPTY_MESSAGES = {
    "anomalies": "No open anomalies in this period.",
    "recommendations": "No pending recommendations.",
    "warnings": "All platform connections are healthy.",
}


class ListCardsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind | None = None  # None: from the data source
    limit: int = Field(10, ge=1, le=100)


class ListCardsSpec(WidgetBase):
    type: Literal["list_cards"] = "list_cards"
    config: ListCardsConfig = Field(default_factory=ListCardsConfig)

    @model_validator(mode="after")
    def _known_kind(self) -> ListCardsSpec:
        expected = KIND_BY_SOURCE.get(self.data_source)
        if expected is None:
            raise ValueError(
                f"data_source: list cards show anomalies, recommendations or "
                f"platform_connections warnings, not {self.data_source!r}"
            )
        if self.config.kind is not None and self.config.kind != expected:
            raise ValueError(
                f"config.kind: {self.config.kind!r} cards need the {self.config.kind} "
                f"data source, not {self.data_source!r} (which gives {expected!r})"
            )
        return self

    @property
    def kind(self) -> str:
        return self.config.kind or KIND_BY_SOURCE[self.data_source]


def list_id(widget_id: Any) -> dict:
    """The id of the element holding a widget's cards (the action callback's output)."""
    return {"type": "list-cards", "widget": widget_id}


def action_button_id(action: Any, item_id: Any, widget_id: Any) -> dict:
    """The id of an action button (``ALL``/``MATCH`` wildcards work in every slot)."""
    return {
        "type": "list-action",
        "action": action,
        "index": item_id,
        "widget": widget_id,
    }


def _badge(text: str, level: str) -> html.Span:
    return html.Span(text, className=f"badge list-badge level-{level}")


def _buttons(actions: list[str], item_id: Any, widget_id: Any) -> html.Div:
    return html.Div(
        [
            html.Button(
                ACTION_LABELS[a],
                id=action_button_id(a, item_id, widget_id),
                n_clicks=0,
                className="btn btn-sm "
                f"{'btn-primary' if i == 0 else 'btn-outline-secondary'} "
                f"list-action list-action-{a}",
                type="button",
            )
            for i, a in enumerate(actions)
        ],
        className="list-actions",
    )


def _day(value: str | None) -> str:
    try:
        day = dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return NO_VALUE
    return f"{day:%b} {day.day}, {day:%Y}"


def anomaly_card(
    item: dict, *, currency: str, widget_id: Any, can_edit: bool
) -> html.Div:
    """Severity, metric and where, observed against expected, the day and the
    actions."""
    fmt = item.get("format") or "number"
    deviation = item.get("deviation_pct")
    label = item.get("label") or item.get("metric")
    if deviation is None:
        headline = f"{label} off its expected value"
    else:
        headline = (
            f"{label} {abs(deviation):.1f}% "
            f"{'above' if deviation > 0 else 'below'} expected"
        )
    where = " · ".join(
        str(p) for p in (item.get("campaign_name"), item.get("platform_name")) if p
    )
    status = item.get("status") or "new"
    actions = (
        []
        if not can_edit
        else [
            a
            for a in ACTIONS["anomalies"]
            if (a == "acknowledge" and status == "new")
            or (a == "resolve" and status in ("new", "acknowledged"))
        ]
    )
    return html.Div(
        [
            html.Div(
                [
                    _badge(
                        (item.get("severity") or "low").title(),
                        item.get("severity") or "low",
                    ),
                    html.Span(headline, className="list-title"),
                    _badge("Acknowledged", "muted")
                    if status == "acknowledged"
                    else None,
                ],
                className="list-head",
            ),
            html.Div(where or NO_VALUE, className="list-where"),
            html.Div(
                [
                    html.Span("Observed "),
                    html.Strong(format_value(item.get("observed"), fmt, currency)),
                    html.Span(" vs expected "),
                    html.Strong(format_value(item.get("expected"), fmt, currency)),
                    html.Span(f" · {_day(item.get('day'))}", className="text-muted"),
                ],
                className="list-detail",
            ),
            _buttons(actions, item.get("id"), widget_id) if actions else None,
        ],
        className=f"list-card list-anomaly severity-{item.get('severity')}",
    )


def recommendation_card(
    item: dict, *, currency: str, widget_id: Any, can_edit: bool
) -> html.Div:
    """Priority, title, description, expected daily impact and apply/dismiss."""
    impact = item.get("expected_impact")
    rec_type = item.get("rec_type")
    impact_text = (
        f"Saves about {format_value(impact, 'currency', currency)} a day"
        if rec_type == "pause"
        else f"About {format_value(impact, 'currency', currency)} more revenue a day"
    )
    status = item.get("status") or "pending"
    pending = status == "pending"
    return html.Div(
        [
            html.Div(
                [
                    _badge(
                        f"{(item.get('priority') or 'low').title()} priority",
                        item.get("priority") or "low",
                    ),
                    html.Span(item.get("title") or "", className="list-title"),
                    None if pending else _badge(status.title(), "muted"),
                ],
                className="list-head",
            ),
            html.Div(item.get("description") or "", className="list-description"),
            html.Div(
                [
                    html.Span(
                        impact_text if impact is not None else "Impact not estimated",
                        className="list-impact",
                    ),
                    html.Span(f" · {item.get('platform_name')}", className="text-muted")
                    if item.get("platform_name")
                    else None,
                ],
                className="list-detail",
            ),
            _buttons(list(ACTIONS["recommendations"]), item.get("id"), widget_id)
            if can_edit and pending
            else None,
        ],
        className=f"list-card list-recommendation priority-{item.get('priority')}",
    )


def warning_items(data: dict) -> list[dict]:
    """Token-expiry warnings plus one warning per unhealthy connection, worst first."""
    warnings = [
        {
            "level": w.get("level") or "warning",
            "title": w.get("message") or "",
            "where": " · ".join(
                str(p) for p in (w.get("platform_name"), w.get("account_name")) if p
            ),
            "key": f"token-{w.get('connection_id')}",
        }
        for w in data.get("warnings") or []
    ]
    for item in data.get("items") or []:
        health = item.get("health")
        if health in ("degraded", "down"):
            reasons = [r for r in item.get("health_reasons") or [] if "token" not in r]
            if not reasons:
                continue  # the token warning above already says it
            warnings.append(
                {
                    "level": "critical" if health == "down" else "warning",
                    "title": f"{item.get('platform_name')} is {health}: "
                    f"{'; '.join(reasons)}",
                    "where": item.get("account_name") or "",
                    "key": f"health-{item.get('id')}",
                }
            )
    return sorted(warnings, key=lambda w: SEVERITY_RANK.get(w["level"], 9))


def warning_card(warning: dict) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    _badge(warning["level"].title(), warning["level"]),
                    html.Span(warning["title"], className="list-title"),
                ],
                className="list-head",
            ),
            html.Div(warning["where"], className="list-where")
            if warning["where"]
            else None,
        ],
        className=f"list-card list-warning level-{warning['level']}",
    )


def firing_alert_card(item: dict) -> html.Div:
    """A firing alert above the anomalies: its name, where it fires, the value, a
    link to the alerts page."""
    value = item.get("value")
    shown = NO_VALUE if value is None else f"{value:,.4g}"
    return html.Div(
        [
            html.Div(
                [
                    _badge("Alert firing", "critical"),
                    html.Span(item.get("name") or "", className="list-title"),
                    _badge("Acknowledged", "muted")
                    if item.get("acknowledged")
                    else None,
                ],
                className="list-head",
            ),
            html.Div(
                [
                    html.Span(f"{item.get('entity_label') or ''} · value "),
                    html.Strong(shown),
                    html.A(" · Alerts", href="/alerts", className="ms-1"),
                ],
                className="list-where",
            ),
        ],
        className="list-card list-firing-alert",
    )


def list_children(spec: ListCardsSpec, data: dict, ctx: RenderContext) -> list:
    """The cards (or a friendly empty message) of a list-cards widget; anomaly lists
    show the org's firing alerts first."""
    currency = data.get("currency", ctx.currency)
    kind = spec.kind
    limit = spec.config.limit
    alerts: list = []
    if kind == "warnings":
        cards = [warning_card(w) for w in warning_items(data)[:limit]]
    else:
        make = anomaly_card if kind == "anomalies" else recommendation_card
        cards = [
            make(i, currency=currency, widget_id=ctx.widget_id, can_edit=ctx.can_edit)
            for i in (data.get("items") or [])[:limit]
            if isinstance(i, dict)
        ]
        if kind == "anomalies":
            alerts = [
                firing_alert_card(a)
                for a in (data.get("firing_alerts") or [])[:limit]
                if isinstance(a, dict)
            ]
    if alerts:
        return alerts + (cards or [])
    if not cards:
        return [html.Div(EMPTY_MESSAGES[kind], className="widget-empty list-empty")]
    total = data.get("total")
    if kind != "warnings" and isinstance(total, int) and total > len(cards):
        cards.append(
            html.Div(f"Showing {len(cards)} of {total:,}", className="list-more")
        )
    return cards


@register(ListCardsSpec)
def build(spec: ListCardsSpec, data: dict, ctx: RenderContext) -> html.Div:
    """Render anomalies, recommendations or platform warnings as alert cards."""
    return html.Div(
        list_children(spec, data, ctx),
        id=list_id(ctx.widget_id),
        className=f"pulse-list-cards list-kind-{spec.kind}",
    )
