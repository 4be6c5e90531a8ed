"""Charts as vector SVG through kaleido and the system Chromium.

kaleido 1.x drives a real Chromium with plotly.js, so an exported chart is drawn by
the same library as on screen. Starting that browser costs seconds; a batch of reports
keeps one warm: ``with chart_browser(): ...`` starts kaleido's shared server (unless it
runs already) and stops it at the end of the outermost block. kaleido's shared server
is not thread-safe, so every export holds one lock; a process has one browser, which is
why its state lives in this module (the one piece of module state besides registries).

A missing browser is one clear sentence naming the Debian package (``chromium``), never
a hang or a blank chart.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reports.errors import ReportRenderError
from widgets.map_chart import local_topojson_uri

if TYPE_CHECKING:
    from types import ModuleType

log = logging.getLogger(__name__)

# The Debian package's binary; ``BROWSER_PATH`` (kaleido's own variable) overrides it.
CHROMIUM_PATHS = ("/usr/bin/chromium", "chromium", "chromium-browser")
NO_BROWSER = (
    "PDF charts need Chromium, and none was found: install the Debian package "
    "`chromium` (sudo apt-get install chromium), or set BROWSER_PATH to a Chromium "
    "binary"
)
# Seconds one chart may take before kaleido gives up on it (a few hundred ms is usual).
EXPORT_TIMEOUT_SECONDS = 30
# Seconds to wait for an answer from the shared server before calling it dead: more
# than a cold start (about 5 s here) plus one export.
CALL_TIMEOUT_SECONDS = 60
# Attempts per chart: a second try after a failure (logged) before the report fails.
ATTEMPTS = 2
# Browser tabs drawing charts at once: a report's charts are exported as one batch
# spread over them (plotly.js in one tab is single-threaded; two tabs use both cores).
TABS = 2

_lock = threading.RLock()
_users = 0


def browser_path() -> str:
    """The Chromium binary kaleido drives.

    Raises:
        ReportRenderError: no Chromium on this machine.
    """
    explicit = os.environ.get("BROWSER_PATH")
    candidates = (explicit,) if explicit else CHROMIUM_PATHS
    for candidate in candidates:
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    raise ReportRenderError("charts", NO_BROWSER)


def _kaleido() -> ModuleType:
    """kaleido, loaded by the first chart: a web worker that never exports one does
    not carry it (and the browser-driving packages it brings)."""
    import kaleido  # noqa: PLC0415 - optional until a chart is exported

    return kaleido


def _start() -> None:
    _kaleido().start_sync_server(
        n=TABS,
        path=browser_path(),
        timeout=EXPORT_TIMEOUT_SECONDS,
        # No MathJax (Pulse has no LaTeX labels): nothing is fetched from a CDN.
        mathjax=False,
        silence_warnings=True,
    )


def _stop() -> None:
    _kaleido().stop_sync_server(silence_warnings=True)


@contextmanager
def chart_browser() -> Iterator[None]:
    """Keep one Chromium warm for every export inside the block (nested blocks and
    other threads share it); it stops when the last block ends.

    Raises:
        ReportRenderError: no Chromium on this machine.
    """
    global _users
    with _lock:
        if _users == 0:
            _start()
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                _stop()


def _with_deadline(call, *args: Any, **kwargs: Any) -> Any:
    """``call(*args, **kwargs)`` on the shared server, given up after
    ``CALL_TIMEOUT_SECONDS``.

    kaleido's server waits forever for an answer when its browser died; a waiting
    thread with a deadline turns that into an error (the stuck daemon thread is left
    behind, the report fails).
    """
    answer: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            answer["value"] = call(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            answer["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="kaleido-export", daemon=True).start()
    if not done.wait(CALL_TIMEOUT_SECONDS):
        raise TimeoutError(f"no answer from Chromium in {CALL_TIMEOUT_SECONDS} s")
    if "error" in answer:
        raise answer["error"]
    return answer.get("value")


def _call_with_deadline(figure: dict[str, Any], opts: dict[str, Any]) -> bytes:
    return _with_deadline(
        _kaleido().calc_fig_sync, figure, opts=opts, topojson=local_topojson_uri()
    )


@dataclass(frozen=True)
class Chart:
    """A chart to export: its figure (a Plotly figure as a dict), size in CSS pixels,
    and what it is (``widget "ROAS Trend"``), for an error."""

    figure: dict[str, Any]
    width: int
    height: int
    name: str


def _svg_text(svg: object) -> str:
    text = svg.decode() if isinstance(svg, bytes) else str(svg)
    if "<svg" not in text:
        raise ValueError("kaleido returned no SVG")
    return text


def figures_svg(charts: Sequence[Chart]) -> list[str]:
    """Every chart as an SVG document, in order: exported as one batch over the
    browser's tabs (:data:`TABS` at once), then any chart the batch could not draw
    one by one with :func:`figure_svg`'s retry, so a chart that cannot be drawn still
    fails the report naming it.

    Raises:
        ReportRenderError: naming a chart that could not be drawn twice in a row, or
            no Chromium is installed.
    """
    if not charts:
        return []
    drawn: list[str | None] = [None] * len(charts)
    with chart_browser(), tempfile.TemporaryDirectory(prefix="pulse-charts-") as tmp:
        paths = [Path(tmp) / f"chart-{n}.svg" for n in range(len(charts))]
        jobs = [
            {
                "fig": chart.figure,
                "path": str(path),
                "opts": {"format": "svg", "width": chart.width, "height": chart.height},
                "topojson": local_topojson_uri(),
            }
            for chart, path in zip(charts, paths, strict=True)
        ]
        try:
            with _lock:
                errors = _with_deadline(_kaleido().write_fig_from_object_sync, jobs)
            for error in errors or ():
                log.warning("report chart batch: one chart failed: %s", error)
        except Exception as exc:  # noqa: BLE001 - each chart is tried again below
            log.warning("report chart batch failed, exporting one by one: %s", exc)
        for n, path in enumerate(paths):
            try:
                drawn[n] = _svg_text(path.read_text()) if path.exists() else None
            except ValueError:
                drawn[n] = None
        for n, chart in enumerate(charts):
            if drawn[n] is None:
                drawn[n] = figure_svg(
                    chart.figure,
                    width=chart.width,
                    height=chart.height,
                    name=chart.name,
                )
    return [svg for svg in drawn if svg is not None]


def figure_svg(figure: dict[str, Any], *, width: int, height: int, name: str) -> str:
    """``figure`` (a Plotly figure as a dict) as an SVG document, ``width`` ×
    ``height`` CSS pixels.

    Args:
        name: what the chart is (``widget "ROAS Trend"``), for the error.

    Raises:
        ReportRenderError: naming the chart, when it could not be drawn twice in a
            row, or no Chromium is installed.
    """
    opts = {"format": "svg", "width": width, "height": height}
    with chart_browser():
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with _lock:
                    svg = _call_with_deadline(figure, opts)
                return _svg_text(svg)
            except ReportRenderError:
                raise
            except Exception as exc:
                log.warning(
                    "report chart %s failed (attempt %s of %s): %s",
                    name,
                    attempt,
                    ATTEMPTS,
                    exc,
                )
                if attempt == ATTEMPTS:
                    raise ReportRenderError(
                        name,
                        f"its chart could not be drawn ({type(exc).__name__}: {exc})",
                    ) from exc
    raise AssertionError("unreachable")
