"""Ingesting a batch of campaign facts: sent by a caller (the API's ``POST /ingest``)
or a file an operator loads (``pulse ingest``).

:func:`datasources.ingest.ingest` parses, validates and writes the batch all or
nothing; here the caller is authorized first and the org's cached figures are made
stale when the batch changed anything.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from accounts.permissions import Caller, Permission, require
from commands.alerts import run_alerts_after_ingest
from commands.context import CommandContext
from core.db import Database
from core.settings import Settings
from datasources.cache import invalidate_shared_cache
from datasources.ingest import UnknownCampaigns, ingest, load_file

log = logging.getLogger(__name__)


def authorize_ingest(caller: Caller) -> None:
    """Refuse a caller who may not ingest facts; the API asks this before it reads a
    body of up to 32 MiB, and :func:`ingest_facts` asks it again.

    Raises:
        PermissionDenied: the caller's role may not ingest facts.
    """
    require(caller, Permission.EDIT, "ingest facts")


def ingest_facts(
    context: CommandContext,
    caller: Caller,
    payload: bytes | str | list | dict,
    *,
    fmt: str = "native",
    on_unknown_campaign: UnknownCampaigns = "refuse",
    default_country: str | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Ingest one batch of facts for the caller's org, recorded as theirs; the org's
    alerts are evaluated right after the batch commits.

    Args:
        context: the database and query cache.
        caller: who sends it (a person or an org API key); needs
            :attr:`Permission.EDIT`.
        payload: CSV text/bytes or JSON rows.
        fmt: the file format (see :mod:`datasources.ingest`).
        on_unknown_campaign: ``create`` or ``refuse`` rows naming unknown campaigns.
        default_country: the country of every row when the data has none.
        settings: the deployment's settings, to send the alert notifications at once
            (without them the scheduler's next ``alerts`` run sends them).

    Returns:
        The committed batch's summary (see :func:`datasources.ingest.ingest`).

    Raises:
        PermissionDenied: the caller may not ingest facts.
        IngestRejected: the batch was refused as a whole; nothing was written.
    """
    authorize_ingest(caller)
    result = ingest(
        context.db,
        caller.org_id,
        payload,
        fmt=fmt,
        source="api",
        on_unknown_campaign=on_unknown_campaign,
        default_country=default_country,
        user_id=caller.user_id,
        api_key_id=caller.api_key_id,
        caller=caller,
    )
    if result["rows_written"]:
        # Before the cache is made stale: the dashboards show the firing alerts.
        run_alerts_after_ingest(context.db, settings, caller.org_id)
    if result["rows_written"] or result["campaigns_created"]:
        context.data.invalidate_org(caller.org_id)
    return result


def ingest_file(
    db: Database,
    org_id: int,
    path: Path,
    settings: Settings,
    *,
    fmt: str = "native",
    on_unknown_campaign: UnknownCampaigns = "refuse",
    default_country: str | None = None,
) -> tuple[dict[str, Any], str]:
    """Ingest a file for an org as an operator (``pulse ingest``), then make the org's
    figures stale in the deployment's shared cache so running servers show them.

    Args:
        db: the schema owner's database.
        org_id: the org the file is for.
        path: a ``.csv`` or ``.json`` file.
        settings: the deployment's settings (they name its cache).
        fmt: the file format (see :mod:`datasources.ingest`).
        on_unknown_campaign: ``create`` or ``refuse`` rows naming unknown campaigns.
        default_country: the country of every row when the file has none.

    Returns:
        The committed batch's summary, and what was done to the cache (a cache that
        cannot be reached is reported, not raised: the batch is committed).

    Raises:
        IngestRejected: the batch was refused as a whole; nothing was written.
        OSError, ValueError: the file cannot be read.
    """
    result = ingest(
        db,
        org_id,
        load_file(path),
        fmt=fmt,
        source="cli",
        on_unknown_campaign=on_unknown_campaign,
        default_country=default_country,
    )
    if not result["rows_written"]:
        return result, "nothing changed"
    run_alerts_after_ingest(db, settings, org_id)
    try:
        note = invalidate_shared_cache(db, org_id, settings)
    except Exception as exc:  # noqa: BLE001 - the data is committed; say what to do
        log.warning("org %s: cache not invalidated after an ingest: %s", org_id, exc)
        note = f"cache NOT invalidated ({exc}); dashboards refresh at their TTL"
    return result, note
