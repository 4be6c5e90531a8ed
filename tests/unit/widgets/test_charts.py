"""Chart widgets: bar, pie/donut, gauge, heatmap and map.

Figure functions are tested on small DataFrames; builders on result dicts shaped like
the ``campaigns`` source's (and, once per type, on the source's real output over the
seeded demo).
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from dash import dcc, html

from core.db import Database
from core.filters import Filters
from dashboards.schema import TemplateError, parse_widget
from datasources import registry as data_sources
from tests.conftest import make_settings
from tests.figures import org_context
from widgets import (
    _registry as registry,
)
from widgets import (
    _theme as theme,
)
from widgets import (
    bar_chart,
    gauge,
    heatmap,
    map_chart,
    pie_chart,
)
from widgets._base import RenderContext
from widgets._formatting import NO_DATA, NO_VALUE

CHART_TYPES = ["bar_chart", "pie_chart", "gauge", "heatmap", "map_chart"]


def breakdown(
    items,
    *,
    metric="revenue",
    fmt="currency",
    currency="USD",
    group_by="platform",
    label="Revenue",
):
    return {
        "view": "breakdown",
        "metric": metric,
        "label": label,
        "format": fmt,
        "currency": currency,
        "group_by": group_by,
        "window": {"start": "2026-10-27", "end": "2026-11-25"},
        "items": items,
    }


PLATFORM_REVENUE = breakdown(
    [
        {"key": "google", "name": "Google", "value": 1234752.05},
        {"key": "meta", "name": "Meta", "value": 807813.0},
        {"key": "tiktok", "name": "TikTok", "value": 39231.57},
    ]
)
WEEKLY_SPEND = {
    "view": "timeseries",
    "metric": "spend",
    "label": "Spend",
    "format": "currency",
    "currency": "USD",
    "granularity": "week",
    "series": [
        {
            "name": "Google",
            "key": "google",
            "points": [
                {"date": "2026-11-02", "value": 400.0},
                {"date": "2026-11-09", "value": 500.0},
            ],
        },
        {
            "name": "Meta",
            "key": "meta",
            "points": [
                {"date": "2026-11-02", "value": 300.0},
                {"date": "2026-11-09", "value": 250.0},
            ],
        },
    ],
}
PACING = {
    "view": "pacing",
    "metric": "pacing",
    "label": "Budget pacing",
    "format": "percent",
    "currency": "USD",
    "as_of": "2026-11-25",
    "overall": 0.597,
    "items": [],
}
ROAS_SUMMARY = {
    "view": "summary",
    "metric": "roas",
    "label": "ROAS",
    "format": "ratio",
    "higher_is_better": True,
    "currency": "USD",
    "value": 5.45,
    "previous": 5.0,
    "change_pct": 9.0,
    "trend": "up",
    "series": [],
}


def heatmap_result(value_of, *, metric="cpa", fmt="currency", currency="USD"):
    return {
        "view": "heatmap",
        "metric": metric,
        "label": metric.upper(),
        "format": fmt,
        "currency": currency,
        "timezone": "Europe/Berlin",
        "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "cells": [
            {"weekday": wd, "hour": hour, "value": value_of(wd, hour)}
            for wd in range(7)
            for hour in range(24)
        ],
    }


def spec(type_name, **fields):
    return registry.get(type_name).spec_model.model_validate(
        {"title": "Chart", "data_source": "campaigns", **fields}
    )


def ctx(theme_name="light"):
    return RenderContext(widget_id=42, currency="USD", theme=theme_name)


def assert_graph(component):
    assert isinstance(component, dcc.Graph)
    assert component.className == "widget-graph"
    assert component.id == {"type": "widget-graph", "index": 42}
    return component.figure


# --- registry, validation, empty data (every type) ------------------------------------


def test_registry_lists_the_chart_types():
    assert set(CHART_TYPES) <= set(registry.names())


@pytest.mark.parametrize("type_name", CHART_TYPES)
def test_unknown_config_key_is_rejected_naming_the_field(type_name):
    with pytest.raises(TemplateError) as error:
        parse_widget(
            {
                "type": type_name,
                "title": "Typo",
                "data_source": "campaigns",
                "config": {"colour_scheme": "blue"},
            }
        )
    assert error.value.details == [
        'widget 1 "Typo": config.colour_scheme: Extra inputs are not permitted'
    ]


@pytest.mark.parametrize("type_name", CHART_TYPES)
def test_template_widget_with_defaults_is_valid(type_name):
    widget = parse_widget(
        {"widget_type": type_name, "title": "Fine", "data_source": "campaigns"}
    )
    assert widget.type == type_name


EMPTY_RESULTS = {
    "bar_chart": breakdown([]),
    "pie_chart": breakdown([{"key": "meta", "name": "Meta", "value": 0.0}]),
    "gauge": {"view": "summary"},
    "heatmap": heatmap_result(lambda wd, hour: None),
    "map_chart": breakdown([], group_by="country"),
}


@pytest.mark.parametrize("type_name", CHART_TYPES)
def test_empty_data_shows_a_message_instead_of_an_empty_chart(type_name):
    component = registry.get(type_name).build(
        spec(type_name), EMPTY_RESULTS[type_name], ctx()
    )
    assert isinstance(component, html.Div)
    assert component.children == NO_DATA
    assert component.className == "widget-empty"


@pytest.mark.parametrize("type_name", CHART_TYPES)
def test_dark_theme_uses_the_dark_template(type_name):
    data = {
        "bar_chart": PLATFORM_REVENUE,
        "pie_chart": PLATFORM_REVENUE,
        "gauge": PACING,
        "heatmap": heatmap_result(lambda wd, hour: float(hour)),
        "map_chart": breakdown(
            [{"key": "DEU", "name": "DEU", "value": 3.0}], group_by="country"
        ),
    }[type_name]
    figure = assert_graph(
        registry.get(type_name).build(spec(type_name), data, ctx("dark"))
    )
    assert figure.layout.template.layout.paper_bgcolor == "#111827"


# --- bar chart ------------------------------------------------------------------------


def test_bar_breakdown_keeps_the_source_ranking_with_platform_colours_and_labels():
    figure = bar_chart.make_figure(
        bar_chart.bar_frame(PLATFORM_REVENUE), fmt="currency", currency="EUR"
    )
    (bars,) = figure.data
    assert list(bars.x) == ["Google", "Meta", "TikTok"]
    assert list(bars.y) == [1234752.05, 807813.0, 39231.57]
    assert bars.orientation == "v"
    assert list(bars.marker.color) == [
        theme.PLATFORM_COLORS["google"],
        theme.PLATFORM_COLORS["meta"],
        theme.PLATFORM_COLORS["tiktok"],
    ]
    assert list(bars.text) == ["€1.2M", "€807.8K", "€39.2K"]
    assert bars.customdata[1][1] == "€807,813"  # hover: the exact value
    assert figure.layout.yaxis.tickprefix == "€"
    assert figure.layout.showlegend is False
    # Outside labels get headroom above the tallest bar instead of being cut off.
    assert figure.layout.yaxis.range[1] > 1234752.05


def test_bar_horizontal_puts_rank_one_on_top_with_values_on_x():
    figure = bar_chart.make_figure(
        bar_chart.bar_frame(PLATFORM_REVENUE), orientation="horizontal", fmt="currency"
    )
    (bars,) = figure.data
    assert bars.orientation == "h"
    assert list(bars.y) == ["Google", "Meta", "TikTok"]
    assert bars.x[0] == 1234752.05
    assert figure.layout.yaxis.autorange == "reversed"
    assert figure.layout.xaxis.tickprefix == "$"
    # The longest value label ("$1.2M", "$807.8K") fits in the right margin on a
    # narrow card.
    assert figure.layout.margin.r >= bar_chart.LABEL_CHAR_PX * len("$807.8K")


def test_bar_without_a_value_draws_no_bar_and_a_dash_never_zero():
    data = breakdown(
        [
            {"key": "google", "name": "Google", "value": 7.48},
            {"key": "snapchat", "name": "Snapchat", "value": None},
        ],
        metric="roas",
        fmt="ratio",
        label="ROAS",
    )
    figure = bar_chart.make_figure(bar_chart.bar_frame(data), fmt="ratio")
    (bars,) = figure.data
    assert math.isnan(bars.y[1])
    assert list(bars.text) == ["7.48×", ""]
    assert [(a.x, a.text) for a in figure.layout.annotations] == [
        ("Snapchat", NO_VALUE)
    ]


def test_bar_shortens_long_names_on_the_axis_only_and_keeps_equal_names_apart():
    long_name = "Meta – Video Views – Brand Story – Wave 2"
    data = breakdown(
        [
            {"key": 38, "name": long_name, "value": 158.5},
            {"key": 10, "name": "Meta – Video Views – Brand Story", "value": 139.0},
            {"key": 20, "name": "TikTok – TopView – Black Friday", "value": 130.0},
            {"key": 11, "name": "Twin", "value": 120.0},
            {"key": 12, "name": "Twin", "value": 110.0},
        ],
        metric="cpa",
        group_by="campaign",
        label="CPA",
    )
    frame = bar_chart.bar_frame(data)
    assert list(frame["category"])[-2:] == ["Twin (11)", "Twin (12)"]
    figure = bar_chart.make_figure(frame, orientation="horizontal", fmt="currency")
    assert list(figure.layout.yaxis.ticktext) == [
        "Meta – Video…– Wave 2",
        "Meta – Video…and Story",
        "TikTok – TopView – Bl…",
        "Twin (11)",
        "Twin (12)",
    ]
    assert list(figure.layout.yaxis.tickvals)[0] == long_name
    assert figure.data[0].customdata[0][0] == long_name
    # Campaign ids are not platforms: one colour for every bar.
    assert set(figure.data[0].marker.color) == {theme.PALETTE[0]}


def test_bar_split_timeseries_stacks_one_trace_per_platform_on_a_date_axis():
    figure = assert_graph(
        bar_chart.build(
            spec(
                "bar_chart",
                query_params={
                    "view": "timeseries",
                    "metric": "spend",
                    "split_by": "platform",
                    "granularity": "week",
                },
            ),
            WEEKLY_SPEND,
            ctx(),
        )
    )
    assert [trace.name for trace in figure.data] == ["Google", "Meta"]
    assert [trace.marker.color for trace in figure.data] == [
        theme.PLATFORM_COLORS["google"],
        theme.PLATFORM_COLORS["meta"],
    ]
    assert figure.layout.barmode == "stack"
    assert figure.layout.xaxis.type == "date"
    assert figure.layout.showlegend is True
    assert list(figure.data[1].text) == ["$300.00", "$250.00"]


def test_bar_stack_puts_the_largest_series_at_the_bottom():
    series = [
        {
            "name": "Meta",
            "key": "meta",
            "points": [{"date": "2026-11-02", "value": 9.0}],
        },
        {
            "name": "Google",
            "key": "google",
            "points": [{"date": "2026-11-02", "value": 1.0}],
        },
    ]
    frame = bar_chart.bar_frame({**WEEKLY_SPEND, "series": series})
    figure = bar_chart.make_figure(frame, fmt="currency", dates=True)
    assert [trace.name for trace in figure.data] == ["Meta", "Google"]


def test_bar_ratio_series_are_grouped_because_ratios_do_not_add_up():
    roas = {**WEEKLY_SPEND, "metric": "roas", "format": "ratio"}
    figure = assert_graph(bar_chart.build(spec("bar_chart"), roas, ctx()))
    assert figure.layout.barmode == "group"


def test_bar_rejects_a_view_it_cannot_draw():
    with pytest.raises(TemplateError) as error:
        parse_widget(
            {
                "type": "bar_chart",
                "title": "Bars",
                "data_source": "campaigns",
                "query_params": {"view": "summary"},
            }
        )
    assert (
        "query_params.view: a bar chart shows a 'breakdown'" in error.value.details[0]
    )


# --- pie chart ------------------------------------------------------------------------


def test_pie_folds_the_smallest_slices_into_other():
    frame = pd.DataFrame(
        {
            "name": list("ABCDE"),
            "key": list("abcde"),
            "value": [1.0, 5.0, 3.0, 2.0, 4.0],
        }
    )
    folded = pie_chart.fold_small_slices(frame, max_slices=3)
    assert list(folded["name"]) == ["B", "E", "Other (3)"]
    assert list(folded["value"]) == [5.0, 4.0, 6.0]
    assert len(pie_chart.fold_small_slices(frame, max_slices=5)) == 5


def test_pie_donut_shows_percentages_platform_colours_total_and_a_toggling_legend():
    data = breakdown(
        [
            {"key": "meta", "name": "Meta", "value": 300.0},
            {"key": "google", "name": "Google", "value": 100.0},
            {"key": "tiktok", "name": "TikTok", "value": None},
            {"key": "snapchat", "name": "Snapchat", "value": 0.0},
        ],
        metric="spend",
        currency="EUR",
        label="Spend",
    )
    figure = assert_graph(pie_chart.build(spec("pie_chart"), data, ctx()))
    (pie,) = figure.data
    assert list(pie.labels) == ["Meta", "Google"]  # no value / zero: no slice
    assert list(pie.values) == [300.0, 100.0]
    assert pie.hole == 0.55
    assert pie.texttemplate == "%{percent:.1%}"
    assert "%{percent}" in pie.hovertemplate
    assert pie.customdata[0][1] == "€300.00"
    assert list(pie.marker.colors) == [
        theme.PLATFORM_COLORS["meta"],
        theme.PLATFORM_COLORS["google"],
    ]
    assert figure.layout.legend.itemclick == "toggle"
    assert figure.layout.showlegend is True
    assert "€400.00" in figure.layout.annotations[0].text


def test_pie_with_no_hole_is_a_plain_pie_with_an_other_slice():
    items = [
        {"key": i, "name": f"Campaign {i}", "value": float(10 - i)} for i in range(8)
    ]
    figure = pie_chart.make_figure(
        pie_chart.pie_frame(breakdown(items, group_by="campaign")), hole=0, max_slices=4
    )
    (pie,) = figure.data
    assert pie.hole == 0
    assert list(pie.labels) == ["Campaign 0", "Campaign 1", "Campaign 2", "Other (5)"]
    assert pie.marker.colors[-1] == theme.OTHER_COLOR
    assert not figure.layout.annotations  # no total without a hole


def test_pie_legend_labels_stay_distinct_when_shortened():
    items = [
        {"key": 1, "name": "Google – Display Remarketing – EU", "value": 2.0},
        {"key": 2, "name": "Google – Display Remarketing – US", "value": 1.0},
        {"key": 3, "name": "Twin", "value": 0.5},
        {"key": 4, "name": "Twin", "value": 0.4},
    ]
    figure = pie_chart.make_figure(
        pie_chart.pie_frame(breakdown(items, group_by="campaign"))
    )
    assert list(figure.data[0].labels) == [
        "Google – Disp…eting – EU",
        "Google – Disp…eting – US",
        "Twin",
        "Twin #2",
    ]
    assert figure.data[0].customdata[1][0] == "Google – Display Remarketing – US"


def test_pie_rejects_a_ratio_metric():
    with pytest.raises(TemplateError) as error:
        parse_widget(
            {
                "type": "pie_chart",
                "title": "ROAS share",
                "data_source": "campaigns",
                "query_params": {"metric": "roas"},
            }
        )
    assert "query_params.metric: 'roas' is a ratio" in error.value.details[0]
    assert "spend" in error.value.details[0]


# --- gauge ----------------------------------------------------------------------------


def test_gauge_for_pacing_gets_pacing_bands_and_a_100_percent_target():
    figure = assert_graph(
        gauge.build(spec("gauge", query_params={"view": "pacing"}), PACING, ctx())
    )
    (dial,) = figure.data
    assert dial.value == 0.597
    assert dial.mode == "gauge+number"
    assert dial.number.valueformat == ".1%"
    assert dial.gauge.threshold.value == 1.0
    assert [list(step.range) for step in dial.gauge.steps] == [
        [0.0, 0.9],
        [0.9, 1.1],
        [1.1, 1.5],
    ]
    assert list(dial.gauge.axis.range) == [0.0, 1.5]
    assert dial.gauge.bar.color == theme.WARNING  # under-pacing
    assert figure.layout.annotations[-1].text == "Target 100 %"


def test_gauge_summary_shows_change_against_previous_and_configured_bands():
    config = {
        "target": 4,
        "max": 8,
        "thresholds": [{"value": 0, "color": "bad"}, {"value": 4, "color": "good"}],
    }
    figure = assert_graph(
        gauge.build(
            spec("gauge", query_params={"metric": "roas"}, config=config),
            ROAS_SUMMARY,
            ctx(),
        )
    )
    (dial,) = figure.data
    assert dial.mode == "gauge+number+delta"
    assert dial.delta.reference == 5.0
    assert dial.delta.increasing.color == theme.GOOD
    assert dial.number.suffix == "×"
    assert list(dial.gauge.axis.range) == [0.0, 8.0]
    assert dial.gauge.bar.color == theme.GOOD
    assert dial.gauge.steps[0].color.startswith("rgba(185, 28, 28,")


def test_gauge_without_a_value_shows_a_dash_on_an_empty_dial():
    frame = gauge.gauge_frame({"view": "summary", "value": None, "previous": 2.0})
    figure = gauge.make_figure(frame, target=4, fmt="ratio")
    (dial,) = figure.data
    assert "number" not in dial.mode and "delta" not in dial.mode
    assert dial.gauge.bar.thickness == 0
    assert figure.layout.annotations[0].text == NO_VALUE


def test_gauge_scale_ends_on_a_round_number():
    assert [gauge.nice_ceiling(v) for v in (1.21, 6.0, 0.42, 870, 1)] == [
        1.5,
        6,
        0.5,
        1000,
        1,
    ]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"min": 10, "max": 5}, "config: max (5) must be greater than min (10)"),
        ({"max": 2, "target": 3}, "config: target (3) must lie between min and max"),
        (
            {
                "thresholds": [
                    {"value": 2, "color": "good"},
                    {"value": 1, "color": "bad"},
                ]
            },
            "config: thresholds must be in increasing order of value, got [2.0, 1.0]",
        ),
        (
            {"thresholds": [{"value": 1, "color": "pink-ish"}]},
            "config.thresholds.0.color: 'pink-ish' is not a colour; use one of good, "
            "warning, bad, neutral or a hex code like #15803d",
        ),
        (
            {"thresholds": [{"value": 1, "colour": "good"}]},
            "config.thresholds.0.colour",
        ),
    ],
)
def test_gauge_config_errors_name_the_field(config, message):
    with pytest.raises(TemplateError) as error:
        parse_widget(
            {
                "type": "gauge",
                "title": "Dial",
                "data_source": "campaigns",
                "config": config,
            }
        )
    assert any(message in detail for detail in error.value.details), error.value.details


# --- heatmap --------------------------------------------------------------------------


def test_heatmap_is_weekdays_by_hours_and_leaves_cells_without_value_empty():
    data = heatmap_result(
        lambda wd, hour: None if (wd, hour) == (1, 3) else wd * 100 + hour
    )
    figure = heatmap.make_figure(
        heatmap.heatmap_frame(data),
        fmt="currency",
        currency="EUR",
        timezone="Europe/Berlin",
    )
    (cells,) = figure.data
    assert list(cells.y) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert list(cells.x) == list(range(24))
    assert cells.z[1][3] is None  # empty, not 0
    assert cells.z[6][23] == 623
    assert cells.hoverongaps is False
    assert list(cells.customdata[2][14]) == ["Wed 14:00–15:00", "€214.00"]
    assert figure.layout.yaxis.autorange == "reversed"  # Monday on top
    assert figure.layout.xaxis.title.text == "Hour of day (Europe/Berlin)"
    assert cells.colorscale[0][1] == theme.SEQUENTIAL_LIGHT[0][1]
    assert cells.colorbar.tickprefix == "€"


def test_heatmap_build_reverses_colours_on_request_and_treats_all_zero_as_no_data():
    data = heatmap_result(lambda wd, hour: 1.0 + hour)
    figure = assert_graph(
        heatmap.build(spec("heatmap", config={"reverse_scale": True}), data, ctx())
    )
    assert figure.data[0].reversescale is True
    zeros = heatmap_result(lambda wd, hour: 0.0, metric="conversions", fmt="number")
    assert heatmap.build(spec("heatmap"), zeros, ctx()).children == NO_DATA


def test_heatmap_rejects_another_view():
    with pytest.raises(TemplateError) as error:
        parse_widget(
            {
                "type": "heatmap",
                "title": "Hours",
                "data_source": "campaigns",
                "query_params": {"view": "breakdown"},
            }
        )
    assert (
        "query_params.view: a heatmap shows the 'heatmap' view"
        in error.value.details[0]
    )


# --- map ------------------------------------------------------------------------------


def test_map_converts_iso2_to_iso3_and_accepts_iso3():
    assert map_chart.to_iso3("DE") == "DEU"
    assert map_chart.to_iso3("gb") == "GBR"
    assert map_chart.to_iso3("USA") == "USA"
    assert map_chart.to_iso3(" fra ") == "FRA"
    assert map_chart.to_iso3("XX") is None
    assert map_chart.to_iso3("ZZZ") is None
    assert map_chart.to_iso3(None) is None
    assert len(map_chart.ISO2_TO_ISO3) == len(map_chart.ISO3_TO_ISO2) == 249


def test_map_figure_colours_countries_by_iso3_and_leaves_missing_ones_uncoloured():
    data = breakdown(
        [
            {"key": "DE", "name": "DE", "value": 633466.56},
            {"key": "AUT", "name": "AUT", "value": 532529.71},
            {"key": "ES", "name": "ES", "value": None},
            {"key": "EU", "name": "EU", "value": 5.0},
        ],  # not a country: left off
        group_by="country",
        currency="EUR",
    )
    frame = map_chart.country_frame(data)
    assert list(frame["iso3"]) == ["DEU", "AUT", "ESP"]
    assert list(frame["name"]) == ["Germany", "Austria", "Spain"]
    figure = map_chart.make_figure(frame, fmt="currency", currency="EUR")
    (countries,) = figure.data
    assert countries.locationmode == "ISO-3"
    assert list(countries.locations) == ["DEU", "AUT"]
    assert list(countries.z) == [633466.56, 532529.71]
    assert list(countries.customdata[0]) == ["DE", "Germany", "€633,467"]
    assert countries.colorbar.tickprefix == "€"
    assert figure.layout.geo.scope == "world"
    assert figure.layout.geo.resolution == 110


def test_map_region_frames_a_continent_on_the_world_shapes():
    frame = map_chart.country_frame(
        breakdown([{"key": "DEU", "value": 1.0}], group_by="country")
    )
    figure = map_chart.make_figure(frame, region="europe")
    assert figure.layout.geo.scope == "world"
    assert list(figure.layout.geo.lonaxis.range) == [-25, 45]


def test_map_loads_the_world_shapes_from_the_app_not_a_cdn():
    data = breakdown([{"key": "USA", "name": "USA", "value": 10.0}], group_by="country")
    graph = map_chart.build(spec("map_chart"), data, ctx())
    assert_graph(graph)
    assert graph.config["topojsonURL"] == "/assets/topojson/"
    shapes = map_chart.TOPOJSON_DIR / "world_110m.json"
    assert shapes.is_file()
    topology = json.loads(shapes.read_text())
    ids = {g.get("id") for g in topology["objects"]["countries"]["geometries"]}
    assert {"USA", "CAN", "GBR", "DEU", "FRA", "AUS"} <= ids
    # Every country shape is one our ISO table can name.
    assert ids - {None} <= set(map_chart.ISO3_TO_ISO2)
    assert map_chart.local_topojson_uri().startswith("file://")


def test_the_app_serves_the_world_shapes_at_the_topojson_url(demo_sqlite):
    from app import create_app

    app = create_app(make_settings(demo_sqlite["app"]))
    try:
        response = app.server.test_client().get(
            map_chart.TOPOJSON_URL + "world_110m.json"
        )
        assert response.status_code == 200
        assert response.get_json()["type"] == "Topology"
    finally:
        app.server.extensions["pulse"].db.dispose()


def test_map_rejects_a_breakdown_not_by_country():
    with pytest.raises(TemplateError) as error:
        parse_widget(
            {
                "type": "map_chart",
                "title": "Geo",
                "data_source": "campaigns",
                "query_params": {"group_by": "platform"},
            }
        )
    assert "grouped by 'country'" in error.value.details[0]


# --- real data: each type renders the source's actual output -------------------------


REAL_QUERIES = {
    "bar_chart": {"metric": "cpa", "group_by": "campaign", "limit": 5},
    "pie_chart": {"metric": "spend"},
    "gauge": {"view": "pacing"},
    "heatmap": {"metric": "conversions"},
    "map_chart": {"metric": "revenue"},
}


@pytest.mark.parametrize("type_name", CHART_TYPES)
def test_each_chart_renders_the_campaigns_source_on_the_demo(demo_sqlite, type_name):
    db = Database(demo_sqlite["app"])
    try:
        org = org_context(db, "acme")
        widget_type = registry.get(type_name)
        source = data_sources.get("campaigns")
        params = source.parse_params(
            {**widget_type.default_params, **REAL_QUERIES[type_name]}
        )
        with db.session(org.id) as session:
            data = json.loads(json.dumps(source.run(session, org, params, Filters())))
    finally:
        db.dispose()
    widget = spec(type_name, query_params=REAL_QUERIES[type_name])
    figure = assert_graph(widget_type.build(widget, data, ctx()))
    (trace,) = figure.data[:1]
    if type_name == "bar_chart":
        assert list(trace.y) == [item["value"] for item in data["items"]]
        assert len(trace.y) == 5
    elif type_name == "pie_chart":
        assert sum(trace.values) == pytest.approx(
            sum(i["value"] for i in data["items"])
        )
    elif type_name == "gauge":
        assert trace.value == pytest.approx(data["overall"])
    elif type_name == "heatmap":
        assert sum(v for row in trace.z for v in row if v is not None) == pytest.approx(
            sum(c["value"] for c in data["cells"] if c["value"] is not None)
        )
    else:
        assert set(trace.locations) == {item["key"] for item in data["items"]}
