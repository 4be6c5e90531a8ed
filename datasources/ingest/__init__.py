"""Live ingestion of campaign facts (``pulse ingest FILE --org SLUG``, the API's
``POST /api/v1/ingest``).

A batch (one file or one API request) is parsed, every row is validated, campaigns are
resolved inside the org, and then either *everything* is written in one transaction or
*nothing* is: any bad row rejects the batch, the rejection is recorded as an
``IngestBatch`` (status ``rejected``, with the per-row report) and
:class:`IngestRejected` carries that report to the caller.

Writing is an upsert on (campaign, UTC hour, country): the newest report of an hour
replaces the stored one, so re-sending a file changes nothing and never double counts.
Rows whose values are unchanged are not rewritten (``rows_written`` counts inserted or
changed rows). In the same transaction the daily (and weekly ``week_start``) rollup is
rebuilt for exactly the touched (campaign, org-local day)s, the org's
``AnalyticsRefresh`` window is widened to the touched days, and a ``committed``
``IngestBatch`` is recorded. Callers that hold a ``QueryCache`` invalidate the org's
cache after the commit (the API does; the CLI does it for a shared cache).

The package: :mod:`~datasources.ingest.pipeline` (validation, campaigns, the
all-or-nothing write), :mod:`~datasources.ingest.formats` (the format registry and the
CSV/JSON readers), ``_rows`` (the row model and error reports), ``_campaigns``, and one
module per format, each registered by name: :mod:`~datasources.ingest.native`,
:mod:`~datasources.ingest.google_ads`, :mod:`~datasources.ingest.meta_ads`.

Each format's module says which columns it reads; the ``columns`` of its class are
the mapping itself (header names are matched case-insensitively, and the first listed
alternative that is present wins).

Details:

* Countries may be ISO 3166 alpha-2 (``US``), alpha-3 (``USA``) or English names
  (``United States``, as Google writes them); they are stored as alpha-3.
  ``ZZ``/``Unknown`` becomes ``ZZZ`` (unknown country). A file without a country
  column needs ``default_country`` (CLI ``--country``, API ``country=``).
* Numbers may carry thousands separators (``1,234.56``). In platform exports a blank,
  ``--`` or ``—`` cell is 0 and fractional conversions (Google's attribution models)
  are rounded to whole conversions, which is what the fact table stores; in ``native``
  a metric cell must not be empty and counts must be whole numbers.
* Google's report title and date-range lines above the header and its ``Total: ...``
  rows are skipped; a UTF-16, tab-separated "Excel" export is read too. Meta summary
  rows (no campaign name and no id) are skipped.
* Platform reports are in the ad account's time zone, which must be the org's.
  Local hours that do not exist (the spring-forward hour) are errors; the repeated
  fall-back hour maps to its first occurrence.
* Checks per row: known platform, known country, valid time on the hour and not in the
  future, hour of day 0-23, non-negative finite numbers, clicks ≤ impressions, currency
  equal to the org's, a known campaign of the org (or one that may be created), and no
  second row for the same campaign, hour and country.
* A ``native`` batch may mix ``hour`` as an ISO date-time with ``date`` + ``hour`` of
  day: a row without a ``date`` whose ``hour`` is a date-time is that instant.
* A campaign to create that has an external id is upserted on (org, platform,
  external id), the unique key of campaigns: a batch that finds it made meanwhile by
  another creator uses it (and does not list it in ``campaigns_created``).
* Row numbers in error reports are the file's line numbers (the header is line 1 of a
  plain CSV) or the 1-based position in a JSON ``rows`` array.
"""

# The format modules register themselves on import; FORMATS is read from the registry
# once they all have.
from datasources.ingest import formats, google_ads, meta_ads, native
from datasources.ingest._campaigns import (
    CampaignIndex,
    KnownCampaign,
    NewCampaign,
    UnknownCampaigns,
    find_duplicates,
    resolve_campaigns,
)
from datasources.ingest._rows import FactRow, IngestRejected, ParsedRow, RowError
from datasources.ingest.formats import FileFormat, Table, read_csv, read_json
from datasources.ingest.pipeline import ingest, load_file, validate_rows

FORMATS: tuple[str, ...] = formats.names()

__all__ = [
    "FORMATS",
    "CampaignIndex",
    "FactRow",
    "FileFormat",
    "IngestRejected",
    "KnownCampaign",
    "NewCampaign",
    "ParsedRow",
    "RowError",
    "Table",
    "UnknownCampaigns",
    "find_duplicates",
    "google_ads",
    "ingest",
    "load_file",
    "meta_ads",
    "native",
    "read_csv",
    "read_json",
    "resolve_campaigns",
    "validate_rows",
]
