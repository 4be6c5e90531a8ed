"""Cards every widget may show in place of its content."""

from __future__ import annotations

import datetime as dt
import re

import dash_bootstrap_components as dbc
from dash import html

from core.reference import DATE_RANGE_LABELS


def error_card(reason: str) -> dbc.Alert:
    """The card a widget shows when it cannot be drawn, saying why."""
    return dbc.Alert(
        [html.Strong("This widget could not be shown. "), html.Span(reason)],
        color="danger",
        className="widget-error mb-0",
    )


def stale_badge(component: object, age_seconds: float) -> object:
    """``component`` with a badge saying how old the (stale) data it shows is."""
    minutes = int(age_seconds // 60)
    return html.Div(
        [
            component,
            html.Span(f"stale · {minutes} min old", className="widget-stale badge"),
        ],
        className="widget-content",
    )


def period_text(period: str | None, window: dict | None) -> str | None:
    """What a widget's window is, in words: "Today", "Last 30 days" for a relative
    ``period``, else the window's dates ("Nov 5 – Dec 4, 2026")."""
    if period in DATE_RANGE_LABELS:
        return DATE_RANGE_LABELS[period]
    match = re.fullmatch(r"(\d+)d", period or "")
    if match:
        days = int(match.group(1))
        return "Today" if days == 1 else f"Last {days} days"
    if not window or not window.get("start") or not window.get("end"):
        return None
    start = dt.date.fromisoformat(str(window["start"])[:10])
    end = dt.date.fromisoformat(str(window["end"])[:10])
    if start == end:
        return f"{end:%b} {end.day}, {end.year}"
    left = f"{start:%b} {start.day}" + (
        f", {start.year}" if start.year != end.year else ""
    )
    return f"{left} – {end:%b} {end.day}, {end.year}"


GRANULARITY_WORDS = {"hour": "per hour", "day": "per day", "week": "per week"}


def caption_text(title: str, result: dict, period: str | None) -> str | None:
    """The line under a widget's title saying what it shows: the metric (when the
    title does not name it), the bucket of a series and the window, e.g. "Revenue ·
    per week · Last 90 days"; ``None`` for a result without a window."""
    window = result.get("window") if isinstance(result.get("window"), dict) else None
    when = period_text(period, window) if window else None
    if when is None:
        return None
    parts = []
    label = result.get("label")
    if isinstance(label, str) and label and label.lower() not in title.lower():
        parts.append(label)
    if result.get("view") == "timeseries" and result.get("granularity"):
        parts.append(GRANULARITY_WORDS.get(result["granularity"], ""))
    parts.append(when)
    return " · ".join(p for p in parts if p)


def with_caption(
    component: object, caption: str | None, stale_seconds: float | None = None
) -> object:
    """``component`` under its caption line; a stale result says its age there."""
    if stale_seconds is not None:
        age = f"stale · {int(stale_seconds // 60)} min old"
        caption = f"{caption} · {age}" if caption else None
        if caption is None:
            return stale_badge(component, stale_seconds)
    if caption is None:
        return component
    return html.Div(
        [
            html.Div(caption, className="widget-caption", title=caption),
            html.Div(component, className="widget-captioned-body"),
        ],
        className="widget-captioned",
    )
