"""Gather a dashboard report's content through the queries the screen runs.

Every widget is validated and queried with :func:`dashboards.render.widget_result`
(the cache, the org's context, the dashboard's filters: what the dashboard page shows),
and a chart's figure comes from its widget type's own figure function (the one the
browser draws). The report's period is the filters' date range, else the KPI cards'
window (else the first widget's); the sections after the widgets (top and
under-performers, anomalies, automation actions) ask their data sources for exactly
those days, and the open recommendations are those pending now.

A widget that cannot be shown fails the whole report with a
:class:`~reports.errors.ReportRenderError` naming it: a report is never sent with a
hole where a chart should be.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.filters import Filters, OrgContext, QueryError
from core.models import DashboardWidget
from core.reference import PLATFORMS
from core.windows import org_today
from dashboards.render import spec_from_row, widget_result
from dashboards.schema import TemplateError
from datasources.cache import QueryCache
from reports.content import ReportContent, ReportKpi, ReportTable, ReportWidget
from reports.errors import ReportRenderError
from reports.tables import numeric_rows, percent_fraction, widget_table
from widgets import _registry as widget_registry
from widgets._base import RenderContext
from widgets._card import caption_text
from widgets.table import TableColumn

log = logging.getLogger(__name__)

# How many rows each section keeps (the report says how many there were in all).
PERFORMERS = 5
SECTION_ROWS = 15
DEFAULT_PERIOD_DAYS = 30


def _column(field: str, header: str, fmt: str = "text") -> TableColumn:
    return TableColumn.model_validate({"field": field, "header": header, "format": fmt})


PERFORMER_COLUMNS = [
    _column("name", "Campaign"),
    _column("platform", "Platform", "platform"),
    _column("revenue", "Revenue", "currency"),
    _column("spend", "Spend", "currency"),
    _column("value", "ROAS", "ratio"),
    _column("conversions", "Conversions", "number"),
]
ANOMALY_COLUMNS = [
    _column("day", "Day", "date"),
    _column("name", "Campaign or platform"),
    _column("label", "Metric"),
    _column("observed", "Observed", "number"),
    _column("expected", "Expected", "number"),
    _column("deviation", "Deviation", "percent"),
    _column("severity", "Severity"),
]
AUTOMATION_COLUMNS = [
    _column("executed_at_local", "Time", "datetime"),
    _column("rule_name", "Rule"),
    _column("status", "Status"),
    _column("summary", "What happened"),
]
RECOMMENDATION_COLUMNS = [
    _column("priority", "Priority"),
    _column("title", "Recommendation"),
    _column("description", "Why"),
    _column("expected_impact", "Expected impact", "currency"),
]


def valid_timezone(name: str) -> str:
    """``name`` when it is an IANA zone.

    Raises:
        ReportRenderError: it is not one.
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ReportRenderError(
            "recipient time zone", f"{name!r} is not an IANA time zone"
        ) from None
    return name


@dataclass(frozen=True)
class WidgetAnswer:
    """A widget's validated spec and what its data source answered: all a report
    (or a snapshot, which stores it) needs to show the widget.

    ``type`` and ``data`` read like a :class:`ReportWidget`'s, so
    :func:`report_period` takes either.
    """

    widget_id: int
    spec: Any  # a registered widget spec model (has ``type`` and ``config``)
    result: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.spec.type)

    @property
    def data(self) -> dict[str, Any]:
        return self.result


def query_widget_answer(
    row: DashboardWidget, *, data: QueryCache, org: OrgContext, filters: Filters
) -> WidgetAnswer:
    """One stored widget validated and queried as the dashboard page does, or a
    ``ReportRenderError`` naming it."""
    part = f'widget "{row.title}"'
    try:
        spec = spec_from_row(row)
    except TemplateError as exc:
        raise ReportRenderError(
            part, "its settings are invalid: " + "; ".join(exc.details)
        ) from None
    try:
        result = widget_result(spec, data=data, org_id=org.id, filters=filters)
    except QueryError as exc:
        raise ReportRenderError(
            part, f"its data source refused the query: {exc}"
        ) from exc
    except Exception as exc:
        log.exception("report: widget %s (%s) could not be queried", row.id, row.title)
        raise ReportRenderError(
            part, f"its data could not be loaded ({type(exc).__name__}: {exc})"
        ) from exc
    return WidgetAnswer(row.id, spec, result)


def report_widget(
    answer: WidgetAnswer, *, currency: str, filters: Filters, figures: bool = True
) -> ReportWidget:
    """What a report shows of one answered widget: its caption, its table and (when
    ``figures``) the figure its widget type's own figure function draws from the
    answer. Pure: a snapshot's stored answers render exactly as live ones.

    Raises:
        ReportRenderError: the chart could not be drawn (the widget named).
    """
    typed: Any = answer.spec
    result = answer.result
    widget_type = widget_registry.get(typed.type)
    figure = None
    if figures and widget_type.figure is not None:
        ctx = RenderContext(
            widget_id=answer.widget_id, currency=result.get("currency", currency)
        )
        try:
            drawn = widget_type.figure(typed, result, ctx)
        except Exception as exc:
            log.exception(
                "report: widget %s (%s) figure failed", answer.widget_id, typed.title
            )
            raise ReportRenderError(
                f'widget "{typed.title}"',
                f"its chart could not be drawn ({type(exc).__name__}: {exc})",
            ) from exc
        figure = drawn.to_dict() if drawn is not None else None
    period = None if filters.date_from else typed.query_params.get("period")
    return ReportWidget(
        title=typed.title,
        type=typed.type,
        caption=caption_text(typed.title, result, period),
        data=result,
        figure=figure,
        table=widget_table(typed.type, typed.config, result),
        is_chart=widget_type.figure is not None,
    )


def _kpi(widget: ReportWidget) -> ReportKpi:
    data = widget.data
    return ReportKpi(
        title=widget.title,
        value=data.get("value"),
        previous=data.get("previous"),
        change_pct=data.get("change_pct"),
        format=str(widget.table.columns[1].format)
        if widget.table.columns
        else "number",
        higher_is_better=data.get("higher_is_better"),
        series=list(data.get("series") or []),
        partial_from=data.get("partial_bucket"),
    )


def _window_days(result: dict) -> tuple[dt.date, dt.date] | None:
    window = result.get("window")
    if not isinstance(window, dict):
        return None
    start = window.get("first_day", window.get("start"))
    end = window.get("last_day", window.get("end"))
    if not start or not end:
        return None
    return dt.date.fromisoformat(str(start)[:10]), dt.date.fromisoformat(str(end)[:10])


def report_period(
    filters: Filters,
    widgets: Sequence[ReportWidget | WidgetAnswer],
    org: OrgContext,
) -> tuple[dt.date, dt.date]:
    """The report's days: the filters' range, else the KPI cards' window, else the
    first widget's with a window, else the last 30 days to today (org-local)."""
    if filters.date_from and filters.date_to:
        return filters.date_from, filters.date_to
    kpis_first = sorted(widgets, key=lambda w: w.type != "kpi_card")
    for widget in kpis_first:
        days = _window_days(widget.data)
        if days:
            return days
    today = org_today(org.timezone)
    return today - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1), today


def _anomaly_row(item: dict) -> dict:
    return {**item, "deviation": percent_fraction(item.get("deviation_pct"))}


def filters_text(filters: Filters) -> str | None:
    """The dashboard filters a report applies, in words."""
    parts = []
    if filters.platforms:
        parts.append(
            "platforms " + ", ".join(PLATFORMS.get(p, p) for p in filters.platforms)
        )
    if filters.campaign_ids:
        parts.append(f"{len(filters.campaign_ids)} campaign(s)")
    if filters.countries:
        parts.append("countries " + ", ".join(filters.countries))
    return "; ".join(parts) or None


@dataclass(frozen=True)
class Section:
    """A report section: the data source asked, its params for a period of
    ``days`` (``"30d"``), whether the period's filters apply (the open
    recommendations are those pending now), and how its rows are shown."""

    source: str
    params: Callable[[str], dict[str, Any]]
    columns: list[TableColumn]
    in_period: bool = True
    rows_of: Callable[[dict], dict] | None = None


def _performers(order: str) -> Callable[[str], dict[str, Any]]:
    def params(days: str) -> dict[str, Any]:
        return {
            "view": "breakdown",
            "metric": "roas",
            "group_by": "campaign",
            "period": days,
            "limit": PERFORMERS,
            "order": order,
        }

    return params


# Keyed as ReportContent's fields, in the order a report shows them.
SECTIONS: dict[str, Section] = {
    "top_performers": Section("campaigns", _performers("desc"), PERFORMER_COLUMNS),
    "under_performers": Section("campaigns", _performers("asc"), PERFORMER_COLUMNS),
    "anomalies": Section(
        "anomalies",
        lambda days: {"status": "all", "period": days, "limit": SECTION_ROWS},
        ANOMALY_COLUMNS,
        rows_of=_anomaly_row,
    ),
    "automation_actions": Section(
        "automation_executions",
        lambda days: {"view": "timeline", "period": days, "limit": SECTION_ROWS},
        AUTOMATION_COLUMNS,
    ),
    "recommendations": Section(
        "recommendations",
        lambda days: {"limit": SECTION_ROWS},
        RECOMMENDATION_COLUMNS,
        in_period=False,
    ),
}


def query_sections(
    *,
    data: QueryCache,
    org: OrgContext,
    filters: Filters,
    period: tuple[dt.date, dt.date],
) -> dict[str, dict[str, Any]]:
    """Every section's data-source answer for the report's ``period``.

    Raises:
        ReportRenderError: a section's query was refused (named).
    """
    start, end = period
    in_period = filters.model_copy(update={"date_from": start, "date_to": end})
    days = f"{(end - start).days + 1}d"
    answers = {}
    for name, section in SECTIONS.items():
        try:
            answers[name] = data.query(
                org.id,
                section.source,
                section.params(days),
                in_period if section.in_period else filters,
            )
        except QueryError as exc:
            raise ReportRenderError(f"section {section.source}", str(exc)) from exc
    return answers


def section_table(name: str, result: dict[str, Any]) -> ReportTable:
    """A section's answer as the table a report shows."""
    section = SECTIONS[name]
    items = [i for i in result.get("items", []) if isinstance(i, dict)]
    if section.rows_of is not None:
        items = [section.rows_of(i) for i in items]
    return ReportTable(
        section.columns, numeric_rows(items, section.columns), result.get("total")
    )


def build_report_content(
    *,
    org: OrgContext,
    dashboard_id: int,
    dashboard_name: str,
    answers: Sequence[WidgetAnswer],
    sections: dict[str, dict[str, Any]],
    filters: Filters,
    period: tuple[dt.date, dt.date],
    recipient_timezone: str | None,
    generated_at: dt.datetime,
    figures: bool = True,
) -> ReportContent:
    """A report from answers already gathered (now, or stored in a snapshot).

    Raises:
        ReportRenderError: a chart cannot be drawn (named), or the recipient's zone
            is unknown.
    """
    zone = valid_timezone(recipient_timezone or org.timezone)
    widgets = [
        report_widget(a, currency=org.currency, filters=filters, figures=figures)
        for a in answers
    ]
    start, end = period
    tables = {name: section_table(name, sections.get(name) or {}) for name in SECTIONS}
    return ReportContent(
        org_name=org.name,
        org_timezone=org.timezone,
        currency=org.currency,
        dashboard_id=dashboard_id,
        dashboard_name=dashboard_name,
        period_start=start,
        period_end=end,
        generated_at=generated_at,
        recipient_timezone=zone,
        kpis=[_kpi(w) for w in widgets if w.type == "kpi_card"],
        widgets=widgets,
        filters_text=filters_text(filters),
        top_performers=tables["top_performers"],
        under_performers=tables["under_performers"],
        anomalies=tables["anomalies"],
        automation_actions=tables["automation_actions"],
        recommendations=tables["recommendations"],
    )


def collect_report_content(
    *,
    data: QueryCache,
    org: OrgContext,
    dashboard_id: int,
    dashboard_name: str,
    rows: Sequence[DashboardWidget],
    filters: Filters,
    recipient_timezone: str | None,
    generated_at: dt.datetime,
    figures: bool = True,
) -> ReportContent:
    """The report of a dashboard's ``rows`` (its shared widgets, in grid order).

    Args:
        figures: draw the charts' figures (only the PDF shows them; Excel and CSV
            hold the data alone, and skip the cost of building Plotly figures).

    Raises:
        ReportRenderError: a widget cannot be shown (named), a section's query was
            refused, or the recipient's zone is unknown.
    """
    valid_timezone(recipient_timezone or org.timezone)
    answers = [
        query_widget_answer(row, data=data, org=org, filters=filters) for row in rows
    ]
    period = report_period(filters, answers, org)
    return build_report_content(
        org=org,
        dashboard_id=dashboard_id,
        dashboard_name=dashboard_name,
        answers=answers,
        sections=query_sections(data=data, org=org, filters=filters, period=period),
        filters=filters,
        period=period,
        recipient_timezone=recipient_timezone,
        generated_at=generated_at,
        figures=figures,
    )
