"""A report as one Excel workbook (openpyxl).

Sheets: ``Summary`` (org, dashboard, period, generated-at, filters, then one row per
KPI: value, previous period, change), one sheet per widget in grid order (its data as
the report's tables hold it), then one per section (top and under-performers,
anomalies, automation actions, open recommendations). Every value is a real number,
date or time with a number format (currency with the org's symbol, percent, ratio),
the header row is frozen and the columns are wide enough for their header and values.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd

from reports.content import ReportContent, ReportTable
from widgets.table import NUMERIC_FORMATS, excel_number_format, export_frame

if TYPE_CHECKING:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.worksheet import Worksheet

MAX_SHEET_NAME = 31


@cache
def _header_style() -> tuple[Font, PatternFill]:
    """The header cells' font and fill. openpyxl is loaded by the first workbook, not
    by every web worker that imports the report formats."""
    from openpyxl.styles import Font, PatternFill  # noqa: PLC0415 - loaded on use

    return Font(bold=True), PatternFill("solid", fgColor="F3F4F6")


def sheet_name(title: str, taken: set[str]) -> str:
    """``title`` as a unique sheet name: no ``[]:*?/\\``, at most 31 characters."""
    base = re.sub(r"[\[\]:*?/\\]", "", title).strip()[:MAX_SHEET_NAME] or "Sheet"
    name, number = base, 2
    while name.lower() in taken:
        suffix = f" ({number})"
        name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
        number += 1
    taken.add(name.lower())
    return name


def _cell(value: Any) -> Any:
    """A frame value as openpyxl writes it: no value is an empty cell."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _header(sheet: Worksheet, titles: list[str]) -> None:
    font, fill = _header_style()
    sheet.append(titles)
    for cell in sheet[1]:
        cell.font = font
        cell.fill = fill
    sheet.freeze_panes = "A2"


def _width(values: list[Any], title: str, numeric: bool) -> int:
    longest = max((len(str(v)) for v in values if v is not None), default=0)
    if numeric:
        longest = int(longest * 1.35) + 2
    return max(10, min(60, max(len(title), longest) + 3))


def _whole(values: list[Any]) -> bool:
    numbers = [v for v in values if isinstance(v, (int, float))]
    return bool(numbers) and all(float(v).is_integer() for v in numbers)


def write_table(sheet: Worksheet, table: ReportTable, currency: str) -> None:
    """``table`` on ``sheet``: a frozen header row, typed cells with number formats,
    fitted column widths."""
    frame = export_frame(table.rows, table.columns)
    _header(sheet, [c.title for c in table.columns])
    for record in frame.itertuples(index=False):
        sheet.append([_cell(v) for v in record])
    for index, column in enumerate(table.columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        values = [_cell(v) for v in frame[column.title]]
        number_format = excel_number_format(
            column.format, currency, whole=column.format == "number" and _whole(values)
        )
        if number_format:
            for cell in sheet[letter][1:]:
                cell.number_format = number_format
        sheet.column_dimensions[letter].width = _width(
            values, column.title, column.format in NUMERIC_FORMATS
        )


def _summary(sheet: Worksheet, content: ReportContent) -> None:
    font, _fill = _header_style()
    local = content.generated_local
    facts: list[tuple[str, Any, str | None]] = [
        ("Organization", content.org_name, None),
        ("Dashboard", content.dashboard_name, None),
        ("Period start", content.period_start, "yyyy-mm-dd"),
        ("Period end", content.period_end, "yyyy-mm-dd"),
        ("Days in", content.org_timezone, None),
        (
            content.generated_label,
            local.replace(tzinfo=None),
            f'yyyy-mm-dd hh:mm "{local:%Z} ({content.recipient_timezone})"',
        ),
        ("Filters", content.filters_text or "none", None),
        ("Currency", content.currency, None),
    ]
    _header(sheet, ["KPI", "Value", "Previous period", "Change"])
    for kpi in content.kpis:
        number_format = excel_number_format(kpi.format, content.currency)
        change = None if kpi.change_pct is None else kpi.change_pct / 100
        sheet.append([kpi.title, kpi.value, kpi.previous, change])
        row = sheet.max_row
        for column in (2, 3):
            sheet.cell(row, column).number_format = number_format or "General"
        sheet.cell(row, 4).number_format = "+0.0%;-0.0%;0.0%"
    sheet.append([])
    for label, value, number_format in facts:
        sheet.append([label, value])
        sheet.cell(sheet.max_row, 1).font = font
        if number_format:
            sheet.cell(sheet.max_row, 2).number_format = number_format
    widths = {"A": 22, "B": 22, "C": 18, "D": 12}
    longest = max((len(str(v)) for _, v, _ in facts), default=0)
    widths["B"] = max(widths["B"], min(60, longest + 3))
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width


def xlsx_bytes(content: ReportContent) -> bytes:
    """The report as an ``.xlsx`` workbook (see the module docstring for its sheets)."""
    from openpyxl import Workbook  # noqa: PLC0415 - loaded on use (module docstring)

    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = "Summary"
    taken = {"summary"}
    _summary(summary, content)
    for widget in content.widgets:
        write_table(
            workbook.create_sheet(sheet_name(widget.title, taken)),
            widget.table,
            content.currency,
        )
    for title, table in content.sections():
        write_table(
            workbook.create_sheet(sheet_name(title, taken)), table, content.currency
        )
    workbook.properties.title = f"{content.dashboard_name} · {content.period_text}"
    workbook.properties.creator = "Pulse"
    workbook.properties.created = content.generated_at.astimezone(dt.UTC).replace(
        tzinfo=None
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
