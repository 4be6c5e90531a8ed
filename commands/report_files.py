"""A dashboard as a report file.

TEMPORARY (delivery branch): a minimal stand-in with the contract's signatures, so
that scheduled delivery can be built and tested before the rendering branch lands.
It renders only ``csv`` (one long-format CSV of every widget's data, queried through
:func:`dashboards.render.query_widget` like the screen); any other format raises
:class:`reports.errors.ReportRenderError`. The rendering branch's module (PDF, Excel,
CSV with the full report content) replaces this one at merge.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from accounts import audit
from accounts.permissions import Caller
from commands.context import CommandContext
from commands.dashboards import DashboardNotFound
from core.filters import Filters, QueryError
from dashboards import store as dashboard_store
from dashboards.render import query_widget, spec_from_row
from dashboards.schema import TemplateError
from reports.errors import ReportRenderError
from reports.render import RenderedReport

CSV_COLUMNS = ("widget_id", "widget", "type", "row", "field", "value")


def render_dashboard_report(
    context: CommandContext,
    org_id: int,
    dashboard_id: int,
    fmt: str,
    *,
    recipient_timezone: str | None = None,
    paper: str = "A4",
    filters: Filters | None = None,
    now: datetime | None = None,
) -> RenderedReport:
    """The dashboard's report for ``org_id`` as a ``fmt`` file (here: csv only).

    Raises:
        DashboardNotFound: no such dashboard in the org.
        ReportRenderError: the format is not available, or a widget's data could
            not be read (named).
    """
    if fmt != "csv":
        raise ReportRenderError(
            f"format {fmt}: not available in this build (csv only until the "
            "rendering branch lands)"
        )
    filters = filters or Filters()
    now = now or datetime.now(UTC)
    with context.db.session(org_id) as session:
        dashboard = dashboard_store.get_dashboard(session, dashboard_id)
        if dashboard is None:
            raise DashboardNotFound(dashboard_id)
        name = dashboard.name
        widgets = dashboard_store.visible_widgets(session, dashboard_id, None)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for widget in widgets:
        try:
            data = query_widget(
                spec_from_row(widget), data=context.data, org_id=org_id, filters=filters
            )
        except (TemplateError, QueryError) as exc:
            raise ReportRenderError(f"widget {widget.title!r}: {exc}") from exc
        where = [widget.id, widget.title, widget.widget_type]
        for row_number, row in enumerate(_rows(data)):
            for field, value in row.items():
                writer.writerow([*where, row_number, field, value])
    slug = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    return RenderedReport(
        f"{slug or 'report'}-{now:%Y-%m-%d}.csv",
        "text/csv",
        out.getvalue().encode("utf-8"),
    )


def preview_report(
    context: CommandContext,
    caller: Caller,
    dashboard_id: int,
    fmt: str,
    **options: Any,
) -> RenderedReport:
    """:func:`render_dashboard_report` for a person who may see the dashboard, with
    the export audited.

    Raises:
        DashboardNotFound: no such dashboard in the caller's org.
        ReportRenderError: see :func:`render_dashboard_report`.
    """
    report = render_dashboard_report(
        context, caller.org_id, dashboard_id, fmt, **options
    )
    with context.db.session(caller.org_id) as session:
        audit.record(
            session,
            "export",
            "dashboard",
            dashboard_id,
            caller=caller,
            details={"format": fmt, "report": report.filename},
        )
    return report


def _rows(data: dict) -> list[dict]:
    """A data-source answer as rows of scalars: its ``rows`` when it has some, else
    its top-level scalar fields as one row."""
    rows = data.get("rows")
    if isinstance(rows, list) and rows:
        return [
            {k: v for k, v in r.items() if not isinstance(v, dict | list)}
            for r in rows
            if isinstance(r, dict)
        ]
    return [{k: v for k, v in data.items() if not isinstance(v, dict | list)}]
