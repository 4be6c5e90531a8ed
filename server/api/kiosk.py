"""Kiosk displays in the JSON API: tokens and playlists. Signed-in admins only (a
viewer, an editor or an org API key gets 403), like the other admin routes.

=======  ================================  ============================================
GET      /api/v1/kiosk-tokens              the org's kiosk tokens (never the tokens
                                           themselves; ``limit``/``offset``)
POST     /api/v1/kiosk-tokens              ``{"name", "dashboard_id" | "playlist_id",
                                           "filters"?}``: 201 with the token and its
                                           display URL, shown this once
DELETE   /api/v1/kiosk-tokens/<id>         revoke it (its display disconnects at its
                                           next tick)
GET      /api/v1/playlists                 the org's playlists (``limit``/``offset``)
POST     /api/v1/playlists                 ``{"name", "items": [{"dashboard_id",
                                           "seconds"}, ...]}``: 201
PATCH    /api/v1/playlists/<id>            ``{"name"?, "items"?}``
DELETE   /api/v1/playlists/<id>            delete it and its tokens
=======  ================================  ============================================
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, request

from commands.kiosk import (
    create_kiosk_token,
    create_playlist,
    delete_playlist,
    list_kiosk_tokens,
    list_playlists,
    playlist_dict,
    revoke_kiosk_token,
    token_dict,
    update_playlist,
)
from server.api._core import (
    PAGE_ARGS,
    ApiError,
    authenticated,
    blueprint,
    json_body,
    page_of,
    refuse_unknown_args,
)
from server.runtime import runtime

TOKEN_FIELDS = ("name", "dashboard_id", "playlist_id", "filters")
PLAYLIST_FIELDS = ("name", "items")


def _object(allowed: tuple[str, ...], example: str) -> dict[str, Any]:
    """The body as a JSON object with only ``allowed`` keys (422 naming the others)."""
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object", [f"e.g. {example}"])
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise ApiError(
            422,
            f"unknown field(s): {', '.join(unknown)}",
            [f"{name}: expected one of {', '.join(allowed)}" for name in unknown],
        )
    return body


def display_url(token: str) -> str:
    """Where a display opens the token: this server's /kiosk/<token>."""
    return f"{request.host_url.rstrip('/')}/kiosk/{token}"


@blueprint.get("/kiosk-tokens")
@authenticated
def list_kiosk_tokens_route():
    refuse_unknown_args(PAGE_ARGS)
    rows = list_kiosk_tokens(runtime(), g.caller)
    return jsonify(page_of([token_dict(row) for row in rows], "kiosk_tokens"))


@blueprint.post("/kiosk-tokens")
@authenticated
def create_kiosk_token_route():
    refuse_unknown_args(())
    body = _object(TOKEN_FIELDS, '{"name": "Lobby", "dashboard_id": 3}')
    row, token = create_kiosk_token(
        runtime(),
        g.caller,
        body.get("name"),
        dashboard_id=body.get("dashboard_id"),
        playlist_id=body.get("playlist_id"),
        filters=body.get("filters"),
    )
    return jsonify({**token_dict(row), "token": token, "url": display_url(token)}), 201


@blueprint.delete("/kiosk-tokens/<id:token_id>")
@authenticated
def revoke_kiosk_token_route(token_id: int):
    refuse_unknown_args(())
    return jsonify(token_dict(revoke_kiosk_token(runtime(), g.caller, token_id)))


@blueprint.get("/playlists")
@authenticated
def list_playlists_route():
    refuse_unknown_args(PAGE_ARGS)
    rows = list_playlists(runtime(), g.caller)
    return jsonify(page_of([playlist_dict(row) for row in rows], "playlists"))


@blueprint.post("/playlists")
@authenticated
def create_playlist_route():
    refuse_unknown_args(())
    body = _object(
        PLAYLIST_FIELDS,
        '{"name": "Lobby", "items": [{"dashboard_id": 3, "seconds": 60}]}',
    )
    row = create_playlist(runtime(), g.caller, body.get("name"), body.get("items"))
    return jsonify(playlist_dict(row)), 201


@blueprint.patch("/playlists/<id:playlist_id>")
@authenticated
def update_playlist_route(playlist_id: int):
    refuse_unknown_args(())
    body = _object(PLAYLIST_FIELDS, '{"name": "Lobby"}')
    row = update_playlist(
        runtime(), g.caller, playlist_id, body.get("name"), body.get("items")
    )
    return jsonify(playlist_dict(row))


@blueprint.delete("/playlists/<id:playlist_id>")
@authenticated
def delete_playlist_route(playlist_id: int):
    refuse_unknown_args(())
    delete_playlist(runtime(), g.caller, playlist_id)
    return jsonify({"deleted": playlist_id})
