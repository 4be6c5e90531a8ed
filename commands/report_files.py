"""A dashboard's report as a file (PDF, Excel or CSV): for a schedule's delivery and
for a person's preview or download.

The content is gathered by :func:`reports.collect.collect_report_content` through the
same widget queries the dashboard page runs (the org's context, the cache, the
dashboard's filters) and rendered by :func:`reports.render.render_report`. A report
holds the dashboard's shared widgets only: it goes to people other than whoever made
the schedule, so nobody's private widget ends up in somebody else's inbox.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from accounts import audit
from accounts.permissions import Caller
from commands.context import CommandContext
from commands.dashboards import DashboardNotFound
from core.filters import Filters
from core.reference import parse_row_id
from dashboards import store as dashboard_store
from reports.collect import collect_report_content
from reports.render import RenderedReport, render_report, report_format

__all__ = ["RenderedReport", "preview_report", "render_dashboard_report"]


def render_dashboard_report(
    context: CommandContext,
    org_id: int,
    dashboard_id: int,
    fmt: str,
    *,
    recipient_timezone: str | None = None,
    paper: str = "A4",
    filters: Filters | None = None,
    now: dt.datetime | None = None,
) -> RenderedReport:
    """The report of one of ``org_id``'s dashboards as a file.

    Args:
        fmt: ``pdf``, ``xlsx`` (or ``excel``) or ``csv`` (a zip of CSV files).
        recipient_timezone: the IANA zone the generated-at time is shown in (default:
            the org's).
        paper: ``A4`` or ``Letter`` (PDF only).
        filters: the dashboard filters to apply (default: none, each widget's own
            period).
        now: the generated-at instant (default: now).

    Raises:
        DashboardNotFound: no such dashboard in the org.
        ReportRenderError: the report could not be made; the message names the widget,
            format or part that failed.
    """
    org = context.data.org_context(org_id)
    with context.db.session(org_id) as session:
        dashboard = dashboard_store.get_dashboard(session, dashboard_id)
        if dashboard is None:
            raise DashboardNotFound(dashboard_id)
        name = dashboard.name
        rows = dashboard_store.visible_widgets(session, dashboard.id, None)
    content = collect_report_content(
        data=context.data,
        org=org,
        dashboard_id=dashboard_id,
        dashboard_name=name,
        rows=rows,
        filters=filters or Filters(),
        recipient_timezone=recipient_timezone,
        generated_at=now or dt.datetime.now(dt.UTC),
        figures=report_format(fmt) == "pdf",
    )
    return render_report(content, fmt, paper=paper)


def preview_report(
    context: CommandContext,
    caller: Caller,
    dashboard_id: Any,
    fmt: str,
    **options: Any,
) -> RenderedReport:
    """:func:`render_dashboard_report` for a person of the org (a preview or a
    download), audited as an ``export`` of the dashboard.

    Args:
        dashboard_id: as the browser or API sent it; anything but an id of the
            caller's org's dashboards is "not found".
        options: as for :func:`render_dashboard_report`.

    Raises:
        DashboardNotFound: no such dashboard in the caller's org.
        ReportRenderError: as for :func:`render_dashboard_report`.
    """
    dashboard_pk = parse_row_id(dashboard_id)
    if dashboard_pk is None:
        raise DashboardNotFound(dashboard_id)
    with context.db.session(caller.org_id) as session:
        if dashboard_store.get_dashboard(session, dashboard_pk) is None:
            raise DashboardNotFound(dashboard_pk)
    report = render_dashboard_report(
        context, caller.org_id, dashboard_pk, fmt, **options
    )
    filters = options.get("filters")
    with context.db.session(caller.org_id) as session:
        audit.record(
            session,
            "export",
            "dashboard",
            dashboard_pk,
            caller=caller,
            details={
                "report": fmt,
                "file": report.filename,
                "bytes": len(report.data),
                "paper": options.get("paper", "A4"),
                "filters": filters.model_dump(mode="json") if filters else None,
            },
        )
    return report
