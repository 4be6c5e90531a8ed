"""The line under a widget's title says what it shows: metric, bucket and window."""

from __future__ import annotations

from dash import html

from widgets._card import caption_text, period_text, with_caption

WINDOW = {"start": "2026-11-05", "end": "2026-12-04"}


def test_a_relative_period_reads_as_words():
    assert period_text("30d", WINDOW) == "Last 30 days"
    assert period_text("1d", WINDOW) == "Today"
    assert period_text("today", WINDOW) == "Today"
    assert period_text("last_7_days", WINDOW) == "Last 7 days"


def test_dates_read_as_a_range_naming_the_year_once():
    assert period_text(None, WINDOW) == "Nov 5 – Dec 4, 2026"
    assert (
        period_text(None, {"start": "2025-12-20", "end": "2026-01-10"})
        == "Dec 20, 2025 – Jan 10, 2026"
    )
    assert period_text(None, {"start": "2026-12-04", "end": "2026-12-04"}) == (
        "Dec 4, 2026"
    )


def test_the_caption_names_the_metric_only_when_the_title_does_not():
    heatmap = {"label": "Conversions", "view": "heatmap", "window": WINDOW}
    assert caption_text("Hour-of-Day Analysis", heatmap, "30d") == (
        "Conversions · Last 30 days"
    )
    kpi = {"label": "Revenue", "view": "summary", "window": WINDOW}
    assert caption_text("Total Revenue", kpi, "30d") == "Last 30 days"
    series = {
        "label": "Revenue",
        "view": "timeseries",
        "granularity": "week",
        "window": WINDOW,
    }
    assert caption_text("Weekly Revenue by Platform", series, None) == (
        "per week · Nov 5 – Dec 4, 2026"
    )
    assert caption_text("Connections", {"items": []}, "30d") is None


def test_a_stale_result_says_its_age_in_the_caption():
    shown = with_caption(html.Div("chart"), "Revenue · Last 30 days", 125.0)
    caption = shown.children[0]
    assert caption.children == "Revenue · Last 30 days · stale · 2 min old"
    # Without a caption the badge of old is kept.
    badge = with_caption(html.Div("chart"), None, 125.0)
    assert "stale · 2 min old" in str(badge)
    assert with_caption("x", None) == "x"
