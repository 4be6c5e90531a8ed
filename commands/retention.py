"""An org's retention settings, and the daily purge that applies them.

Admins (the API's ``PATCH /api/v1/org/retention``) and operators (``pulse retention
set``) change how many days the org keeps its raw hourly facts, its audit rows and its
job runs; each change is validated (every message names its field) and audited with
the values before and after. The ``retention`` job calls :func:`apply_retention` for
each org every day: it deletes what is older (:func:`datasources.retention.
purge_expired`), and records the counts and cut-offs in an audit row (and, through the
job runner, in the run's ``job_runs`` summary). The rollups are never purged: see
:mod:`datasources.retention` for why the figures stay exact.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select

from accounts import audit
from accounts.permissions import Caller, Permission, require
from commands.context import CommandContext
from commands.errors import Invalid
from core.errors import validation_messages
from core.models import Org
from datasources.retention import (
    AUDIT_RETENTION_FLOOR_DAYS,
    JOB_RUNS_RETENTION_FLOOR_DAYS,
    RAW_RETENTION_FLOOR_DAYS,
    RETENTION_CEILING_DAYS,
    purge_expired,
)

# Field of the settings -> column of ``orgs``.
COLUMNS = {
    "raw_days": "retention_raw_days",
    "audit_days": "retention_audit_days",
    "job_runs_days": "retention_job_runs_days",
}


class RetentionChange(BaseModel):
    """New retention periods in days; give at least one.

    ``raw_days`` has a floor of :data:`RAW_RETENTION_FLOOR_DAYS`: automation rules
    read hour windows (and the window before) from the raw facts.
    """

    model_config = ConfigDict(extra="forbid")

    raw_days: int | None = Field(
        None, ge=RAW_RETENTION_FLOOR_DAYS, le=RETENTION_CEILING_DAYS
    )
    audit_days: int | None = Field(
        None, ge=AUDIT_RETENTION_FLOOR_DAYS, le=RETENTION_CEILING_DAYS
    )
    job_runs_days: int | None = Field(
        None, ge=JOB_RUNS_RETENTION_FLOOR_DAYS, le=RETENTION_CEILING_DAYS
    )

    @model_validator(mode="after")
    def _something(self) -> RetentionChange:
        given = {k for k in self.model_fields_set if getattr(self, k) is not None}
        if not given:
            raise ValueError("give at least one of raw_days, audit_days, job_runs_days")
        return self


def retention_dict(org: Org) -> dict[str, Any]:
    """The org's retention settings as the API and the CLI show them."""
    return {
        "raw_days": org.retention_raw_days,
        "audit_days": org.retention_audit_days,
        "job_runs_days": org.retention_job_runs_days,
        "raw_purged_before": org.raw_purged_before.isoformat()
        if org.raw_purged_before
        else None,
        "floors": {
            "raw_days": RAW_RETENTION_FLOOR_DAYS,
            "audit_days": AUDIT_RETENTION_FLOOR_DAYS,
            "job_runs_days": JOB_RUNS_RETENTION_FLOOR_DAYS,
        },
    }


def get_retention(context: CommandContext, caller: Caller) -> dict[str, Any]:
    """The caller's org's retention settings.

    Raises:
        PermissionDenied: the caller is not an admin.
    """
    require(caller, Permission.ADMINISTER, "see the retention settings")
    with context.db.session(caller.org_id) as session:
        return retention_dict(_org(session, caller.org_id))


def set_retention(
    context: CommandContext, caller: Caller, change: RetentionChange | dict[str, Any]
) -> dict[str, Any]:
    """Change the caller's org's retention settings, audited (before and after).

    Lowering ``raw_days`` takes effect at the next ``retention`` run (and at once for
    ingest, which refuses rows older than the horizon).

    Returns:
        The settings after the change (:func:`retention_dict`).

    Raises:
        PermissionDenied: the caller is not an admin.
        Invalid: a value is out of range or unknown; ``details`` names each field.
    """
    require(caller, Permission.ADMINISTER, "change the retention settings")
    if not isinstance(change, RetentionChange):
        try:
            change = RetentionChange.model_validate(change)
        except ValidationError as exc:
            details = validation_messages(exc)
            raise Invalid(details[0], details) from None
    fields = [k for k in COLUMNS if getattr(change, k) is not None]
    with context.db.session(caller.org_id) as session:
        org = _org(session, caller.org_id)
        before = {k: getattr(org, COLUMNS[k]) for k in fields}
        for k in fields:
            setattr(org, COLUMNS[k], getattr(change, k))
        audit.record(
            session,
            "update",
            "retention",
            org.id,
            caller=caller,
            details={
                "before": before,
                "after": {k: getattr(change, k) for k in fields},
            },
        )
        return retention_dict(org)


def apply_retention(
    context: CommandContext,
    org_id: int,
    now: dt.datetime | None = None,
    session_lifetime: dt.timedelta | None = None,
) -> dict[str, Any]:
    """Purge the org's expired hourly facts, audit rows and job runs, and the rows of
    sign-in sessions over ``session_lifetime`` (the daily ``retention`` job), and
    audit what was removed in the same transaction.

    Returns:
        The purge's summary: ``removed`` (rows per table), ``cutoffs`` and
        ``retention_days`` (see :func:`datasources.retention.purge_expired`).
    """
    with context.db.session(org_id) as session:
        summary = purge_expired(session, org_id, now, session_lifetime)
        audit.record(session, "purge", "retention", org_id, details=summary)
    if summary["removed"]["metric_facts_hourly"]:
        # Hour-level views filtered by campaign or country lose the purged hours.
        context.data.invalidate_org(org_id)
    return summary


def _org(session, org_id: int) -> Org:
    return session.scalars(select(Org).where(Org.id == org_id)).one()
