"""The synthetic generator both the demo seed and the benchmark org are built with.

A :class:`SyntheticOrg` writes one org from an :class:`~devdata.plan.OrgSpec`, step by
step, in the caller's session: the org row, its users, its planned campaigns, their
hourly facts (drawn by :mod:`devdata.facts`, written by :mod:`devdata.load`), the
rollups, the automation history and the platform health records. The steps draw from
the org's own two random streams in a fixed order, so equal seeds give equal data and
one org's data does not shift when another's content changes. The demo
(:mod:`devdata.demo`) and the benchmark (:mod:`devdata.bench`) differ only in the specs
they give it and in the steps they add around it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterable

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from core.models import (
    AutomationExecution,
    AutomationRule,
    CampaignTotals,
    MetricFactDaily,
    MetricFactDailyPlatform,
    MetricFactHourly,
    MetricFactHourlyPlatform,
    Org,
    PlatformApiCalls,
    PlatformError,
    PlatformSyncRun,
    User,
)
from devdata.facts import day_trend, draw_campaign_facts
from devdata.grid import HourGrid, local_date
from devdata.history import (
    automation_rules,
    execution_rows,
    platform_connections,
    platform_records,
)
from devdata.load import FactLoader, refresh_rollups
from devdata.plan import (
    CampaignPlan,
    OrgSpec,
    inject_anomalies,
    insert_campaigns,
    plan_campaigns,
)


def org_streams(seed: int, stream: int) -> tuple[random.Random, np.random.Generator]:
    """The org's two random streams: one for choices, one for numpy draws.

    Args:
        seed: the seed of the whole run.
        stream: the org's number within the run (0, 1, ...).
    """
    return random.Random(seed * 1000 + stream), np.random.default_rng([seed, stream])


def history_window(
    now: dt.datetime, days: int, timezone: str
) -> tuple[dt.date, dt.date]:
    """``(first, last)`` org-local day of ``days`` of history ending before ``now``."""
    first_hour = now - dt.timedelta(days=days)
    return (
        local_date(first_hour, timezone),
        local_date(now - dt.timedelta(hours=1), timezone),
    )


def delete_orgs(session: Session, slugs: Iterable[str]) -> None:
    """Delete the orgs with these slugs and everything they own.

    The big fact and rollup tables go first with one statement each; the org delete
    then cascades through the rest.
    """
    org_ids = session.scalars(select(Org.id).where(Org.slug.in_(list(slugs)))).all()
    if not org_ids:
        return
    for model in (
        MetricFactHourly,
        MetricFactDaily,
        MetricFactDailyPlatform,
        MetricFactHourlyPlatform,
        CampaignTotals,
        PlatformApiCalls,
    ):
        session.execute(delete(model).where(model.org_id.in_(org_ids)))
    session.execute(delete(Org).where(Org.id.in_(org_ids)))


class SyntheticOrg:
    """One org being generated in a session, from its spec.

    :meth:`create` writes the org row; then call the steps in this order (each uses
    what the previous ones wrote): optionally :meth:`add_users`, :meth:`add_campaigns`,
    :meth:`load_facts`, :meth:`refresh_rollups`, :meth:`add_automation`,
    :meth:`add_platform_health`. ``counts`` holds the rows written per table.
    """

    def __init__(
        self,
        session: Session,
        spec: OrgSpec,
        org: Org,
        *,
        seed: int,
        stream: int,
        days: int,
        now: dt.datetime,
    ) -> None:
        self.session = session
        self.spec = spec
        self.org = org
        self.days = days
        self.now = now
        self.pyrng, self.rng = org_streams(seed, stream)
        self.first_hour = now - dt.timedelta(days=days)
        self.grid = HourGrid.ending(now, days, spec.timezone)
        self.window_start, self.today = history_window(now, days, spec.timezone)
        self.plans: list[CampaignPlan] = []
        self.counts: dict[str, int] = {"orgs": 1}

    @classmethod
    def create(
        cls,
        session: Session,
        spec: OrgSpec,
        *,
        seed: int,
        stream: int,
        days: int,
        now: dt.datetime,
    ) -> SyntheticOrg:
        """Write the org row (created a month before its history starts).

        Args:
            session: an unscoped (schema owner) session; nothing is committed here.
            spec: the org to generate.
            seed: the seed of the whole run.
            stream: the org's number within the run, which picks its random streams.
            days: days of hourly history.
            now: the end of the history (naive UTC, on the hour): the last hour with
                facts is the one before it.
        """
        org = Org(
            name=spec.name,
            slug=spec.slug,
            timezone=spec.timezone,
            currency=spec.currency,
            allowed_recipient_domains=[f"{spec.slug}.example"],
            created_at=now - dt.timedelta(days=days + 30),
        )
        session.add(org)
        session.flush()
        return cls(session, spec, org, seed=seed, stream=stream, days=days, now=now)

    def add_users(self, password_hash: str) -> None:
        """Write the spec's users (``{role}@{slug}.example``), all with one password.

        Args:
            password_hash: the Argon2 hash of their password.
        """
        self.session.add_all(
            [
                User(
                    org_id=self.org.id,
                    email=f"{role}@{self.spec.slug}.example",
                    full_name=full_name,
                    password_hash=password_hash,
                    role=role,
                    is_active=True,
                    created_at=self.org.created_at,
                    last_login_at=None
                    if role == "viewer"
                    else self.now - dt.timedelta(hours=self.pyrng.randint(2, 72)),
                )
                for role, full_name in self.spec.users
            ]
        )
        self.counts["users"] = len(self.spec.users)

    def add_campaigns(self, count: int) -> list[CampaignPlan]:
        """Plan ``count`` campaigns (with a few injected anomalies) and write them."""
        self.plans = plan_campaigns(
            self.spec, count, self.today, self.window_start, self.pyrng, self.rng
        )
        inject_anomalies(self.plans, self.today, self.window_start, self.pyrng)
        insert_campaigns(self.session, self.org.id, self.plans)
        self.counts["campaigns"] = len(self.plans)
        return self.plans

    def load_facts(
        self, after_campaign: Callable[[FactLoader], None] | None = None
    ) -> FactLoader:
        """Draw and write every campaign's hourly facts.

        Args:
            after_campaign: called with the loader after each campaign, for progress.

        Returns:
            The loader, which counts the rows and the seconds spent writing them.
        """
        trend = day_trend(self.spec, self.grid, self.today)
        loader = FactLoader(self.session, self.grid, self.org.id)
        for plan in self.plans:
            facts = draw_campaign_facts(plan, self.spec, self.grid, trend, self.rng)
            if facts is not None and len(facts):
                loader.add(plan.id, facts)
            if after_campaign is not None:
                after_campaign(loader)
        loader.finish()
        self.counts["metric_facts_hourly"] = loader.rows
        return loader

    def refresh_rollups(self) -> int:
        """Build the org's rollups from its facts; returns the daily rollup rows."""
        self.counts["metric_facts_daily"] = refresh_rollups(self.session, self.org.id)
        return self.counts["metric_facts_daily"]

    def add_automation(self) -> None:
        """Write the org's automation rules and their execution history."""
        rules = [
            AutomationRule(org_id=self.org.id, created_at=self.first_hour, **rule)
            for rule in automation_rules(self.spec)
        ]
        self.session.add_all(rules)
        self.session.flush()
        executions = execution_rows(
            self.spec, self.org.id, rules, self.plans, self.now, self.days, self.pyrng
        )
        if executions:
            self.session.execute(insert(AutomationExecution.__table__), executions)
        self.counts["automation_rules"] = len(rules)
        self.counts["automation_executions"] = len(executions)

    def add_platform_health(self) -> None:
        """Write the platform connections with their sync, API-usage and error rows."""
        connections = platform_connections(
            self.spec,
            self.org.id,
            self.now,
            self.first_hour - dt.timedelta(days=14),
            self.pyrng,
        )
        self.session.add_all(connections.values())
        self.session.flush()
        sync_rows, call_rows, error_rows = platform_records(
            self.spec,
            self.org.id,
            connections,
            self.plans,
            self.now,
            self.days,
            self.rng,
            self.pyrng,
        )
        for model, batch in (
            (PlatformSyncRun, sync_rows),
            (PlatformApiCalls, call_rows),
            (PlatformError, error_rows),
        ):
            if batch:
                self.session.execute(insert(model.__table__), batch)
        self.session.flush()
        self.counts |= {
            "platform_connections": len(connections),
            "platform_sync_runs": len(sync_rows),
            "platform_api_calls": len(call_rows),
            "platform_errors": len(error_rows),
        }
