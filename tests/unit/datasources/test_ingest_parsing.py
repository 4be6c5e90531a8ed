"""Parsing and validating ingest files: every format, every row checked, nothing
guessed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core.filters import OrgContext
from datasources.ingest import (
    CampaignIndex,
    KnownCampaign,
    find_duplicates,
    load_file,
    read_csv,
    read_json,
    resolve_campaigns,
    validate_rows,
)

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"
ACME = OrgContext(1, "acme", "Acme Retail", "America/New_York", "USD")
NOW = dt.datetime(2026, 12, 1)
NATIVE_HEADER = (
    "campaign,platform,hour,country,spend,impressions,clicks,conversions,revenue\n"
)


def parse(data, fmt="native", org=ACME, **options):
    table = (
        read_json(data, fmt, **options)
        if isinstance(data, (list, dict))
        else read_csv(data, fmt, **options)
    )
    rows, errors = validate_rows(table, org, now=NOW, **options)
    return table, rows, errors


def example(name: str, fmt: str, org=ACME):
    table, rows, errors = parse(load_file(EXAMPLES / name), fmt, org)
    assert errors == []
    return table, rows


def cells(errors) -> set[tuple]:
    return {(e.row, e.field) for e in errors}


def test_native_csv_hours_with_offsets_land_on_utc_hours_and_org_local_days():
    _, rows = example("native.csv", "native")
    first = rows[0]
    assert first.row == 2  # line 1 is the header
    assert (first.hour_utc, first.local_date) == (
        dt.datetime(2026, 11, 23, 3),
        dt.date(2026, 11, 22),
    )
    # 00:00 EST is the next local day although the UTC date did not change.
    assert (rows[2].hour_utc, rows[2].local_date) == (
        dt.datetime(2026, 11, 23, 5),
        dt.date(2026, 11, 23),
    )
    # A "Z" hour at 03:00 UTC is still 22:00 of the previous day in New York.
    assert (rows[4].hour_utc, rows[4].local_date) == (
        dt.datetime(2026, 11, 23, 3),
        dt.date(2026, 11, 22),
    )
    assert [rows[i].country for i in (3, 5, 6)] == ["CAN", "USA", "GBR"]
    assert (
        rows[0].spend,
        rows[0].impressions,
        rows[0].clicks,
        rows[0].conversions,
        rows[0].revenue,
    ) == (152.40, 18250, 231, 6, 512.94)


def test_native_json_date_and_hour_are_read_in_the_org_time_zone():
    _, rows = example("native.json", "native")
    assert [r.row for r in rows] == [1, 2, 3, 4]
    assert rows[0].hour_utc == dt.datetime(2026, 11, 25, 1)  # 20:00 EST
    assert rows[0].local_date == dt.date(2026, 11, 24)
    assert rows[3].local_date == dt.date(2026, 11, 25)
    berlin = OrgContext(2, "globex", "Globex Travel", "Europe/Berlin", "USD")
    _, berlin_rows, _ = parse(load_file(EXAMPLES / "native.json"), org=berlin)
    assert berlin_rows[0].hour_utc == dt.datetime(2026, 11, 24, 19)  # 20:00 CET


def test_a_json_batch_may_mix_iso_hours_with_date_and_hour_of_day_rows():
    berlin = OrgContext(2, "globex", "Globex Travel", "Europe/Berlin", "EUR")
    metrics = {"spend": 1.5, "impressions": 10, "clicks": 1, "country": "DE"}
    batch = [
        # 20:00 in New York is 01:00 UTC and 02:00 in Berlin, the next day.
        {"campaign": "c1", "hour": "2024-11-30T20:00:00-05:00", **metrics},
        {"campaign": "c1", "date": "2024-11-30", "hour": 23, **metrics},
        {"campaign": "c1", "hour": "2024-12-01T00:00:00Z", **metrics},
        {"campaign": "c1", "date": "2024-12-01", "hour": "0", **metrics},
    ]
    table, rows, errors = parse(batch, org=berlin)
    assert errors == []
    assert [(r.row, r.hour_utc, r.local_date) for r in rows] == [
        (1, dt.datetime(2024, 12, 1, 1), dt.date(2024, 12, 1)),
        (2, dt.datetime(2024, 11, 30, 22), dt.date(2024, 11, 30)),
        (3, dt.datetime(2024, 12, 1, 0), dt.date(2024, 12, 1)),
        (4, dt.datetime(2024, 11, 30, 23), dt.date(2024, 12, 1)),
    ]

    bad = [
        *batch,
        {"campaign": "c1", "hour": "half past two", **metrics},
        {"campaign": "c1", "hour": 14, **metrics},
        {
            "campaign": "c1",
            "date": "2024-12-01",
            "hour": "2024-12-01T05:00Z",
            **metrics,
        },
    ]
    _, rows, errors = parse(bad, org=berlin)
    assert [r.row for r in rows] == [1, 2, 3, 4]
    assert [str(e) for e in errors] == [
        "row 5: hour: not an hour of day: 'half past two'; use 0-23",
        "row 6: date: is required",
        "row 7: hour: not an hour of day: '2024-12-01T05:00Z'; use 0-23",
    ]


def test_google_ads_export_skips_title_and_total_rows_and_reads_thousands_separators():
    table, rows = example("google_ads.csv", "google_ads")
    assert table.header_row == 3
    assert [r.row for r in rows] == [4, 5, 6, 7, 8, 9]  # the two Total rows are gone
    first = rows[0]
    assert (first.campaign, first.campaign_name, first.platform) == (
        "20481234567",
        "Search – Running Shoes",
        "google",
    )
    assert (first.spend, first.impressions, first.revenue) == (1204.56, 12480, 2310.75)
    assert (first.hour_utc, first.local_date) == (
        dt.datetime(2026, 11, 23, 3),  # 22:00 EST
        dt.date(2026, 11, 22),
    )
    assert rows[3].country == "CAN"  # "Canada", as Google writes it
    assert rows[4].spend == 0.0  # "--"
    assert rows[5].conversions == 2  # 2.33 attributed conversions, stored whole


def test_google_ads_utf16_tab_separated_excel_export_is_read_too():
    text = (EXAMPLES / "google_ads.csv").read_text(encoding="utf-8")
    import csv
    import io

    rewritten = io.StringIO()
    writer = csv.writer(rewritten, delimiter="\t")
    writer.writerows(csv.reader(io.StringIO(text)))
    _, rows, errors = parse(rewritten.getvalue().encode("utf-16"), "google_ads")
    assert errors == [] and len(rows) == 6 and rows[0].spend == 1204.56


def test_meta_export_reads_time_of_day_ranges_and_skips_the_summary_row():
    table, rows = example("meta_ads.csv", "meta_ads")
    assert [r.row for r in rows] == [3, 4, 5, 6]  # line 2 is Meta's summary row
    assert table.columns["clicks"] == "Link clicks"
    assert table.columns["conversions"] == "Purchases"
    assert [(r.hour_utc.hour, r.local_date.day) for r in rows] == [
        (3, 22),
        (4, 22),
        (5, 23),
        (6, 23),
    ]
    assert rows[3].clicks == 0  # Meta leaves zero cells blank
    assert all(r.platform == "meta" for r in rows)


def test_meta_spend_in_another_currency_than_the_org_is_refused():
    globex = OrgContext(2, "globex", "Globex Travel", "Europe/Berlin", "EUR")
    _, rows, errors = parse(load_file(EXAMPLES / "meta_ads.csv"), "meta_ads", globex)
    assert rows == []
    assert [(e.row, e.field) for e in errors] == [(1, "Amount spent (USD)")]
    assert "does not match the org's currency EUR" in errors[0].reason


def test_meta_time_of_day_must_be_one_hour_and_in_the_account_time_zone():
    header = (
        "Campaign name,Campaign ID,Day,Time of day (ad account time zone),Country,"
        "Amount spent (USD),Impressions,Link clicks\n"
    )
    _, _, errors = parse(
        header + "A,1,2024-09-01,00:00:00 - 01:59:59,US,1,10,1\n"
        "A,1,2024-09-01,24:00:00 - 24:59:59,US,1,10,1\n",
        "meta_ads",
    )
    assert cells(errors) == {
        (2, "Time of day (ad account time zone)"),
        (3, "Time of day (ad account time zone)"),
    }
    viewer = header.replace("ad account time zone", "viewer's time zone")
    _, _, errors = parse(
        viewer + "A,1,2024-09-01,00:00:00 - 00:59:59,US,1,10,1\n", "meta_ads"
    )
    assert any("ad account time zone" in e.reason for e in errors)


def test_meta_rows_spanning_several_days_need_the_day_breakdown():
    data = (
        "Reporting starts,Reporting ends,Campaign name,Time of day (ad account time "
        "zone),"
        "Country,Amount spent (USD),Impressions,Clicks (all)\n"
        "2024-09-01,2024-09-01,A,05:00:00 - 05:59:59,US,3,100,4\n"
        "2024-09-01,2024-09-07,A,06:00:00 - 06:59:59,US,3,100,4\n"
    )
    _, rows, errors = parse(data, "meta_ads")
    assert [r.local_date for r in rows] == [dt.date(2024, 9, 1)]
    assert cells(errors) == {(3, "Reporting ends")}


def test_every_bad_row_is_reported_with_its_line_and_column():
    data = (
        NATIVE_HEADER
        + "\n".join(
            [
                "A,meta,2024-09-01T10:00:00Z,US,1.5,100,3,1,9",  # line 2: fine
                "A,meta,2024-09-01T11:00:00Z,US,-1,100,3,1,9",  # 3: negative spend
                "A,meta,2024-09-01T12:00:00Z,US,1,10,30,1,9",  # 4: clicks > impressions
                "A,meta,2024-09-01T13:00:00Z,XX,1,100,3,1,9",  # 5: unknown country
                "A,myspace,2024-09-01T14:00:00Z,US,1,100,3,1,9",  # 6: unknown platform
                "A,meta,2024-09-01T15:30:00Z,US,1,100,3,1,9",  # 7: not on the hour
                "A,meta,yesterday,US,1,100,3,1,9",  # 8: not a time
                "A,meta,2030-01-01T00:00:00Z,US,1,100,3,1,9",  # 9: future
                "A,meta,2024-09-01T16:00:00Z,US,abc,100,3.5,1,",  # 10: three problems
                "A,meta,2024-09-01T17:00:00Z,US,nan,100,3,1,9",  # 11: not finite
            ]
        )
        + "\n"
    )
    _, rows, errors = parse(data)
    assert [r.row for r in rows] == [2]
    assert cells(errors) == {
        (3, "spend"),
        (4, "clicks"),
        (5, "country"),
        (6, "platform"),
        (7, "hour"),
        (8, "hour"),
        (9, "hour"),
        (10, "spend"),
        (10, "clicks"),
        (10, "revenue"),
        (11, "spend"),
    }
    reasons = {(e.row, e.field): e.reason for e in errors}
    assert reasons[(3, "spend")] == "must be ≥ 0 (got '-1')"
    assert reasons[(4, "clicks")] == "clicks (30) exceed impressions (10)"
    assert "unknown country 'XX'" in reasons[(5, "country")]
    assert "must be on the hour" in reasons[(7, "hour")]
    assert "in the future" in reasons[(9, "hour")]
    assert (
        reasons[(10, "clicks")] == "must be a whole number (got '3.5')"
        or "whole number" in reasons[(10, "clicks")]
    )
    assert reasons[(10, "revenue")] == "is empty; write 0 for none"
    assert (
        str(next(e for e in errors if e.row == 3))
        == "row 3: spend: must be ≥ 0 (got '-1')"
    )


def test_local_hours_skipped_by_daylight_saving_are_errors_and_repeated_ones_map_once():
    data = (
        "campaign,platform,date,hour,country,spend,impressions,clicks\n"
        "A,meta,2024-03-10,2,US,1,10,1\n"  # 02:00 does not exist in New York
        "A,meta,2024-11-03,1,US,1,10,1\n"  # 01:00 happens twice: the first (EDT)
        "A,meta,2024-09-01,24,US,1,10,1\n"
    )
    _, rows, errors = parse(data)
    assert [(e.row, e.field) for e in errors] == [(2, "hour"), (4, "hour")]
    assert "does not exist in America/New_York" in errors[0].reason
    assert rows[0].hour_utc == dt.datetime(2024, 11, 3, 5)


def test_missing_columns_are_named_before_any_row_is_read():
    _, rows, errors = parse("campaign,hour,spend\nA,2024-09-01T10:00:00Z,1\n")
    assert rows == []
    assert {e.field for e in errors} == {"header"}
    text = " ".join(e.reason for e in errors)
    assert "'impressions'" in text and "'clicks'" in text and "'country'" in text


def test_a_file_without_countries_needs_a_default_country():
    data = "Campaign,Day,Hour of day,Cost,Impr.,Clicks\nBrand,2024-09-01,5,12.5,100,4\n"
    _, _, errors = parse(data, "google_ads")
    assert "missing column" in errors[0].reason and "country" in errors[0].reason
    _, rows, errors = parse(data, "google_ads", default_country="DE")
    assert errors == [] and rows[0].country == "DEU"


def test_json_rows_must_be_a_list_of_objects():
    _, _, errors = parse({"rows": "nope"})
    assert errors[0].field == "rows"
    _, _, errors = parse({"rows": [1, {"campaign": "A"}]})
    assert (1, "row") in cells(errors)


def test_org_currency_is_enforced_per_row():
    data = (
        "Campaign,Day,Hour of day,Country/Territory (User location),Currency code,Cost,"
        "Impr.,Clicks\nBrand,2024-09-01,5,Germany,EUR,1,10,1\n"
        "Brand,2024-09-01,6,Germany,USD,1,10,1\n"
    )
    _, rows, errors = parse(data, "google_ads")
    assert cells(errors) == {(2, "Currency code")} and len(rows) == 1


# ------------------------------------------------------------------ campaign resolution
CAMPAIGNS = [
    KnownCampaign(10, "google", "20481234567", "Search – Running Shoes"),
    KnownCampaign(11, "meta", "2385000000001", "Autumn Sale – Prospecting"),
    KnownCampaign(12, "meta", "", "Twin"),
    KnownCampaign(13, "tiktok", "", "Twin"),
    KnownCampaign(14, "snapchat", "", "Same"),
    KnownCampaign(15, "snapchat", "", "same"),
]


def resolve(data, fmt="native", on_unknown="refuse"):
    table, rows, errors = parse(data, fmt)
    assert errors == []
    created, pending, errors = resolve_campaigns(
        rows, CampaignIndex(CAMPAIGNS), table, on_unknown
    )
    return table, rows, created, pending, errors + find_duplicates(rows, pending, table)


def test_campaigns_resolve_by_external_id_name_or_pulse_id():
    table, rows = example("google_ads.csv", "google_ads")
    created, _, errors = resolve_campaigns(
        rows, CampaignIndex(CAMPAIGNS), table, "create"
    )
    assert [r.campaign_id for r in rows[:4]] == [10, 10, 10, 10]
    assert [p.name for p in created.values()] == ["Shopping – Outdoor Gear"]
    plan = next(iter(created.values()))
    assert (plan.platform, plan.external_id, plan.start_date) == (
        "google",
        "20489876543",
        dt.date(2026, 11, 23),
    )
    assert errors == []
    data = (
        "campaign_id,campaign,platform,hour,country,spend,impressions,clicks\n"
        "11,,,2024-09-01T10:00:00Z,US,1,10,1\n"
        ",Twin,tiktok,2024-09-01T10:00:00Z,US,1,10,1\n"
    )
    _, rows, _, _, errors = resolve(data)
    assert errors == [] and [r.campaign_id for r in rows] == [11, 13]


def test_unknown_campaigns_are_refused_or_planned_for_creation():
    data = (
        NATIVE_HEADER + "Brand New,linkedin,2024-09-01T10:00:00Z,US,1,10,1,0,0\n"
        "Brand New,linkedin,2024-09-01T11:00:00Z,US,1,10,1,0,0\n"
    )
    _, _, created, _, errors = resolve(data, on_unknown="refuse")
    assert cells(errors) == {(2, "campaign"), (3, "campaign")} and created == {}
    assert "unknown campaign 'Brand New'" in errors[0].reason
    _, _, created, pending, errors = resolve(data, on_unknown="create")
    assert errors == [] and len(created) == 1 and set(pending) == {2, 3}
    no_platform = data.replace("linkedin", "")
    _, _, _, _, errors = resolve(no_platform, on_unknown="create")
    assert cells(errors) == {(2, "platform"), (3, "platform")}


def test_foreign_ids_ambiguous_names_platform_mismatches_and_duplicates_are_errors():
    data = (
        "campaign_id,campaign,platform,hour,country,spend,impressions,clicks\n"
        "999,,,2024-09-01T10:00:00Z,US,1,10,1\n"  # not this org's id
        ",Same,,2024-09-01T10:00:00Z,US,1,10,1\n"  # two campaigns named so
        "10,,meta,2024-09-01T11:00:00Z,US,1,10,1\n"  # campaign 10 is on google
        "10,,,2024-09-01T10:00:00Z,US,1,10,1\n"
        "10,,,2024-09-01T06:00:00-04:00,US,2,10,1\n"
    )  # the same hour again
    _, _, _, _, errors = resolve(data)
    assert cells(errors) == {
        (2, "campaign_id"),
        (3, "campaign"),
        (4, "platform"),
        (6, "hour"),
    }
    assert "row 5" in next(e.reason for e in errors if e.row == 6)
    # A name on another platform is another campaign (names repeat across platforms).
    _, _, _, _, errors = resolve(
        NATIVE_HEADER + "Search – Running Shoes,meta,"
        "2024-09-01T10:00:00Z,US,1,10,1,0,0\n"
    )
    assert cells(errors) == {(2, "campaign")}
