"""Turn a stored widget into a component: validate, fetch through the cache, build.

A widget that fails anywhere (bad spec, a data-source error, a crash in its builder)
becomes an error card with the reason; the rest of the dashboard is unaffected.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import dash_ag_grid as dag
import plotly.utils
from dash import Patch, dcc

from core.db import is_timeout, is_unavailable
from core.filters import Filters, OrgContext, QueryError
from core.models import DashboardWidget
from dashboards.schema import TemplateError, parse_widget, widget_query_params
from dashboards.store import widget_document
from datasources.cache import NotCached, QueryCache
from datasources.registry import PERIOD_TTL_SECONDS
from widgets import _registry as registry
from widgets._base import RenderContext, WidgetBase
from widgets._card import caption_text, error_card, with_caption

log = logging.getLogger(__name__)


def spec_from_row(row: DashboardWidget) -> WidgetBase:
    """Validate a stored widget row as a widget spec (raises ``TemplateError``)."""
    return parse_widget(widget_document(row))


def query_widget(
    spec: WidgetBase,
    *,
    data: QueryCache,
    org_id: int,
    filters: Filters,
    fresh: bool = False,
    cached_only: bool = False,
) -> dict:
    """The data-source answer a widget shows for ``org_id`` under the dashboard's
    ``filters``, through the cache: its type's default params (those its source
    accepts), then its own ``query_params``; only from the cache with ``cached_only``
    (raises :class:`~datasources.cache.NotCached` on a miss).

    The screen, the table exports, the rows refreshed after an inline edit and the
    API's dashboard data all ask this, so they all show the same rows.

    Raises:
        QueryError: the data source refused the query.
    """
    params = widget_query_params(spec.type, spec.data_source, spec.query_params)
    return data.query(
        org_id, spec.data_source, params, filters, fresh=fresh, cached_only=cached_only
    )


def widget_data_key(
    row: DashboardWidget,
    *,
    data: QueryCache,
    org_id: int,
    filters: Filters,
    state: tuple[OrgContext, int] | None = None,
) -> str:
    """What a widget would show, as a short digest, without querying: its stored
    document (an edit changes it) and the cache key of its result (the org's data
    version, its params, the filters and the window clock). A refresh tick compares
    it with the digest of what the screen shows and re-renders only on a change.

    An invalid widget digests its document alone (it shows the same error card until
    it is edited). ``state`` is the org's :meth:`~datasources.cache.QueryCache.
    org_state` when the caller keys many widgets at once (one cache read for all).
    """
    document = widget_document(row)
    try:
        spec = spec_from_row(row)
        params = widget_query_params(spec.type, spec.data_source, spec.query_params)
        key = data.result_key(org_id, spec.data_source, params, filters, state=state)
    except (TemplateError, QueryError, KeyError):
        key = "invalid"
    return hashlib.sha256(
        json.dumps([document, key], sort_keys=True, default=str).encode()
    ).hexdigest()[:20]


def widget_data_keys(
    rows: Iterable[DashboardWidget],
    *,
    data: QueryCache,
    org_id: int,
    filters: Filters,
) -> dict[str, str]:
    """:func:`widget_data_key` of each widget, by widget id (a string, as the browser
    keeps them), reading the org's version and context once for all of them: what a
    dashboard's refresh tick and a kiosk display's tick compare."""
    state = data.org_state(org_id)
    return {
        str(row.id): widget_data_key(
            row, data=data, org_id=org_id, filters=filters, state=state
        )
        for row in rows
    }


def _anomalies_for(
    spec: WidgetBase,
    result: dict,
    data: QueryCache,
    org_id: int,
    filters: Filters,
    fresh: bool,
    cached_only: bool = False,
) -> list[dict]:
    """The anomalies to mark on a line chart: the chart's metric (or ``anomaly_metric``)
    over the days it shows, through the same cache as every query."""
    metric = spec.config.anomaly_metric or result.get("metric")
    window = result.get("window") or {}
    if window.get("start") and window.get("end"):
        days = date.fromisoformat(window["end"]) - date.fromisoformat(window["start"])
        period = f"{days.days + 1}d"
    else:
        period = "90d"
    listed = data.query(
        org_id,
        "anomalies",
        {"metric": metric, "status": "all", "period": period, "limit": 200},
        filters,
        fresh=fresh,
        cached_only=cached_only,
    )
    return listed.get("items", [])


def widget_result(
    spec: WidgetBase,
    *,
    data: QueryCache,
    org_id: int,
    filters: Filters,
    fresh: bool = False,
    cached_only: bool = False,
) -> dict:
    """What a widget draws: :func:`query_widget`'s answer, plus the anomalies to mark
    on a line chart that shows them. The screen and the reports both draw this.

    Raises:
        QueryError: a data source refused the query.
        NotCached: ``cached_only`` and the answer is not in the cache.
    """
    result = query_widget(
        spec,
        data=data,
        org_id=org_id,
        filters=filters,
        fresh=fresh,
        cached_only=cached_only,
    )
    if getattr(spec.config, "show_anomalies", False):
        anomalies = _anomalies_for(
            spec, result, data, org_id, filters, fresh, cached_only
        )
        result = {**result, "anomalies": anomalies}
    return result


def shown_age(result: dict) -> float | None:
    """How old a result is when that is worth saying: older than twice what its
    aggregation period allows (1 min realtime, 5 min hourly, 1 h daily, 6 h weekly).
    A value one refresh behind is being recomputed in the background and is no news;
    one whose refreshes keep failing, or lag a whole period, is."""
    if not result.get("stale"):
        return None
    allowed = PERIOD_TTL_SECONDS.get(str(result.get("aggregation_period")), 300)
    age = float(result.get("age_seconds") or 0)
    return age if age > 2 * allowed else None


@dataclass(frozen=True)
class RenderedWidget:
    """A widget drawn for the screen, and what the screen says about its data.

    Attributes:
        component: the widget (or its error card).
        computed_at: when the data it shows was computed (epoch seconds), ``None``
            for an error card.
        stale: whether that data is being recomputed (the cache served it past its
            freshness).
    """

    component: object
    computed_at: float | None = None
    stale: bool = False

    @cached_property
    def shape(self) -> str | None:
        """:func:`card_shape` of the drawing (``None`` for an error card)."""
        return None if self.computed_at is None else card_shape(self.component)


# What a user changes on a chart by hand: the zoom and pan of its axes and of a map,
# the hover and drag modes. Dash 4's ``dcc.Graph`` copies such changes into its
# ``figure`` prop, so a refresh that sends only the rest of the new figure (a Patch,
# see :func:`figure_patches`) leaves them as the user left them. (A whole new figure,
# or new children, carries the server's axes without a range, and Plotly resets the
# zoom whatever ``uirevision`` says: the range is no longer a user edit by then.)
USER_LAYOUT_KEYS = frozenset({"hovermode", "dragmode"})
USER_SUBPLOT_KEYS = {
    "xaxis": frozenset({"range", "autorange"}),
    "yaxis": frozenset({"range", "autorange"}),
    "geo": frozenset({"center", "projection", "fitbounds"}),
    "map": frozenset({"center", "zoom", "bearing", "pitch"}),
    "mapbox": frozenset({"center", "zoom", "bearing", "pitch"}),
}


def _subplot_kind(key: str) -> str | None:
    kind = key.rstrip("0123456789")
    return kind if kind in USER_SUBPLOT_KEYS else None


def _as_json(component: object) -> object:
    return json.loads(json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder))


def _is_graph(node: object) -> bool:
    return (
        isinstance(node, dict)
        and node.get("type") == "Graph"
        and node.get("namespace") == "dash_core_components"
    )


def _figure_outline(figure: dict) -> dict:
    """What a chart's figure must keep for a data-only update: its traces' types and
    names (a legend toggle belongs to a trace's place) and its layout's keys."""
    return {
        "traces": [[t.get("type"), t.get("name")] for t in figure.get("data") or []],
        "layout": sorted((figure.get("layout") or {}).keys()),
    }


def _is_grid(node: object) -> bool:
    return (
        isinstance(node, dict)
        and node.get("type") == "AgGrid"
        and node.get("namespace") == "dash_ag_grid"
    )


def _outline(node: object) -> object:
    if _is_graph(node):
        props = dict(node["props"])  # type: ignore[index]
        props["figure"] = _figure_outline(props.get("figure") or {})
        return {**node, "props": props}  # type: ignore[dict-item]
    if _is_grid(node):
        # A table's rows are its data; its columns, formats and options its shape.
        props = {k: v for k, v in node["props"].items() if k != "rowData"}  # type: ignore[index]
        return {**node, "props": props}  # type: ignore[dict-item]
    if isinstance(node, dict):
        return {key: _outline(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_outline(value) for value in node]
    return node


def card_shape(component: object) -> str | None:
    """A digest of a drawn widget with each chart's figure reduced to its outline
    (trace types and names, layout keys) and each table's rows left out: two drawings
    with the same shape differ only in their charts' data and settings and their
    tables' rows, so the screen can swap those in place (:func:`figure_patches`,
    :func:`grid_row_data`) instead of mounting the card anew, which would lose the
    user's zoom and cost the browser a new plot or grid. ``None`` when the card has
    no chart or table to swap this way (one without an id cannot be addressed)."""
    swapped = _graphs(component) + _grids(component)
    if not swapped or not all(
        isinstance(getattr(c, "id", None), dict) for c in swapped
    ):
        return None
    outline = json.dumps(_outline(_as_json(component)), sort_keys=True)
    return hashlib.sha256(outline.encode()).hexdigest()[:24]


def grid_row_data(component: object) -> list[tuple[dict, list]]:
    """For each table of ``component``: its id and its new rows (AG Grid keeps its
    sort, filter and scroll, and redraws only the rows whose id or values changed)."""
    return [(grid.id, grid.rowData) for grid in _grids(component)]


def figure_patches(
    component: object, *, keep_view: bool = True
) -> list[tuple[dict, Patch]]:
    """For each chart of ``component``: its id and a Patch that gives the chart on
    screen the new figure's data and layout, except, with ``keep_view``, what the user
    changes by hand (:data:`USER_LAYOUT_KEYS`, :data:`USER_SUBPLOT_KEYS`). Without
    it (new filters: another period or selection) the whole layout is replaced, so the
    chart starts unzoomed, but the plot is updated in place rather than mounted anew."""
    patches = []
    for graph in _graphs(component):
        figure = _as_json(graph.figure) or {}
        patch = Patch()
        patch["data"] = figure.get("data") or []  # type: ignore[union-attr]
        if not keep_view:
            patch["layout"] = figure.get("layout") or {}  # type: ignore[union-attr]
            patches.append((graph.id, patch))
            continue
        for key, value in (figure.get("layout") or {}).items():  # type: ignore[union-attr]
            kind = _subplot_kind(key)
            if key in USER_LAYOUT_KEYS:
                continue
            if kind is not None and isinstance(value, dict):
                for sub, sub_value in value.items():
                    if sub not in USER_SUBPLOT_KEYS[kind]:
                        patch["layout"][key][sub] = sub_value
                continue
            patch["layout"][key] = value
        patches.append((graph.id, patch))
    return patches


def _of_type(component: object, kind: type) -> list:
    found = [component] if isinstance(component, kind) else []
    traverse = getattr(component, "_traverse", None)
    if traverse is not None:
        found += [c for c in traverse() if isinstance(c, kind)]
    return found


def _graphs(component: object) -> list[dcc.Graph]:
    return _of_type(component, dcc.Graph)


def _grids(component: object) -> list[dag.AgGrid]:
    return _of_type(component, dag.AgGrid)


def keep_ui_state(component: object, widget_id: int) -> object:
    """Give every chart in ``component`` a ``uirevision`` fixed per widget, so a new
    figure for the same widget keeps what the user did to the old one (zoom, legend
    toggles, hover mode): Plotly resets them only when ``uirevision`` changes."""
    for graph in _graphs(component):
        figure = getattr(graph, "figure", None)
        layout = getattr(figure, "layout", None)
        if layout is not None and layout.uirevision is None:
            layout.uirevision = f"widget-{widget_id}"
    return component


def render_widget(
    row: DashboardWidget,
    *,
    data: QueryCache,
    org_id: int,
    filters: Filters,
    theme: str = "light",
    fresh: bool = False,
    can_edit: bool = False,
) -> object:
    """Render one widget for ``org_id`` under the dashboard's ``filters``; ``can_edit``
    offers the caller's role the widget's actions (read-only when false)."""
    return draw_widget(
        row,
        data=data,
        org_id=org_id,
        filters=filters,
        theme=theme,
        fresh=fresh,
        can_edit=can_edit,
    ).component


def draw_widget(
    row: DashboardWidget,
    *,
    data: QueryCache,
    org_id: int,
    filters: Filters,
    theme: str = "light",
    fresh: bool = False,
    can_edit: bool = False,
    cached_only: bool = False,
) -> RenderedWidget:
    """:func:`render_widget`, with when its data was computed and whether it is
    stale (the screen counts the data's age up from ``computed_at``).

    Raises:
        NotCached: ``cached_only`` (draw only from the cache, query nothing) and its
            data is not cached.
    """
    try:
        spec = spec_from_row(row)
        widget_type = registry.get(spec.type)
        result = widget_result(
            spec,
            data=data,
            org_id=org_id,
            filters=filters,
            fresh=fresh,
            cached_only=cached_only,
        )
        ctx = RenderContext(
            widget_id=row.id,
            currency=result.get("currency", "USD"),
            theme=theme,
            can_edit=can_edit,
        )
        period = None if filters.date_from else spec.query_params.get("period")
        # A drawing depends on exactly these: the same widget document, answer,
        # theme, role and period label draw the same card, so it is built once. The
        # answer's age is said in whole minutes at most (a status card's "last sync",
        # a stale answer's caption), so it counts to the minute.
        stale_age = shown_age(result)
        answer = {k: v for k, v in result.items() if k != "age_seconds"}
        answer["age_minutes"] = int(float(result.get("age_seconds") or 0) // 60)
        memo_key = hashlib.sha256(
            json.dumps(
                [
                    org_id,
                    row.id,
                    widget_document(row),
                    answer,
                    stale_age,
                    theme,
                    can_edit,
                    period,
                ],
                sort_keys=True,
                default=str,
            ).encode()
        ).hexdigest()
        drawn = data.drawings.get(memo_key)
        if drawn is not None:
            return drawn
        component = keep_ui_state(widget_type.build(spec, result, ctx), row.id)
        drawn = RenderedWidget(
            with_caption(
                component,
                caption_text(spec.title, result, period),
                stale_seconds=stale_age,
            ),
            computed_at=result.get("computed_at"),
            stale=bool(result.get("stale")),
        )
        data.drawings.put(memo_key, drawn)
        return drawn
    except NotCached:
        raise
    except TemplateError as exc:
        return RenderedWidget(error_card("; ".join(exc.details)))
    except QueryError as exc:
        return RenderedWidget(error_card(str(exc)))
    except Exception as exc:
        if is_timeout(exc):
            log.warning("widget %s (%s) timed out", row.id, row.title)
            return RenderedWidget(
                error_card(
                    f"its query took longer than {data.query_timeout_seconds:g} s "
                    "and was stopped; narrow the date range or filters."
                )
            )
        if is_unavailable(exc):
            log.warning("widget %s (%s): database unavailable", row.id, row.title)
            return RenderedWidget(
                error_card(
                    "data is unavailable: Pulse cannot reach its database. Retrying "
                    "at the next refresh."
                )
            )
        log.exception("widget %s (%s) failed", row.id, row.title)
        return RenderedWidget(
            error_card(f"its data could not be loaded ({type(exc).__name__}).")
        )
