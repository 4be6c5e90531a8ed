from __future__ import annotations

import math

import pytest

from widgets._formatting import NO_VALUE, format_change, format_value


@pytest.mark.parametrize(
    "value,fmt,currency,expected",
    [
        (42059.4, "currency", "USD", "$42,059"),
        (12.5, "currency", "USD", "$12.50"),
        (1234567.0, "currency", "EUR", "€1,234,567"),
        (0.01234, "percent", "USD", "1.23%"),
        (2.4012, "ratio", "USD", "2.40×"),
        (2106.0, "number", "USD", "2,106"),
        (None, "ratio", "USD", NO_VALUE),
        (math.nan, "currency", "USD", NO_VALUE),
        (math.inf, "percent", "USD", NO_VALUE),
        (0.0, "currency", "USD", "$0.00"),
    ],
)
def test_format_value(value, fmt, currency, expected):
    assert format_value(value, fmt, currency) == expected


def test_compact_numbers():
    assert format_value(1_530_000, "currency", "USD", compact=True) == "$1.5M"
    assert format_value(48_200, "number", compact=True) == "48.2K"


def test_format_change():
    assert format_change(7.44) == "+7.4%"
    assert format_change(-12.34) == "-12.3%"
    assert format_change(0.0) == "+0.0%"
    assert format_change(None) == NO_VALUE
