"""Pulse's own layout, ``native``: JSON rows or a CSV with Pulse's field names.

============  ======================================================================
field         column
============  ======================================================================
campaign      ``campaign_id`` (Pulse id) or ``campaign`` (external id or name),
              optional ``campaign_name`` (for a campaign to create)
platform      ``platform`` (code)
time          ``hour``: ISO date-time (offset or ``Z``; no offset = the org's time
              zone), or ``date`` + ``hour`` (0-23, in the org's time zone); one
              batch may mix both, each row read by its own shape (a row without a
              ``date`` whose ``hour`` is a date-time is that instant)
country       ``country``
metrics       ``spend``, ``impressions``, ``clicks``, ``conversions``, ``revenue``
currency      ``currency`` (optional)
============  ======================================================================

Metric cells must not be empty and counts must be whole numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from datasources.ingest._rows import is_blank
from datasources.ingest.formats import FileFormat, RecordShaper, register

# How an ISO date-time starts (an hour of day never does).
_ISO_DAY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}")


def _hour_by_row_shape(record: dict[str, Any]) -> None:
    """A row without a ``date`` whose ``hour`` is an ISO date-time is that instant,
    even when other rows of the batch give ``date`` + ``hour`` of day."""
    if not is_blank(record.get("date")):
        return
    value = record.get("hour_of_day")
    if isinstance(value, dt.datetime) or (
        isinstance(value, str) and _ISO_DAY.match(value)
    ):
        record["hour"] = record.pop("hour_of_day")


@register
class Native(FileFormat):
    """Columns named like the fields themselves (``spend``, ``impressions``, ...)."""

    name = "native"
    columns = {
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
    }
    required = (
        ("campaign_id", "campaign"),
        ("hour",),
        ("spend",),
        ("impressions",),
        ("clicks",),
    )
    exports = False

    def adjust_columns(self, columns: dict[str, str]) -> None:
        if "date" in columns and "hour" in columns:
            # "date" + "hour": the hour is an hour of day in the org's time zone.
            columns.setdefault("hour_of_day", columns.pop("hour"))

    def record_shaper(self, columns: dict[str, str]) -> RecordShaper | None:
        if "date" in columns and "hour" not in columns and "hour_of_day" in columns:
            return _hour_by_row_shape
        return None

    def column_name(self, field_name: str) -> str:
        return repr(field_name)

    def describe_missing(
        self, alternatives: tuple[str, ...], columns: dict[str, str]
    ) -> str | None:
        if alternatives == ("hour",):
            if "hour" in columns or ("date" in columns and "hour_of_day" in columns):
                return None
            return "'hour' (ISO date-time), or 'date' and 'hour'"
        return super().describe_missing(alternatives, columns)
