"""Reference data every layer shares: platforms, roles, countries, date-range presets.

Pure values computed once at import from the standard library and Babel's CLDR data;
nothing here touches a database.
"""

from __future__ import annotations

from babel import Locale
from babel.core import get_global

PLATFORMS: dict[str, str] = {
    "meta": "Meta",
    "google": "Google",
    "tiktok": "TikTok",
    "linkedin": "LinkedIn",
    "snapchat": "Snapchat",
}
ROLES = ("admin", "editor", "viewer")

# The date-range presets of dashboards: name -> number of org-local days ending today,
# and the label a person reads. Templates, the filter bar, the edit form and the API
# all take their names from here.
DATE_RANGE_PRESETS = {
    "today": 1,
    "last_7_days": 7,
    "last_14_days": 14,
    "last_30_days": 30,
    "last_90_days": 90,
    "last_365_days": 365,
}
# The longest window a query may ask for (three years and a leap day): a longer
# period or date range is refused rather than answered with megabytes of series.
MAX_WINDOW_DAYS = 3 * 365 + 1
# The earliest day a date filter may name: no marketing platform reports before it.
EARLIEST_DAY = "2000-01-01"
# Calendar presets of the filter bar: their length depends on the day they are asked
# on (core.windows.preset_window); a widget's own ``period`` is a number of days.
CALENDAR_PRESETS = ("yesterday", "month_to_date", "quarter_to_date", "year_to_date")
DATE_RANGE_LABELS = {
    "today": "Today",
    "yesterday": "Yesterday",
    "last_7_days": "Last 7 days",
    "last_14_days": "Last 14 days",
    "last_30_days": "Last 30 days",
    "last_90_days": "Last 90 days",
    "last_365_days": "Last 365 days",
    "month_to_date": "Month to date",
    "quarter_to_date": "Quarter to date",
    "year_to_date": "Year to date",
}
# "Each widget's period": no date range from the bar, every widget its own ``period``.
WIDGET_PERIODS = "widget"
# What a dashboard's date range can be, in the filter bar and as the saved default
# it opens on (the edit form offers exactly these, in this order).
DATE_RANGE_CHOICES = {WIDGET_PERIODS: "Each widget's period", **DATE_RANGE_LABELS}
# The filter bar also offers a range of days picked on a calendar (not a saved default:
# a fixed range would go stale on a dashboard that refreshes itself).
CUSTOM_RANGE = "custom"
FILTER_BAR_RANGES = {**DATE_RANGE_CHOICES, CUSTOM_RANGE: "Custom range…"}
# How the address bar spells each date range (``?range=30d``); the long names are
# read too, so a link written either way opens the same view.
DATE_RANGE_URL_CODES = {
    WIDGET_PERIODS: "widget",
    "today": "today",
    "yesterday": "yesterday",
    "last_7_days": "7d",
    "last_14_days": "14d",
    "last_30_days": "30d",
    "last_90_days": "90d",
    "last_365_days": "365d",
    "month_to_date": "mtd",
    "quarter_to_date": "qtd",
    "year_to_date": "ytd",
    CUSTOM_RANGE: "custom",
}
# What KPI cards and line charts compare the date range with. Without a choice KPI
# cards compare with the previous period and charts draw no comparison.
COMPARISONS = {
    "previous_period": "Previous period",
    "previous_year": "Same period last year",
}


# Countries: upper-case alpha-2, alpha-3 and English names -> ISO 3166 alpha-3.
_HISTORICAL_ALPHA3 = frozenset({"BUR", "ZAR", "DDR", "FXX", "TMP", "YMD"})
_COUNTRY_ALIASES = {
    "UNITED STATES OF AMERICA": "USA",
    "UK": "GBR",
    "GREAT BRITAIN": "GBR",
    "TURKEY": "TUR",
    "CZECH REPUBLIC": "CZE",
    "RUSSIA": "RUS",
    "VIETNAM": "VNM",
    "SOUTH KOREA": "KOR",
    "KOREA, REPUBLIC OF": "KOR",
    "UNKNOWN": "ZZZ",
    "ZZ": "ZZZ",
    "ZZZ": "ZZZ",
}


def _is_real_territory(alpha2: str) -> bool:
    """ISO 3166 countries, not CLDR's private-use or grouping codes (XK: Kosovo)."""
    if alpha2 in ("AA", "ZZ", "EU", "EZ", "UN", "QO"):
        return False
    return not (alpha2.startswith("Q") or (alpha2.startswith("X") and alpha2 != "XK"))


def _country_table() -> dict[str, str]:
    """Upper-case alpha-2, alpha-3 and English names -> ISO alpha-3, from Babel's
    CLDR."""
    names = Locale("en").territories
    table: dict[str, str] = {}
    for alpha3, targets in get_global("territory_aliases").items():
        if len(alpha3) != 3 or not alpha3.isalpha() or len(targets) != 1:
            continue
        alpha2 = targets[0]
        if (
            alpha3 in _HISTORICAL_ALPHA3
            or alpha2 not in names
            or not _is_real_territory(alpha2)
        ):
            continue
        table[alpha2] = table[alpha3] = alpha3
        table[names[alpha2].upper()] = alpha3
    return table | _COUNTRY_ALIASES


COUNTRIES = _country_table()


# The largest row id: PostgreSQL's ``integer``. An id from a URL, a form or a browser
# outside 1..MAX_ROW_ID names nothing (not found), and never reaches the database,
# where it would overflow the column's type.
MAX_ROW_ID = 2**31 - 1


def parse_row_id(value: object) -> int | None:
    """``value`` as a row id (an int, or a string of digits, in 1..MAX_ROW_ID), or
    ``None``: a float, a bool, text or an id out of range names no row."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and 1 <= value <= MAX_ROW_ID:
        return value
    return None
