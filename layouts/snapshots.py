"""The snapshot pages: the list (``/snapshots``), one snapshot (``/snapshots/<id>``)
and two side by side (``/snapshots/compare?a=&b=``).

The list is filled by :mod:`callbacks.snapshots` (View, Download JSON/PDF/Excel,
Delete, and two ticked rows -> Compare). A snapshot's page shows its KPI cards and its
charts drawn by the widgets' own figure functions from the stored data, its tables as
stored; the compare page shows every KPI with both values and the change, and the
charts of both overlaid (A dashed). Every page reads through
:mod:`commands.snapshots`, which audits each view.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from commands import snapshots
from commands.snapshots import Comparison, SnapshotSummary, SnapshotView
from core.crypto import SnapshotDecryptError
from dashboards.snapshot_parts import download_links, when_text
from layouts import not_found
from reports.content import ReportKpi, ReportTable, ReportWidget
from reports.errors import ReportRenderError
from server.runtime import runtime
from widgets._formatting import NO_VALUE, format_change, format_value
from widgets.table import NUMERIC_FORMATS, cell_value, format_cell

# Rows of a stored table shown on the page (the files hold them all).
TABLE_ROWS = 25


# --------------------------------------------------------------------- the list
def layout(**_: Any) -> html.Div:
    """``/snapshots``: the org's snapshots (the table comes from the callback)."""
    return html.Div(
        [
            html.H1("Snapshots", className="h3 mb-1"),
            html.P(
                "A snapshot keeps a dashboard's figures, filters and instant as they "
                "were. Take one with “Take snapshot” on a dashboard; tick two to "
                "compare them.",
                className="text-muted small mb-3",
            ),
            html.Div(
                [
                    html.A(
                        "Compare selected",
                        id="snapshot-compare-link",
                        href="/snapshots",
                        className="btn btn-sm btn-primary disabled",
                        **{"aria-disabled": "true"},
                    ),
                    html.Span(
                        "Tick two snapshots to compare them.",
                        id="snapshot-compare-hint",
                        className="small text-muted ms-2",
                    ),
                ],
                className="mb-2",
            ),
            html.Div(id="snapshot-message"),
            dcc.Store(id="snapshot-version", data=0),
            # The snapshot whose Delete was clicked, until the dialog is answered.
            dcc.Store(id="snapshot-delete-pending"),
            dcc.ConfirmDialog(id="snapshot-delete-confirm"),
            html.Div(id="snapshot-list"),
        ],
        id="snapshots-page",
    )


# ------------------------------------------------------------- one snapshot
def _refusal(title: str, message: str) -> html.Div:
    return html.Div(
        [html.H1(title, className="h3 mb-3"), dbc.Alert(message, color="warning")],
        id="snapshot-refused",
    )


def kpi_card(kpi: ReportKpi, currency: str) -> dbc.Col:
    change = format_change(kpi.change_pct) if kpi.change_pct is not None else NO_VALUE
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(kpi.title, className="snapshot-kpi-title"),
                    html.Div(
                        format_value(kpi.value, kpi.format, currency),
                        className="snapshot-kpi-value",
                    ),
                    html.Div(
                        f"{change} vs previous period "
                        f"({format_value(kpi.previous, kpi.format, currency)})",
                        className="snapshot-kpi-change small text-muted",
                    ),
                ]
            ),
            className="shadow-sm h-100 snapshot-kpi",
        ),
        xs=12,
        md=6,
        xl=3,
        className="mb-3",
    )


def table_component(table: ReportTable, currency: str) -> Any:
    """A stored table, its first :data:`TABLE_ROWS` rows formatted as on screen."""
    if not table.rows:
        return html.P("No data in this period.", className="text-muted small")
    shown = table.rows[:TABLE_ROWS]
    body = [
        html.Tr(
            [
                html.Td(
                    # As the table widget and the PDF show a cell (a ratio the row
                    # does not carry, such as ROAS, from the row's own sums).
                    format_cell(cell_value(row, column.field), column.format, currency),
                    className="text-end" if column.format in NUMERIC_FORMATS else "",
                )
                for column in table.columns
            ]
        )
        for row in shown
    ]
    more = len(table.rows) - len(shown)
    return html.Div(
        [
            dbc.Table(
                [
                    html.Thead(
                        html.Tr([html.Th(c.header or c.field) for c in table.columns])
                    ),
                    html.Tbody(body),
                ],
                size="sm",
                responsive=True,
                className="small mb-1",
            ),
            html.P(
                f"… and {more} more rows in the files.", className="small text-muted"
            )
            if more > 0
            else None,
        ]
    )


def widget_card(index: int, widget: ReportWidget, currency: str) -> dbc.Col:
    if widget.figure is not None:
        body: Any = dcc.Graph(
            id={"type": "snapshot-graph", "index": index},
            figure=widget.figure,
            config={"displayModeBar": False},
            className="snapshot-graph",
        )
    else:
        body = table_component(widget.table, currency)
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.H2(widget.title, className="h6 mb-0"),
                    html.Div(widget.caption or "", className="small text-muted mb-2"),
                    body,
                ]
            ),
            className="shadow-sm h-100 snapshot-widget",
        ),
        xs=12,
        xl=6,
        className="mb-3",
    )


def snapshot_header(view: SnapshotView) -> html.Div:
    summary, content = view.summary, view.content
    facts = [
        f"{summary.dashboard_name}",
        f"{summary.snapshot_type} snapshot",
        f"taken {when_text(summary.local_date)} by {summary.taken_by}",
        f"period {content.period_text}",
        f"filters: {content.filters_text or 'none'}",
    ]
    return html.Div(
        [
            html.Div(
                [
                    html.H1(summary.name, className="h3 mb-0", id="snapshot-title"),
                    html.P(" · ".join(facts), className="text-muted small mb-2"),
                ]
            ),
            html.Div(
                [
                    html.A(
                        "All snapshots",
                        href="/snapshots",
                        className="btn btn-sm btn-outline-secondary me-1 mb-1",
                    ),
                    *download_links(summary.id),
                ],
                className="text-nowrap",
            ),
        ],
        className="d-flex justify-content-between align-items-start flex-wrap",
    )


def snapshot_layout(snapshot_id: str | None = None, **_: Any) -> html.Div:
    """``/snapshots/<id>``: one snapshot's KPI cards, charts and tables, from the
    stored data (audited as a view)."""
    svc = runtime()
    try:
        view = snapshots.get_snapshot(
            svc, svc.snapshots(), current_user.caller, snapshot_id
        )
    except snapshots.SnapshotNotFound:
        return not_found.layout()
    except (SnapshotDecryptError, ReportRenderError) as exc:
        return _refusal("Snapshot", f"This snapshot cannot be shown: {exc}")
    content = view.content
    others = [w for w in content.widgets if w.type != "kpi_card"]
    return html.Div(
        [
            snapshot_header(view),
            dbc.Row(
                [kpi_card(k, content.currency) for k in content.kpis],
                className="g-3 mt-1",
                id="snapshot-kpis",
            ),
            dbc.Row(
                [widget_card(i, w, content.currency) for i, w in enumerate(others)],
                className="g-3",
                id="snapshot-widgets",
            ),
        ],
        id="snapshot-page",
    )


# ------------------------------------------------------------------ compare
def _change_text(value: float | None, fmt: str, currency: str) -> str:
    if value is None:
        return NO_VALUE
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return sign + format_value(abs(value), fmt, currency)


def comparison_table(comparison: Comparison) -> dbc.Table:
    currency = comparison.b.content.currency
    header = ["KPI", "A", "B", "Change", "Change %"]
    rows = [
        html.Tr(
            [
                html.Td(row.title),
                html.Td(
                    format_value(row.a, row.format, currency), className="text-end"
                ),
                html.Td(
                    format_value(row.b, row.format, currency), className="text-end"
                ),
                html.Td(
                    _change_text(row.change, row.format, currency), className="text-end"
                ),
                html.Td(
                    format_change(row.change_pct),
                    className="text-end "
                    + (
                        ""
                        if row.change_pct is None or row.change_pct == 0
                        else "text-success"
                        if row.change_pct > 0
                        else "text-danger"
                    ),
                ),
            ],
            className="compare-row",
        )
        for row in comparison.kpis
    ]
    return dbc.Table(
        [
            html.Thead(
                html.Tr(
                    [
                        html.Th(h, className="text-end" if h != "KPI" else "")
                        for h in header
                    ]
                )
            ),
            html.Tbody(rows),
        ],
        size="sm",
        className="bg-white compare-table",
        id="compare-table",
    )


def _side(label: str, summary: SnapshotSummary) -> html.Div:
    return html.Div(
        [
            dbc.Badge(label, color="dark", className="me-2"),
            html.A(summary.name, href=f"/snapshots/{summary.id}"),
            html.Span(
                f" · {summary.dashboard_name} · {when_text(summary.local_date)}",
                className="text-muted",
            ),
        ],
        className="small mb-1",
    )


def compare_layout(a: str | None = None, b: str | None = None, **_: Any) -> html.Div:
    """``/snapshots/compare?a=&b=``: two snapshots side by side."""
    if not a or not b:
        return _refusal(
            "Compare snapshots", "Pick two snapshots on the Snapshots page."
        )
    svc = runtime()
    try:
        comparison = snapshots.compare_snapshots(
            svc, svc.snapshots(), current_user.caller, a, b
        )
    except snapshots.SnapshotNotFound:
        return not_found.layout()
    except (SnapshotDecryptError, ReportRenderError) as exc:
        return _refusal("Compare snapshots", f"These snapshots cannot be shown: {exc}")
    charts = [
        dbc.Col(
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H2(chart.title, className="h6"),
                        dcc.Graph(
                            id={"type": "compare-graph", "index": index},
                            figure=chart.figure,
                            config={"displayModeBar": False},
                            className="snapshot-graph",
                        ),
                    ]
                ),
                className="shadow-sm h-100",
            ),
            xs=12,
            xl=6,
            className="mb-3",
        )
        for index, chart in enumerate(comparison.charts)
    ]
    return html.Div(
        [
            html.H1("Compare snapshots", className="h3 mb-2"),
            _side("A", comparison.a.summary),
            _side("B", comparison.b.summary),
            html.P(
                "Change is B − A; the percentage is of A (“—” when A is 0 or missing). "
                "Charts: B solid, A dashed.",
                className="small text-muted mt-2",
            ),
            comparison_table(comparison),
            dbc.Row(charts, className="g-3", id="compare-charts"),
        ],
        id="compare-page",
    )
