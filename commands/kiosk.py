"""Kiosk wall displays: playlists, kiosk tokens, and what a display may show.

Admins create, name, list and revoke kiosk tokens and build playlists (the JSON API
and the ``/kiosks`` page both call these functions). A token is scoped to exactly one
dashboard or one playlist, under the filters it was created with; it is shown once and
stored as a hash (:mod:`accounts.kiosk`).

A display (``/kiosk/<token>``) calls :func:`kiosk_screen` on every tick: the token is
checked (known, not revoked), and the answer is the dashboard it must show now (for a
playlist: the item whose turn it is on the wall clock, so every display of a playlist
shows the same dashboard) with its shared widgets and the token's filters, in the
token's org. Nothing the browser sends chooses the org, the dashboard or a widget.
A token opens no session: no other page, callback or API route accepts it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts import audit
from accounts import kiosk as kiosk_tokens
from accounts.permissions import Caller, Permission, require
from commands.access import record_read
from commands.context import CommandContext
from commands.errors import Invalid, NotFound
from core.filters import Filters, QueryError, filters_for_preset
from core.models import Dashboard, DashboardWidget, KioskToken, Playlist, utcnow
from core.reference import COUNTRIES, DATE_RANGE_CHOICES, PLATFORMS, parse_row_id
from dashboards import store as dashboard_store
from dashboards.render import widget_data_keys

# The role a display acts with in audit rows (it is nobody: ``user_id`` is empty).
KIOSK_ROLE = "kiosk"
MAX_NAME_LENGTH = 120
MAX_PLAYLIST_ITEMS = 50
# How long one playlist item stays on screen, in seconds.
MIN_ITEM_SECONDS, MAX_ITEM_SECONDS = 5, 24 * 3600
FILTER_KEYS = ("date_range", "platforms", "countries")
# A display records that it is alive at most this often (one UPDATE a minute, not
# one per tick).
LAST_SEEN_EVERY = dt.timedelta(minutes=1)
DOING = "manage kiosk displays"
# How long the digests of one dashboard under one set of filters are shared by every
# display showing it (each digest is a cache round trip; a thousand displays of one
# dashboard need them once, not a thousand times). A change of data reaches the
# screens at most this much later.
DIGESTS_SECONDS = 2
# How long a display's token (name, filters, dashboards) and each dashboard with its
# widgets are remembered in the shared cache (see kiosk_screen); what revoking writes
# there instead, and for how long (longer than anything remembered before).
TOKEN_SECONDS = 30
DASHBOARD_SECONDS = 5
REVOKED = "revoked"
REVOKED_MARK_SECONDS = 3600


class KioskDisconnected(NotFound):
    """The token is unknown or revoked (or its dashboard or playlist is gone): the
    display shows "this display was disconnected"."""

    kind = "kiosk token"

    def __init__(self, reason: str = "unknown or revoked kiosk token") -> None:
        super().__init__(reason)


class KioskTokenNotFound(NotFound):
    kind = "kiosk token"

    def __init__(self, token_id: object) -> None:
        super().__init__(f"no kiosk token {token_id} in your org")


class PlaylistNotFound(NotFound):
    kind = "playlist"

    def __init__(self, playlist_id: object) -> None:
        super().__init__(f"no playlist {playlist_id} in your org")


# ------------------------------------------------------------------- shapes
def token_dict(row: KioskToken) -> dict[str, Any]:
    """A kiosk token as admins see it (never the token itself, which is not stored)."""
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "dashboard_id": row.dashboard_id,
        "playlist_id": row.playlist_id,
        "filters": row.filters or {},
        "created_by": row.created_by,
        "created_at": _iso(row.created_at),
        "revoked_at": _iso(row.revoked_at),
        "last_seen_at": _iso(row.last_seen_at),
    }


def playlist_dict(row: Playlist) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "items": row.items or [],
        "created_by": row.created_by,
        "created_at": _iso(row.created_at),
    }


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.replace(tzinfo=dt.UTC).isoformat()


# --------------------------------------------------------------- validation
def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("name: a name is required", ["name: a non-empty text is needed"])
    if len(value.strip()) > MAX_NAME_LENGTH:
        raise Invalid(
            f"name: at most {MAX_NAME_LENGTH} characters",
            [f"name: {len(value.strip())} characters is too long"],
        )
    return value.strip()


def _dashboard(session: Session, value: Any, where: str) -> Dashboard:
    dashboard_id = parse_row_id(value)
    dashboard = None
    if dashboard_id is not None:
        dashboard = dashboard_store.get_dashboard(session, dashboard_id)
    if dashboard is None:
        raise Invalid(
            f"{where}: no such dashboard",
            [f"{where}: no dashboard {value!r} in your org"],
        )
    return dashboard


def _items(session: Session, value: Any) -> list[dict[str, int]]:
    """A playlist's items, checked: 1..MAX_PLAYLIST_ITEMS of ``{"dashboard_id",
    "seconds"}``, each dashboard one of the org's."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_PLAYLIST_ITEMS:
        raise Invalid(
            "items: a list of 1 to 50 dashboards is needed",
            ['items: e.g. [{"dashboard_id": 3, "seconds": 60}]'],
        )
    items, problems = [], []
    for index, item in enumerate(value):
        where = f"items[{index}]"
        if not isinstance(item, dict) or set(item) - {"dashboard_id", "seconds"}:
            problems.append(f"{where}: expected {{'dashboard_id', 'seconds'}} only")
            continue
        seconds = item.get("seconds")
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int)
            or not MIN_ITEM_SECONDS <= seconds <= MAX_ITEM_SECONDS
        ):
            problems.append(
                f"{where}.seconds: a whole number from {MIN_ITEM_SECONDS} to "
                f"{MAX_ITEM_SECONDS} is needed"
            )
            continue
        try:
            dashboard = _dashboard(session, item.get("dashboard_id"), where)
        except Invalid as exc:
            problems.extend(exc.details)
            continue
        items.append({"dashboard_id": dashboard.id, "seconds": seconds})
    if problems:
        raise Invalid("invalid playlist items", problems)
    return items


def _filters(value: Any) -> dict[str, Any]:
    """A token's fixed filters: ``date_range`` (a preset of the filter bar),
    ``platforms`` and ``countries``; empty means each dashboard's defaults."""
    if value is None:
        return {}
    if not isinstance(value, dict) or set(value) - set(FILTER_KEYS):
        got = sorted(set(value) - set(FILTER_KEYS)) if isinstance(value, dict) else ""
        raise Invalid(
            "filters: unknown filter(s)",
            [f"filters: expected only {', '.join(FILTER_KEYS)}; got {got!r}"],
        )
    problems = []
    date_range = value.get("date_range")
    if date_range is not None and date_range not in DATE_RANGE_CHOICES:
        problems.append(
            f"filters.date_range: {date_range!r} is not one of "
            f"{', '.join(DATE_RANGE_CHOICES)}"
        )
    for key, known in (("platforms", PLATFORMS), ("countries", COUNTRIES.values())):
        chosen = value.get(key, [])
        if not isinstance(chosen, list) or any(c not in known for c in chosen):
            problems.append(f"filters.{key}: unknown code(s) in {chosen!r}")
    if problems:
        raise Invalid("invalid filters", problems)
    return {k: value[k] for k in FILTER_KEYS if value.get(k) not in (None, [])}


# ------------------------------------------------------------------ playlists
def list_playlists(context: CommandContext, caller: Caller) -> list[Playlist]:
    require(caller, Permission.ADMINISTER, DOING)
    with context.db.session(caller.org_id) as session:
        return list(session.scalars(select(Playlist).order_by(Playlist.name)))


def create_playlist(
    context: CommandContext, caller: Caller, name: Any, items: Any
) -> Playlist:
    """Create a playlist: ``items`` is an ordered list of ``{"dashboard_id",
    "seconds"}``. Audited.

    Raises:
        PermissionDenied: not an admin.
        Invalid: a missing name, or items that are not the org's dashboards with a
            duration of MIN_ITEM_SECONDS to MAX_ITEM_SECONDS.
    """
    require(caller, Permission.ADMINISTER, DOING)
    with context.db.session(caller.org_id) as session:
        row = Playlist(
            org_id=caller.org_id,
            name=_name(name),
            items=_items(session, items),
            created_by=caller.user_id,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            "create",
            "kiosk_playlist",
            row.id,
            caller=caller,
            details={"name": row.name, "items": row.items},
        )
    return row


def update_playlist(
    context: CommandContext,
    caller: Caller,
    playlist_id: int,
    name: Any = None,
    items: Any = None,
) -> Playlist:
    """Rename a playlist or replace its items (displays follow at their next tick).

    Raises:
        PermissionDenied, PlaylistNotFound, Invalid.
    """
    require(caller, Permission.ADMINISTER, DOING)
    with context.db.session(caller.org_id) as session:
        row = _playlist(session, playlist_id)
        before = playlist_dict(row)
        if name is not None:
            row.name = _name(name)
        if items is not None:
            row.items = _items(session, items)
        audit.record(
            session,
            "update",
            "kiosk_playlist",
            row.id,
            caller=caller,
            details={
                "before": {"name": before["name"], "items": before["items"]},
                "after": {"name": row.name, "items": row.items},
            },
        )
        showing = _tokens_of(session, row.id)
    _forget_tokens(context, showing, mark=False)
    return row


def delete_playlist(context: CommandContext, caller: Caller, playlist_id: int) -> None:
    """Delete a playlist; the tokens that showed it are deleted with it (their
    displays are disconnected at their next tick). Audited."""
    require(caller, Permission.ADMINISTER, DOING)
    with context.db.session(caller.org_id) as session:
        row = _playlist(session, playlist_id)
        showing = _tokens_of(session, row.id)
        audit.record(
            session,
            "delete",
            "kiosk_playlist",
            row.id,
            caller=caller,
            details={"name": row.name},
        )
        session.delete(row)
    _forget_tokens(context, showing, mark=True)


def _tokens_of(session: Session, playlist_id: int) -> list[int]:
    return list(
        session.scalars(
            select(KioskToken.id).where(KioskToken.playlist_id == playlist_id)
        )
    )


def _playlist(session: Session, playlist_id: Any) -> Playlist:
    pk = parse_row_id(playlist_id)
    row = (
        None
        if pk is None
        else session.scalars(select(Playlist).where(Playlist.id == pk)).one_or_none()
    )
    if row is None:
        raise PlaylistNotFound(playlist_id)
    return row


# --------------------------------------------------------------------- tokens
def list_kiosk_tokens(context: CommandContext, caller: Caller) -> list[KioskToken]:
    require(caller, Permission.ADMINISTER, DOING)
    with context.db.session(caller.org_id) as session:
        return list(session.scalars(select(KioskToken).order_by(KioskToken.id)))


def create_kiosk_token(
    context: CommandContext,
    caller: Caller,
    name: Any,
    *,
    dashboard_id: Any = None,
    playlist_id: Any = None,
    filters: Any = None,
) -> tuple[KioskToken, str]:
    """Create a token for one dashboard or one playlist of the caller's org (exactly
    one of them) under ``filters``. Audited with its name and prefix.

    Returns:
        The row and the token itself, which is shown once and stored only as a hash.

    Raises:
        PermissionDenied: not an admin.
        Invalid: no name, not exactly one target, a target not in the org, bad
            filters.
    """
    require(caller, Permission.ADMINISTER, DOING)
    if (dashboard_id is None) == (playlist_id is None):
        raise Invalid(
            "a kiosk token shows one dashboard or one playlist",
            ["give exactly one of dashboard_id and playlist_id"],
        )
    plain = kiosk_tokens.new_token()
    with context.db.session(caller.org_id) as session:
        row = KioskToken(
            org_id=caller.org_id,
            name=_name(name),
            prefix=plain[: kiosk_tokens.SHOWN_PREFIX_LENGTH],
            token_hash=kiosk_tokens.hash_token(plain),
            filters=_filters(filters),
            created_by=caller.user_id,
        )
        if dashboard_id is not None:
            row.dashboard_id = _dashboard(session, dashboard_id, "dashboard_id").id
        else:
            try:
                row.playlist_id = _playlist(session, playlist_id).id
            except PlaylistNotFound:
                raise Invalid(
                    "playlist_id: no such playlist",
                    [f"playlist_id: no playlist {playlist_id!r} in your org"],
                ) from None
        session.add(row)
        session.flush()
        audit.record(
            session,
            "create",
            "kiosk_token",
            row.id,
            caller=caller,
            details={
                "name": row.name,
                "prefix": row.prefix,
                "dashboard_id": row.dashboard_id,
                "playlist_id": row.playlist_id,
                "filters": row.filters,
            },
        )
    return row, plain


def revoke_kiosk_token(
    context: CommandContext, caller: Caller, token_id: Any
) -> KioskToken:
    """Revoke a token: its display shows "this display was disconnected" at its next
    tick (every tick looks the token up in the database). Audited; revoking twice
    changes nothing.

    Raises:
        PermissionDenied, KioskTokenNotFound.
    """
    require(caller, Permission.ADMINISTER, DOING)
    pk = parse_row_id(token_id)
    with context.db.session(caller.org_id) as session:
        row = (
            None
            if pk is None
            else session.scalars(
                select(KioskToken).where(KioskToken.id == pk)
            ).one_or_none()
        )
        if row is None:
            raise KioskTokenNotFound(token_id)
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            audit.record(
                session,
                "revoke",
                "kiosk_token",
                row.id,
                caller=caller,
                details={"name": row.name, "prefix": row.prefix},
            )
    _forget_tokens(context, [row.id], mark=True)
    return row


# -------------------------------------------------------------------- display
@dataclass(frozen=True)
class KioskScreen:
    """What a display must show now: one dashboard of the token's target."""

    token_id: int
    token_name: str
    org_id: int
    timezone: str
    dashboard: Dashboard
    widgets: list[DashboardWidget]
    filters: Filters
    # Which playlist item this is (0 of 1 for a single dashboard).
    position: int
    length: int

    def caller(self, address: str | None, user_agent: str | None) -> Caller:
        """The display as the audit trail sees it: nobody, from its address."""
        return Caller(
            self.org_id, None, KIOSK_ROLE, address=address, user_agent=user_agent
        )


def playlist_position(items: list[dict], now: float) -> int:
    """Which item of a playlist is on screen at epoch second ``now``: the items take
    turns for their ``seconds`` each, counted from the epoch, so every display of a
    playlist shows the same dashboard at the same time."""
    total = sum(int(item["seconds"]) for item in items)
    offset = int(now) % total
    for index, item in enumerate(items):
        offset -= int(item["seconds"])
        if offset < 0:
            return index
    return len(items) - 1


def kiosk_screen(
    context: CommandContext, token: object, now: float | None = None
) -> KioskScreen:
    """The dashboard the display of ``token`` shows at ``now`` (epoch seconds).

    A display asks every few seconds, so what it needs is remembered in the shared
    cache: its token's name, filters and dashboards for TOKEN_SECONDS (revoking,
    deleting its playlist or changing the playlist replaces or removes that entry
    once committed), each dashboard with its widgets for DASHBOARD_SECONDS (an edit
    shows within those seconds, and a database that stops answering shows as an
    outage within them). A cache that cannot be read is a miss: the database
    answers.

    Raises:
        KioskDisconnected: unknown or revoked token, or nothing left to show (its
            dashboard or every dashboard of its playlist was deleted).
    """
    if not isinstance(token, str):
        raise KioskDisconnected()
    identity = kiosk_tokens.cached_org_for_token(context.db, context.data.cache, token)
    if identity is None:
        raise KioskDisconnected()
    org_id, token_id = identity
    snapshot = _token_snapshot(context, org_id, token_id)
    items = list(snapshot["items"])
    shown = None
    while items and shown is None:
        position = playlist_position(items, now or time.time())
        shown = _dashboard_snapshot(context, org_id, items[position]["dashboard_id"])
        if shown is None:
            # A dashboard deleted since: the others take its turns.
            del items[position]
    if shown is None:
        raise KioskDisconnected("nothing to show: its dashboards were deleted")
    dashboard, widgets = shown
    org = context.data.org_context(org_id)
    token_filters = snapshot["filters"]
    defaults = dashboard.default_filters or {}
    date_range = token_filters.get("date_range", defaults.get("date_range"))
    try:
        filters = filters_for_preset(
            date_range if date_range in DATE_RANGE_CHOICES else None,
            token_filters.get("platforms", defaults.get("platforms")),
            org.timezone,
            token_filters.get("countries"),
        )
    except QueryError:
        filters = Filters()
    return KioskScreen(
        token_id=token_id,
        token_name=snapshot["name"],
        org_id=org_id,
        timezone=org.timezone,
        dashboard=dashboard,
        widgets=widgets,
        filters=filters,
        position=position,
        length=len(items),
    )


def _token_key(token_id: int) -> str:
    return f"kiosktokenrow:{int(token_id)}"


def _token_snapshot(context: CommandContext, org_id: int, token_id: int) -> dict:
    """The token's name, filters and items (one item for a single dashboard): from
    the cache, else from its row (which must be there and not revoked)."""
    cache = context.data.cache
    remembered = cache.get(_token_key(token_id))
    if remembered == REVOKED:
        raise KioskDisconnected()
    if isinstance(remembered, dict):
        return remembered
    with context.db.session(org_id) as session:
        row = session.scalars(
            select(KioskToken).where(KioskToken.id == token_id)
        ).one_or_none()
        if row is None or row.revoked_at is not None:
            raise KioskDisconnected()
        if row.dashboard_id is not None:
            items = [{"dashboard_id": row.dashboard_id, "seconds": MIN_ITEM_SECONDS}]
        else:
            playlist = session.scalars(
                select(Playlist).where(Playlist.id == row.playlist_id)
            ).one_or_none()
            items = list((playlist.items if playlist else None) or [])
        seen = utcnow()
        if row.last_seen_at is None or seen - row.last_seen_at >= LAST_SEEN_EVERY:
            row.last_seen_at = seen
        snapshot = {
            "name": row.name,
            "filters": dict(row.filters or {}),
            "items": items,
        }
    # `add`, not `set`: a REVOKED mark written since the read above stays.
    cache.add(_token_key(token_id), snapshot, timeout=TOKEN_SECONDS)
    return snapshot


def _columns(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def _dashboard_snapshot(
    context: CommandContext, org_id: int, dashboard_id: int
) -> tuple[Dashboard, list[DashboardWidget]] | None:
    """The org's dashboard and its shared widgets in grid order (detached copies),
    from the cache for DASHBOARD_SECONDS, else from the database; ``None`` when the
    dashboard is gone."""
    cache = context.data.cache
    key = f"kioskdashboard:{int(org_id)}:{int(dashboard_id)}"
    remembered = cache.get(key)
    if not isinstance(remembered, dict):
        with context.db.session(org_id) as session:
            dashboard = dashboard_store.get_dashboard(session, dashboard_id)
            if dashboard is None:
                return None
            widgets = dashboard_store.visible_widgets(session, dashboard.id, None)
            remembered = {
                "dashboard": _columns(dashboard),
                "widgets": [_columns(w) for w in widgets],
            }
        cache.set(key, remembered, timeout=DASHBOARD_SECONDS)
    return (
        Dashboard(**remembered["dashboard"]),
        [DashboardWidget(**w) for w in remembered["widgets"]],
    )


def _forget_tokens(context: CommandContext, token_ids: list[int], mark: bool) -> None:
    """After a commit: mark tokens REVOKED in the shared cache (revoked or deleted),
    or forget what it remembers of them (their playlist changed)."""
    data = getattr(context, "data", None)
    if data is None:  # a tool without a query cache: it remembers nothing
        return
    for token_id in token_ids:
        if mark:
            data.cache.set(_token_key(token_id), REVOKED, timeout=REVOKED_MARK_SECONDS)
        else:
            data.cache.delete(_token_key(token_id))


def screen_digests(context: CommandContext, screen: KioskScreen) -> dict[str, str]:
    """Each widget's data digest (:func:`dashboards.render.widget_data_key`, no
    query), by widget id: what the display compares with what it shows. Shared for
    DIGESTS_SECONDS by the displays showing the same widgets under the same filters."""
    widgets = [[w.id, str(w.updated_at)] for w in screen.widgets]
    shared = hashlib.sha256(
        json.dumps(
            [screen.dashboard.id, widgets, screen.filters.cache_key()], default=str
        ).encode()
    ).hexdigest()[:32]
    cache_key = f"kioskdigests:{screen.org_id}:{shared}"
    cached = context.data.cache.get(cache_key)
    if isinstance(cached, dict) and len(cached) == len(screen.widgets):
        return cached
    digests = widget_data_keys(
        screen.widgets, data=context.data, org_id=screen.org_id, filters=screen.filters
    )
    context.data.cache.set(cache_key, digests, timeout=DIGESTS_SECONDS)
    return digests


def record_kiosk_view(
    context: CommandContext,
    screen: KioskScreen,
    widget_ids: list[int],
    *,
    address: str | None = None,
    user_agent: str | None = None,
) -> None:
    """Audit what a display put on screen (``read`` of the dashboard, with the token's
    name and the widgets drawn); an unchanged tick draws nothing and is not a read."""
    record_read(
        context,
        screen.caller(address, user_agent),
        "dashboard",
        screen.dashboard.id,
        {
            "kiosk_token": screen.token_name,
            "kiosk_token_id": screen.token_id,
            "widgets": widget_ids,
        },
    )
