"""A report as a PDF: WeasyPrint lays out an HTML/CSS print template
(``templates/report.html`` and ``report.css``) with every chart inlined as vector SVG.

Pages: a title page (org, dashboard, period in org days, generated-at in the
recipient's zone), the summary (KPI cards with their change vs the previous period and
sparklines), each widget in grid order (a chart, or its table), then the top and
under-performers, anomalies, automation actions and open recommendations. Every page
after the title has a footer and "Page n of m"; tables that run over a page break
repeat their header row. Paper: A4 or US Letter.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from reports.charts import Chart, figures_svg
from reports.content import ReportContent, ReportKpi, ReportTable
from widgets._formatting import format_change, format_value, is_missing
from widgets.kpi_card import sparkline_svg, status_color
from widgets.table import NUMERIC_FORMATS, cell_value, format_cell

TEMPLATES = Path(__file__).parent / "templates"
PAPERS = {"A4": "A4", "Letter": "letter"}
# Chart size in CSS pixels: the width of the text block on A4 and Letter (178 and 184
# mm at 96 px per inch); the SVG scales to the column.
CHART_WIDTH = 680
CHART_HEIGHTS = {"gauge": 260, "map_chart": 340, "pie_chart": 300}
CHART_HEIGHT = 300
ARROWS = {"up": "▲", "down": "▼"}


@dataclass(frozen=True)
class _Cell:
    text: str
    align: str


@dataclass(frozen=True)
class _Column:
    title: str
    align: str


@dataclass(frozen=True)
class _Table:
    """A table as the template prints it: formatted cells, and whether the source had
    more rows than shown (``total``)."""

    columns: list[_Column]
    rows: list[list[_Cell]]
    total: int | None
    more: bool


def _align(fmt: str) -> str:
    """The cell class of a column format: numbers right-aligned, dates and times kept
    on one line."""
    if fmt in NUMERIC_FORMATS:
        return "num"
    return "when" if fmt in ("date", "datetime") else ""


def _table(table: ReportTable, currency: str) -> _Table:
    columns = [_Column(c.title, _align(c.format)) for c in table.columns]
    rows = [
        [
            _Cell(
                format_cell(cell_value(row, c.field), c.format, currency),
                _align(c.format),
            )
            for c in table.columns
        ]
        for row in table.rows
    ]
    total = table.total
    more = total is not None and int(total) > len(rows)
    return _Table(columns, rows, total, more)


def _kpi(kpi: ReportKpi, currency: str) -> dict[str, Any]:
    change = kpi.change_pct
    trend = None
    if change is not None and not is_missing(change):
        trend = "up" if change > 0 else "down"
    sparkline = ""
    if kpi.series:
        sparkline = svg_data_uri(
            sparkline_svg(pd.DataFrame(kpi.series), partial_from=kpi.partial_from)
        )
    return {
        "title": kpi.title,
        "value": format_value(kpi.value, kpi.format, currency),
        "previous": format_value(kpi.previous, kpi.format, currency),
        "has_previous": kpi.previous is not None or change is not None,
        "change": format_change(change),
        "arrow": ARROWS.get(trend or "", "■"),
        "status": status_color(change, kpi.higher_is_better),
        "sparkline": sparkline,
    }


def svg_data_uri(svg: str) -> str:
    """An SVG document as a ``data:`` URI, inlined in the print HTML as an image.

    WeasyPrint draws an SVG image as vector paths and text, as it does an inline
    ``<svg>`` element, but without running the HTML style cascade over its thousands
    of elements: seconds less per report. Empty for no SVG.
    """
    if not svg:
        return ""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("report.html")


def _footer(content: ReportContent) -> str:
    """The footer line, safe inside a CSS string in a ``<style>`` element (no quote,
    backslash or angle bracket can end either)."""
    text = f"{content.org_name} · {content.dashboard_name} · {content.period_text}"
    return re.sub(r'["\\<>\r\n]', "", text)


def report_html(content: ReportContent, *, paper: str = "A4") -> str:
    """The report as print HTML; each chart exported to SVG through kaleido and
    inlined as a ``data:`` image.

    Raises:
        ReportRenderError: a chart could not be drawn (named), or no Chromium.
    """
    shown = [w for w in content.widgets if w.type != "kpi_card"]
    drawn = [w for w in shown if w.figure is not None]
    # The charts as one batch: kaleido draws them in two browser tabs at once.
    svgs = figures_svg(
        [
            Chart(
                widget.figure,
                width=CHART_WIDTH,
                height=CHART_HEIGHTS.get(widget.type, CHART_HEIGHT),
                name=f'widget "{widget.title}"',
            )
            for widget in drawn
            if widget.figure is not None
        ]
    )
    chart_of = {id(widget): svg for widget, svg in zip(drawn, svgs, strict=True)}
    widgets = [
        {
            "title": widget.title,
            "caption": widget.caption,
            "svg": svg_data_uri(chart_of[id(widget)])
            if id(widget) in chart_of
            else None,
            "is_chart": widget.is_chart,
            "table": _table(widget.table, content.currency),
        }
        for widget in shown
    ]
    return _template().render(
        c=content,
        paper_css=PAPERS[paper],
        footer_left=_footer(content),
        css=(TEMPLATES / "report.css").read_text(),
        period_days=(content.period_end - content.period_start).days + 1,
        kpis=[_kpi(k, content.currency) for k in content.kpis],
        widgets=widgets,
        sections=[
            (title, _table(table, content.currency))
            for title, table in content.sections()
        ],
    )


def pdf_bytes(content: ReportContent, *, paper: str = "A4") -> bytes:
    """The report as a PDF document on ``paper`` (``A4`` or ``Letter``).

    Raises:
        ReportRenderError: a chart could not be drawn (named), or no Chromium.
    """
    html = report_html(content, paper=paper)
    # WeasyPrint (with Pango and its fonts) costs a web worker ~20 MB: it is loaded
    # by the first PDF, not by every process that imports the report formats.
    import weasyprint  # noqa: PLC0415 - optional at import time, see above

    return weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
