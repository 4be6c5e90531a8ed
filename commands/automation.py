"""Running an org's automation rules (the scheduler's job, every 15 minutes).

The rule engine (:mod:`automation.rules`) decides what to do; it changes campaigns
through :func:`commands.campaigns.update_campaign`, handed to it here, so every pause
and budget change is validated and audited like a person's. The org's cached figures
are made stale afterwards.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from alerts.delivery import deliver_rule_notifications
from automation.rules import evaluate_rules
from commands.campaigns import update_campaign
from commands.context import CommandContext
from core.settings import Settings


def run_automation_rules(
    context: CommandContext,
    org_id: int,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Evaluate the org's active rules and apply the actions whose condition holds;
    then deliver the ``notify`` actions' notifications through the alert channels
    (:func:`alerts.delivery.deliver_rule_notifications`).

    Args:
        context: the database and query cache.
        org_id: the org whose rules run.
        now: the evaluation time (naive means UTC); defaults to now.
        settings: the channels' settings; without them ``notify`` executions stay
            ``delivery: pending`` (recorded, not sent).

    Returns:
        The summary of :func:`automation.rules.evaluate_rules`, with ``notified``
        and ``notify_failed`` counts.
    """
    org = context.data.org_context(org_id)
    with context.db.session(org_id) as session:
        summary = evaluate_rules(session, org, now, change_campaign=update_campaign)
    context.data.invalidate_org(org_id)
    executions = summary.pop("notify_executions", [])
    if settings is not None and executions:
        summary.update(
            deliver_rule_notifications(context.db, settings, org_id, executions)
        )
    return summary
