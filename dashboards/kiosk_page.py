"""The components of the kiosk wall display (``/kiosk/<token>``): data only, full
screen, dark. The page (:mod:`layouts.kiosk`) and its tick (:mod:`callbacks.kiosk`)
both build from here, so each id is written once.

The display is its own Dash app mounted at ``/kiosk/`` (see
:func:`server.factory.create_app`), with only the ``kiosk-`` callbacks of
:mod:`callbacks.kiosk`: a display's requests can reach nothing else. The page is a
header (the dashboard's name, "data as of", the clock and date in the org's time zone,
drawn by ``assets/kiosk.js``) over the dashboard's 12-column grid, whose rows share the
viewport's height so that the dashboard fills the screen exactly at any resolution,
without scrollbars. No navigation, filter bar, button, menu or cursor.
"""

from __future__ import annotations

from dash import dcc, html

from core.models import DashboardWidget

# The tick's store: what the screen shows (the dashboard, its layout, each widget's
# data digest) and the app version the page was served with.
STATE_ID = "kiosk-state"
SCREEN_ID = "kiosk-screen"
TICK_ID = "kiosk-tick"


def widget_body_id(widget_id: int) -> dict:
    return {"type": "kiosk-widget", "index": widget_id}


def widget_frame(widget: DashboardWidget, content: object) -> html.Div:
    """A widget's card at its grid position, holding its rendered ``content``."""
    return html.Div(
        [
            html.Div(widget.title, className="widget-title"),
            html.Div(
                content,
                id=widget_body_id(widget.id),
                className=f"widget-body widget-{widget.widget_type}",
            ),
        ],
        className="widget-card",
        style={
            "gridColumn": f"{widget.position_x + 1} / span {widget.width}",
            "gridRow": f"{widget.position_y + 1} / span {widget.height}",
        },
    )


# The least height (in rem, which follows the screen's width) a widget type needs on
# a wall to say what it says: a KPI card's title, value and comparison line. Rows
# share the screen's height in proportion to the grid, but a dashboard with many rows
# would otherwise leave its KPI row too short to read on a 1080p screen.
MIN_CARD_REM = {"kpi_card": 9.0}


def grid_rows(widgets: list[DashboardWidget]) -> str:
    """The grid's ``grid-template-rows``: as many rows as the widgets reach, sharing
    the height, each at least its share of the tallest minimum of a card it holds
    (:data:`MIN_CARD_REM`)."""
    rows = max((w.position_y + w.height for w in widgets), default=1)
    least = [0.0] * rows
    for widget in widgets:
        need = MIN_CARD_REM.get(widget.widget_type, 0.0) / max(widget.height, 1)
        for row in range(widget.position_y, widget.position_y + widget.height):
            least[row] = max(least[row], need)
    return " ".join(f"minmax({need:g}rem, 1fr)" for need in least)


def screen(
    widgets: list[DashboardWidget],
    contents: dict[int, object],
    timezone: str,
    tick_ms: int,
) -> html.Div:
    """The dashboard grid: as many rows as its widgets reach, sharing the height."""
    return html.Div(
        [widget_frame(w, contents[w.id]) for w in widgets],
        className="kiosk-grid dashboard-grid",
        style={"gridTemplateRows": grid_rows(widgets)},
        # Read by assets/kiosk.js: the clock's time zone, the retry spacing.
        **{"data-timezone": timezone, "data-tick": str(tick_ms)},
    )


def disconnected() -> html.Div:
    """What a display shows once its token is revoked (or its target deleted)."""
    return html.Div(
        [
            html.Div("This display was disconnected", className="kiosk-message-title"),
            html.Div(
                "An administrator revoked its access. Ask them for a new kiosk link.",
                className="kiosk-message-detail",
            ),
        ],
        className="kiosk-message",
        id="kiosk-disconnected",
    )


def layout(version: str) -> html.Div:
    """The page shell; the first tick fills it. ``version`` is the app version the
    page is served with: a tick answered by another version reloads the page."""
    return html.Div(
        [
            dcc.Location(id="kiosk-location", refresh=True),
            dcc.Store(id=STATE_ID, data={"version": version}),
            # Its interval is set by the first tick (PULSE_KIOSK_TICK_SECONDS).
            dcc.Interval(id=TICK_ID, interval=10_000, n_intervals=0),
            html.Header(
                [
                    html.Div(
                        [
                            html.Span("Pulse", className="kiosk-brand"),
                            html.Span(id="kiosk-title", className="kiosk-title"),
                            html.Span(id="kiosk-position", className="kiosk-position"),
                        ],
                        className="kiosk-heading",
                    ),
                    html.Div(
                        [
                            html.Span(id="kiosk-asof", className="kiosk-asof"),
                            html.Span(id="kiosk-stale", className="kiosk-stale"),
                            html.Span(id="kiosk-date", className="kiosk-date"),
                            html.Span(id="kiosk-clock", className="kiosk-clock"),
                        ],
                        className="kiosk-status",
                    ),
                ],
                className="kiosk-header",
            ),
            html.Main(id=SCREEN_ID, className="kiosk-screen"),
        ],
        className="kiosk-page",
        id="kiosk-page",
    )
