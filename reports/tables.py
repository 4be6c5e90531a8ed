"""A widget's data as a :class:`~reports.content.ReportTable`: what a report prints
under a chart's title when it has no figure, and what Excel and CSV hold per widget.

Each widget type's result has its own shape; this module turns each into rows and
columns with the widget's number format, without reformatting any value: numbers stay
numbers (percent columns hold fractions), dates stay ISO dates.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from reports.content import ReportTable
from widgets.table import (
    NUMERIC_FORMATS,
    TableColumn,
    TableConfig,
    default_columns,
    table_columns,
)

WEEKDAYS = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


def _column(field: str, header: str, fmt: str = "text") -> TableColumn:
    return TableColumn.model_validate({"field": field, "header": header, "format": fmt})


def percent_fraction(change_pct: Any) -> float | None:
    """A change in percent units (7.4) as the fraction a percent column holds."""
    if isinstance(change_pct, (int, float)) and not isinstance(change_pct, bool):
        return float(change_pct) / 100
    return None


def summary_table(data: dict, fmt: str, label: str) -> ReportTable:
    """A summary result (KPI card, gauge): one row with the value, the previous
    period's and the change."""
    row = {
        "metric": data.get("label") or label,
        "value": data.get("overall")
        if data.get("view") == "pacing"
        else data.get("value"),
        "previous": data.get("previous"),
        "change": percent_fraction(data.get("change_pct")),
    }
    columns = [_column("metric", "Metric"), _column("value", "Value", fmt)]
    if "previous" in data:
        columns += [
            _column("previous", "Previous period", fmt),
            _column("change", "Change", "percent"),
        ]
    return ReportTable(columns, [row])


def series_table(data: dict, fmt: str) -> ReportTable:
    """A ``timeseries`` result: one row per series and bucket (long format)."""
    rows = [
        {
            "series": series.get("name"),
            "date": point.get("date"),
            "value": point.get("value"),
        }
        for series in data.get("series", [])
        for point in series.get("points", [])
    ]
    columns = [
        _column("series", "Series"),
        _column("date", "Date", "date"),
        _column("value", str(data.get("label") or "Value"), fmt),
    ]
    return ReportTable(columns, rows)


def forecast_table(data: dict, fmt: str) -> ReportTable:
    """A ``forecasts`` result: the actuals, then the forecast with its 95% interval."""
    rows = [
        {"date": p.get("date"), "actual": p.get("value")}
        for p in data.get("history", [])
    ] + [
        {
            "date": p.get("date"),
            "forecast": p.get("value"),
            "lower": p.get("lower"),
            "upper": p.get("upper"),
        }
        for p in data.get("points", [])
    ]
    columns = [
        _column("date", "Date", "date"),
        _column("actual", "Actual", fmt),
        _column("forecast", "Forecast", fmt),
        _column("lower", "Lower 95%", fmt),
        _column("upper", "Upper 95%", fmt),
    ]
    return ReportTable(columns, rows)


def breakdown_table(data: dict, fmt: str) -> ReportTable:
    """A ``breakdown`` result: one row per item (platform, campaign, country)."""
    rows = [
        {"name": str(item.get("name") or item.get("key")), "value": item.get("value")}
        for item in data.get("items", [])
        if isinstance(item, dict)
    ]
    group = str(data.get("group_by") or "item").capitalize()
    columns = [
        _column("name", group),
        _column("value", str(data.get("label") or "Value"), fmt),
    ]
    return ReportTable(columns, rows)


def heatmap_table(data: dict, fmt: str) -> ReportTable:
    """A ``heatmap`` result: one row per weekday and org-local hour."""
    rows = [
        {
            "weekday": WEEKDAYS[int(cell["weekday"])],
            "hour": int(cell["hour"]),
            "value": cell.get("value"),
        }
        for cell in data.get("cells", [])
        if isinstance(cell, dict) and cell.get("weekday") is not None
    ]
    columns = [
        _column("weekday", "Weekday"),
        _column("hour", "Hour", "number"),
        _column("value", str(data.get("label") or "Value"), fmt),
    ]
    return ReportTable(columns, rows)


# Platform connections (status cards): the fields a reader of a report needs.
CONNECTION_COLUMNS = [
    _column("platform_name", "Platform"),
    _column("account_name", "Account"),
    _column("health", "Health"),
    _column("last_sync_at_local", "Last sync", "datetime"),
    _column("last_sync_status", "Sync status"),
    _column("token_expires_at_local", "Token expires", "datetime"),
    _column("rate_limit_usage", "API quota", "percent"),
    _column("api_errors_24h", "API errors (24 h)", "number"),
]


def numeric_rows(rows: list[dict], columns: list[TableColumn]) -> list[dict]:
    """The rows with their numeric columns as numbers: some sources send counts as
    ``Decimal`` (straight from SQL) or as strings (once through JSON)."""
    numeric = [c.field for c in columns if c.format in NUMERIC_FORMATS]
    fixed = []
    for row in rows:
        row = dict(row)
        for name in numeric:
            value = row.get(name)
            if isinstance(value, (str, Decimal)):
                try:
                    row[name] = float(value)
                except ValueError:
                    row[name] = None
        fixed.append(row)
    return fixed


def items_table(data: dict, config: TableConfig | None = None) -> ReportTable:
    """A list result (a table widget, status cards, a timeline, list cards): its rows
    with the table's columns (configured, or those of the rows' known shape)."""
    config = config or TableConfig()
    found = data.get(config.rows)
    if not isinstance(found, list):
        found = data.get("items")
    rows = [row for row in found or [] if isinstance(row, dict)]
    if not config.columns and rows and "rate_limit_usage" in rows[0]:
        columns = CONNECTION_COLUMNS
    else:
        columns = table_columns(config, rows)
    return ReportTable(columns, numeric_rows(rows, columns), data.get("total"))


def widget_table(widget_type: str, spec_config: Any, data: dict) -> ReportTable:
    """The widget's data as rows and columns, shaped by its result's view.

    Args:
        widget_type: the widget's ``type``.
        spec_config: the widget's validated ``config`` (its ``format``, a table's
            columns).
        data: the data-source result the widget drew.
    """
    fmt = getattr(spec_config, "format", None) or data.get("format", "number")
    view = data.get("view")
    if widget_type == "table":
        return items_table(data, spec_config)
    if view == "forecast":
        return forecast_table(data, fmt)
    if view == "timeseries" or (
        view is None and "series" in data and "items" not in data
    ):
        return series_table(data, fmt)
    if view == "heatmap" or "cells" in data:
        return heatmap_table(data, fmt)
    if view in ("summary", "pacing") and widget_type in ("kpi_card", "gauge"):
        return summary_table(data, fmt, str(data.get("label") or "Value"))
    if view == "breakdown":
        return breakdown_table(data, fmt)
    if "items" in data:
        return items_table(data)
    if "value" in data:
        return summary_table(data, fmt, str(data.get("label") or "Value"))
    return ReportTable(default_columns([]), [])
