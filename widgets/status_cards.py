"""Status cards: one small card per platform connection with its health, last sync,
token expiry, rate-limit usage and errors of the last 24 hours."""

from __future__ import annotations

from typing import Literal

import dash_bootstrap_components as dbc
from dash import html
from pydantic import BaseModel, ConfigDict, Field

from widgets import _theme as theme
from widgets._base import RenderContext, WidgetBase
from widgets._formatting import NO_VALUE, is_missing
from widgets._registry import register

HEALTH_LABELS = {"healthy": "Healthy", "degraded": "Degraded", "down": "Down"}
# Rate-limit usage from which the bar turns amber, then red (the source calls ≥ 90 %
# hot).
USAGE_WARNING, USAGE_DANGER = 0.7, 0.9


class StatusCardsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    show_reasons: bool = True


class StatusCardsSpec(WidgetBase):
    type: Literal["status_cards"] = "status_cards"
    config: StatusCardsConfig = Field(default_factory=StatusCardsConfig)


def relative_time(minutes: float | None) -> str:
    """ "just now", "12 min ago", "3 h ago", "2 d ago"; never synced is "never"."""
    if is_missing(minutes):
        return "never"
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes:.0f} min ago"
    if minutes < 48 * 60:
        return f"{minutes / 60:.0f} h ago"
    return f"{minutes / 1440:.0f} d ago"


def token_text(level: str | None, days: float | None) -> str:
    """What a card says about the access token's expiry."""
    if days is None:
        return "Token does not expire"
    if days <= 0:
        hours = -days * 24
        return (
            f"Token expired {hours:.0f} h ago"
            if hours < 48
            else f"Token expired {-days:.0f} days ago"
        )
    left = f"{days * 24:.0f} h" if days < 2 else f"{days:.0f} days"
    return (
        f"Token expires in {left}"
        if level in ("warning", "critical")
        else f"Token valid {left}"
    )


def usage_color(usage: float | None) -> str:
    if is_missing(usage):
        return "secondary"
    return (
        "danger"
        if usage >= USAGE_DANGER
        else "warning"
        if usage >= USAGE_WARNING
        else "success"
    )


def _usage_bar(usage: float | None) -> html.Div:
    label = NO_VALUE if is_missing(usage) else f"{usage:.0%}"
    return html.Div(
        [
            html.Div(
                [
                    html.Span("Rate limit", className="status-label"),
                    html.Span(label, className="status-value"),
                ],
                className="status-row",
            ),
            dbc.Progress(
                value=0 if is_missing(usage) else min(usage, 1.0) * 100,
                color=usage_color(usage),
                className="status-usage-bar",
                style={"height": "6px"},
            ),
        ],
        className="status-usage",
    )


def connection_card(
    item: dict, *, age_minutes: float = 0.0, show_reasons: bool = True
) -> html.Div:
    """One connection's card.

    Args:
        item: a ``platform_connections`` item.
        age_minutes: how old the result is (a cached result's minutes since its last
            sync grow while it is served).
        show_reasons: list why a connection is degraded or down.
    """
    health = item.get("health") or "unknown"
    minutes = item.get("minutes_since_sync")
    since = None if minutes is None else minutes + age_minutes
    sync_text = f"Last sync {relative_time(since)}"
    if item.get("last_sync_status") == "failed":
        sync_text += " (failed)"
    level = item.get("token_warning") or "ok"
    errors = item.get("errors_24h")
    children = [
        html.Div(
            [
                html.Div(
                    [
                        html.Div(
                            item.get("platform_name") or item.get("platform"),
                            className="status-platform",
                        ),
                        html.Div(
                            item.get("account_name") or "", className="status-account"
                        ),
                    ],
                    className="status-names",
                ),
                html.Span(
                    HEALTH_LABELS.get(health, health.title()),
                    className=f"badge status-health health-{health}",
                ),
            ],
            className="status-card-head",
        ),
        html.Div(
            sync_text,
            className="status-sync"
            + (" text-danger" if item.get("last_sync_status") == "failed" else ""),
        ),
        html.Div(
            token_text(level, item.get("days_to_expiry")),
            className=f"status-token token-{level}",
        ),
        _usage_bar(item.get("rate_limit_usage")),
        html.Div(
            [
                html.Span("Errors (24 h)", className="status-label"),
                html.Span(
                    NO_VALUE if errors is None else f"{errors:,}",
                    className="status-value" + (" text-danger" if errors else ""),
                ),
            ],
            className="status-row status-errors",
        ),
    ]
    reasons = item.get("health_reasons") or []
    if show_reasons and reasons:
        children.append(
            html.Ul([html.Li(r) for r in reasons], className="status-reasons")
        )
    color = theme.PLATFORM_COLORS.get(item.get("platform") or "", theme.NEUTRAL)
    return html.Div(
        children,
        className=f"status-card health-{health}",
        style={"borderLeftColor": color},
        title="; ".join(reasons) or None,
    )


@register(StatusCardsSpec)
def build(spec: StatusCardsSpec, data: dict, ctx: RenderContext) -> html.Div:
    """Render a ``platform_connections`` result as a grid of connection cards."""
    items = [i for i in data.get("items") or [] if isinstance(i, dict)]
    if not items:
        return html.Div("No platform is connected.", className="widget-empty")
    age = float(data.get("age_seconds") or 0.0) / 60
    counts = data.get("counts") or {}
    summary = " · ".join(
        f"{counts[h]} {HEALTH_LABELS[h].lower()}"
        for h in HEALTH_LABELS
        if counts.get(h)
    )
    return html.Div(
        [
            html.Div(summary, className="status-summary") if summary else None,
            html.Div(
                [
                    connection_card(
                        i, age_minutes=age, show_reasons=spec.config.show_reasons
                    )
                    for i in items
                ],
                className="status-cards-grid",
            ),
        ],
        className="pulse-status-cards",
        id={"type": "widget-status-cards", "index": ctx.widget_id},
    )
