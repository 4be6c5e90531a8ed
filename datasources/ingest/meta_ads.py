"""``meta_ads``: a Meta Ads Manager export (breakdown by Day, Time of day (ad account
time zone) and Country).

============  ======================================================================
field         column
============  ======================================================================
campaign      ``Campaign ID`` (external id), ``Campaign name``
platform      always ``meta``
time          ``Day`` (or ``Reporting starts`` = ``Reporting ends``) + ``Time of day
              (ad account time zone)`` such as ``00:00:00 - 00:59:59``
country       ``Country``
spend         ``Amount spent (XXX)``
impressions   ``Impressions``
clicks        ``Link clicks`` / ``Clicks (all)``
conversions   ``Purchases`` / ``Results``
revenue       ``Purchases conversion value``
currency      the ``(XXX)`` of ``Amount spent``, or ``Currency``
============  ======================================================================

The summary row (no campaign name and no id) is skipped. The time of day is a range
such as ``13:00:00 - 13:59:59`` in the ad account's time zone, which must be the org's;
an export in the viewer's time zone is refused. A file without a ``Day`` column is
read by ``Reporting starts``, and then each row must also end that day. Every row is
on the ``meta`` platform; ``Amount spent (XXX)`` declares the currency.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from datasources.ingest._rows import (
    FactRow,
    FieldError,
    RowError,
    is_blank,
    normal_header,
    optional_date,
)
from datasources.ingest.formats import FileFormat, RowCheck, Table, register

VIEWER_TIME_ZONE = "time of day (viewer's time zone)"


@register
class MetaAds(FileFormat):
    """Meta's column names (``Amount spent (USD)``, ``Link clicks``, ...)."""

    name = "meta_ads"
    columns = {
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
    }
    required = (
        ("campaign", "campaign_name"),
        ("date",),
        ("hour_of_day",),
        ("spend",),
        ("impressions",),
        ("clicks",),
    )
    patterns = {"spend": re.compile(r"^amount spent \(([a-z]{3})\)$")}
    platform = "meta"

    def header_errors(self, headers: Sequence[str], line: int | None) -> list[RowError]:
        if VIEWER_TIME_ZONE not in map(normal_header, headers):
            return []
        return [
            RowError(
                line,
                "header",
                "export the 'Time of day (ad account time zone)' "
                "breakdown, not the viewer's time zone",
            )
        ]

    def is_summary_row(self, cells: list[str], record: dict[str, Any]) -> bool:
        """Meta's summary row: no campaign name and no id."""
        return is_blank(record.get("campaign")) and is_blank(
            record.get("campaign_name")
        )

    def row_check(self, table: Table) -> RowCheck | None:
        dated_by_reporting_range = (
            "reporting_ends" in table.columns
            and normal_header(table.columns.get("date", "")) == "reporting starts"
        )
        return _one_day_per_row if dated_by_reporting_range else None


def _one_day_per_row(record: dict[str, Any], fact: FactRow) -> None:
    """A row dated by ``Reporting starts`` must end on the same day."""
    ends = record.get("reporting_ends")
    if is_blank(ends):
        return
    try:
        same_day = optional_date(ends) == fact.date
    except ValueError as exc:
        raise FieldError("reporting_ends", str(exc)) from None
    if not same_day:
        raise FieldError(
            "reporting_ends",
            "the row covers several days; export with the Day breakdown",
        )
