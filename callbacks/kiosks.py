"""The kiosk displays page: create and revoke display links, create and delete
playlists. Thin adapters over :mod:`commands.kiosk`, which checks the caller is an
admin and works only in their org (ids in the page's menus and buttons are hints).
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Dash, Input, Output, State, ctx, html, no_update
from flask import request
from flask_login import current_user

from accounts.permissions import PermissionDenied
from commands.dashboards import list_dashboards
from commands.errors import CommandError
from commands.kiosk import (
    create_kiosk_token,
    create_playlist,
    delete_playlist,
    list_kiosk_tokens,
    list_playlists,
    revoke_kiosk_token,
)
from server.runtime import runtime


def _when(value) -> str:
    return "—" if value is None else f"{value:%Y-%m-%d %H:%M} UTC"


def tokens_table(
    rows, dashboards: dict[int, str], playlists: dict[int, str]
) -> dbc.Table | html.P:
    if not rows:
        return html.P("No display links yet.", className="text-muted small")
    body = []
    for row in reversed(rows):
        shows = (
            f"dashboard “{dashboards.get(row.dashboard_id, row.dashboard_id)}”"
            if row.dashboard_id is not None
            else f"playlist “{playlists.get(row.playlist_id, row.playlist_id)}”"
        )
        status = (
            html.Span("revoked", className="text-muted")
            if row.revoked_at
            else dbc.Button(
                "Revoke",
                id={"type": "kiosks-revoke", "index": row.id},
                color="danger",
                outline=True,
                size="sm",
            )
        )
        body.append(
            html.Tr(
                [
                    html.Td(row.name),
                    html.Td(html.Code(f"{row.prefix}…")),
                    html.Td(shows),
                    html.Td(_when(row.created_at)),
                    html.Td(_when(row.last_seen_at)),
                    html.Td(status),
                ],
                className="kiosks-token-row",
            )
        )
    header = html.Thead(
        html.Tr(
            [html.Th(h) for h in ("Name", "Link", "Shows", "Created", "Last seen", "")]
        )
    )
    return dbc.Table([header, html.Tbody(body)], size="sm", hover=True)


def playlists_table(rows) -> dbc.Table | html.P:
    if not rows:
        return html.P("No playlists yet.", className="text-muted small")
    body = [
        html.Tr(
            [
                html.Td(row.name),
                html.Td(
                    ", ".join(
                        f"dashboard {i['dashboard_id']} ({i['seconds']} s)"
                        for i in row.items
                    )
                ),
                html.Td(
                    dbc.Button(
                        "Delete",
                        id={"type": "kiosks-playlist-delete", "index": row.id},
                        color="danger",
                        outline=True,
                        size="sm",
                    )
                ),
            ],
            className="kiosks-playlist-row",
        )
        for row in rows
    ]
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th("Name"), html.Th("Dashboards"), html.Th("")])),
            html.Tbody(body),
        ],
        size="sm",
    )


def _clicked() -> bool:
    """Whether a button really was clicked (not a table redrawn with new buttons)."""
    return any(t.get("value") for t in ctx.triggered)


def tokens(_create, _revoke, name, target, date_range, platforms):
    """Callback: create a link or revoke one, then list the links."""
    if not current_user.is_authenticated:
        return no_update, no_update
    svc, caller = runtime(), current_user.caller
    message: object = no_update
    try:
        if ctx.triggered_id == "kiosks-token-create" and _clicked():
            kind, _, target_id = str(target or "").partition(":")
            filters = {
                k: v
                for k, v in {"date_range": date_range, "platforms": platforms}.items()
                if v
            }
            _, token = create_kiosk_token(
                svc,
                caller,
                name,
                dashboard_id=target_id if kind == "dashboard" else None,
                playlist_id=target_id if kind == "playlist" else None,
                filters=filters,
            )
            url = f"{request.host_url.rstrip('/')}/kiosk/{token}"
            message = dbc.Alert(
                [
                    html.Div("Open this link on the display. It is shown only now:"),
                    html.Code(url, id="kiosks-token-url"),
                ],
                color="success",
                className="mt-2 mb-0",
            )
        elif isinstance(ctx.triggered_id, dict) and _clicked():
            revoke_kiosk_token(svc, caller, ctx.triggered_id["index"])
        rows = list_kiosk_tokens(svc, caller)
        playlists = {p.id: p.name for p in list_playlists(svc, caller)}
        dashboards = {d.id: d.name for d, _ in list_dashboards(svc, caller)}
    except PermissionDenied as exc:
        return dbc.Alert(exc.message, color="info"), no_update
    except CommandError as exc:
        details = getattr(exc, "details", [str(exc)])
        return no_update, dbc.Alert(
            "; ".join(details), color="danger", className="mt-2 mb-0"
        )
    return tokens_table(rows, dashboards, playlists), message


def playlists(_create, _delete, name, dashboard_ids, seconds):
    """Callback: create or delete a playlist, then list the playlists."""
    if not current_user.is_authenticated:
        return no_update, no_update
    svc, caller = runtime(), current_user.caller
    message: object = no_update
    try:
        if ctx.triggered_id == "kiosks-playlist-create" and _clicked():
            each = int(seconds) if isinstance(seconds, (int, float)) else 0
            create_playlist(
                svc,
                caller,
                name,
                [{"dashboard_id": d, "seconds": each} for d in dashboard_ids or []],
            )
            message = dbc.Alert(
                "Playlist created: pick it under “Shows” for a new link (after "
                "reloading the page).",
                color="success",
                className="mt-2 mb-0",
            )
        elif isinstance(ctx.triggered_id, dict) and _clicked():
            delete_playlist(svc, caller, ctx.triggered_id["index"])
        rows = list_playlists(svc, caller)
    except PermissionDenied as exc:
        return dbc.Alert(exc.message, color="info"), no_update
    except CommandError as exc:
        details = getattr(exc, "details", [str(exc)])
        return no_update, dbc.Alert(
            "; ".join(details), color="danger", className="mt-2 mb-0"
        )
    return playlists_table(rows), message


def register(app: Dash) -> None:
    app.callback(
        Output("kiosks-tokens", "children"),
        Output("kiosks-token-created", "children"),
        Input("kiosks-token-create", "n_clicks"),
        Input({"type": "kiosks-revoke", "index": ALL}, "n_clicks"),
        State("kiosks-token-name", "value"),
        State("kiosks-token-target", "value"),
        State("kiosks-token-date-range", "value"),
        State("kiosks-token-platforms", "value"),
    )(tokens)
    app.callback(
        Output("kiosks-playlists", "children"),
        Output("kiosks-playlist-message", "children"),
        Input("kiosks-playlist-create", "n_clicks"),
        Input({"type": "kiosks-playlist-delete", "index": ALL}, "n_clicks"),
        State("kiosks-playlist-name", "value"),
        State("kiosks-playlist-dashboards", "value"),
        State("kiosks-playlist-seconds", "value"),
    )(playlists)
