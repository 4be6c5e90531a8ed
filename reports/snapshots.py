"""A dashboard snapshot as a document, and what is made from it: a report, a
comparison.

A snapshot keeps what a report gathers (:mod:`reports.collect`): every widget's
validated spec and its data source's answer, the sections' answers, the filters, the
period and the instant. It is stored as one JSON document in the seed's shape::

    {"snapshot_type": "manual", "snapshot_date": "2026-03-08T14:30:00Z",
     "data": {"kpis": {"total_revenue": 125430.5, "roas": 2.77, ...},
              "widgets": [{"widget_id": 12, "widget_type": "line_chart",
                           "title": "ROAS Trend", "spec": {...}, "data": {...}}],
              "sections": {"top_performers": {...}, ...}},
     "metadata": {"filters": {"date_range": "last_30_days", "platforms": [...], ...},
                  "period": {"start": "2026-02-07", "end": "2026-03-08"}, ...}}

:func:`snapshot_content` turns a stored document back into a
:class:`~reports.content.ReportContent` through the same builder as a live report
(:func:`reports.collect.build_report_content`): its PDF and Excel files and its page
show the stored figures, never a new query. :func:`compare_contents` puts two
snapshots side by side.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.filters import Filters, OrgContext
from dashboards.schema import TemplateError, parse_widget
from reports.collect import WidgetAnswer, build_report_content
from reports.content import ReportContent
from reports.errors import ReportRenderError

DOCUMENT_VERSION = 1
# Trace types drawn on x/y axes: overlaid on one pair of axes when comparing.
AXIS_TRACES = ("scatter", "scattergl", "bar")
# Trace types placed by a domain: shown side by side when comparing. Others (heat
# maps, maps) cannot be overlaid meaningfully and are left out of a comparison.
DOMAIN_TRACES = ("pie", "indicator")
SNAPSHOT_TYPES = ("manual", "scheduled")


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode_document(document: dict[str, Any]) -> bytes:
    """The document as compact UTF-8 JSON (dates as ISO 8601, decimals as floats)."""
    return json.dumps(
        document, default=_json_default, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def decode_document(data: bytes) -> dict[str, Any]:
    """The document :func:`encode_document` wrote."""
    return json.loads(data.decode("utf-8"))


def kpi_key(title: str) -> str:
    """A KPI card's title as the document's ``data.kpis`` key: "Total Revenue" ->
    ``total_revenue``."""
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") or "kpi"


def _utc_text(instant: dt.datetime) -> str:
    aware = instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def snapshot_document(
    *,
    snapshot_type: str,
    snapshot_date: dt.datetime,
    name: str,
    org: OrgContext,
    dashboard_id: int,
    dashboard_name: str,
    answers: Sequence[WidgetAnswer],
    specs: Sequence[dict[str, Any]],
    sections: dict[str, dict[str, Any]],
    filters: Filters,
    date_range: str,
    period: tuple[dt.date, dt.date],
    taken_by: dict[str, Any],
) -> dict[str, Any]:
    """The snapshot document (JSON-able, see the module docstring).

    Args:
        answers: each widget's spec and answer, in grid order.
        specs: each widget's stored template JSON, in the same order.
        date_range: the filter bar's date-range choice (``widget`` for each
            widget's own period).
        taken_by: who took it (``user_id``, ``api_key_id``; ``None`` for a schedule).
    """
    kpis = {
        kpi_key(answer.spec.title): answer.result.get("value")
        for answer in answers
        if answer.type == "kpi_card"
    }
    document = {
        "schema_version": DOCUMENT_VERSION,
        "snapshot_type": snapshot_type,
        "snapshot_date": _utc_text(snapshot_date),
        "name": name,
        "data": {
            "kpis": kpis,
            "widgets": [
                {
                    "widget_id": answer.widget_id,
                    "widget_type": answer.type,
                    "title": answer.spec.title,
                    "spec": spec,
                    "data": answer.result,
                }
                for answer, spec in zip(answers, specs, strict=True)
            ],
            "sections": sections,
        },
        "metadata": {
            "filters": {"date_range": date_range, **filters.model_dump(mode="json")},
            "period": {"start": period[0].isoformat(), "end": period[1].isoformat()},
            "dashboard": {"id": dashboard_id, "name": dashboard_name},
            "org": {
                "id": org.id,
                "slug": org.slug,
                "name": org.name,
                "timezone": org.timezone,
                "currency": org.currency,
            },
            "taken_by": taken_by,
        },
    }
    # Through JSON once, so what is shown right after taking it is what reads back.
    return decode_document(encode_document(document))


def document_filters(document: dict[str, Any]) -> Filters:
    """The dashboard filters the snapshot was taken with."""
    stored = document.get("metadata", {}).get("filters") or {}
    return Filters.model_validate(
        {k: v for k, v in stored.items() if k in Filters.model_fields}
    )


def snapshot_instant(document: dict[str, Any]) -> dt.datetime:
    """When the snapshot was taken (aware, UTC)."""
    return dt.datetime.fromisoformat(document["snapshot_date"].replace("Z", "+00:00"))


def stored_answers(document: dict[str, Any]) -> list[WidgetAnswer]:
    """Each stored widget's spec (validated again) and its stored answer.

    Raises:
        ReportRenderError: a stored widget's settings no longer validate (named).
    """
    answers = []
    for widget in document["data"]["widgets"]:
        try:
            spec = parse_widget(widget["spec"])
        except TemplateError as exc:
            raise ReportRenderError(
                f'widget "{widget.get("title")}"',
                "its stored settings are invalid: " + "; ".join(exc.details),
            ) from None
        answers.append(WidgetAnswer(int(widget["widget_id"]), spec, widget["data"]))
    return answers


def snapshot_content(
    document: dict[str, Any],
    *,
    figures: bool = True,
    recipient_timezone: str | None = None,
) -> ReportContent:
    """The report of a stored snapshot: its stored answers, filters and period, "as
    of" its instant.

    Raises:
        ReportRenderError: a stored widget cannot be shown (named).
    """
    meta = document["metadata"]
    org = OrgContext(
        int(meta["org"]["id"]),
        meta["org"]["slug"],
        meta["org"]["name"],
        meta["org"]["timezone"],
        meta["org"]["currency"],
    )
    period = (
        dt.date.fromisoformat(meta["period"]["start"]),
        dt.date.fromisoformat(meta["period"]["end"]),
    )
    content = build_report_content(
        org=org,
        dashboard_id=int(meta["dashboard"]["id"]),
        dashboard_name=meta["dashboard"]["name"],
        answers=stored_answers(document),
        sections=document["data"].get("sections") or {},
        filters=document_filters(document),
        period=period,
        recipient_timezone=recipient_timezone,
        generated_at=snapshot_instant(document),
        figures=figures,
    )
    return dataclasses.replace(content, snapshot_name=document.get("name") or "")


# ----------------------------------------------------------------- comparing
@dataclass(frozen=True)
class KpiChange:
    """One KPI in two snapshots: both values and the change from A to B.

    ``change`` is ``b - a``; ``change_pct`` is that in percent of ``a`` (``None``
    when either value is missing or ``a`` is 0: no percentage of nothing).
    """

    title: str
    format: str
    a: float | None
    b: float | None
    change: float | None
    change_pct: float | None


@dataclass(frozen=True)
class ChartOverlay:
    """A chart of both snapshots: B's series as drawn, A's dashed beneath them."""

    title: str
    figure: dict[str, Any]


def kpi_change(title: str, fmt: str, a: float | None, b: float | None) -> KpiChange:
    """The change from ``a`` to ``b`` (see :class:`KpiChange`)."""
    if a is None or b is None:
        return KpiChange(title, fmt, a, b, None, None)
    change = b - a
    change_pct = change / abs(a) * 100 if a != 0 else None
    return KpiChange(title, fmt, a, b, change, change_pct)


def compare_kpis(a: ReportContent, b: ReportContent) -> list[KpiChange]:
    """Every KPI of either snapshot (A's order, then B's others), with both values."""
    first = {kpi.title: kpi for kpi in a.kpis}
    second = {kpi.title: kpi for kpi in b.kpis}
    titles = list(first) + [t for t in second if t not in first]
    rows = []
    for title in titles:
        kpi = first.get(title) or second[title]
        rows.append(
            kpi_change(
                title,
                kpi.format,
                first[title].value if title in first else None,
                second[title].value if title in second else None,
            )
        )
    return rows


def _labelled(trace: dict[str, Any], label: str, group: str) -> dict[str, Any]:
    trace = copy.deepcopy(trace)
    trace["name"] = f"{trace.get('name') or 'Value'} ({label})"
    trace["legendgroup"] = group
    return trace


def overlay_figure(
    a: dict[str, Any], b: dict[str, Any], label_a: str, label_b: str
) -> dict[str, Any]:
    """One figure with both snapshots' traces, each named with its snapshot's label:
    on axes, B's as drawn and A's with lines dashed and bars faded; pies and other
    traces without axes side by side (A left, B right)."""
    figure = copy.deepcopy(b)
    traces_b = [_labelled(t, label_b, "b") for t in b.get("data") or []]
    traces_a = [_labelled(t, label_a, "a") for t in a.get("data") or []]
    on_axes = all(t.get("type", "scatter") in AXIS_TRACES for t in traces_a + traces_b)
    for trace in traces_a:
        kind = trace.get("type", "scatter")
        if kind in ("scatter", "scattergl"):
            trace["line"] = {**(trace.get("line") or {}), "dash": "dash"}
        elif on_axes:
            trace["opacity"] = 0.45
    if not on_axes:
        for traces, left in ((traces_a, 0.0), (traces_b, 0.52)):
            for trace in traces:
                trace["domain"] = {"x": [left, left + 0.48], "y": [0, 1]}
                trace["title"] = {"text": label_a if traces is traces_a else label_b}
    figure["data"] = traces_a + traces_b
    layout = figure.setdefault("layout", {})
    layout["showlegend"] = True
    if any(t.get("type") == "bar" for t in figure["data"]):
        layout["barmode"] = "group"
    return figure


def can_overlay(figure: dict[str, Any] | None) -> bool:
    """Whether a figure's traces can be overlaid (all on axes) or put side by side
    (all placed by a domain)."""
    if not figure or not figure.get("data"):
        return False
    kinds = {t.get("type", "scatter") for t in figure["data"]}
    return kinds <= set(AXIS_TRACES) or kinds <= set(DOMAIN_TRACES)


def _on_axes(figure: dict[str, Any]) -> bool:
    return {t.get("type", "scatter") for t in figure["data"]} <= set(AXIS_TRACES)


def compare_charts(
    a: ReportContent, b: ReportContent, label_a: str, label_b: str
) -> list[ChartOverlay]:
    """The charts both snapshots drew (matched by title, in B's order), overlaid;
    heat maps and maps are left out (see :data:`DOMAIN_TRACES`)."""
    first = {w.title: w.figure for w in a.widgets if w.figure and can_overlay(w.figure)}
    overlays = []
    for widget in b.widgets:
        figure_a, figure_b = first.get(widget.title), widget.figure
        if not figure_a or not figure_b or not can_overlay(figure_b):
            continue
        if _on_axes(figure_a) != _on_axes(figure_b):
            continue
        overlays.append(
            ChartOverlay(
                widget.title, overlay_figure(figure_a, figure_b, label_a, label_b)
            )
        )
    return overlays
