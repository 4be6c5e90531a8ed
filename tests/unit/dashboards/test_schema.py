"""Template JSON validation: good documents load, bad ones name the widget and field."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboards.builtin import builtin_template_documents
from dashboards.schema import TemplateError, element_lines, parse_template

KPI = {
    "type": "kpi_card",
    "title": "Total Revenue",
    "data_source": "campaigns",
    "query_params": {"metric": "revenue", "period": "30d"},
    "position_x": 0,
    "position_y": 0,
    "width": 3,
    "height": 2,
}


def template(*widgets, **extra):
    return {"name": "T", "widgets": list(widgets), **extra}


def test_builtin_templates_are_valid():
    for document in builtin_template_documents():
        spec = parse_template(document)
        assert spec.schema_version == 1 and spec.widgets


def test_seed_kpi_example_loads_as_written():
    seed = {
        "widget_type": "kpi_card",
        "title": "Revenue",
        "data_source": "campaigns",
        "query_params": {"metric": "total_revenue"},
        "config": {
            "metric": "total_revenue",
            "comparison_period": "previous_30_days",
            "show_sparkline": True,
            "goal": 100000,
            "format": "currency",
        },
    }
    spec = parse_template(template(seed))
    assert spec.widgets[0].type == "kpi_card" and spec.widgets[0].config.goal == 100000


@pytest.mark.parametrize(
    "widget,message",
    [
        (
            {**KPI, "title": "CPA by Campaign", "query_params": {"metric": "cpx"}},
            "widget 1 \"CPA by Campaign\": query_params.metric: 'cpx' is not one of",
        ),
        (
            {**KPI, "type": "sparkle"},
            "widget 1 \"Total Revenue\": type: unknown widget type 'sparkle'",
        ),
        (
            {**KPI, "data_source": "crm"},
            'widget 1 "Total Revenue": data_source: unknown data_source',
        ),
        (
            {**KPI, "query_params": {"metric": "revenue", "colour": "red"}},
            "query_params.colour: Extra inputs are not permitted",
        ),
        ({**KPI, "config": {"goal": -5}}, "config.goal"),
        ({**KPI, "position_x": 10, "width": 4}, "runs past the 12-column grid"),
        ({**KPI, "title": ""}, "title"),
    ],
)
def test_bad_widgets_name_widget_and_field(widget, message):
    with pytest.raises(TemplateError) as error:
        parse_template(template(widget))
    assert any(message in detail for detail in error.value.details), error.value.details


def test_overlapping_widgets_are_an_error():
    other = {**KPI, "title": "Spend", "position_x": 2}
    with pytest.raises(
        TemplateError, match='widget 2 "Spend": overlaps widget 1 "Total Revenue"'
    ):
        parse_template(template(KPI, other))


def test_malformed_json_names_the_position():
    with pytest.raises(TemplateError, match="malformed JSON at line 1 column"):
        parse_template('{"name": "x", "widgets": [}')


def test_unknown_top_level_fields_and_intervals():
    with pytest.raises(TemplateError, match="refresh_interval"):
        parse_template(template(KPI, refresh_interval="2m"))
    with pytest.raises(TemplateError, match="template: colour"):
        parse_template(template(KPI, colour="red"))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-50, 50)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
widget_like = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["kpi_card", "line_chart", "nope"])
        | st.text(max_size=5),
        "title": st.text(max_size=10) | st.integers(),
        "data_source": st.sampled_from(["campaigns", "x"]),
        "query_params": json_values,
        "config": json_values,
        "position_x": st.integers(-2, 14),
        "width": st.integers(-1, 14),
    },
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"name": st.text(max_size=5)},
            optional={
                "widgets": st.lists(widget_like, max_size=4) | json_values,
                "refresh_interval": st.text(max_size=4),
            },
        ),
    )
)
def test_parser_only_ever_raises_its_own_error(document):
    try:
        parse_template(document)
    except TemplateError as error:
        assert error.details and all(isinstance(d, str) for d in error.details)
    with contextlib.suppress(TemplateError):
        parse_template(json.dumps(document))


def test_a_dashboard_without_widgets_is_refused():
    for document in (template(), {"name": "T"}):
        with pytest.raises(TemplateError) as refused:
            parse_template(document)
        assert refused.value.details == [
            "widgets: a dashboard needs at least one widget"
        ]


def test_element_lines_find_where_each_widget_starts_in_the_editor_text():
    text = json.dumps([KPI, KPI | {"title": 'A "quoted" {brace}'}, KPI], indent=2)
    opening = [n for n, line in enumerate(text.splitlines(), 1) if line == "  {"]
    assert element_lines(text) == opening and len(opening) == 3
    # Hand-written text: several per line, strings holding brackets and commas.
    assert element_lines('[{"a": "],[{"}, {"b": [1, 2]},\n 3, "x"\n]') == [1, 1, 2, 2]
    assert element_lines("not json") == []
