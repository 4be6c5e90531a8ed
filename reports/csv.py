"""A report as a zip of CSV files, one per table.

Layout of ``<dashboard>_<period end>.zip`` (files numbered in the report's order):

- ``00-report.csv``: ``field,value`` rows: organization, dashboard, period_start and
  period_end (org-local days, ``YYYY-MM-DD``), timezone (the org's), generated_at (ISO
  8601 with the recipient's offset), recipient_timezone, currency, filters.
- ``01-summary.csv``: one row per KPI card: ``KPI,Value,Previous period,Change,Format``
  (change as a fraction: 0.027 is +2.7 %; format says how the value reads:
  ``currency``, ``ratio``, ``percent`` or ``number``).
- ``02-<widget title>.csv`` ...: one per widget in grid order, its data as the report
  shows it (a chart's series or items, a table's columns).
- then one per section: ``top-performers``, ``under-performers``, ``anomalies``,
  ``automation-actions``, ``open-recommendations``.

Every CSV is written like a table widget's export (:func:`widgets.table.csv_bytes`):
a header row, numbers raw (dot decimal, no currency sign or thousands separator,
percentages as fractions), dates ``YYYY-MM-DD``, org-local times ``YYYY-MM-DDTHH:MM``,
no value as an empty field; UTF-8 with a byte-order mark, CRLF line ends.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence

from reports.content import ReportContent, ReportTable
from reports.tables import percent_fraction
from widgets.table import TableColumn, export_frame
from widgets.table import csv_bytes as table_csv_bytes

KPI_COLUMNS = [
    TableColumn.model_validate({"field": field, "header": header, "format": fmt})
    for field, header, fmt in (
        ("title", "KPI", "text"),
        ("value", "Value", "number"),
        ("previous", "Previous period", "number"),
        ("change", "Change", "percent"),
        ("format", "Format", "text"),
    )
]


def slug(title: str) -> str:
    """A file-name part: lower case letters, digits and ``-``."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "widget"


def _rows_csv(header: list[str], rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(["" if value is None else value for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def _table_csv(table: ReportTable) -> bytes:
    return table_csv_bytes(export_frame(table.rows, table.columns), table.columns)


def csv_files(content: ReportContent) -> list[tuple[str, bytes]]:
    """The report's CSV files as ``(name, bytes)``, in the zip's order."""
    facts = [
        ["organization", content.org_name],
        ["dashboard", content.dashboard_name],
        ["period_start", content.period_start.isoformat()],
        ["period_end", content.period_end.isoformat()],
        ["timezone", content.org_timezone],
        ["generated_at", content.generated_local.isoformat(timespec="seconds")],
        ["recipient_timezone", content.recipient_timezone],
        ["currency", content.currency],
        ["filters", content.filters_text or ""],
    ]
    kpis = ReportTable(
        KPI_COLUMNS,
        [
            {
                "title": kpi.title,
                "value": kpi.value,
                "previous": kpi.previous,
                "change": percent_fraction(kpi.change_pct),
                "format": kpi.format,
            }
            for kpi in content.kpis
        ],
    )
    tables = [(w.title, w.table) for w in content.widgets] + [
        (title, table) for title, table in content.sections()
    ]
    files = [
        ("00-report.csv", _rows_csv(["field", "value"], facts)),
        ("01-summary.csv", _table_csv(kpis)),
    ]
    width = max(2, len(str(len(tables) + 1)))
    for number, (title, table) in enumerate(tables, start=2):
        files.append((f"{number:0{width}d}-{slug(title)}.csv", _table_csv(table)))
    return files


def zip_bytes(content: ReportContent) -> bytes:
    """The report's CSV files in one zip (see the module docstring for the layout)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in csv_files(content):
            archive.writestr(name, data)
    return buffer.getvalue()
