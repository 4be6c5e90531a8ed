"""The pure parts of snapshots: the change between two KPI values (a zero or missing
base has no percentage), the KPI keys of the seed's shape, the document's JSON, and
two figures overlaid (A dashed or faded, pies side by side, maps left out)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from reports.snapshots import (
    can_overlay,
    decode_document,
    encode_document,
    kpi_change,
    kpi_key,
    overlay_figure,
)


@pytest.mark.parametrize(
    "a,b,change,change_pct",
    [
        (100.0, 125.0, 25.0, 25.0),
        (200.0, 150.0, -50.0, -25.0),
        (-50.0, -25.0, 25.0, 50.0),  # a rise from a negative base is positive
        (0.0, 10.0, 10.0, None),  # no percentage of nothing
        (0.0, 0.0, 0.0, None),
        (None, 10.0, None, None),
        (10.0, None, None, None),
    ],
)
def test_kpi_change(a, b, change, change_pct):
    row = kpi_change("Revenue", "currency", a, b)
    assert (row.a, row.b) == (a, b)
    assert row.change == change
    assert row.change_pct == change_pct


def test_kpi_keys_are_the_seeds():
    assert kpi_key("Total Revenue") == "total_revenue"
    assert kpi_key("ROAS") == "roas"
    assert kpi_key("Cost / Conversion (7d)") == "cost_conversion_7d"
    assert kpi_key("!!!") == "kpi"


def test_the_document_goes_through_json_with_dates_and_decimals():
    data = encode_document(
        {"day": dt.date(2026, 3, 8), "spend": Decimal("12.50"), "name": "Ünïcode"}
    )
    assert decode_document(data) == {
        "day": "2026-03-08",
        "spend": 12.5,
        "name": "Ünïcode",
    }


def test_lines_overlay_with_a_dashed_and_bars_faded():
    a = {
        "data": [
            {"type": "scatter", "name": "Total", "x": [1], "y": [1]},
            {"type": "bar", "name": "Meta", "x": [1], "y": [2]},
        ],
        "layout": {"title": "A's"},
    }
    b = {
        "data": [{"type": "scatter", "name": "Total", "x": [1], "y": [3]}],
        "layout": {"title": "B's"},
    }
    figure = overlay_figure(a, b, "A", "B")
    names = [t["name"] for t in figure["data"]]
    assert names == ["Total (A)", "Meta (A)", "Total (B)"]
    assert figure["data"][0]["line"]["dash"] == "dash"
    assert figure["data"][1]["opacity"] == 0.45
    assert "dash" not in (figure["data"][2].get("line") or {})
    assert figure["layout"]["title"] == "B's" and figure["layout"]["barmode"] == "group"
    assert a["data"][0]["name"] == "Total"  # the inputs are not changed


def test_pies_are_side_by_side_and_maps_are_not_compared():
    pie = {"data": [{"type": "pie", "labels": ["x"], "values": [1]}], "layout": {}}
    figure = overlay_figure(pie, pie, "A", "B")
    assert [t["domain"]["x"] for t in figure["data"]] == [[0.0, 0.48], [0.52, 1.0]]
    assert [t["title"]["text"] for t in figure["data"]] == ["A", "B"]
    assert can_overlay(pie)
    assert not can_overlay({"data": [{"type": "choropleth"}]})
    assert not can_overlay({"data": [{"type": "heatmap"}]})
    assert not can_overlay({"data": [{"type": "pie"}, {"type": "scatter"}]})
    assert not can_overlay(None) and not can_overlay({"data": []})
