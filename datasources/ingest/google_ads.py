"""``google_ads``: a Google Ads campaign report (Reports → Campaign, segmented by Day,
Hour of day and Country/Territory).

============  ======================================================================
field         column
============  ======================================================================
campaign      ``Campaign ID`` (external id), ``Campaign`` (name)
platform      always ``google``
time          ``Day`` + ``Hour of day`` (0-23) in the org's time zone
country       ``Country/Territory (User location)`` (any ``Country/Territory ...``)
spend         ``Cost`` / ``Cost (XXX)``
impressions   ``Impr.`` / ``Impressions``
clicks        ``Clicks``
conversions   ``Conversions``
revenue       ``Conv. value`` / ``Conversion value``
currency      ``Currency code``
============  ======================================================================

The report's title and date-range lines above the header and its ``Total: ...`` rows
are skipped; a UTF-16, tab-separated "Excel" export is read too. ``Day`` + ``Hour of
day`` are in the ad account's time zone, which must be the org's. Every row is on the
``google`` platform; ``Cost (XXX)`` may declare the currency in its header.
"""

from __future__ import annotations

import re
from typing import Any

from datasources.ingest.formats import FileFormat, register


@register
class GoogleAds(FileFormat):
    """Google's column names (``Cost``, ``Impr.``, ``Conv. value``, ...)."""

    name = "google_ads"
    columns = {
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
    }
    required = (
        ("campaign", "campaign_name"),
        ("date",),
        ("hour_of_day",),
        ("spend",),
        ("impressions",),
        ("clicks",),
    )
    patterns = {
        "spend": re.compile(r"^cost \(([a-z]{3})\)$"),
        "country": re.compile(r"^country/territory"),
    }
    platform = "google"

    def is_summary_row(self, cells: list[str], record: dict[str, Any]) -> bool:
        """Google's ``Total: ...`` rows."""
        first = next((c for c in cells if c.strip()), "")
        return first.strip().lower().startswith("total")
