"""Timeline: the latest automation rule executions or platform sync runs, newest first,
grouped by org-local day, each with its time, a status colour, a title and a detail."""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Any, Literal

from dash import html
from pydantic import BaseModel, ConfigDict, Field

from widgets._base import RenderContext, WidgetBase
from widgets._formatting import NO_VALUE
from widgets._registry import register

Kind = Literal["auto", "executions", "syncs"]
STATUS_LABELS = {
    "success": "Success",
    "failed": "Failed",
    "skipped": "Skipped",
    "running": "Running",
}
EMPTY_MESSAGES = {
    "executions": "No automation rule ran in this period.",
    "syncs": "No sync ran in this period.",
}


class TimelineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind = "auto"
    limit: int = Field(20, ge=1, le=200)
    show_details: bool = True


class TimelineSpec(WidgetBase):
    type: Literal["timeline"] = "timeline"
    config: TimelineConfig = Field(default_factory=TimelineConfig)


def detect_kind(items: list[dict], kind: Kind = "auto") -> str:
    """``executions`` (automation) or ``syncs`` (platform sync runs) from the rows."""
    if kind != "auto":
        return kind
    first = items[0] if items else {}
    return "syncs" if "started_at_local" in first else "executions"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return NO_VALUE
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


def _sync_detail(item: dict) -> str:
    if item.get("status") == "failed":
        return item.get("error") or "failed without an error message"
    if item.get("status") == "running":
        return "running…"
    records = item.get("records_synced")
    count = NO_VALUE if records is None else f"{records:,}"
    return f"{count} records in {_duration(item.get('duration_seconds'))}"


def timeline_events(data: dict, kind: Kind = "auto", limit: int = 20) -> list[dict]:
    """Normalise execution or sync rows into events: ``time`` (org-local ISO),
    ``status``, ``title``, ``detail``, ``meta`` (platform/campaign), newest first."""
    items = [i for i in data.get("items") or [] if isinstance(i, dict)]
    events = []
    if detect_kind(items, kind) == "syncs":
        for item in items:
            events.append(
                {
                    "id": item.get("id"),
                    "time": item.get("started_at_local"),
                    "status": item.get("status") or "unknown",
                    "title": (
                        f"{item.get('platform_name') or item.get('platform')} sync"
                    ),
                    "detail": _sync_detail(item),
                    "meta": item.get("account_name"),
                }
            )
    else:
        for item in items:
            # The summary already names the campaign: the meta line says what kind of
            # action.
            action = str(item.get("action") or "").replace("_", " ").capitalize()
            meta = " · ".join(p for p in (action, item.get("platform_name")) if p)
            events.append(
                {
                    "id": item.get("id"),
                    "time": item.get("executed_at_local"),
                    "status": item.get("status") or "unknown",
                    "title": item.get("rule_name") or "Automation rule",
                    "detail": item.get("summary") or "",
                    "meta": meta,
                }
            )
    events.sort(key=lambda e: e["time"] or "", reverse=True)
    return events[:limit]


def _moment(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def day_heading(day: dt.date | None) -> str:
    """ "Wed, Nov 25" (no year: timelines show recent days)."""
    return "Unknown day" if day is None else f"{day:%a}, {day:%b} {day.day}"


def _event_item(event: dict, show_details: bool) -> html.Li:
    moment = _moment(event["time"])
    status = event["status"]
    body = [
        html.Div(
            [
                html.Span(event["title"], className="timeline-title"),
                html.Span(
                    STATUS_LABELS.get(status, status.title()),
                    className=f"timeline-status badge status-{status}",
                ),
            ],
            className="timeline-head",
        ),
    ]
    if show_details and event["detail"]:
        body.append(html.Div(event["detail"], className="timeline-detail"))
    if show_details and event["meta"]:
        body.append(html.Div(event["meta"], className="timeline-meta"))
    return html.Li(
        [
            html.Time(
                f"{moment:%H:%M}" if moment else NO_VALUE,
                className="timeline-time",
                dateTime=event["time"] or "",
            ),
            html.Span(className=f"timeline-dot status-{status}"),
            html.Div(body, className="timeline-body"),
        ],
        className=f"timeline-event timeline-{status}",
    )


@register(TimelineSpec)
def build(spec: TimelineSpec, data: dict, ctx: RenderContext) -> html.Div:
    """Render an ``automation_executions`` timeline or ``platform_sync`` result."""
    items = [i for i in data.get("items") or [] if isinstance(i, dict)]
    kind = detect_kind(items, spec.config.kind)
    events = timeline_events(data, spec.config.kind, spec.config.limit)
    if not events:
        return html.Div(
            EMPTY_MESSAGES.get(kind, "Nothing happened in this period."),
            className="widget-empty",
        )
    sections = []
    by_day = groupby(
        events, key=lambda e: m.date() if (m := _moment(e["time"])) else None
    )
    for day, group in by_day:
        sections.append(
            html.Li(
                [
                    html.Div(day_heading(day), className="timeline-day"),
                    html.Ul(
                        [_event_item(e, spec.config.show_details) for e in group],
                        className="timeline-events",
                    ),
                ],
                className="timeline-day-group",
            )
        )
    total = data.get("total")
    shown = len(events)
    footer = []
    if isinstance(total, int) and total > shown:
        footer = [html.Div(f"Latest {shown} of {total:,}", className="timeline-more")]
    timezone = data.get("timezone")
    if timezone:
        footer.append(html.Div(f"Times in {timezone}", className="timeline-zone"))
    return html.Div(
        [
            html.Ul(sections, className="timeline-list"),
            html.Div(footer, className="timeline-footer"),
        ],
        className=f"pulse-timeline timeline-kind-{kind}",
        id={"type": "widget-timeline", "index": ctx.widget_id},
    )
