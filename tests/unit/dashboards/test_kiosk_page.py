"""The kiosk grid's rows share the screen's height, and a KPI row keeps room to read."""

from __future__ import annotations

from core.models import DashboardWidget
from dashboards.kiosk_page import grid_rows


def widget(kind: str, y: int, height: int, x: int = 0) -> DashboardWidget:
    return DashboardWidget(
        widget_type=kind, position_x=x, position_y=y, width=6, height=height
    )


def test_rows_under_a_kpi_card_share_its_minimum_and_the_others_have_none():
    tracks = grid_rows(
        [
            widget("kpi_card", 0, 3),
            widget("gauge", 0, 3, x=6),
            widget("line_chart", 3, 5),
        ]
    ).split(", 1fr)")
    minimums = [t.strip().removeprefix("minmax(") for t in tracks if t.strip()]
    assert minimums == ["3rem"] * 3 + ["0rem"] * 5


def test_an_empty_dashboard_has_one_row():
    assert grid_rows([]) == "minmax(0rem, 1fr)"
