"""A refresh swaps a chart's figure in place only when the card keeps its shape, and
never sends what the user changes by hand (zoom, pan, hover mode)."""

from __future__ import annotations

import dash_ag_grid as dag
import plotly.graph_objects as go
from dash import dcc, html

from dashboards.render import card_shape, figure_patches, grid_row_data


def card(
    ys: list[float], *, traces: int = 1, caption: str = "per day", graph_id=None
) -> html.Div:
    figure = go.Figure(
        [go.Scatter(x=[1, 2, 3], y=ys, name=f"line {n}") for n in range(traces)]
    )
    figure.update_layout(
        hovermode="x unified",
        xaxis={"title": {"text": "Day"}, "range": [1, 3]},
        yaxis={"tickprefix": "$"},
        uirevision="widget-7",
    )
    graph_id = {"type": "widget-graph", "index": 7} if graph_id is None else graph_id
    return html.Div([html.Small(caption), dcc.Graph(id=graph_id, figure=figure)])


def test_new_data_in_the_same_charts_keeps_the_shape():
    assert card_shape(card([1, 2, 3])) == card_shape(card([4, 5, 9]))


def test_another_trace_or_other_text_is_another_shape():
    shape = card_shape(card([1, 2, 3]))
    assert card_shape(card([1, 2, 3], traces=2)) != shape
    assert card_shape(card([1, 2, 3], caption="per week")) != shape


def test_a_card_without_an_addressable_chart_has_no_shape():
    assert card_shape(html.Div("$1,234")) is None
    assert card_shape(card([1, 2, 3], graph_id="plain-id")) is None


def test_the_patch_sends_data_and_settings_but_not_the_users_zoom_or_hover_mode():
    [(graph_id, patch)] = figure_patches(card([4, 5, 9]))
    assert graph_id == {"type": "widget-graph", "index": 7}
    operations = {
        tuple(op["location"]): op["params"]["value"]
        for op in patch.to_plotly_json()["operations"]
    }
    assert operations[("data",)][0]["y"] == [4, 5, 9]
    assert operations[("layout", "xaxis", "title")] == {"text": "Day"}
    assert operations[("layout", "yaxis", "tickprefix")] == "$"
    assert operations[("layout", "uirevision")] == "widget-7"
    assert ("layout", "xaxis", "range") not in operations
    assert ("layout", "hovermode") not in operations


def test_new_filters_replace_the_whole_layout_so_the_chart_starts_unzoomed():
    [(_, patch)] = figure_patches(card([4, 5, 9]), keep_view=False)
    operations = {
        tuple(op["location"]): op["params"]["value"]
        for op in patch.to_plotly_json()["operations"]
    }
    assert set(operations) == {("data",), ("layout",)}
    assert operations[("layout",)]["xaxis"]["range"] == [1, 3]
    assert operations[("layout",)]["hovermode"] == "x unified"


def table(rows: list[dict], columns=("Campaign", "Revenue")) -> html.Div:
    grid = dag.AgGrid(
        id={"type": "table-grid", "index": 9},
        rowData=rows,
        columnDefs=[{"field": c} for c in columns],
    )
    return html.Div([html.Small("Last 30 days"), grid])


def test_a_table_with_new_rows_keeps_its_shape_and_gets_only_its_rows():
    before = table([{"Campaign": "A", "Revenue": 1}])
    after = table([{"Campaign": "B", "Revenue": 2}, {"Campaign": "C", "Revenue": 3}])
    assert card_shape(before) == card_shape(after) is not None
    assert card_shape(table([], columns=("Campaign", "Spend"))) != card_shape(after)
    assert grid_row_data(after) == [
        ({"type": "table-grid", "index": 9}, after.children[1].rowData)
    ]
