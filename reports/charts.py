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
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import kaleido

from reports.errors import ReportRenderError
from widgets.map_chart import local_topojson_uri

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


def _start() -> None:
    kaleido.start_sync_server(
        path=browser_path(),
        timeout=EXPORT_TIMEOUT_SECONDS,
        # No MathJax (Pulse has no LaTeX labels): nothing is fetched from a CDN.
        mathjax=False,
        silence_warnings=True,
    )


def _stop() -> None:
    kaleido.stop_sync_server(silence_warnings=True)


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


def _call_with_deadline(figure: dict[str, Any], opts: dict[str, Any]) -> bytes:
    """One export on the shared server, given up after ``CALL_TIMEOUT_SECONDS``.

    kaleido's server waits forever for an answer when its browser died; a waiting
    thread with a deadline turns that into an error (the stuck daemon thread is left
    behind, the report fails).
    """
    answer: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            answer["svg"] = kaleido.calc_fig_sync(
                figure, opts=opts, topojson=local_topojson_uri()
            )
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            answer["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="kaleido-export", daemon=True).start()
    if not done.wait(CALL_TIMEOUT_SECONDS):
        raise TimeoutError(f"no answer from Chromium in {CALL_TIMEOUT_SECONDS} s")
    if "error" in answer:
        raise answer["error"]
    return answer["svg"]


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
                text = svg.decode() if isinstance(svg, bytes) else str(svg)
                if "<svg" not in text:
                    raise ValueError("kaleido returned no SVG")
                return text
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
