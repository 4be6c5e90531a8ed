"""The kiosk display's one callback: the tick (``kiosk-`` ids only).

Every ``PULSE_KIOSK_TICK_SECONDS`` the display sends its token (the page's path) and
what it shows (the store: the dashboard, a signature of its layout and a digest per
widget). The tick

* authenticates the token (:func:`commands.kiosk.kiosk_screen`: known, not revoked;
  its org, dashboard and filters come from the token's row, never from the browser);
  a revoked token gets the "this display was disconnected" screen and the ticking stops;
* reloads the page when the server runs another version than the one that served it
  (after a deploy, once the new server answers and reaches its database);
* draws the whole screen when the dashboard changed (a playlist's next item, or an
  edit that moved widgets), else re-renders only the widgets whose data digest
  (:func:`dashboards.render.widget_data_key`, no query) changed and answers
  ``no_update`` for the rest: an unchanged tick gets an empty 204.

Widgets are drawn only from the token's dashboard: an id the page names that is not
on it gets nothing. Each draw is audited with the token's name; an unchanged tick
draws (reads) nothing and is not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from commands.kiosk import (
    KioskDisconnected,
    KioskScreen,
    kiosk_screen,
    record_kiosk_view,
    screen_digests,
)
from core.windows import zone
from dashboards import kiosk_page as kiosk_layout
from dashboards.render import render_widget
from server.origin import request_origin
from server.runtime import runtime

OUTPUTS = [
    Output(kiosk_layout.SCREEN_ID, "children"),
    Output({"type": "kiosk-widget", "index": ALL}, "children"),
    Output(kiosk_layout.STATE_ID, "data"),
    Output(kiosk_layout.TICK_ID, "interval"),
    Output(kiosk_layout.TICK_ID, "disabled"),
    Output("kiosk-title", "children"),
    Output("kiosk-position", "children"),
    Output("kiosk-asof", "children"),
    Output("kiosk-location", "href"),
]


def token_from_path(pathname: object) -> str | None:
    """The token of a ``/kiosk/<token>`` path, or ``None``."""
    if not isinstance(pathname, str):
        return None
    parts = pathname.strip("/").split("/")
    return parts[1] if len(parts) == 2 and parts[0] == "kiosk" else None


def layout_signature(screen: KioskScreen) -> str:
    """What the grid depends on: the widgets, their types, titles and positions."""
    cells = [
        [w.id, w.widget_type, w.title, w.position_x, w.position_y, w.width, w.height]
        for w in screen.widgets
    ]
    return hashlib.sha256(
        json.dumps([screen.dashboard.id, cells]).encode()
    ).hexdigest()[:16]


def as_of_label(timezone: str) -> str:
    """ "Data as of HH:MM": the minute the server last confirmed what is on screen is
    current, in the org's time zone (it stays put while the display is cut off)."""
    return f"Data as of {dt.datetime.now(zone(timezone)):%H:%M}"


def _answer(**changes: Any) -> list:
    """The outputs, in OUTPUTS order; each one not named is left as it is."""
    names = [
        "screen",
        "widgets",
        "state",
        "interval",
        "disabled",
        "title",
        "position",
        "asof",
        "href",
    ]
    return [changes.get(name, no_update) for name in names]


def tick(_n_intervals, pathname, state, shown_as_of):
    """Callback: keep the display current (see the module docstring)."""
    if not isinstance(pathname, str):
        raise PreventUpdate
    svc = runtime()
    state = state if isinstance(state, dict) else {}
    shown_ids = [output["id"]["index"] for output in ctx.outputs_list[1]]
    unchanged_widgets = [no_update] * len(shown_ids)
    try:
        screen = kiosk_screen(svc, token_from_path(pathname))
    except KioskDisconnected:
        return _answer(
            screen=kiosk_layout.disconnected(),
            widgets=unchanged_widgets,
            state={"version": svc.version, "disconnected": True},
            disabled=True,
            title="",
            position="",
            asof="",
        )
    if state.get("version") != svc.version:
        # A deploy, and the new server can reach its database (the token was just
        # checked there): reload once, on the new version.
        return _answer(
            widgets=unchanged_widgets, href=f"{pathname}?v={svc.version[:12]}"
        )
    origin = request_origin()
    tick_ms = int(svc.settings.kiosk_tick_seconds * 1000)
    signature = layout_signature(screen)
    as_of = as_of_label(screen.timezone)
    if (
        state.get("layout") != signature
        or sorted(shown_ids) != sorted(w.id for w in screen.widgets)
        or state.get("tick") != tick_ms
    ):
        digests = screen_digests(svc, screen)
        contents = {w.id: _render(svc, screen, w) for w in screen.widgets}
        record_kiosk_view(svc, screen, list(contents), **origin)
        return _answer(
            screen=kiosk_layout.screen(
                screen.widgets, contents, screen.timezone, tick_ms
            ),
            widgets=unchanged_widgets,
            state={
                "version": svc.version,
                "layout": signature,
                "tick": tick_ms,
                "digests": digests,
            },
            interval=tick_ms,
            disabled=False,
            title=screen.dashboard.name,
            position=(
                f"{screen.position + 1} / {screen.length}" if screen.length > 1 else ""
            ),
            asof=as_of,
        )
    shown = state.get("digests") if isinstance(state.get("digests"), dict) else {}
    by_id = {w.id: w for w in screen.widgets}
    now = screen_digests(svc, screen)
    updates, digests, drawn = [], dict(shown), []
    for widget_id in shown_ids:
        widget = by_id[widget_id]
        digest = now[str(widget_id)]
        if shown.get(str(widget_id)) == digest:
            updates.append(no_update)
            continue
        digests[str(widget_id)] = digest
        updates.append(_render(svc, screen, widget))
        drawn.append(widget_id)
    if drawn:
        record_kiosk_view(svc, screen, drawn, **origin)
    if not drawn and as_of == shown_as_of:
        raise PreventUpdate
    return _answer(
        widgets=updates,
        state={**state, "digests": digests} if drawn else no_update,
        asof=as_of if as_of != shown_as_of else no_update,
    )


def _render(svc, screen: KioskScreen, widget) -> object:
    return render_widget(
        widget,
        data=svc.data,
        org_id=screen.org_id,
        filters=screen.filters,
        theme="dark",
    )


def register(app: Dash) -> None:
    """Register the kiosk's callback on the kiosk app (and on nothing else)."""
    app.callback(
        *OUTPUTS,
        Input(kiosk_layout.TICK_ID, "n_intervals"),
        # An input, not a state: the location learns the path only once mounted.
        Input("kiosk-location", "pathname"),
        State(kiosk_layout.STATE_ID, "data"),
        State("kiosk-asof", "children"),
    )(tick)
