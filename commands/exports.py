"""Exporting a table widget (Excel or CSV), audited.

Whoever may see a table may export it (viewers included). Rows are never taken from
the browser: both files are built from the table's data queried again on the server
under the dashboard's filters, exactly as the widget on screen queries it. The grid
only says which of those rows it shows and in what order (the ids of its rows after
the user's sort and filters), so the file holds what the user sees.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from accounts import audit
from accounts.permissions import Caller
from commands.context import CommandContext
from commands.visibility import visible_widget_spec
from core.filters import Filters
from core.windows import org_today
from dashboards.render import query_widget
from widgets.table import (
    csv_bytes,
    export_filename,
    export_frame,
    result_rows,
    rows_in_view,
    table_columns,
    xlsx_bytes,
)

ExportFormat = Literal["csv", "xlsx"]
# More ids than any table shows (page size ≤ 200, a few hundred campaigns): a longer
# list from the browser is cut rather than trusted to be small.
MAX_VIEW_IDS = 20_000


@dataclass(frozen=True)
class TableExport:
    """An exported file: its bytes, its file name and how many rows it holds."""

    content: bytes
    filename: str
    rows: int


def _view_ids(view_ids: Any) -> list[str] | None:
    """The grid's row ids as strings, or ``None`` when the browser sent no list."""
    if not isinstance(view_ids, list):
        return None
    return [str(key) for key in view_ids[:MAX_VIEW_IDS] if isinstance(key, str | int)]


def export_table(
    context: CommandContext,
    caller: Caller,
    dashboard_id: Any,
    widget_id: Any,
    filters: Filters,
    file_format: ExportFormat,
    view_ids: Any = None,
) -> TableExport:
    """A table widget's rows under ``filters`` as a CSV file or an Excel workbook,
    audited.

    Args:
        file_format: ``csv`` (see :func:`widgets.table.csv_bytes` for the layout) or
            ``xlsx``.
        view_ids: the ids of the rows the grid shows, in its order (after the
            user's sort and filters); ``None`` exports every row in the source's
            order.

    Raises:
        WidgetNotVisible: no such table on that dashboard for the caller.
        WidgetSettingsInvalid: the table's stored settings do not validate.
        QueryError: its data source refused the query.
    """
    row, spec = visible_widget_spec(context, caller, dashboard_id, widget_id, "table")
    data = query_widget(spec, data=context.data, org_id=caller.org_id, filters=filters)
    all_rows = result_rows(data, spec.config) or []
    columns = table_columns(spec.config, all_rows)
    rows = rows_in_view(all_rows, _view_ids(view_ids), spec.config.id_field)
    frame = export_frame(rows, columns)
    if file_format == "csv":
        content = csv_bytes(frame, columns)
    else:
        content = xlsx_bytes(
            frame, columns, currency=data.get("currency", "USD"), sheet=row.title
        )
    with context.db.session(caller.org_id) as session:
        audit.record(
            session,
            "export",
            "widget",
            row.id,
            caller=caller,
            details={"format": file_format, "title": row.title, "rows": len(rows)},
        )
    filename = export_filename(row.title, _export_day(context, caller), file_format)
    return TableExport(content, filename, len(rows))


def _export_day(context: CommandContext, caller: Caller) -> dt.date:
    """Today in the org's time zone: the date in an export's file name."""
    return org_today(context.data.org_context(caller.org_id).timezone)
