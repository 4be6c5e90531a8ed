"""The ingest row model: cell parsers, :class:`FactRow`, and how problems are reported.

Every format delivers its rows as ``{FactRow field: raw cell}`` records; validating a
record with :class:`FactRow` parses and range-checks each cell, and a failure becomes
a :class:`RowError` that names the file row, the column and the reason.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import ErrorDetails

from core.metrics import BASE_COLUMNS
from core.reference import COUNTRIES, PLATFORMS

# Errors kept in a rejection report; the count of all of them is reported too.
MAX_REPORTED_ERRORS = 1000
COUNTS = frozenset({"impressions", "clicks", "conversions"})
EARLIEST_DAY = dt.date(2000, 1, 1)
BLANKS = frozenset({"", "--", "-", "—", "n/a"})


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


class FieldError(ValueError):
    """A problem with one field of a row; the caller adds the row number."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field_name, self.reason = field_name, reason


# ---------------------------------------------------------------- value parsing
def is_blank(value: Any) -> bool:
    """An empty cell, or one that exports write for "nothing" (``--``, ``—``)."""
    return (
        value is None
        or value == ""
        or (isinstance(value, str) and value.strip().lower() in BLANKS)
    )


def clean_export_metrics(record: dict[str, Any]) -> dict[str, Any]:
    """Platform exports: blank/``--`` cells are 0, ``1,234.56`` loses its separators and
    fractional counts (Google's attributed conversions) are rounded to whole ones."""
    for name in BASE_COLUMNS:
        value = record.get(name)
        if is_blank(value):
            record[name] = 0
        elif isinstance(value, str):
            cleaned: Any = value.replace(",", "").replace("\u00a0", "").strip()
            if name in COUNTS:
                # Not a number: left as it is, for pydantic to report.
                with suppress(ValueError, OverflowError):
                    cleaned = round(float(cleaned))
            record[name] = cleaned
    return record


def _text(value: Any) -> str | None:
    if is_blank(value):
        return None
    return str(value).strip()


# The validators below try the common case (a clean value) with one dict lookup first;
# they run once per row and field, so this is most of the parsing time of a big file.


def _campaign_id(value: Any) -> int | None:
    if is_blank(value):
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
    if is_blank(value):
        return None
    code = _PLATFORM_NAMES.get(str(value).strip().lower())
    if code is None:
        raise ValueError(
            f"unknown platform {value!r}; expected one of {', '.join(PLATFORMS)}"
        )
    return code


def _context(info: ValidationInfo) -> dict[str, Any]:
    """The validation context :class:`FactRow` needs (see its docstring)."""
    if info.context is None:
        raise TypeError("FactRow needs a context: currency and default_country")
    return info.context


def _country(value: Any, info: ValidationInfo) -> str:
    alpha3 = COUNTRIES.get(value)
    if alpha3 is not None:
        return alpha3
    if is_blank(value):
        default = _context(info).get("default_country")
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
    if is_blank(value):
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


def optional_date(value: Any) -> dt.date | None:
    """A day cell (``2024-09-01``, ``Sep 1, 2024``, ...), ``None`` when blank."""
    if is_blank(value):
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
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not an hour of day: {value!r}")
    return _parse_hour_of_day(str(value).strip())


def _currency(value: Any, info: ValidationInfo) -> str | None:
    code = _text(value)
    if code is None:
        return None
    expected = _context(info)["currency"]
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


def pydantic_reason(error: ErrorDetails) -> str:
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
    """One row, in canonical field names, as the formats deliver it.

    Validation needs a context: ``{"currency": str, "default_country": str | None}``.
    """

    model_config = ConfigDict(extra="ignore")

    campaign_id: Annotated[int | None, BeforeValidator(_campaign_id)] = None
    campaign: Annotated[str | None, BeforeValidator(_text)] = None
    campaign_name: Annotated[str | None, BeforeValidator(_text)] = None
    platform: Annotated[str | None, BeforeValidator(_platform)] = None
    hour: Annotated[dt.datetime | None, BeforeValidator(_iso_hour)] = None
    date: Annotated[dt.date | None, BeforeValidator(optional_date)] = None
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


@dataclass(slots=True)
class ParsedRow:
    """A valid row, placed in time; ``campaign_id`` is set once campaigns are
    resolved."""

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


def normal_header(header: Any) -> str:
    """A header as formats name it: lower case, single spaces, no byte-order mark."""
    return " ".join(str(header).replace("\ufeff", "").strip().lower().split())
