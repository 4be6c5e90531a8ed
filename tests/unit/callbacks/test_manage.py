"""The JSON editor's messages point at the line where each broken widget starts."""

from __future__ import annotations

from callbacks.manage import with_lines


def test_widget_problems_get_the_line_of_their_widget():
    text = '[\n  {"type": "kpi_card"},\n\n  {"type": "sparkle"}\n]'
    details = [
        "widget 2 \"Trend\": unknown widget type 'sparkle'",
        "template.name: Field required",
        "widget 9: no such widget in the text",
    ]
    assert with_lines(details, text) == [
        "line 4: widget 2 \"Trend\": unknown widget type 'sparkle'",
        "template.name: Field required",
        "widget 9: no such widget in the text",
    ]
