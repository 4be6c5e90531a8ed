"""The ingest format registry: each file layout Pulse reads, by name.

A format is a :class:`FileFormat` subclass in its own module (``native``,
``google_ads``, ``meta_ads``): which header carries each :class:`FactRow` field, and
the quirks of the exports that use it, as hooks. ``@register`` adds one instance under
its ``name`` and refuses a second format of the same name; :func:`get` and
:func:`names` answer from the registry, so the list of formats is never written twice.
:func:`read_csv` and :func:`read_json` turn a file into a :class:`Table` of raw records
in canonical field names with the format's help.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, ClassVar, TypeVar

from datasources.ingest._rows import FactRow, RowError, normal_header

# Checks one raw record against its validated row; raises ``FieldError``.
RowCheck = Callable[[dict[str, Any], FactRow], None]
# Rearranges one raw record in place, by the shape of its own cells.
RecordShaper = Callable[[dict[str, Any]], None]


class FileFormat:
    """How one file layout's columns map to :class:`FactRow` fields.

    Subclasses set the class attributes and override the hooks their exports need.

    Attributes:
        name: what ``--format`` and the API's ``format=`` call it.
        columns: each field and the header names that may carry it, preferred first
            (matched case-insensitively, see :func:`normal_header`).
        required: the fields a header must provide; each inner tuple means "one of
            these".
        patterns: regular expressions for headers with a variable part (the currency
            suffix of money columns); a group, if any, captures the currency.
        exports: a platform export: blank or ``--`` cells are 0, numbers may carry
            thousands separators and fractional counts are rounded.
        platform: the one platform of every row, for a single-platform export.
    """

    name: ClassVar[str]
    columns: ClassVar[dict[str, tuple[str, ...]]]
    required: ClassVar[tuple[tuple[str, ...], ...]]
    patterns: ClassVar[dict[str, re.Pattern[str]]] = {}
    exports: ClassVar[bool] = True
    platform: ClassVar[str | None] = None

    def adjust_columns(self, columns: dict[str, str]) -> None:
        """Rearrange the picked ``{field: header}`` in place (a hook)."""

    def column_name(self, field_name: str) -> str:
        """How an error names a missing field: its preferred header."""
        return repr(self.columns[field_name][0])

    def describe_missing(
        self, alternatives: tuple[str, ...], columns: dict[str, str]
    ) -> str | None:
        """Name one requirement the picked columns do not meet, or ``None``."""
        if any(a in columns for a in alternatives):
            return None
        return " or ".join(self.column_name(a) for a in alternatives)

    def missing_columns(
        self, columns: dict[str, str], has_default_country: bool
    ) -> list[str]:
        """Every required column the header lacks, named for the error report."""
        required = list(self.required)
        if not has_default_country:
            required.append(("country",))
        missing = []
        for alternatives in required:
            described = self.describe_missing(alternatives, columns)
            if described is not None:
                hint = (
                    " (or pass a default country)"
                    if alternatives == ("country",)
                    else ""
                )
                missing.append(described + hint)
        return missing

    def header_errors(self, headers: Sequence[str], line: int | None) -> list[RowError]:
        """Problems with the header beyond missing columns (a hook)."""
        return []

    def is_summary_row(self, cells: list[str], record: dict[str, Any]) -> bool:
        """A total or summary row the export adds, to be skipped (a hook)."""
        return False

    def record_shaper(self, columns: dict[str, str]) -> RecordShaper | None:
        """A function that fixes one raw record by its own shape before validation,
        if the picked ``columns`` need it (a hook)."""
        return None

    def row_check(self, table: Table) -> RowCheck | None:
        """A check of each validated row that this table needs, if any (a hook)."""
        return None


_REGISTRY: dict[str, FileFormat] = {}
FormatClass = TypeVar("FormatClass", bound=type[FileFormat])


def register(format_class: FormatClass) -> FormatClass:
    """Class decorator: register the format under its ``name``, refusing a second."""
    name = format_class.name
    if name in _REGISTRY:
        raise ValueError(f"ingest format {name!r} is already registered")
    _REGISTRY[name] = format_class()
    return format_class


def names() -> tuple[str, ...]:
    """The registered formats: Pulse's own layout first, then the exports by name."""
    ordered = sorted(_REGISTRY.values(), key=lambda f: (f.exports, f.name))
    return tuple(f.name for f in ordered)


def get(name: str) -> FileFormat:
    """The format called ``name``.

    Raises:
        ValueError: no format has that name.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown format {name!r}; expected one of {', '.join(names())}"
        ) from None


@dataclass
class Table:
    """Rows of one batch in canonical field names, before validation.

    ``records`` are ``(row number, {field: raw value})``; ``columns`` maps each field to
    the header that carried it (used to name columns in error reports); ``currency`` is
    the currency a header declared (Meta's ``Amount spent (EUR)``).
    """

    format: FileFormat
    records: list[tuple[int, dict[str, Any]]]
    columns: dict[str, str]
    currency: str | None = None
    header_row: int | None = None
    errors: list[RowError] = field(default_factory=list)

    def label(self, field_name: str) -> str:
        return self.columns.get(field_name, field_name)


def map_headers(
    file_format: FileFormat, headers: Iterable[str]
) -> tuple[dict[str, str], str | None]:
    """Pick each field's column: ``({field: header}, currency of a header suffix)``."""
    by_normal: dict[str, str] = {}
    for header in headers:
        by_normal.setdefault(normal_header(header), str(header))
    columns: dict[str, str] = {}
    currency = None
    for name, alternatives in file_format.columns.items():
        for alternative in alternatives:
            if alternative in by_normal:
                columns[name] = by_normal[alternative]
                break
        pattern = file_format.patterns.get(name)
        if name not in columns and pattern is not None:
            for normal, original in by_normal.items():
                match = pattern.match(normal)
                if match:
                    columns[name] = original
                    if match.groups():
                        currency = match[1].upper()
                    break
    file_format.adjust_columns(columns)
    return columns, currency


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def _csv_rows(content: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Rows with the file line each starts on (quoted cells may span lines)."""
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    rows, line = [], 1
    for cells in reader:
        rows.append((line, cells))
        line = reader.line_num + 1
    return rows


def _find_header(
    file_format: FileFormat, rows: list[tuple[int, list[str]]]
) -> int | None:
    """Index of the header row: the first row naming a campaign and a spend column.

    Google puts a report title and the date range above it; native and Meta files
    start with it.
    """
    for index, (_line, cells) in enumerate(rows[:50]):
        columns, _ = map_headers(file_format, cells)
        if (
            {"campaign", "campaign_id", "campaign_name"} & columns.keys()
        ) and "spend" in columns:
            return index
    return None


def _header_errors(
    file_format: FileFormat,
    headers: Sequence[str],
    columns: dict[str, str],
    default_country: str | None,
    line: int | None,
) -> list[RowError]:
    errors = [
        RowError(line, "header", f"missing column {name}")
        for name in file_format.missing_columns(columns, default_country is not None)
    ]
    return errors + file_format.header_errors(headers, line)


def read_csv(
    data: bytes | str, fmt: str, *, default_country: str | None = None
) -> Table:
    """Read a CSV export into a :class:`Table` (file-level problems in ``errors``)."""
    file_format = get(fmt)
    try:
        content = _decode(data)
    except UnicodeDecodeError as exc:
        return Table(
            file_format,
            [],
            {},
            errors=[RowError(None, "file", f"not UTF-8 or UTF-16 text ({exc})")],
        )
    header_index = None
    for delimiter in (",", "\t", ";"):
        rows = _csv_rows(content, delimiter)
        header_index = _find_header(file_format, rows)
        if header_index is not None:
            break
    if header_index is None:
        first = _csv_rows(content, ",")[:1]
        found = ", ".join(first[0][1]) if first else "an empty file"
        return Table(
            file_format,
            [],
            {},
            errors=[
                RowError(
                    first[0][0] if first else None,
                    "header",
                    f"no {file_format.name} header found (it needs a campaign and a "
                    f"spend column); found {found[:200]!r}",
                )
            ],
        )
    header_line, headers = rows[header_index]
    columns, currency = map_headers(file_format, headers)
    table = Table(file_format, [], columns, currency, header_line)
    table.errors = _header_errors(
        file_format, headers, columns, default_country, header_line
    )
    if table.errors:
        return table
    names = list(columns)
    pick = itemgetter(*(headers.index(columns[name]) for name in names))
    width = len(headers)
    exports = file_format.exports
    shape = file_format.record_shaper(columns)
    for line, cells in rows[header_index + 1 :]:
        if not any(cells):
            continue
        if len(cells) != width:
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                table.errors.append(
                    RowError(
                        line, "row", f"has {len(cells)} cells; the header has {width}"
                    )
                )
            cells = (cells + [""] * width)[:width]
        values = pick(cells)
        record = dict(zip(names, values if len(names) > 1 else (values,), strict=True))
        if exports and file_format.is_summary_row(cells, record):
            continue
        if shape is not None:
            shape(record)
        table.records.append((line, record))
    return table


def read_json(rows: Any, fmt: str, *, default_country: str | None = None) -> Table:
    """Read JSON rows (a list of objects keyed by the format's column names)."""
    file_format = get(fmt)
    if isinstance(rows, dict) and "rows" in rows:
        rows = rows["rows"]
    if not isinstance(rows, list):
        return Table(
            file_format,
            [],
            {},
            errors=[
                RowError(
                    None,
                    "rows",
                    'must be a list of objects, e.g. {"rows": [{...}, ...]}',
                )
            ],
        )
    headers: dict[str, None] = {}
    errors = []
    for number, row in enumerate(rows, start=1):
        if isinstance(row, dict):
            headers.update(dict.fromkeys(map(str, row)))
        else:
            errors.append(
                RowError(number, "row", f"must be an object, not {type(row).__name__}")
            )
    columns, currency = map_headers(file_format, headers)
    table = Table(file_format, [], columns, currency)
    if not rows:
        table.errors = [RowError(None, "rows", "is empty; nothing to ingest")]
        return table
    table.errors = errors + _header_errors(
        file_format, list(headers), columns, default_country, None
    )
    if table.errors:
        return table
    shape = file_format.record_shaper(columns)
    for number, row in enumerate(rows, start=1):
        record = {name: row.get(header) for name, header in columns.items()}
        if file_format.is_summary_row([], record):
            continue
        if shape is not None:
            shape(record)
        table.records.append((number, record))
    return table
