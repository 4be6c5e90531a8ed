"""Live ingestion of campaign facts: ``python -m datasources.ingest FILE --org SLUG``.

A batch (one file or one API request) is parsed, every row is validated, campaigns are
resolved inside the org, and then either *everything* is written in one transaction or
*nothing* is: any bad row rejects the batch, the rejection is recorded as an
``IngestBatch`` (status ``rejected``, with the per-row report) and
:class:`IngestRejected` carries that report to the caller.

Writing is an upsert on (campaign, UTC hour, country): the newest report of an hour
replaces the stored one, so re-sending a file changes nothing and never double counts.
Rows whose values are unchanged are not rewritten (``rows_written`` counts inserted or
changed rows). In the same transaction the daily (and weekly ``week_start``) rollup is
rebuilt for exactly the touched (campaign, org-local day)s, the org's
``AnalyticsRefresh`` window is widened to the touched days, and a ``committed``
``IngestBatch`` is recorded. Callers that hold a ``QueryCache`` invalidate the org's
cache after the commit (the API does; the CLI does it for a shared cache).

Formats and their column mapping (header names are matched case-insensitively;
the first listed alternative that is present wins):

============  ==========================  =====================================  ===================================
field         native                      google_ads (Google Ads report)         meta_ads (Meta Ads Manager export)
============  ==========================  =====================================  ===================================
campaign      ``campaign_id`` (Pulse id)  ``Campaign ID`` (external id),         ``Campaign ID`` (external id),
              or ``campaign`` (external   ``Campaign`` (name)                    ``Campaign name``
              id or name), optional
              ``campaign_name``
platform      ``platform`` (code)         always ``google``                      always ``meta``
time          ``hour``: ISO datetime      ``Day`` + ``Hour of day`` (0-23)       ``Day`` (or ``Reporting starts`` =
              (offset or ``Z``; no        in the org's time zone                 ``Reporting ends``) + ``Time of day
              offset = org time zone),                                           (ad account time zone)`` such as
              or ``date`` + ``hour``                                             ``00:00:00 - 00:59:59``
              (0-23, org time zone)
country       ``country``                 ``Country/Territory (User location)``  ``Country``
                                          (any ``Country/Territory ...``)
spend         ``spend``                   ``Cost`` / ``Cost (XXX)``              ``Amount spent (XXX)``
impressions   ``impressions``             ``Impr.`` / ``Impressions``            ``Impressions``
clicks        ``clicks``                  ``Clicks``                             ``Link clicks`` / ``Clicks (all)``
conversions   ``conversions``             ``Conversions``                        ``Purchases`` / ``Results``
revenue       ``revenue``                 ``Conv. value`` / ``Conversion value``  ``Purchases conversion value``
currency      ``currency`` (optional)     ``Currency code``                      the ``(XXX)`` of ``Amount spent``,
                                                                                 or ``Currency``
============  ==========================  =====================================  ===================================

Details:

* Countries may be ISO 3166 alpha-2 (``US``), alpha-3 (``USA``) or English names
  (``United States``, as Google writes them); they are stored as alpha-3.
  ``ZZ``/``Unknown`` becomes ``ZZZ`` (unknown country). A file without a country
  column needs ``default_country`` (CLI ``--country``, API ``country=``).
* Numbers may carry thousands separators (``1,234.56``). In platform exports a blank,
  ``--`` or ``—`` cell is 0 and fractional conversions (Google's attribution models)
  are rounded to whole conversions, which is what the fact table stores; in ``native``
  a metric cell must not be empty and counts must be whole numbers.
* Google's report title and date-range lines above the header and its ``Total: ...``
  rows are skipped; a UTF-16, tab-separated "Excel" export is read too. Meta summary
  rows (no campaign name and no id) are skipped.
* Platform reports are in the ad account's time zone, which must be the org's.
  Local hours that do not exist (the spring-forward hour) are errors; the repeated
  fall-back hour maps to its first occurrence.
* Checks per row: known platform, known country, valid time on the hour and not in the
  future, hour of day 0-23, non-negative finite numbers, clicks ≤ impressions, currency
  equal to the org's, a known campaign of the org (or one that may be created), and no
  second row for the same campaign, hour and country.
* Row numbers in error reports are the file's line numbers (the header is line 1 of a
  plain CSV) or the 1-based position in a JSON ``rows`` array.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import datetime as dt
import gc
import io
import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from sqlalchemy import case, column, or_, select, table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import TableClause

from accounts import audit
from core.db import Database
from core.models import (
    AnalyticsRefresh,
    Campaign,
    IngestBatch,
    MetricFactHourly,
    Org,
    utcnow,
)
from core.reference import COUNTRIES, PLATFORMS
from datasources.rollups import (
    APPLY_DELTA_SQL,
    DELTA_TABLE,
    STAGE_DELTA_SQL,
    STAGING_TABLE,
    refresh_campaign_days,
)

FORMATS = ("native", "google_ads", "meta_ads")
Format = Literal["native", "google_ads", "meta_ads"]
UnknownCampaigns = Literal["create", "refuse"]
# Errors kept in a rejection report; the count of all of them is reported too.
MAX_REPORTED_ERRORS = 1000
WRITE_CHUNK_ROWS = 5000
METRICS = ("impressions", "clicks", "conversions", "spend", "revenue")
FACT_COLUMNS = ("org_id", "campaign_id", "hour_utc", "country", "local_date", *METRICS)
COUNTS = frozenset({"impressions", "clicks", "conversions"})
EARLIEST_DAY = dt.date(2000, 1, 1)
BLANKS = frozenset({"", "--", "-", "—", "n/a"})
# A key of the advisory lock that serialises one org's ingests (PostgreSQL).
INGEST_LOCK_CLASS = 7_311


# --------------------------------------------------------------------------- errors
@dataclass(frozen=True)
class RowError:
    """One problem: the file row (``None`` for the whole file), the column, why."""

    row: int | None
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "reason": self.reason}

    def __str__(self) -> str:
        where = f"row {self.row}: " if self.row is not None else ""
        return f"{where}{self.field}: {self.reason}"


class IngestRejected(ValueError):
    """The batch was refused and nothing was written.

    Attributes:
        errors: the first :data:`MAX_REPORTED_ERRORS` problems, in file order.
        error_count: how many problems there were in all.
        rows_received: data rows in the batch.
        batch_id: the ``IngestBatch`` that records the rejection (``None`` if even that
            could not be written).
    """

    def __init__(
        self,
        errors: Sequence[RowError],
        rows_received: int,
        batch_id: int | None = None,
    ) -> None:
        self.errors = list(errors)[:MAX_REPORTED_ERRORS]
        self.error_count = len(errors)
        self.rows_received = rows_received
        self.batch_id = batch_id
        rows = {e.row for e in errors if e.row is not None}
        what = f"{len(rows)} row(s)" if rows else "the file"
        super().__init__(
            f"{what} rejected ({self.error_count} problem(s)); nothing was written"
        )

    def report(self) -> list[dict[str, Any]]:
        return [e.as_dict() for e in self.errors]


class _FieldError(ValueError):
    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field_name, self.reason = field_name, reason


# ---------------------------------------------------------------- value parsing
def _blank(value: Any) -> bool:
    return (
        value is None
        or value == ""
        or (isinstance(value, str) and value.strip().lower() in BLANKS)
    )


def _clean_export_metrics(record: dict[str, Any]) -> dict[str, Any]:
    """Platform exports: blank/``--`` cells are 0, ``1,234.56`` loses its separators and
    fractional counts (Google's attributed conversions) are rounded to whole ones."""
    for name in METRICS:
        value = record.get(name)
        if _blank(value):
            record[name] = 0
        elif isinstance(value, str):
            cleaned = value.replace(",", "").replace("\u00a0", "").strip()
            if name in COUNTS:
                try:
                    cleaned = round(float(cleaned))
                except (ValueError, OverflowError):
                    pass  # pydantic reports it as not a number
            record[name] = cleaned
    return record


def _text(value: Any) -> str | None:
    if _blank(value):
        return None
    return str(value).strip()


# The validators below try the common case (a clean value) with one dict lookup first;
# they run once per row and field, so this is most of the parsing time of a big file.


def _campaign_id(value: Any) -> int | None:
    if _blank(value):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(
            f"must be a Pulse campaign id (a whole number), not {value!r}"
        ) from None
    if number <= 0:
        raise ValueError(f"must be a positive id (got {value!r})")
    return number


_PLATFORM_NAMES = {name.lower(): code for code, name in PLATFORMS.items()} | {
    code: code for code in PLATFORMS
}


def _platform(value: Any) -> str | None:
    code = _PLATFORM_NAMES.get(value)
    if code is not None:
        return code
    if _blank(value):
        return None
    code = _PLATFORM_NAMES.get(str(value).strip().lower())
    if code is None:
        raise ValueError(
            f"unknown platform {value!r}; expected one of {', '.join(PLATFORMS)}"
        )
    return code


def _country(value: Any, info: ValidationInfo) -> str:
    alpha3 = COUNTRIES.get(value)
    if alpha3 is not None:
        return alpha3
    if _blank(value):
        default = info.context.get("default_country")
        if default is None:
            raise ValueError("is required (an ISO 3166 code such as US)")
        return default
    alpha3 = COUNTRIES.get(str(value).strip().upper())
    if alpha3 is None:
        raise ValueError(
            f"unknown country {value!r}; use an ISO 3166 code such as US or DE"
        )
    return alpha3


@lru_cache(maxsize=65_536)
def _parse_iso_hour(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(
            f"not an ISO date-time: {value!r}; e.g. 2024-09-01T13:00:00+02:00"
        ) from None
    if moment.minute or moment.second or moment.microsecond:
        raise ValueError(f"must be on the hour (minutes and seconds 0), not {value!r}")
    return moment


def _iso_hour(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return _parse_iso_hour(value.isoformat())
    if _blank(value):
        return None
    return _parse_iso_hour(str(value))


_DATE_FORMATS = ("%Y-%m-%d", "%b %d, %Y", "%B %d, %Y", "%Y/%m/%d")


@lru_cache(maxsize=65_536)
def _parse_date(value: str) -> dt.date:
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {value!r}; use YYYY-MM-DD")


def _date(value: Any) -> dt.date | None:
    if _blank(value):
        return None
    if isinstance(value, dt.date):
        return value
    return _parse_date(str(value))


_TIME_RANGE = re.compile(r"^(\d{1,2}):00(?::00)?\s*-\s*(\d{1,2}):59(?::59)?$")


@lru_cache(maxsize=1024)
def _parse_hour_of_day(value: str) -> int:
    match = _TIME_RANGE.match(value)
    if match:
        start, end = int(match[1]), int(match[2])
        if start != end:
            raise ValueError(
                f"must cover one hour, like 13:00:00 - 13:59:59, not {value!r}"
            )
        hour = start
    else:
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"not an hour of day: {value!r}; use 0-23") from None
        if number != int(number):
            raise ValueError(f"must be a whole hour 0-23, not {value!r}")
        hour = int(number)
    if not 0 <= hour <= 23:
        raise ValueError(f"must be between 0 and 23, not {value!r}")
    return hour


def _hour_of_day(value: Any) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not an hour of day: {value!r}")
    return _parse_hour_of_day(str(value).strip())


def _currency(value: Any, info: ValidationInfo) -> str | None:
    code = _text(value)
    if code is None:
        return None
    expected = info.context["currency"]
    if code.upper() != expected.upper():
        raise ValueError(f"{code} does not match the org's currency {expected}")
    return code.upper()


# Numbers are parsed and range-checked by pydantic-core (fast enough for 100k rows).
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0)]
_REASONS = {
    "float_parsing": "not a number: {input!r}",
    "float_type": "not a number: {input!r}",
    "int_parsing": "not a whole number: {input!r}",
    "int_type": "not a whole number: {input!r}",
    "int_from_float": "must be a whole number (got {input!r})",
    "greater_than_equal": "must be ≥ 0 (got {input!r})",
    "finite_number": "must be a finite number (got {input!r})",
    "missing": "is required",
}


def _reason(error: dict[str, Any]) -> str:
    """A short reason for one pydantic error, in the words of the other messages."""
    value = error.get("input")
    if error["type"] in ("float_parsing", "int_parsing", "float_type", "int_type") and (
        value is None or (isinstance(value, str) and not value.strip())
    ):
        return "is empty; write 0 for none"
    template = _REASONS.get(error["type"])
    if template is None:
        return error["msg"].removeprefix("Value error, ")
    return template.format(input=value)


class FactRow(BaseModel):
    """One row, in canonical field names, as the format adapters deliver it.

    Validation needs a context: ``{"currency": str, "default_country": str | None}``.
    """

    model_config = ConfigDict(extra="ignore")

    campaign_id: Annotated[int | None, BeforeValidator(_campaign_id)] = None
    campaign: Annotated[str | None, BeforeValidator(_text)] = None
    campaign_name: Annotated[str | None, BeforeValidator(_text)] = None
    platform: Annotated[str | None, BeforeValidator(_platform)] = None
    hour: Annotated[dt.datetime | None, BeforeValidator(_iso_hour)] = None
    date: Annotated[dt.date | None, BeforeValidator(_date)] = None
    hour_of_day: Annotated[int | None, BeforeValidator(_hour_of_day)] = None
    country: Annotated[str, BeforeValidator(_country)] = Field(
        None, validate_default=True
    )
    spend: Amount = 0.0
    impressions: Count = 0
    clicks: Count = 0
    conversions: Count = 0
    revenue: Amount = 0.0
    currency: Annotated[str | None, BeforeValidator(_currency)] = None

    @field_validator("clicks")
    @classmethod
    def _clicks_within_impressions(cls, clicks: int, info: ValidationInfo) -> int:
        impressions = info.data.get("impressions")
        if impressions is not None and clicks > impressions:
            raise ValueError(f"clicks ({clicks}) exceed impressions ({impressions})")
        return clicks


# ---------------------------------------------------------------- format adapters
@dataclass(frozen=True)
class FormatSpec:
    """How one format's columns map to :class:`FactRow` fields.

    ``columns`` maps each field to the header names that may carry it, preferred first;
    ``patterns`` adds regular expressions (the currency suffix of money columns).
    """

    name: str
    columns: dict[str, tuple[str, ...]]
    required: tuple[tuple[str, ...], ...]  # each inner tuple: one of these fields
    patterns: dict[str, re.Pattern] = field(default_factory=dict)
    exports: bool = True
    platform: str | None = None


NATIVE = FormatSpec(
    name="native",
    columns={
        "campaign_id": ("campaign_id",),
        "campaign": ("campaign", "external_id"),
        "campaign_name": ("campaign_name",),
        "platform": ("platform",),
        "hour": ("hour",),
        "date": ("date", "day"),
        "hour_of_day": ("hour_of_day",),
        "country": ("country",),
        "spend": ("spend",),
        "impressions": ("impressions",),
        "clicks": ("clicks",),
        "conversions": ("conversions",),
        "revenue": ("revenue",),
        "currency": ("currency",),
    },
    required=(
        ("campaign_id", "campaign"),
        ("hour",),
        ("spend",),
        ("impressions",),
        ("clicks",),
    ),
    exports=False,
)
GOOGLE_ADS = FormatSpec(
    name="google_ads",
    columns={
        "campaign": ("campaign id",),
        "campaign_name": ("campaign",),
        "date": ("day", "date"),
        "hour_of_day": ("hour of day",),
        "country": (
            "country/territory (user location)",
            "country/territory",
            "country/territory (location of interest)",
            "country",
        ),
        "spend": ("cost",),
        "impressions": ("impr.", "impressions"),
        "clicks": ("clicks",),
        "conversions": ("conversions",),
        "revenue": ("conv. value", "conversion value", "total conv. value"),
        "currency": ("currency code", "currency"),
    },
    required=(
        ("campaign", "campaign_name"),
        ("date",),
        ("hour_of_day",),
        ("spend",),
        ("impressions",),
        ("clicks",),
    ),
    patterns={
        "spend": re.compile(r"^cost \(([a-z]{3})\)$"),
        "country": re.compile(r"^country/territory"),
    },
    platform="google",
)
META_ADS = FormatSpec(
    name="meta_ads",
    columns={
        "campaign": ("campaign id",),
        "campaign_name": ("campaign name",),
        "date": ("day", "date", "reporting starts"),
        "reporting_ends": ("reporting ends",),
        "hour_of_day": ("time of day (ad account time zone)",),
        "country": ("country",),
        "spend": ("amount spent",),
        "impressions": ("impressions",),
        "clicks": ("link clicks", "clicks (all)"),
        "conversions": ("purchases", "website purchases", "results"),
        "revenue": ("purchases conversion value", "website purchases conversion value"),
        "currency": ("currency",),
    },
    required=(
        ("campaign", "campaign_name"),
        ("date",),
        ("hour_of_day",),
        ("spend",),
        ("impressions",),
        ("clicks",),
    ),
    patterns={"spend": re.compile(r"^amount spent \(([a-z]{3})\)$")},
    platform="meta",
)
SPECS: dict[str, FormatSpec] = {s.name: s for s in (NATIVE, GOOGLE_ADS, META_ADS)}
_VIEWER_TIME_ZONE = "time of day (viewer's time zone)"


def _normal(header: Any) -> str:
    return " ".join(str(header).replace("\ufeff", "").strip().lower().split())


@dataclass
class Table:
    """Rows of one batch in canonical field names, before validation.

    ``records`` are ``(row number, {field: raw value})``; ``columns`` maps each field to
    the header that carried it (used to name columns in error reports); ``currency`` is
    the currency a header declared (Meta's ``Amount spent (EUR)``).
    """

    format: FormatSpec
    records: list[tuple[int, dict[str, Any]]]
    columns: dict[str, str]
    currency: str | None = None
    header_row: int | None = None
    errors: list[RowError] = field(default_factory=list)

    def label(self, field_name: str) -> str:
        return self.columns.get(field_name, field_name)


def _map_headers(
    spec: FormatSpec, headers: Iterable[str]
) -> tuple[dict[str, str], str | None]:
    """Pick each field's column: ``({field: header}, currency from a header suffix)``."""
    by_normal: dict[str, str] = {}
    for header in headers:
        by_normal.setdefault(_normal(header), str(header))
    columns: dict[str, str] = {}
    currency = None
    for name, alternatives in spec.columns.items():
        for alternative in alternatives:
            if alternative in by_normal:
                columns[name] = by_normal[alternative]
                break
        pattern = spec.patterns.get(name)
        if name not in columns and pattern is not None:
            for normal, original in by_normal.items():
                match = pattern.match(normal)
                if match:
                    columns[name] = original
                    if match.groups():
                        currency = match[1].upper()
                    break
    if spec.name == "native" and "date" in columns and "hour" in columns:
        # native "date" + "hour": the hour is an hour of day in the org's time zone.
        columns.setdefault("hour_of_day", columns.pop("hour"))
    return columns, currency


def _missing_columns(
    spec: FormatSpec, columns: dict[str, str], has_default_country: bool
) -> list[str]:
    required = list(spec.required)
    if not has_default_country:
        required.append(("country",))
    missing = []
    for alternatives in required:
        if spec.name == "native" and alternatives == ("hour",):
            if "hour" in columns or ("date" in columns and "hour_of_day" in columns):
                continue
            missing.append("'hour' (ISO date-time), or 'date' and 'hour'")
            continue
        if not any(a in columns for a in alternatives):
            names = [
                repr(spec.columns[a][0]) if spec.name != "native" else repr(a)
                for a in alternatives
            ]
            hint = (
                " (or pass a default country)" if alternatives == ("country",) else ""
            )
            missing.append(" or ".join(names) + hint)
    return missing


def _is_summary_row(spec: FormatSpec, cells: list[str], record: dict[str, Any]) -> bool:
    """Google's ``Total: ...`` rows; Meta's summary row (no campaign name, no id)."""
    if spec.name == "google_ads":
        first = next((c for c in cells if c.strip()), "")
        return first.strip().lower().startswith("total")
    if spec.name == "meta_ads":
        return _blank(record.get("campaign")) and _blank(record.get("campaign_name"))
    return False


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


def _find_header(spec: FormatSpec, rows: list[tuple[int, list[str]]]) -> int | None:
    """Index of the header row: the first row naming a campaign and a spend column.

    Google puts a report title and the date range above it; native and Meta files
    start with it.
    """
    for index, (_line, cells) in enumerate(rows[:50]):
        columns, _ = _map_headers(spec, cells)
        if (
            {"campaign", "campaign_id", "campaign_name"} & columns.keys()
        ) and "spend" in columns:
            return index
    return None


def read_csv(
    data: bytes | str, fmt: Format, *, default_country: str | None = None
) -> Table:
    """Read a CSV export into a :class:`Table` (file-level problems in ``errors``)."""
    spec = SPECS[fmt]
    try:
        content = _decode(data)
    except UnicodeDecodeError as exc:
        return Table(
            spec,
            [],
            {},
            errors=[RowError(None, "file", f"not UTF-8 or UTF-16 text ({exc})")],
        )
    header_index = None
    for delimiter in (",", "\t", ";"):
        rows = _csv_rows(content, delimiter)
        header_index = _find_header(spec, rows)
        if header_index is not None:
            break
    if header_index is None:
        first = _csv_rows(content, ",")[:1]
        found = ", ".join(first[0][1]) if first else "an empty file"
        return Table(
            spec,
            [],
            {},
            errors=[
                RowError(
                    first[0][0] if first else None,
                    "header",
                    f"no {spec.name} header found (it needs a campaign and a spend column); "
                    f"found {found[:200]!r}",
                )
            ],
        )
    header_line, headers = rows[header_index]
    columns, currency = _map_headers(spec, headers)
    table = Table(spec, [], columns, currency, header_line)
    table.errors = _header_errors(spec, headers, columns, default_country, header_line)
    if table.errors:
        return table
    names = list(columns)
    pick = itemgetter(*(headers.index(columns[name]) for name in names))
    width = len(headers)
    exports = spec.exports
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
        if exports and _is_summary_row(spec, cells, record):
            continue
        table.records.append((line, record))
    return table


def read_json(rows: Any, fmt: Format, *, default_country: str | None = None) -> Table:
    """Read JSON rows (a list of objects keyed by the format's column names)."""
    spec = SPECS[fmt]
    if isinstance(rows, dict) and "rows" in rows:
        rows = rows["rows"]
    if not isinstance(rows, list):
        return Table(
            spec,
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
    columns, currency = _map_headers(spec, headers)
    table = Table(spec, [], columns, currency)
    if not rows:
        table.errors = [RowError(None, "rows", "is empty; nothing to ingest")]
        return table
    table.errors = errors + _header_errors(
        spec, list(headers), columns, default_country, None
    )
    if table.errors:
        return table
    for number, row in enumerate(rows, start=1):
        record = {name: row.get(header) for name, header in columns.items()}
        if spec.name == "meta_ads" and _is_summary_row(spec, [], record):
            continue
        table.records.append((number, record))
    return table


def _header_errors(
    spec: FormatSpec,
    headers: Sequence[str],
    columns: dict[str, str],
    default_country: str | None,
    line: int | None,
) -> list[RowError]:
    errors = [
        RowError(line, "header", f"missing column {name}")
        for name in _missing_columns(spec, columns, default_country is not None)
    ]
    if spec.name == "meta_ads" and _VIEWER_TIME_ZONE in map(_normal, headers):
        errors.append(
            RowError(
                line,
                "header",
                "export the 'Time of day (ad account time zone)' "
                "breakdown, not the viewer's time zone",
            )
        )
    return errors


# --------------------------------------------------------------- validation
@dataclass(frozen=True)
class OrgInfo:
    """What parsing needs to know about the org."""

    id: int
    timezone: str
    currency: str


@dataclass(slots=True)
class ParsedRow:
    """A valid row, placed in time; ``campaign_id`` is set once campaigns are resolved."""

    row: int
    campaign_id: int | None
    campaign: str | None
    campaign_name: str | None
    platform: str | None
    hour_utc: dt.datetime
    local_date: dt.date
    country: str
    impressions: int
    clicks: int
    conversions: int
    spend: float
    revenue: float


class _Clock:
    """Turns a row's time fields into (naive UTC hour, org-local day), memoised."""

    def __init__(self, timezone: str, now: dt.datetime) -> None:
        self.zone = ZoneInfo(timezone)
        self.latest = now.replace(minute=0, second=0, microsecond=0)
        self.memo: dict[tuple, tuple[dt.datetime, dt.date]] = {}

    def place(self, row: FactRow) -> tuple[dt.datetime, dt.date]:
        key = (row.hour, row.date, row.hour_of_day)
        placed = self.memo.get(key)
        if placed is None:
            placed = self.memo[key] = self._place(row)
        return placed

    def _place(self, row: FactRow) -> tuple[dt.datetime, dt.date]:
        if row.hour is not None:
            moment = row.hour if row.hour.tzinfo else self._localise(row.hour, "hour")
        elif row.date is not None and row.hour_of_day is not None:
            moment = self._localise(
                dt.datetime.combine(row.date, dt.time(row.hour_of_day)), "hour_of_day"
            )
        else:
            missing = "date" if row.date is None and row.hour is None else "hour_of_day"
            raise _FieldError(missing, "is required")
        hour_utc = moment.astimezone(dt.UTC).replace(tzinfo=None)
        if hour_utc > self.latest:
            raise _FieldError(
                "hour" if row.hour is not None else "date",
                f"{moment.isoformat()} is in the future",
            )
        local_date = moment.astimezone(self.zone).date()
        if local_date < EARLIEST_DAY:
            raise _FieldError(
                "hour" if row.hour is not None else "date",
                f"{local_date} is before {EARLIEST_DAY}",
            )
        return hour_utc, local_date

    def _localise(self, naive: dt.datetime, field_name: str) -> dt.datetime:
        local = naive.replace(tzinfo=self.zone)
        round_trip = local.astimezone(dt.UTC).astimezone(self.zone).replace(tzinfo=None)
        if round_trip != naive:
            raise _FieldError(
                field_name,
                f"{naive:%Y-%m-%d %H:00} does not exist in "
                f"{self.zone.key} (the clocks skip that hour)",
            )
        return local


def validate_rows(
    table: Table,
    org: OrgInfo,
    *,
    default_country: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[list[ParsedRow], list[RowError]]:
    """Validate every record of ``table``; returns the valid rows and ALL problems."""
    errors = list(table.errors)
    if table.currency and table.currency != org.currency.upper():
        errors.append(
            RowError(
                table.header_row,
                table.label("spend"),
                f"currency {table.currency} does not match the org's "
                f"currency {org.currency}",
            )
        )
    if errors:
        return [], errors
    country = None
    if default_country is not None:
        country = COUNTRIES.get(default_country.strip().upper())
        if country is None:
            return [], [
                RowError(
                    None, "country", f"unknown default country {default_country!r}"
                )
            ]
    context = {"currency": org.currency, "default_country": country}
    exports = table.format.exports
    validate = FactRow.__pydantic_validator__.validate_python
    clock = _Clock(org.timezone, (now or utcnow()).replace(tzinfo=None))
    meta_ranges = (
        table.format.name == "meta_ads"
        and "reporting_ends" in table.columns
        and _normal(table.columns.get("date", "")) == "reporting starts"
    )
    platform = table.format.platform
    rows: list[ParsedRow] = []
    for line, record in table.records:
        try:
            fact = validate(
                _clean_export_metrics(record) if exports else record, context=context
            )
        except ValidationError as exc:
            errors.extend(
                RowError(
                    line,
                    table.label(str(e["loc"][0]) if e["loc"] else "row"),
                    _reason(e),
                )
                for e in exc.errors()
            )
            continue
        if meta_ranges and not _blank(record.get("reporting_ends")):
            try:
                if _date(record["reporting_ends"]) != fact.date:
                    errors.append(
                        RowError(
                            line,
                            table.label("reporting_ends"),
                            "the row covers several days; export with the "
                            "Day breakdown",
                        )
                    )
                    continue
            except ValueError as exc:
                errors.append(RowError(line, table.label("reporting_ends"), str(exc)))
                continue
        if (
            fact.campaign_id is None
            and fact.campaign is None
            and fact.campaign_name is None
        ):
            name = "campaign" if "campaign" in table.columns else "campaign_name"
            errors.append(RowError(line, table.label(name), "is required"))
            continue
        try:
            hour_utc, local_date = clock.place(fact)
        except _FieldError as exc:
            errors.append(RowError(line, table.label(exc.field_name), exc.reason))
            continue
        rows.append(
            ParsedRow(
                line,
                fact.campaign_id,
                fact.campaign,
                fact.campaign_name,
                platform or fact.platform,
                hour_utc,
                local_date,
                fact.country,
                fact.impressions,
                fact.clicks,
                fact.conversions,
                fact.spend,
                fact.revenue,
            )
        )
    return rows, errors


# ------------------------------------------------------------ campaign resolution
@dataclass(frozen=True)
class KnownCampaign:
    id: int
    platform: str
    external_id: str
    name: str


@dataclass
class NewCampaign:
    """A campaign to create for rows that name an unknown one."""

    platform: str
    external_id: str
    name: str
    start_date: dt.date
    id: int | None = None


class CampaignIndex:
    """Look campaigns of one org up by Pulse id, external id or name."""

    def __init__(self, campaigns: Iterable[KnownCampaign]) -> None:
        self.by_id: dict[int, KnownCampaign] = {}
        self.by_external: dict[str, list[KnownCampaign]] = defaultdict(list)
        self.by_name: dict[str, list[KnownCampaign]] = defaultdict(list)
        for campaign in campaigns:
            self.by_id[campaign.id] = campaign
            if campaign.external_id:
                self.by_external[campaign.external_id].append(campaign)
            self.by_name[campaign.name.casefold()].append(campaign)

    def find(self, row: ParsedRow) -> KnownCampaign | None:
        """The campaign a row names, ``None`` if unknown.

        Raises:
            _FieldError: the id is not the org's, the name is ambiguous, or the platform
                differs from the campaign's.
        """
        if row.campaign_id is not None:
            found = self.by_id.get(row.campaign_id)
            if found is None:
                raise _FieldError(
                    "campaign_id", f"no campaign with id {row.campaign_id} in this org"
                )
            return self._check_platform(found, row)
        lookups = (
            (self.by_external, row.campaign, "external id"),
            (self.by_name, row.campaign_name, "name"),
            (self.by_name, row.campaign, "name"),
        )
        for index, value, kind in lookups:
            if value is None:
                continue
            key = value if kind == "external id" else value.casefold()
            matches = [
                c
                for c in index.get(key, ())
                if row.platform is None or c.platform == row.platform
            ]
            if len(matches) > 1:
                raise _FieldError(
                    "campaign",
                    f"{len(matches)} campaigns have the {kind} "
                    f"{value!r}; name the campaign by campaign_id",
                )
            if matches:
                return self._check_platform(matches[0], row)
        return None

    @staticmethod
    def _check_platform(campaign: KnownCampaign, row: ParsedRow) -> KnownCampaign:
        if row.platform is not None and row.platform != campaign.platform:
            raise _FieldError(
                "platform",
                f"campaign {campaign.name!r} runs on "
                f"{campaign.platform}, not {row.platform}",
            )
        return campaign


def resolve_campaigns(
    rows: list[ParsedRow],
    index: CampaignIndex,
    table: Table,
    on_unknown: UnknownCampaigns,
) -> tuple[dict[tuple, NewCampaign], dict[int, tuple], list[RowError]]:
    """Attach campaign ids to rows; plan campaigns to create; report the rest.

    Returns:
        ``(new campaigns by key, {row number: key of its new campaign}, errors)``; rows of
        known campaigns get ``campaign_id`` set in place.
    """
    errors: list[RowError] = []
    created: dict[tuple, NewCampaign] = {}
    pending: dict[int, tuple] = {}
    memo: dict[tuple, KnownCampaign | None | _FieldError] = {}
    for row in rows:
        key = (row.campaign_id, row.campaign, row.campaign_name, row.platform)
        if key not in memo:
            try:
                memo[key] = index.find(row)
            except _FieldError as exc:
                memo[key] = exc
        found = memo[key]
        if isinstance(found, _FieldError):
            errors.append(
                RowError(row.row, table.label(found.field_name), found.reason)
            )
        elif found is not None:
            row.campaign_id = found.id
        elif on_unknown == "refuse":
            label = row.campaign or row.campaign_name
            errors.append(
                RowError(
                    row.row,
                    table.label("campaign" if row.campaign else "campaign_name"),
                    f"unknown campaign {label!r} in this org; create it first "
                    "or ingest with unknown campaigns = create",
                )
            )
        elif row.platform is None:
            errors.append(
                RowError(
                    row.row,
                    table.label("platform"),
                    f"is required to create campaign "
                    f"{row.campaign or row.campaign_name!r}",
                )
            )
        else:
            new_key = (row.platform, row.campaign, row.campaign_name)
            plan = created.get(new_key)
            if plan is None:
                external = (
                    row.campaign
                    if (row.campaign_name or table.format.exports)
                    else None
                )
                plan = created[new_key] = NewCampaign(
                    row.platform,
                    external or "",
                    row.campaign_name or row.campaign or "",
                    row.local_date,
                )
            plan.start_date = min(plan.start_date, row.local_date)
            pending[row.row] = new_key
    return created, pending, errors


def find_duplicates(
    rows: list[ParsedRow], pending: dict[int, tuple], table: Table
) -> list[RowError]:
    """Rows that repeat an earlier row's (campaign, hour, country)."""
    seen: dict[tuple, int] = {}
    errors = []
    for row in rows:
        campaign = (
            row.campaign_id if row.campaign_id is not None else pending.get(row.row)
        )
        if campaign is None:
            continue  # its campaign is already reported as unknown
        key = (campaign, row.hour_utc, row.country)
        first = seen.setdefault(key, row.row)
        if first != row.row:
            errors.append(
                RowError(
                    row.row,
                    table.label("hour" if "hour" in table.columns else "hour_of_day"),
                    f"same campaign, hour ({row.hour_utc:%Y-%m-%d %H:00} UTC) "
                    f"and country as row {first}",
                )
            )
    return errors


# ------------------------------------------------------------------------- writing
def _dialect_insert(dialect: str):
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _fact_upsert(dialect: str, staged: TableClause | None = None):
    """INSERT ... ON CONFLICT (campaign, hour, country) DO UPDATE, only when changed.

    With ``staged`` the rows come from that (temporary) table, else from parameters.
    """
    table = MetricFactHourly.__table__
    statement = _dialect_insert(dialect)(table)
    if staged is not None:
        statement = statement.from_select(FACT_COLUMNS, select(*staged.c))
    excluded = statement.excluded
    updated = (*METRICS, "local_date")
    return statement.on_conflict_do_update(
        index_elements=["campaign_id", "hour_utc", "country"],
        set_={c: excluded[c] for c in updated},
        where=or_(*(table.c[c].is_distinct_from(excluded[c]) for c in updated)),
    )


def _fact_tuples(
    org_id: int, rows: list[ParsedRow], convert_hour=None, convert_day=None
) -> Iterable[tuple]:
    """Rows as tuples in :data:`FACT_COLUMNS` order, times converted (memoised) if asked."""
    hours: dict[dt.datetime, Any] = {}
    days: dict[dt.date, Any] = {}
    for r in rows:
        hour, day = r.hour_utc, r.local_date
        if convert_hour is not None:
            hour = hours.get(hour) or hours.setdefault(hour, convert_hour(hour))
            day = days.get(day) or days.setdefault(day, convert_day(day))
        yield (
            org_id,
            r.campaign_id,
            hour,
            r.country,
            day,
            r.impressions,
            r.clicks,
            r.conversions,
            r.spend,
            r.revenue,
        )


def _upsert_facts(
    session: Session, org_id: int, rows: list[ParsedRow]
) -> tuple[int, bool]:
    """Upsert the rows; returns how many were inserted or changed, and whether the
    daily and hourly-platform rollups already received the differences (PostgreSQL).

    PostgreSQL: COPY into a temporary table and one INSERT ... SELECT ... ON CONFLICT.
    SQLite: the same upsert statement, compiled once and run as a driver executemany
    in chunks (the per-row parameter handling of SQLAlchemy would double the time).
    """
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name == "postgresql":
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {STAGING_TABLE} "
            f"(LIKE {MetricFactHourly.__tablename__}) ON COMMIT DROP"
        )
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(
            f"COPY {STAGING_TABLE} ({', '.join(FACT_COLUMNS)}) FROM STDIN"
        ) as copy:
            for values in _fact_tuples(org_id, rows):
                copy.write_row(values)
        staged = table(STAGING_TABLE, *(column(c) for c in FACT_COLUMNS))
        # What the upsert will change, per rollup row, read before it runs.
        connection.exec_driver_sql(STAGE_DELTA_SQL)
        written = connection.execute(
            _fact_upsert("postgresql", staged).execution_options(preserve_rowcount=True)
        ).rowcount
        if written:
            for statement in APPLY_DELTA_SQL:
                connection.exec_driver_sql(statement, {"org": org_id})
        connection.exec_driver_sql(f"DROP TABLE {STAGING_TABLE}, {DELTA_TABLE}")
        return max(written or 0, 0), True
    compiled = _fact_upsert(dialect.name).compile(
        dialect=dialect, column_keys=list(FACT_COLUMNS)
    )
    order = [FACT_COLUMNS.index(name) for name in compiled.positiontup]
    columns = MetricFactHourly.__table__.c
    convert_hour = columns.hour_utc.type.dialect_impl(dialect).bind_processor(dialect)
    convert_day = columns.local_date.type.dialect_impl(dialect).bind_processor(dialect)
    tuples = [
        tuple(values[i] for i in order)
        for values in _fact_tuples(org_id, rows, convert_hour, convert_day)
    ]
    written = 0
    for start in range(0, len(tuples), WRITE_CHUNK_ROWS):
        result = connection.exec_driver_sql(
            str(compiled), tuples[start : start + WRITE_CHUNK_ROWS]
        )
        written += max(result.rowcount or 0, 0)
    return written, False


def widen_analytics_refresh(
    session: Session, org_id: int, first_day: dt.date, last_day: dt.date
) -> None:
    """Upsert the org's analytics refresh window so it covers [first_day, last_day]."""
    table = AnalyticsRefresh.__table__
    statement = _dialect_insert(session.get_bind().dialect.name)(table).values(
        org_id=org_id, first_day=first_day, last_day=last_day, requested_at=utcnow()
    )
    excluded = statement.excluded
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["org_id"],
            set_={
                "first_day": case(
                    (table.c.first_day <= excluded.first_day, table.c.first_day),
                    else_=excluded.first_day,
                ),
                "last_day": case(
                    (table.c.last_day >= excluded.last_day, table.c.last_day),
                    else_=excluded.last_day,
                ),
                "requested_at": excluded.requested_at,
            },
        )
    )


def _lock_org(session: Session, org_id: int) -> None:
    """Serialise one org's ingests so two rollup rebuilds never interleave (PostgreSQL;
    SQLite has one writer at a time anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:k, :org)"),
            {"k": INGEST_LOCK_CLASS, "org": org_id},
        )


def _create_campaigns(
    session: Session, org_id: int, plans: Iterable[NewCampaign]
) -> None:
    rows = []
    for plan in plans:
        row = Campaign(
            org_id=org_id,
            platform=plan.platform,
            external_id=plan.external_id,
            name=plan.name[:200],
            start_date=plan.start_date,
            status="active",
            budget=0.0,
        )
        session.add(row)
        rows.append((plan, row))
    session.flush()
    for plan, row in rows:
        plan.id = row.id


# --------------------------------------------------------------------------- ingest
def org_info(db: Database, org_id: int) -> OrgInfo:
    with db.session(org_id) as session:
        org = session.scalars(select(Org).where(Org.id == org_id)).one_or_none()
        if org is None:
            raise LookupError(f"no org with id {org_id}")
        return OrgInfo(org.id, org.timezone, org.currency)


def _known_campaigns(session: Session) -> list[KnownCampaign]:
    return [
        KnownCampaign(*row)
        for row in session.execute(
            select(Campaign.id, Campaign.platform, Campaign.external_id, Campaign.name)
        )
    ]


def _record_rejection(
    db: Database,
    org_id: int,
    errors: list[RowError],
    rows_received: int,
    meta: dict[str, Any],
) -> int | None:
    """Record a rejected batch in its own transaction; returns its id."""
    with db.session(org_id) as session:
        batch = IngestBatch(
            org_id=org_id,
            status="rejected",
            rows_received=rows_received,
            rows_written=0,
            errors=[e.as_dict() for e in errors[:MAX_REPORTED_ERRORS]],
            **meta,
        )
        session.add(batch)
        session.flush()
        return batch.id


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is parsed.

    Parsing allocates a few objects per row that all stay alive until the batch is
    written; the collector would rescan them again and again (half the parse time of a
    100k-row file). Reference counting still frees everything; no cycles are made here.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def ingest(
    db: Database,
    org_id: int,
    data: bytes | str | list | dict,
    *,
    fmt: Format = "native",
    source: Literal["api", "cli"] = "api",
    on_unknown_campaign: UnknownCampaigns = "refuse",
    default_country: str | None = None,
    user_id: int | None = None,
    api_key_id: int | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Ingest one batch of facts for an org, all or nothing.

    Args:
        db: the database (an RLS-bound app URL works: everything runs in the org's context).
        org_id: the org the facts belong to (from the caller's credentials).
        data: CSV text/bytes, or JSON rows (a list of objects, or ``{"rows": [...]}``).
        fmt: ``native``, ``google_ads`` or ``meta_ads`` (see the module docstring).
        source: ``api`` or ``cli``, recorded on the batch.
        on_unknown_campaign: ``create`` makes campaigns named by unknown rows (they need a
            platform); ``refuse`` reports those rows.
        default_country: the country of every row of a file without a country column.
        user_id, api_key_id: who sent the batch, recorded on it.
        now: the current time (naive UTC) for the "not in the future" check.

    Returns:
        ``{"batch_id", "status": "committed", "format", "rows_received", "rows_written",
        "rows_unchanged", "days_touched": [ISO days], "first_day", "last_day",
        "campaigns_created": [{"id", "name", "platform", "external_id"}]}``.

    Raises:
        IngestRejected: any problem; nothing was written and the rejection was recorded.
        LookupError: the org does not exist.
    """
    if fmt not in SPECS:
        raise ValueError(
            f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}"
        )
    if on_unknown_campaign not in ("create", "refuse"):
        raise ValueError("on_unknown_campaign must be 'create' or 'refuse'")
    org = org_info(db, org_id)
    meta = {
        "source": source,
        "format": fmt,
        "user_id": user_id,
        "api_key_id": api_key_id,
    }
    with _collector_paused():
        return _ingest(
            db, org, data, fmt, on_unknown_campaign, default_country, meta, now
        )


def _ingest(
    db: Database,
    org: OrgInfo,
    data: bytes | str | list | dict,
    fmt: Format,
    on_unknown_campaign: UnknownCampaigns,
    default_country: str | None,
    meta: dict[str, Any],
    now: dt.datetime | None,
) -> dict[str, Any]:
    table = (
        read_json(data, fmt, default_country=default_country)
        if isinstance(data, (list, dict))
        else read_csv(data, fmt, default_country=default_country)
    )
    rows_received = len(table.records)
    rows, errors = validate_rows(table, org, default_country=default_country, now=now)
    if not errors and not rows:
        errors = [RowError(None, "rows", "the batch has no data rows")]
    planned: dict[tuple, NewCampaign] = {}
    pending: dict[int, tuple] = {}
    if not errors:
        with db.session(org.id) as session:
            index = CampaignIndex(_known_campaigns(session))
        planned, pending, errors = resolve_campaigns(
            rows, index, table, on_unknown_campaign
        )
        errors += find_duplicates(rows, pending, table)
    if errors:
        errors.sort(key=lambda e: e.row or 0)
        batch_id = _record_rejection(db, org.id, errors, rows_received, meta)
        raise IngestRejected(errors, rows_received, batch_id)
    return _commit(db, org, rows, planned, pending, rows_received, meta)


def _commit(
    db: Database,
    org: OrgInfo,
    rows: list[ParsedRow],
    planned: dict[tuple, NewCampaign],
    pending: dict[int, tuple],
    rows_received: int,
    meta: dict[str, Any],
) -> dict[str, Any]:
    days = sorted({r.local_date for r in rows})
    with db.session(org.id) as session:
        _lock_org(session, org.id)
        _create_campaigns(session, org.id, planned.values())
        for row in rows:
            if row.campaign_id is None:
                row.campaign_id = planned[pending[row.row]].id
        written, deltas_applied = _upsert_facts(session, org.id, rows)
        if written:
            campaign_days: dict[int, set[dt.date]] = defaultdict(set)
            for row in rows:
                campaign_days[row.campaign_id].add(row.local_date)
            refresh_campaign_days(
                session, org.id, campaign_days, deltas_applied=deltas_applied
            )
            widen_analytics_refresh(session, org.id, days[0], days[-1])
        batch = IngestBatch(
            org_id=org.id,
            status="committed",
            rows_received=rows_received,
            rows_written=written,
            first_day=days[0],
            last_day=days[-1],
            errors=[],
            **meta,
        )
        session.add(batch)
        session.flush()
        audit.record(
            session,
            "ingest",
            "ingest_batch",
            batch.id,
            user_id=meta["user_id"],
            details={
                "format": meta["format"],
                "source": meta["source"],
                "rows_written": written,
                "campaigns_created": len(planned),
            },
        )
    return {
        "batch_id": batch.id,
        "status": "committed",
        "format": meta["format"],
        "rows_received": rows_received,
        "rows_written": written,
        "rows_unchanged": len(rows) - written,
        "days_touched": [d.isoformat() for d in days],
        "first_day": days[0].isoformat(),
        "last_day": days[-1].isoformat(),
        "campaigns_created": [
            {
                "id": p.id,
                "name": p.name,
                "platform": p.platform,
                "external_id": p.external_id,
            }
            for p in planned.values()
        ],
    }


def load_file(path: Path) -> bytes | list | dict:
    """A file's content: parsed JSON for ``.json`` files, raw bytes otherwise."""
    if path.suffix.lower() == ".json":
        return json.loads(path.read_text(encoding="utf-8-sig"))
    return path.read_bytes()


# ---------------------------------------------------------------------------- CLI
def _org_by_slug(db: Database, slug: str) -> int:
    with db.unscoped_session() as session:
        org_id = session.scalar(select(Org.id).where(Org.slug == slug))
    if org_id is None:
        raise LookupError(f"no org with slug {slug!r}")
    return org_id


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: 0 committed, 1 rejected rows, 2 usage or setup error."""
    from core.settings import ConfigurationError, load_settings

    parser = argparse.ArgumentParser(
        prog="python -m datasources.ingest",
        description="Ingest a CSV or JSON file of campaign facts.",
    )
    parser.add_argument("file", type=Path, help="a .csv export or a .json file of rows")
    parser.add_argument("--org", required=True, help="org slug, e.g. acme")
    parser.add_argument("--format", choices=FORMATS, default="native", dest="fmt")
    unknown = parser.add_mutually_exclusive_group()
    unknown.add_argument(
        "--create-campaigns",
        action="store_const",
        const="create",
        dest="unknown",
        help="create campaigns the file names but the org does not have",
    )
    unknown.add_argument(
        "--refuse-unknown",
        action="store_const",
        const="refuse",
        dest="unknown",
        help="reject rows of unknown campaigns (default)",
    )
    parser.add_argument(
        "--country",
        help="country of every row when the file has no country column (ISO code)",
    )
    parser.add_argument(
        "--database-url", help="defaults to PULSE_ADMIN_DATABASE_URL or DATABASE_URL"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        db = Database(args.database_url or load_settings().migration_database_url)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return _run_cli(db, args, started)
    finally:
        db.dispose()


def _run_cli(db: Database, args: argparse.Namespace, started: float) -> int:
    try:
        org_id = _org_by_slug(db, args.org)
        result = ingest(
            db,
            org_id,
            load_file(args.file),
            fmt=args.fmt,
            source="cli",
            on_unknown_campaign=args.unknown or "refuse",
            default_country=args.country,
        )
    except IngestRejected as exc:
        print(f"rejected {args.file}: {exc} (batch {exc.batch_id})", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        if exc.error_count > len(exc.errors):
            print(f"  … and {exc.error_count - len(exc.errors)} more", file=sys.stderr)
        return 1
    except (LookupError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from datasources.cache import invalidate_shared_cache

    try:
        cache_note = (
            invalidate_shared_cache(db, org_id)
            if result["rows_written"]
            else "nothing changed"
        )
    except Exception as exc:  # noqa: BLE001 - the data is committed; say what to do
        cache_note = f"cache NOT invalidated ({exc}); dashboards refresh at their TTL"
    print(
        f"ingested {args.file} into {args.org} ({args.fmt}): {result['rows_received']:,} "
        f"rows received, {result['rows_written']:,} written, "
        f"{len(result['days_touched'])} day(s) {result['first_day']}..{result['last_day']}, "
        f"{len(result['campaigns_created'])} campaign(s) created, batch "
        f"{result['batch_id']}, {time.perf_counter() - started:.1f} s; {cache_note}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
