"""Number formats for widgets: currency in the org's currency, percent, ratio, number.

``None`` is "no value" (e.g. ROAS with zero spend) and is always shown as an em dash.
"""

from __future__ import annotations

import math

from babel.numbers import format_currency, format_decimal, get_currency_symbol

NO_VALUE = "—"


def is_missing(value: float | None) -> bool:
    return value is None or (
        isinstance(value, float) and (math.isnan(value) or math.isinf(value))
    )


def format_value(
    value: float | None,
    fmt: str,
    currency: str = "USD",
    *,
    compact: bool = False,
    locale: str = "en_US",
    cents: bool | None = None,
) -> str:
    """Format ``value`` for display.

    Args:
        value: the number, or ``None`` for no value.
        fmt: ``currency``, ``percent`` (a fraction: 0.0123 shows as 1.23%), ``ratio``
            (shown as 3.21×) or ``number``.
        currency: ISO 4217 code of the org's currency.
        compact: abbreviate large numbers (1.2M) for axis-like space.
        locale: Babel locale for separators and symbols.
        cents: money with cents (``True``) or whole (``False``); ``None`` decides by
            the amount (cents below 1,000). A column of a table decides once for all
            its amounts, so they read alike.
    """
    if is_missing(value):
        return NO_VALUE
    if fmt == "percent":
        return f"{format_decimal(value * 100, format='#,##0.00', locale=locale)}%"
    if fmt == "ratio":
        return f"{format_decimal(value, format='#,##0.00', locale=locale)}×"
    if compact and abs(value) >= 10_000:
        for divisor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
            if abs(value) >= divisor:
                number = f"{value / divisor:.1f}{suffix}"
                break
        if fmt == "currency":
            return f"{currency_symbol(currency, locale)}{number}"
        return number
    if fmt == "currency":
        with_cents = abs(value) < 1000 if cents is None else cents
        pattern = "¤#,##0.00" if with_cents else "¤#,##0"
        return format_currency(
            value, currency, format=pattern, locale=locale, currency_digits=False
        )
    if float(value).is_integer() or abs(value) >= 1000:
        return format_decimal(round(value), format="#,##0", locale=locale)
    return format_decimal(value, format="#,##0.##", locale=locale)


def format_change(change_pct: float | None) -> str:
    """A signed percent change such as ``+7.4%``; no value is an em dash."""
    if is_missing(change_pct):
        return NO_VALUE
    return f"{change_pct:+.1f}%"


def plotly_tickformat(fmt: str) -> str:
    """A d3 format string for axes showing values of ``fmt``."""
    return {
        "percent": ".1%",
        "ratio": ".2f",
        "currency": ",.3~s",
        "number": ",.3~s",
    }.get(fmt, "")


def currency_symbol(currency: str, locale: str = "en_US") -> str:
    """The display symbol of an ISO currency code ($, €, £, or the code itself)."""
    return get_currency_symbol(currency, locale=locale)


# --- Helpers for the chart widgets (bar, pie, gauge, heatmap, map) --------------------

NO_DATA = "No data for this period."


def plotly_number_parts(
    fmt: str, currency: str = "USD", *, max_abs: float | None = None
) -> tuple[str, str, str]:
    """``(prefix, d3 format, suffix)`` for Plotly axes, colour bars and gauges.

    Large currency and number values get SI abbreviations (``$1.2M``); values below
    1,000 keep two decimals at most, because d3's ``s`` format would turn $0.61 into
    "610m".

    Args:
        fmt: ``currency``, ``percent`` (a fraction), ``ratio`` or ``number``.
        currency: ISO code, for the currency symbol.
        max_abs: the largest absolute value shown, to pick the abbreviation.
    """
    if fmt == "percent":
        return "", ".1%", ""
    if fmt == "ratio":
        return "", ".2~f", "×"
    prefix = currency_symbol(currency) if fmt == "currency" else ""
    if max_abs is not None and max_abs < 1000:
        return prefix, ",.2~f", ""
    return prefix, ",.3~s", ""


def short_label(text: str, limit: int = 28) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (axis ticks, legends)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def distinct_short_labels(names: list[str], limit: int = 28) -> list[str]:
    """Names shortened to ``limit`` characters that stay distinct from each other.

    Names are cut at the end ("Google – Display Remark…"); where two would then read
    alike, both keep their end instead ("Meta – Video V…ory – Wave 2"), since names of
    sibling campaigns usually differ there; any remaining tie gets " #2", " #3"...
    """
    cut = [short_label(name, limit) for name in names]
    head = (limit - 1) * 3 // 5
    tail = limit - 1 - head
    labels = [
        f"{name[:head].rstrip()}…{name[-tail:].lstrip()}"
        if cut.count(short) > 1 and len(name) > limit
        else short
        for name, short in zip(names, cut, strict=True)
    ]
    seen: dict[str, int] = {}
    for index, label in enumerate(labels):
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            labels[index] = f"{label} #{seen[label]}"
    return labels
