"""The registry of report formats: ``render_report(content, fmt)`` -> a file.

Each format is registered once with its file extension, MIME type and renderer; a new
format (say, a snapshot JSON) is one ``@register`` away. ``paper`` only matters to the
PDF.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from reports import csv as csv_report
from reports import excel, pdf
from reports.content import ReportContent
from reports.errors import ReportRenderError

PAPERS = tuple(pdf.PAPERS)
Renderer = Callable[[ReportContent, str], bytes]


@dataclass(frozen=True)
class RenderedReport:
    """A report file: its name, MIME type and bytes."""

    filename: str
    mimetype: str
    data: bytes


@dataclass(frozen=True)
class ReportFormat:
    name: str
    extension: str
    mimetype: str
    render: Renderer


_FORMATS: dict[str, ReportFormat] = {}


def register(
    name: str, *, extension: str, mimetype: str
) -> Callable[[Renderer], Renderer]:
    """Decorator: register ``render(content, paper) -> bytes`` as format ``name``."""

    def decorate(render: Renderer) -> Renderer:
        if name in _FORMATS:
            raise ValueError(f"report format {name!r} is already registered")
        _FORMATS[name] = ReportFormat(name, extension, mimetype, render)
        return render

    return decorate


def formats() -> list[str]:
    """The registered format names."""
    return sorted(_FORMATS)


@register("pdf", extension="pdf", mimetype="application/pdf")
def _pdf(content: ReportContent, paper: str) -> bytes:
    return pdf.pdf_bytes(content, paper=paper)


@register(
    "xlsx",
    extension="xlsx",
    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
def _xlsx(content: ReportContent, paper: str) -> bytes:
    return excel.xlsx_bytes(content)


@register("csv", extension="zip", mimetype="application/zip")
def _csv(content: ReportContent, paper: str) -> bytes:
    return csv_report.zip_bytes(content)


# "excel" is what people type; the file is an .xlsx workbook.
ALIASES = {"excel": "xlsx"}


def report_format(fmt: str) -> str:
    """The registered name ``fmt`` stands for (``excel`` is ``xlsx``)."""
    return ALIASES.get(fmt, fmt)


def report_filename(content: ReportContent, extension: str) -> str:
    """``<dashboard>_<first day>_<last day>.<ext>`` with only letters, digits, ``-``
    and ``_``."""
    words = re.sub(r"[^\w\s-]+", "", content.dashboard_name, flags=re.ASCII).split()
    name = "-".join(words) or "report"
    return (
        f"{name}_{content.period_start.isoformat()}_{content.period_end.isoformat()}"
        f".{extension}"
    )


def render_report(
    content: ReportContent, fmt: str, *, paper: str = "A4"
) -> RenderedReport:
    """The report in format ``fmt`` (``pdf``, ``xlsx`` or ``csv``; ``excel`` is
    ``xlsx``).

    Raises:
        ReportRenderError: an unknown format or paper, or the renderer failed (a chart
            that could not be drawn is named).
    """
    chosen = _FORMATS.get(report_format(fmt))
    if chosen is None:
        raise ReportRenderError(
            f"format {fmt!r}", f"expected one of {', '.join(formats())}"
        )
    if paper not in PAPERS:
        raise ReportRenderError(
            f"paper {paper!r}", f"expected one of {', '.join(PAPERS)}"
        )
    data = chosen.render(content, paper)
    return RenderedReport(
        report_filename(content, chosen.extension), chosen.mimetype, data
    )
