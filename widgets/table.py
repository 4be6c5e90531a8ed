"""Table: sortable, filterable, paginated rows (dash-ag-grid) with CSV and Excel export
and, for editors, inline campaign actions (pause/resume, daily budget).

The grid receives each column's raw value, so sorting and number filters work on
numbers, plus the text the org's formats give it (``<field>__display``), which the
cell shows: tables use the same :func:`widgets._formatting.format_value` as cards and
reports, and "no value" is an em dash, never 0.

Any result with a list of row dicts can be shown (``config.rows`` names the list,
``items`` by default); without ``config.columns`` the columns follow the shape of the
rows (campaign breakdown or pacing, rules, executions, syncs, platform errors).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any, Literal

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html
from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.metrics import METRICS
from core.reference import PLATFORMS
from widgets._base import RenderContext, WidgetBase
from widgets._formatting import NO_VALUE, currency_symbol, format_value, is_missing
from widgets._registry import register

ColumnFormat = Literal[
    "text", "currency", "percent", "number", "ratio", "date", "datetime", "platform"
]
NUMERIC_FORMATS = ("currency", "percent", "number", "ratio")
Action = Literal["pause_resume", "budget"]
# Statuses an editor may switch between; a completed campaign stays completed.
CAMPAIGN_STATUSES = ("active", "paused")
# Field names end up in JavaScript expressions (value formatters): identifiers only.
FIELD_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
# Columns whose values are states: their cells get a ``status-<value>`` class for
# colour.
STATE_FIELDS = (
    "status",
    "severity",
    "health",
    "pacing_state",
    "last_sync_status",
    "token_warning",
)
# Free-text columns that get the room the numbers do not need.
WIDE_FIELDS = (
    "name",
    "campaign_name",
    "rule_name",
    "summary",
    "message",
    "error",
    "title",
)
# A header's width: about 8 px a character at the grid's header size, plus its sort
# and filter-menu icons (and the sort arrow of the sorted column).
HEADER_CHAR_PX = 8
HEADER_ICONS_PX = 72
# The grid's row id field (exports pick the rows the grid shows by it).
ROW_ID = "_row_id"
# Extra per-column fields of a grid row: the display text and the state's CSS class.
DISPLAY_SUFFIX = "__display"
STATE_SUFFIX = "__state"
# Alpine in the kiosk's dark palette (widgets/theme.py): the Theming API takes
# parameters.
DARK_GRID_THEME = (
    "themeAlpine.withParams({backgroundColor: '#111827', "
    "foregroundColor: '#e5e7eb', headerBackgroundColor: '#1f2937', "
    "borderColor: '#374151', oddRowBackgroundColor: '#0f172a'})"
)


class TableColumn(BaseModel):
    """One column: the row field, its header and how its values are formatted."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(pattern=FIELD_PATTERN, max_length=64)
    header: str | None = Field(None, max_length=80)
    format: ColumnFormat = "text"
    width: int | None = Field(None, ge=40, le=800)

    @property
    def title(self) -> str:
        return self.header or self.field.replace("_", " ").capitalize()


class TableConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: str = Field("items", pattern=FIELD_PATTERN)
    columns: list[TableColumn] = Field(default_factory=list)
    page_size: int = Field(10, ge=1, le=200)
    sort_by: str | None = None
    sort_order: Literal["asc", "desc"] = "desc"
    export: list[Literal["csv", "xlsx"]] = Field(
        default_factory=lambda: ["csv", "xlsx"]
    )
    actions: list[Action] = Field(default_factory=list)
    # The row field holding the campaign id the inline actions change.
    id_field: str = Field("key", pattern=FIELD_PATTERN)
    # An inline daily budget change to more than this many times the current budget
    # (or to less than the current one divided by it) asks the user to confirm.
    budget_confirm_factor: float = Field(10, gt=1, le=1000)

    @model_validator(mode="after")
    def _consistent(self) -> TableConfig:
        fields = [c.field for c in self.columns]
        duplicates = sorted({f for f in fields if fields.count(f) > 1})
        if duplicates:
            raise ValueError(
                f"columns: field(s) {', '.join(duplicates)} appear more than once"
            )
        if self.sort_by and self.columns and self.sort_by not in fields:
            raise ValueError(
                f"sort_by: {self.sort_by!r} is not one of the columns "
                f"({', '.join(fields)})"
            )
        return self


class TableSpec(WidgetBase):
    type: Literal["table"] = "table"
    config: TableConfig = Field(default_factory=TableConfig)

    @model_validator(mode="after")
    def _actions_need_campaigns(self) -> TableSpec:
        if self.config.actions and self.data_source != "campaigns":
            raise ValueError(
                "config.actions: inline pause/resume and budget actions change "
                f"campaigns; data source {self.data_source!r} has none"
            )
        return self


# ------------------------------------------------------------------------ columns
def _columns(*specs: tuple) -> list[TableColumn]:
    return [
        TableColumn(field=s[0], header=s[1], format=s[2] if len(s) > 2 else "text")
        for s in specs
    ]


# Default columns by a field that identifies the rows' shape (first match wins).
SHAPES: list[tuple[str, list[TableColumn]]] = [
    (
        "executed_at_local",
        _columns(
            ("executed_at_local", "Time", "datetime"),
            ("rule_name", "Rule"),
            ("campaign_name", "Campaign"),
            ("action", "Action"),
            ("status", "Status"),
            ("summary", "What happened"),
        ),
    ),
    (
        "occurred_at_local",
        _columns(
            ("occurred_at_local", "Time", "datetime"),
            ("platform_name", "Platform"),
            ("account_name", "Account"),
            ("severity", "Severity"),
            ("error_code", "Code"),
            ("message", "Message"),
        ),
    ),
    (
        "started_at_local",
        _columns(
            ("started_at_local", "Started", "datetime"),
            ("platform_name", "Platform"),
            ("account_name", "Account"),
            ("status", "Status"),
            ("records_synced", "Records", "number"),
            ("duration_seconds", "Seconds", "number"),
            ("error", "Error"),
        ),
    ),
    (
        "pacing_state",
        _columns(
            ("name", "Campaign"),
            ("platform", "Platform", "platform"),
            ("status", "Status"),
            ("budget", "Budget", "currency"),
            ("spend_to_date", "Spend to date", "currency"),
            ("expected_spend", "Expected spend", "currency"),
            ("pacing", "Pacing", "percent"),
            ("pacing_state", "Pacing state"),
        ),
    ),
    (
        "success_rate",
        _columns(
            ("name", "Rule"),
            ("status", "Status"),
            ("summary", "Condition → action"),
            ("executions", "Runs", "number"),
            ("success_rate", "Success rate", "percent"),
            ("last_run_at_local", "Last run", "datetime"),
        ),
    ),
    (
        "revenue",
        _columns(
            ("name", "Name"),
            ("platform", "Platform", "platform"),
            ("status", "Status"),
            ("spend", "Spend", "currency"),
            ("revenue", "Revenue", "currency"),
            ("roas", "ROAS", "ratio"),
            ("conversions", "Conversions", "number"),
            ("cpa", "CPA", "currency"),
            ("clicks", "Clicks", "number"),
            ("impressions", "Impressions", "number"),
        ),
    ),
]


def default_columns(rows: list[dict]) -> list[TableColumn]:
    """Columns for rows of a known shape (those of its fields the rows carry), else one
    text/number column per scalar field."""
    first = rows[0] if rows else {}
    for marker, columns in SHAPES:
        if marker in first:
            return [c for c in columns if available(c.field, first)]
    return [
        TableColumn(field=key, format="number" if _is_number(value) else "text")
        for key, value in first.items()
        if re.match(FIELD_PATTERN, key) and not isinstance(value, (dict, list))
    ]


def table_columns(config: TableConfig, rows: list[dict]) -> list[TableColumn]:
    """The configured (or default) columns, plus the status and daily-budget columns the
    inline actions edit when the rows carry those fields."""
    columns = list(config.columns) or default_columns(rows)
    fields = {c.field for c in columns}
    present = set().union(*(r.keys() for r in rows)) if rows else set()
    wanted = [
        ("pause_resume", TableColumn(field="status", header="Status")),
        (
            "budget",
            TableColumn(field="daily_budget", header="Daily budget", format="currency"),
        ),
    ]
    for action, column in wanted:
        if (
            action in config.actions
            and column.field not in fields
            and column.field in present
        ):
            columns.append(column)
    return columns


# ------------------------------------------------------------------------- values
def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def available(field: str, row: dict) -> bool:
    """Whether ``row`` carries ``field`` or the sums to compute it (a ratio metric)."""
    metric = METRICS.get(field)
    return field in row or (
        metric is not None
        and metric.is_ratio
        and metric.numerator in row
        and metric.denominator in row
    )


def cell_value(row: dict, field: str) -> Any:
    """The row's value for ``field``; a ratio metric the row does not carry (ROAS, CPA,
    CTR...) is computed from the row's own sums (a ratio of sums, ``None`` when the
    denominator is 0)."""
    if field in row:
        value = row[field]
        return None if isinstance(value, (dict, list)) else value
    return METRICS[field].value(row) if available(field, row) else None


def _parse_time(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def format_cell(
    value: Any, fmt: str, currency: str = "USD", *, cents: bool | None = None
) -> str:
    """The text a cell shows: numbers in the org's formats, ISO dates as "Nov 25, 2026",
    ISO times (already org-local) as "Nov 25, 2026 14:05", platform keys as their names;
    no value is an em dash. ``cents``: see :func:`widgets._formatting.format_value`."""
    if value is None or value == "" or (_is_number(value) and is_missing(float(value))):
        return NO_VALUE
    if fmt == "platform":
        return PLATFORMS.get(str(value), str(value))
    if fmt in NUMERIC_FORMATS and _is_number(value):
        return format_value(float(value), fmt, currency, cents=cents)
    if fmt in ("date", "datetime"):
        moment = _parse_time(value)
        if moment is not None:
            return f"{moment:%b} {moment.day}, {moment:%Y}" + (
                f" {moment:%H:%M}" if fmt == "datetime" else ""
            )
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if _is_number(value):
        return format_value(float(value), "number", currency)
    return str(value)


def result_rows(data: dict, config: TableConfig) -> list[dict] | None:
    """The list of row dicts the table shows, or ``None`` when the result has none."""
    rows = data.get(config.rows)
    if not isinstance(rows, list):
        return None
    return [r for r in rows if isinstance(r, dict)]


def table_rows(
    rows: list[dict],
    columns: list[TableColumn],
    *,
    currency: str = "USD",
    id_field: str = "key",
) -> list[dict]:
    """Grid rows: raw value and display text per column, and a stable row id.

    Only the columns' fields (and the campaign id for actions) are sent to the browser.
    """
    # One money format per column: whole amounts when any is 1,000 or more, else
    # cents ($10,084 and $821, not $10,084 beside $821.46).
    cents = {
        column.field: all(
            abs(v) < 1000
            for r in rows
            if _is_number(v := cell_value(r, column.field)) and not is_missing(v)
        )
        for column in columns
        if column.format == "currency"
    }
    out = []
    for index, row in enumerate(rows):
        record: dict[str, Any] = {
            ROW_ID: row_id(row, index, id_field),
            "_campaign_id": row.get(id_field),
        }
        for column in columns:
            value = cell_value(row, column.field)
            record[column.field] = value
            display = format_cell(
                value, column.format, currency, cents=cents.get(column.field)
            )
            if column.field in STATE_FIELDS:
                record[column.field + STATE_SUFFIX] = state_class(value)
                # States read as words: "Paused", "On track".
                display = state_words(display)
            record[column.field + DISPLAY_SUFFIX] = display
        out.append(record)
    return out


def row_id(row: dict, index: int, id_field: str = "key") -> str:
    """The grid's id of a row: its ``id_field`` (the campaign id), else its place."""
    return str(row.get(id_field, f"row-{index}"))


def state_words(value: Any) -> str:
    """A state as the table shows it: ``on_track`` reads "On track"."""
    return str(value).replace("_", " ").capitalize()


def state_class(value: Any) -> str:
    """The CSS class colouring a state cell: ``status-on-track`` for "on track"."""
    if value is None or value == "":
        return ""
    return "cell-state status-" + re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip(
        "-"
    )


def display_function(field: str) -> str:
    """The cell formatter (a dash-ag-grid function string): the server's display text
    while the value is the one it formatted; a value the grid holds on its own (an edit
    on its way to the server, an option of the status picker) shows as it is."""
    return (
        f"params.data && params.value === params.data.{field} ? "
        f"params.data.{field}{DISPLAY_SUFFIX} : (params.value == null ? '{NO_VALUE}' : "
        f"params.value)"
    )


def column_defs(
    columns: list[TableColumn], config: TableConfig, *, can_edit: bool
) -> list[dict]:
    """ag-grid column definitions: formatted display, number or text filters, the
    configured sort, and the editable action cells for editors."""
    defs = []
    for column in columns:
        numeric = column.format in NUMERIC_FORMATS
        definition: dict[str, Any] = {
            "field": column.field,
            "headerName": column.title,
            "colId": column.field,
            "valueFormatter": {"function": display_function(column.field)},
            "filter": "agNumberColumnFilter" if numeric else "agTextColumnFilter",
        }
        if numeric:
            definition["type"] = "rightAligned"
        # Wide enough for the header's longest word beside the sort and menu icons
        # (a header wraps between words, never inside one: "Conversion-s").
        longest = max((len(word) for word in column.title.split()), default=0)
        definition["minWidth"] = max(100, HEADER_CHAR_PX * longest + HEADER_ICONS_PX)
        if column.width:
            # A configured width wins over the shared flex (ag-grid ignores width with
            # flex).
            definition |= {"width": column.width, "flex": None}
        elif column.field in WIDE_FIELDS:
            definition |= {"minWidth": 220, "flex": 2}
        state = f"params.data ? params.data.{column.field}{STATE_SUFFIX} : ''"
        if column.field in STATE_FIELDS:
            definition["cellClass"] = {"function": state}
        if config.sort_by == column.field:
            definition["sort"] = config.sort_order
        if can_edit and column.field == "status" and "pause_resume" in config.actions:
            definition |= {
                "editable": {
                    "function": "params.data._campaign_id != null && "
                    "(params.data.status === 'active' || "
                    "params.data.status === 'paused')"
                },
                "cellEditor": "agSelectCellEditor",
                "cellEditorParams": {"values": list(CAMPAIGN_STATUSES)},
                "headerTooltip": "Click a status to pause or resume the campaign",
            }
            definition["cellClass"] = {"function": f"'cell-editable ' + ({state})"}
        if can_edit and column.field == "daily_budget" and "budget" in config.actions:
            definition |= {
                "editable": {"function": "params.data._campaign_id != null"},
                # A text editor: what the user typed reaches the server, which says
                # what is wrong with "abc" or "-5" instead of the cell dropping it.
                "cellEditor": "agTextCellEditor",
                # An explicit cellClass replaces the right-aligned type's own class.
                "cellClass": "cell-editable ag-right-aligned-cell",
                "headerTooltip": "Click a daily budget to change it",
            }
        defs.append(definition)
    return defs


# ------------------------------------------------------------------------- export
def export_filename(title: str, day: dt.date, extension: str) -> str:
    """``<title>_<YYYY-MM-DD>.<ext>`` with only letters, digits, ``-`` and ``_``."""
    words = re.sub(r"[^\w\s-]+", "", title, flags=re.ASCII).split()
    return f"{'-'.join(words) or 'table'}_{day.isoformat()}.{extension}"


def rows_in_view(
    rows: list[dict], view_ids: list[str] | None, id_field: str = "key"
) -> list[dict]:
    """The rows as the grid shows them: ``view_ids`` are the row ids of the grid's
    rows after its filters and sort (its ``virtualRowData``), in that order.

    Only ids pick and order rows the server queried itself; an id that is not one of
    them (stale, or made up in the browser) is ignored. ``None`` (the grid has not
    said) keeps every row in the order of the data source.
    """
    if view_ids is None:
        return rows
    by_id = {row_id(row, index, id_field): row for index, row in enumerate(rows)}
    return [by_id[key] for key in dict.fromkeys(view_ids) if key in by_id]


def export_value(value: Any, column: TableColumn) -> Any:
    """A cell as an export holds it: numbers stay numbers, platform codes become
    their names and states their words (as the table shows them), no value is
    empty."""
    if value is None or value == "":
        return None
    if column.format == "platform":
        return PLATFORMS.get(str(value), str(value))
    if column.field in STATE_FIELDS and isinstance(value, str):
        return state_words(value)
    return value


def export_frame(rows: list[dict], columns: list[TableColumn]) -> pd.DataFrame:
    """The rows as a frame with the columns' headers: numbers stay numbers (no value is
    an empty cell, never 0), dates and times become real dates, platforms and states
    read as on screen."""
    frame = pd.DataFrame(
        [[export_value(cell_value(row, c.field), c) for c in columns] for row in rows],
        columns=[c.title for c in columns],
        dtype=object,
    )
    for column in columns:
        values = frame[column.title]
        if column.format in NUMERIC_FORMATS:
            frame[column.title] = pd.to_numeric(values, errors="coerce")
        elif column.format in ("date", "datetime"):
            parsed = pd.to_datetime(values, errors="coerce")
            frame[column.title] = parsed.dt.date if column.format == "date" else parsed
    return frame


def _all_whole(values: pd.Series) -> bool:
    numbers = values.dropna()
    return bool(len(numbers)) and bool((numbers == numbers.round()).all())


# Decimals a CSV keeps per column format: cents for money; ratios and fractions to
# six places, which is far below anything shown and clears float noise (0.1 + 0.2).
CSV_DECIMALS = {"currency": 2, "percent": 6, "ratio": 6, "number": 6}


def _csv_cell(value: Any, column: TableColumn) -> Any:
    if value is None or (isinstance(value, float) and is_missing(value)):
        return ""
    if value is pd.NaT:
        return ""
    if column.format in NUMERIC_FORMATS and _is_number(value):
        number = round(float(value), CSV_DECIMALS[column.format])
        return int(number) if number.is_integer() else number
    if column.format == "date" and isinstance(value, dt.date):
        return value.isoformat()
    if column.format == "datetime" and isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    return value


def csv_bytes(frame: pd.DataFrame, columns: list[TableColumn]) -> bytes:
    """The frame as CSV for spreadsheets and scripts alike.

    A header row of the column titles, then one row per table row: numbers raw with a
    dot decimal and no currency sign or thousands separator (money to the cent,
    percentages as fractions: 0.054 is 5.4 %), dates ``YYYY-MM-DD`` and org-local
    times ``YYYY-MM-DDTHH:MM`` (ISO 8601), platforms and states as the table shows
    them, no value as an empty field. UTF-8 with a byte-order mark, so Excel opens
    accented campaign names correctly; comma-separated, CRLF line ends (RFC 4180).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.title for c in columns])
    for record in frame.itertuples(index=False):
        writer.writerow(
            [_csv_cell(value, c) for value, c in zip(record, columns, strict=True)]
        )
    return buffer.getvalue().encode("utf-8-sig")


def excel_number_format(fmt: str, currency: str, *, whole: bool = False) -> str | None:
    """The Excel number format of a column format (``None``: leave Excel's default);
    ``whole``: every value of a ``number`` column is a whole number."""
    symbol = currency_symbol(currency).replace('"', "")
    return {
        "currency": f'"{symbol}"#,##0.00',
        "percent": "0.00%",
        "ratio": '0.00"×"',
        "number": "#,##0" if whole else "#,##0.00",
        "date": "yyyy-mm-dd",
        "datetime": "yyyy-mm-dd hh:mm",
    }.get(fmt)


def _column_width(frame: pd.DataFrame, column: TableColumn) -> int:
    """Characters wide enough for the header and the longest value as Excel shows
    it (number formats add separators and decimals: about a third more)."""
    values = frame[column.title].dropna()
    longest = max((len(str(v)) for v in values), default=0)
    if column.format in NUMERIC_FORMATS:
        longest = int(longest * 1.35) + 2
    return max(10, min(60, max(len(column.title), longest) + 3))


def xlsx_bytes(
    frame: pd.DataFrame,
    columns: list[TableColumn],
    *,
    currency: str = "USD",
    sheet: str = "Data",
) -> bytes:
    """An Excel workbook of ``frame``: numbers as numbers with the column's number
    format, a frozen header row and column widths that fit the header and values."""
    sheet = re.sub(r"[\[\]:*?/\\]", "", sheet)[:31] or "Data"
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet)
        worksheet = writer.sheets[sheet]
        worksheet.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            letter = worksheet.cell(row=1, column=index).column_letter
            whole = column.format == "number" and _all_whole(frame[column.title])
            number_format = excel_number_format(column.format, currency, whole=whole)
            if number_format:
                for cell in worksheet[letter][1:]:
                    cell.number_format = number_format
            worksheet.column_dimensions[letter].width = _column_width(frame, column)
    return buffer.getvalue()


# ------------------------------------------------------------------------- render
def table_id(part: str, widget_id: Any) -> dict:
    """Component ids of a table widget (``part``: grid, csv, xlsx, download,
    message, and for editors confirm and pending)."""
    return {
        "type": "widget-table" if part == "grid" else f"widget-table-{part}",
        "index": widget_id,
    }


def make_grid(
    rows: list[dict],
    columns: list[TableColumn],
    config: TableConfig,
    *,
    widget_id: Any,
    title: str = "table",
    currency: str = "USD",
    can_edit: bool = False,
    theme: str = "light",
) -> dag.AgGrid:
    """The ag-grid of a table widget (read-only unless ``can_edit`` and actions)."""
    grid_theme = {"function": DARK_GRID_THEME} if theme == "dark" else "themeAlpine"
    return dag.AgGrid(
        id=table_id("grid", widget_id),
        rowData=table_rows(rows, columns, currency=currency, id_field=config.id_field),
        columnDefs=column_defs(columns, config, can_edit=can_edit),
        # Columns share the width (free text gets twice the share, see WIDE_FIELDS).
        defaultColDef={
            "sortable": True,
            "filter": True,
            "resizable": True,
            "minWidth": 100,
            "flex": 1,
            # A header longer than its column wraps onto a second line instead of
            # being cut ("Conversi…").
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        getRowId=f"params.data.{ROW_ID}",
        dashGridOptions={
            # The Theming API styles the grid from dash-ag-grid's own bundle (no CSS
            # file, no CDN); the class below is only a hook for our CSS.
            "theme": grid_theme,
            "pagination": True,
            "paginationPageSize": config.page_size,
            "paginationPageSizeSelector": False,
            "animateRows": False,
            "singleClickEdit": True,
            "stopEditingWhenCellsLoseFocus": True,
            "tooltipShowDelay": 300,
        },
        className="ag-theme-alpine pulse-grid",
        style={"height": "100%", "width": "100%"},
        # A refresh rebuilds the grid with new rows: keep the user's sort, column sizes
        # and filters for the browser session instead of resetting them every tick.
        persistence=True,
        persistence_type="session",
        persisted_props=["columnState", "filterModel"],
    )


def toolbar(config: TableConfig, *, widget_id: Any, editable: bool) -> html.Div:
    """Export buttons, the hint for editors and the place action outcomes appear."""
    buttons = []
    if "csv" in config.export:
        buttons.append(
            dbc.Button(
                "CSV",
                id=table_id("csv", widget_id),
                size="sm",
                color="secondary",
                outline=True,
                className="table-export",
                title="Download the rows as CSV",
            )
        )
    if "xlsx" in config.export:
        buttons.append(
            dbc.Button(
                "Excel",
                id=table_id("xlsx", widget_id),
                size="sm",
                color="secondary",
                outline=True,
                className="table-export",
                title="Download the rows as an Excel workbook",
            )
        )
    hint = (
        html.Span(
            "Click a status or daily budget to change it.", className="table-hint"
        )
        if editable
        else None
    )
    return html.Div(
        [
            html.Div(
                [
                    hint,
                    html.Div(
                        id=table_id("message", widget_id), className="table-message"
                    ),
                ],
                className="table-toolbar-left",
            ),
            html.Div(buttons, className="table-export-buttons"),
        ],
        className="table-toolbar",
    )


@register(TableSpec)
def build(spec: TableSpec, data: dict, ctx: RenderContext) -> html.Div:
    """Render any row-list result as an ag-grid table with export and inline actions."""
    config = spec.config
    rows = result_rows(data, config)
    if rows is None:
        return html.Div(
            f"This data source has no “{config.rows}” rows to show in a table.",
            className="widget-empty",
        )
    if not rows:
        return html.Div("No rows for this period.", className="widget-empty")
    columns = table_columns(config, rows)
    currency = data.get("currency", ctx.currency)
    editable = ctx.can_edit and bool(config.actions)
    # Dark is the kiosk wall: nobody clicks there, so no export buttons.
    shown_config = (
        config.model_copy(update={"export": []}) if ctx.theme == "dark" else config
    )
    return html.Div(
        [
            toolbar(shown_config, widget_id=ctx.widget_id, editable=editable),
            html.Div(
                make_grid(
                    rows,
                    columns,
                    config,
                    widget_id=ctx.widget_id,
                    title=spec.title,
                    currency=currency,
                    can_edit=editable,
                    theme=ctx.theme,
                ),
                className="table-grid",
            ),
            dcc.Download(id=table_id("download", ctx.widget_id)),
            # A large budget change waits here for the user's OK (every table has
            # them: the edit callback answers them for any grid).
            dcc.ConfirmDialog(id=table_id("confirm", ctx.widget_id)),
            dcc.Store(id=table_id("pending", ctx.widget_id)),
        ],
        className="pulse-table",
    )
