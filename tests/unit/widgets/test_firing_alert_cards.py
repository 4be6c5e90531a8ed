"""Anomaly list cards show the org's firing alerts first."""

from __future__ import annotations

from widgets._base import RenderContext
from widgets.list_cards import ListCardsSpec, list_children


def texts(component) -> str:
    """Every string inside a component tree."""
    if isinstance(component, str):
        return component
    if isinstance(component, list | tuple):
        return " ".join(texts(c) for c in component)
    children = getattr(component, "children", None)
    return texts(children) if children is not None else ""


def test_alw001_firing_alerts_come_before_anomalies():
    spec = ListCardsSpec(
        title="Anomaly Alerts", data_source="anomalies", query_params={}, config={}
    )
    data = {
        "items": [],
        "firing_alerts": [
            {
                "alert_id": 1,
                "name": "CPA too high",
                "entity_label": "Meta – Retarget",
                "value": 61.25,
                "acknowledged": False,
            },
        ],
    }
    cards = list_children(spec, data, RenderContext(widget_id=3))
    assert len(cards) == 1
    assert "list-firing-alert" in cards[0].className
    text = texts(cards)
    assert "Alert firing" in text and "CPA too high" in text
    assert "Meta – Retarget" in text and "61.25" in text
    # Without firing alerts the list is as before.
    empty = list_children(spec, {"items": []}, RenderContext(widget_id=3))
    assert "No open anomalies" in texts(empty)
