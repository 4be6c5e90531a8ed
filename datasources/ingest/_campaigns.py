"""Which campaign each row of a batch is about: found in the org, or to be created."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from datasources.ingest._rows import FieldError, ParsedRow, RowError
from datasources.ingest.formats import Table

UnknownCampaigns = Literal["create", "refuse"]


@dataclass(frozen=True)
class KnownCampaign:
    id: int
    platform: str
    external_id: str
    name: str


@dataclass
class NewCampaign:
    """A campaign to create for rows that name an unknown one."""

    platform: str
    external_id: str
    name: str
    start_date: dt.date
    id: int | None = None


class CampaignIndex:
    """Look campaigns of one org up by Pulse id, external id or name."""

    def __init__(self, campaigns: Iterable[KnownCampaign]) -> None:
        self.by_id: dict[int, KnownCampaign] = {}
        self.by_external: dict[str, list[KnownCampaign]] = defaultdict(list)
        self.by_name: dict[str, list[KnownCampaign]] = defaultdict(list)
        for campaign in campaigns:
            self.by_id[campaign.id] = campaign
            if campaign.external_id:
                self.by_external[campaign.external_id].append(campaign)
            self.by_name[campaign.name.casefold()].append(campaign)

    def find(self, row: ParsedRow) -> KnownCampaign | None:
        """The campaign a row names, ``None`` if unknown.

        Raises:
            FieldError: the id is not the org's, the name is ambiguous, or the platform
                differs from the campaign's.
        """
        if row.campaign_id is not None:
            found = self.by_id.get(row.campaign_id)
            if found is None:
                raise FieldError(
                    "campaign_id", f"no campaign with id {row.campaign_id} in this org"
                )
            return self._check_platform(found, row)
        lookups = (
            (self.by_external, row.campaign, "external id"),
            (self.by_name, row.campaign_name, "name"),
            (self.by_name, row.campaign, "name"),
        )
        for index, value, kind in lookups:
            if value is None:
                continue
            key = value if kind == "external id" else value.casefold()
            matches = [
                c
                for c in index.get(key, ())
                if row.platform is None or c.platform == row.platform
            ]
            if len(matches) > 1:
                raise FieldError(
                    "campaign",
                    f"{len(matches)} campaigns have the {kind} "
                    f"{value!r}; name the campaign by campaign_id",
                )
            if matches:
                return self._check_platform(matches[0], row)
        return None

    @staticmethod
    def _check_platform(campaign: KnownCampaign, row: ParsedRow) -> KnownCampaign:
        if row.platform is not None and row.platform != campaign.platform:
            raise FieldError(
                "platform",
                f"campaign {campaign.name!r} runs on "
                f"{campaign.platform}, not {row.platform}",
            )
        return campaign


def resolve_campaigns(
    rows: list[ParsedRow],
    index: CampaignIndex,
    table: Table,
    on_unknown: UnknownCampaigns,
) -> tuple[dict[tuple, NewCampaign], dict[int, tuple], list[RowError]]:
    """Attach campaign ids to rows; plan campaigns to create; report the rest.

    Returns:
        ``(new campaigns by key, {row number: key of its new campaign}, errors)``;
        rows of known campaigns get ``campaign_id`` set in place.
    """
    errors: list[RowError] = []
    created: dict[tuple, NewCampaign] = {}
    pending: dict[int, tuple] = {}
    memo: dict[tuple, KnownCampaign | None | FieldError] = {}
    for row in rows:
        key = (row.campaign_id, row.campaign, row.campaign_name, row.platform)
        if key not in memo:
            try:
                memo[key] = index.find(row)
            except FieldError as exc:
                memo[key] = exc
        found = memo[key]
        if isinstance(found, FieldError):
            errors.append(
                RowError(row.row, table.label(found.field_name), found.reason)
            )
        elif found is not None:
            row.campaign_id = found.id
        elif on_unknown == "refuse":
            label = row.campaign or row.campaign_name
            errors.append(
                RowError(
                    row.row,
                    table.label("campaign" if row.campaign else "campaign_name"),
                    f"unknown campaign {label!r} in this org; create it first "
                    "or ingest with unknown campaigns = create",
                )
            )
        elif row.platform is None:
            errors.append(
                RowError(
                    row.row,
                    table.label("platform"),
                    f"is required to create campaign "
                    f"{row.campaign or row.campaign_name!r}",
                )
            )
        else:
            new_key = (row.platform, row.campaign, row.campaign_name)
            plan = created.get(new_key)
            if plan is None:
                external = (
                    row.campaign
                    if (row.campaign_name or table.format.exports)
                    else None
                )
                plan = created[new_key] = NewCampaign(
                    row.platform,
                    external or "",
                    row.campaign_name or row.campaign or "",
                    row.local_date,
                )
            plan.start_date = min(plan.start_date, row.local_date)
            pending[row.row] = new_key
    return created, pending, errors


def find_duplicates(
    rows: list[ParsedRow], pending: dict[int, tuple], table: Table
) -> list[RowError]:
    """Rows that repeat an earlier row's (campaign, hour, country)."""
    seen: dict[tuple, int] = {}
    errors = []
    for row in rows:
        campaign = (
            row.campaign_id if row.campaign_id is not None else pending.get(row.row)
        )
        if campaign is None:
            continue  # its campaign is already reported as unknown
        key = (campaign, row.hour_utc, row.country)
        first = seen.setdefault(key, row.row)
        if first != row.row:
            errors.append(
                RowError(
                    row.row,
                    table.label("hour" if "hour" in table.columns else "hour_of_day"),
                    f"same campaign, hour ({row.hour_utc:%Y-%m-%d %H:00} UTC) "
                    f"and country as row {first}",
                )
            )
    return errors
