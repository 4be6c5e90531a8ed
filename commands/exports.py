"""Exporting a table widget (Excel or CSV), audited.

Whoever may see a table may export it (viewers included). Rows are never taken from
the browser: the Excel workbook is built from the table's data queried again on the
server under the dashboard's filters, exactly as the widget on screen queries it. The
CSV is written by the browser from the rows it already shows, so the server only
checks the table is the caller's to see, names the file and records the export.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from accounts import audit
from accounts.permissions import Caller
from commands.context import CommandContext
from commands.visibility import visible_widget, visible_widget_spec
from core.filters import Filters
from core.windows import org_today
from dashboards.render import query_widget
from widgets.table import (
    export_filename,
    export_frame,
    result_rows,
    table_columns,
    xlsx_bytes,
)


@dataclass(frozen=True)
class TableExport:
    """An exported workbook: its bytes, its file name and how many rows it holds."""

    content: bytes
    filename: str
    rows: int


def _export_day(context: CommandContext, caller: Caller) -> dt.date:
    """Today in the org's time zone: the date in an export's file name."""
    return org_today(context.data.org_context(caller.org_id).timezone)


def export_table_csv(
    context: CommandContext, caller: Caller, dashboard_id: Any, widget_id: Any
) -> str:
    """Record a CSV export of a table widget and name its file (title and the org's
    date).

    Raises:
        WidgetNotVisible: no such table on that dashboard for the caller.
    """
    row = visible_widget(context, caller, dashboard_id, widget_id, "table")
    filename = export_filename(row.title, _export_day(context, caller), "csv")
    with context.db.session(caller.org_id) as session:
        audit.record(
            session,
            "export",
            "widget",
            row.id,
            caller=caller,
            details={"format": "csv", "title": row.title},
        )
    return filename


def export_table_xlsx(
    context: CommandContext,
    caller: Caller,
    dashboard_id: Any,
    widget_id: Any,
    filters: Filters,
) -> TableExport:
    """A table widget's rows under ``filters`` as an Excel workbook, audited.

    Raises:
        WidgetNotVisible: no such table on that dashboard for the caller.
        WidgetSettingsInvalid: the table's stored settings do not validate.
        QueryError: its data source refused the query.
    """
    row, spec = visible_widget_spec(context, caller, dashboard_id, widget_id, "table")
    data = query_widget(spec, data=context.data, org_id=caller.org_id, filters=filters)
    rows = result_rows(data, spec.config) or []
    columns = table_columns(spec.config, rows)
    content = xlsx_bytes(
        export_frame(rows, columns),
        columns,
        currency=data.get("currency", "USD"),
        sheet=row.title,
    )
    with context.db.session(caller.org_id) as session:
        audit.record(
            session,
            "export",
            "widget",
            row.id,
            caller=caller,
            details={"format": "xlsx", "title": row.title, "rows": len(rows)},
        )
    filename = export_filename(row.title, _export_day(context, caller), "xlsx")
    return TableExport(content, filename, len(rows))
