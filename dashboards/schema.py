"""Dashboard template JSON: a versioned, validated document.

``parse_template`` turns JSON text or a dict into a :class:`TemplateSpec`, or raises
:class:`TemplateError` whose messages name the widget (index and title) and the field,
e.g. ``widget 3 "CPA by Campaign": query_params.metric: 'cpx' is not one of ...``.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    field_validator,
)

from core.errors import validation_messages
from core.filters import QueryError
from core.reference import DATE_RANGE_PRESETS
from datasources import registry as data_sources
from widgets import _registry as widget_types
from widgets._base import GRID_COLUMNS, ROW_HEIGHT, WidgetBase

SCHEMA_VERSION = 1
RefreshInterval = Literal["realtime", "1m", "5m", "15m", "1h"]
REFRESH_SECONDS: dict[str, int] = {
    "realtime": 15,
    "1m": 60,
    "5m": 300,
    "15m": 900,
    "1h": 3600,
}
Category = Literal[
    "executive", "performance", "automation", "platform_health", "forecasting", "custom"
]


class TemplateError(ValueError):
    """Template JSON is invalid; ``details`` lists every problem found."""

    def __init__(self, details: list[str]) -> None:
        super().__init__("; ".join(details))
        self.details = details


class LayoutConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    columns: Literal[12] = GRID_COLUMNS
    row_height: int = Field(ROW_HEIGHT, ge=20, le=200)


class DefaultFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date_range: str = "last_30_days"
    platforms: list[str] = Field(default_factory=list)

    @field_validator("date_range")
    @classmethod
    def _known_preset(cls, value: str) -> str:
        if value not in DATE_RANGE_PRESETS:
            raise ValueError(
                f"unknown preset {value!r}; expected one of "
                f"{', '.join(DATE_RANGE_PRESETS)}"
            )
        return value


class TemplateSpec(BaseModel):
    """A dashboard: metadata, grid, widgets, default filters and refresh interval."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = SCHEMA_VERSION
    name: str = Field(min_length=1, max_length=200)
    slug: str = ""
    description: str = ""
    category: Category = "custom"
    layout_config: LayoutConfig = Field(default_factory=LayoutConfig)
    widgets: list[SerializeAsAny[WidgetBase]] = Field(default_factory=list)
    default_filters: DefaultFilters = Field(default_factory=DefaultFilters)
    refresh_interval: RefreshInterval = "15m"

    @property
    def refresh_seconds(self) -> int:
        return REFRESH_SECONDS[self.refresh_interval]


def _label(index: int, raw: Any) -> str:
    title = raw.get("title") if isinstance(raw, dict) else None
    return f'widget {index + 1} "{title}"' if title else f"widget {index + 1}"


def widget_query_params(
    type_name: str, data_source: str, query_params: dict[str, Any]
) -> dict[str, Any]:
    """The query a widget makes: the defaults of its type that its data source accepts
    (a KPI's ``view: summary`` means nothing to ``automation_rules``), then its own
    ``query_params``. Raises ``KeyError``/``QueryError`` for unknown names."""
    defaults = widget_types.get(type_name).default_params
    accepted = data_sources.get(data_source).params_model.model_fields
    return {**{k: v for k, v in defaults.items() if k in accepted}, **query_params}


def parse_widget(raw: Any, index: int = 0) -> WidgetBase:
    """Validate one widget dict: its type, its config and its data-source params."""
    label = _label(index, raw)
    if not isinstance(raw, dict):
        raise TemplateError([f"{label}: must be an object, not {type(raw).__name__}"])
    raw = dict(raw)
    if "widget_type" in raw and "type" not in raw:
        raw["type"] = raw.pop("widget_type")
    type_name = raw.get("type")
    try:
        widget_type = widget_types.get(str(type_name))
    except KeyError as exc:
        raise TemplateError([f"{label}: type: {exc.args[0]}"]) from None
    try:
        spec = widget_type.spec_model.model_validate(raw)
    except ValidationError as exc:
        raise TemplateError(validation_messages(exc, prefix=label)) from None
    try:
        source = data_sources.get(spec.data_source)
        source.parse_params(
            widget_query_params(spec.type, spec.data_source, spec.query_params)
        )
    except QueryError as exc:
        details = [
            d.split(": ", 1)[-1] if d.startswith(spec.data_source + ":") else d
            for d in exc.details
        ]
        field = "data_source: " if "unknown data_source" in details[0] else ""
        raise TemplateError([f"{label}: {field}{d}" for d in details]) from None
    return spec


def parse_template(document: str | bytes | dict[str, Any]) -> TemplateSpec:
    """Parse and validate a template document (JSON text or an already-decoded dict)."""
    if isinstance(document, (str, bytes)):
        try:
            document = json.loads(document)
        except json.JSONDecodeError as exc:
            raise TemplateError(
                [f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"]
            ) from None
    if not isinstance(document, dict):
        raise TemplateError(["a template must be a JSON object"])
    raw_widgets = document.get("widgets", [])
    if not isinstance(raw_widgets, list):
        raise TemplateError(["widgets: must be a list"])
    problems: list[str] = []
    if not raw_widgets:
        problems.append("widgets: a dashboard needs at least one widget")
    widgets: list[WidgetBase] = []
    for index, raw in enumerate(raw_widgets):
        try:
            widgets.append(parse_widget(raw, index))
        except TemplateError as exc:
            problems.extend(exc.details)
    try:
        template = TemplateSpec.model_validate({**document, "widgets": []})
    except ValidationError as exc:
        problems.extend(validation_messages(exc, prefix="template"))
        template = None
    problems.extend(_overlaps(widgets))
    if problems or template is None:
        raise TemplateError(problems)
    template.widgets = widgets
    return template


def element_lines(text: str) -> list[int]:
    """The line (1-based) on which each element of a top-level JSON array starts, so
    that "widget 3" can be pointed at in the text a person edits. Strings (with their
    escapes) are skipped; text that is not an array gives what it can."""
    lines: list[int] = []
    depth, line = 0, 1
    in_string = escaped = expecting = False
    for char in text:
        if char == "\n":
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if expecting and depth == 1 and not char.isspace() and char not in "],":
            lines.append(line)
            expecting = False
        if char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            expecting = expecting or (depth == 1 and char == "[")
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 1:
            expecting = True
    return lines


def _overlaps(widgets: list[WidgetBase]) -> list[str]:
    problems = []
    for i, first in enumerate(widgets):
        for j in range(i + 1, len(widgets)):
            if first.cells() & widgets[j].cells():
                problems.append(
                    f"{_label(j, {'title': widgets[j].title})}: overlaps "
                    f"{_label(i, {'title': first.title})} on the grid"
                )
    return problems
