"""Pulse's own layout, ``native``: JSON rows or a CSV with Pulse's field names.

============  ======================================================================
field         column
============  ======================================================================
campaign      ``campaign_id`` (Pulse id) or ``campaign`` (external id or name),
              optional ``campaign_name`` (for a campaign to create)
platform      ``platform`` (code)
time          ``hour``: ISO date-time (offset or ``Z``; no offset = the org's time
              zone), or ``date`` + ``hour`` (0-23, in the org's time zone)
country       ``country``
metrics       ``spend``, ``impressions``, ``clicks``, ``conversions``, ``revenue``
currency      ``currency`` (optional)
============  ======================================================================

Metric cells must not be empty and counts must be whole numbers.
"""

from __future__ import annotations

from datasources.ingest.formats import FileFormat, register


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
