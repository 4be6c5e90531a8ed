"""Ingestion end to end on real SQLite and PostgreSQL: library, HTTP API and CLI.

Each engine gets its own freshly seeded database (module scope), because these tests
write facts; the shared demo databases stay untouched. Every number is checked against
an independent SQL sum over the raw hourly facts.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import CliRunner
from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.exc import IntegrityError

from accounts.apikeys import create_key
from cli.main import pulse
from core.db import Database
from core.windows import DateWindow, org_today
from datasources.ingest import IngestRejected, ingest, load_file, pipeline
from tests.conftest import (
    ROOT,
    PostgresDatabase,
    login,
    make_settings,
    org_id,
    seed_small_demo,
    sqlite_url,
)
from tests.figures import utc_bounds

EXAMPLES = ROOT / "docs" / "examples"
NY = "America/New_York"
METRICS = ("impressions", "clicks", "conversions", "spend", "revenue")
NATIVE_HEADER = (
    "campaign,platform,hour,country,spend,impressions,clicks,conversions,revenue\n"
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fresh(request, tmp_path_factory, seed_now):
    """A newly seeded database of our own per engine: ``{"admin", "app", "engine"}``."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("ingest-sqlite"))
        seed_small_demo(url, seed_now)
        yield {"admin": url, "app": url, "engine": "sqlite"}
        return
    database = PostgresDatabase(request.getfixturevalue("postgres_admin_url"))
    try:
        seed_small_demo(database.admin_url, seed_now)
        yield {
            "admin": database.admin_url,
            "app": database.app_url,
            "engine": "postgresql",
        }
    finally:
        database.drop()


@pytest.fixture
def admin(fresh):
    db = Database(fresh["admin"])
    yield db
    db.dispose()


@pytest.fixture
def app_db(fresh):
    """The app role's database (RLS-bound on PostgreSQL): ingestion runs with it."""
    db = Database(fresh["app"])
    yield db
    db.dispose()


@pytest.fixture
def acme(admin) -> int:
    return org_id(admin, "acme")


# ------------------------------------------------------------------- independent SQL
def scalar(db: Database, sql: str, **params):
    """One value; datetimes are bound as DateTime so SQLite compares its stored text
    form."""
    statement = text(sql).bindparams(
        *(
            bindparam(k, type_=DateTime())
            for k, v in params.items()
            if isinstance(v, dt.datetime)
        )
    )
    with db.engine.connect() as connection:
        return connection.execute(statement, params).scalar()


def hourly_sums(
    db: Database,
    org: int,
    start: dt.datetime,
    end: dt.datetime,
    campaign_names: tuple[str, ...] | None = None,
) -> dict[str, float]:
    """Sums of the raw hourly facts of an org in [start, end) UTC."""
    sql = (
        "SELECT "
        + ", ".join(f"COALESCE(SUM(f.{m}), 0)" for m in METRICS)
        + " FROM metric_facts_hourly f JOIN campaigns c ON c.id = f.campaign_id"
        " WHERE f.org_id = :org AND f.hour_utc >= :start AND f.hour_utc < :end"
    )
    params = {"org": org, "start": start, "end": end}
    if campaign_names:
        sql += (
            " AND c.name IN ("
            + ", ".join(f":n{i}" for i in range(len(campaign_names)))
            + ")"
        )
        params |= {f"n{i}": name for i, name in enumerate(campaign_names)}
    with db.engine.connect() as connection:
        row = connection.execute(text(sql), params).one()
    return dict(zip(METRICS, map(float, row), strict=True))


def rollup_sums(db: Database, org: int, day: dt.date) -> dict[str, float]:
    sql = (
        "SELECT "
        + ", ".join(f"COALESCE(SUM({m}), 0)" for m in METRICS)
        + " FROM metric_facts_daily WHERE org_id = :org AND day = :day"
    )
    with db.engine.connect() as connection:
        row = connection.execute(text(sql), {"org": org, "day": day}).one()
    return dict(zip(METRICS, map(float, row), strict=True))


def assert_rollup_matches_hourly(db: Database, org: int, days: list[str]) -> None:
    """The daily rollup of each org-local day equals the hourly facts inside that day's
    UTC bounds (computed from the time zone, not from the stored local_date)."""
    for iso in days:
        day = dt.date.fromisoformat(iso)
        start, end = utc_bounds(DateWindow(day, day), NY)
        expected = hourly_sums(db, org, start, end)
        assert rollup_sums(db, org, day) == pytest.approx(
            expected, rel=1e-12, abs=1e-9
        ), iso


def facts_count(db: Database, org: int) -> int:
    return scalar(
        db, "SELECT COUNT(*) FROM metric_facts_hourly WHERE org_id = :o", o=org
    )


EXAMPLE_WEEK = (dt.datetime(2026, 11, 21), dt.datetime(2026, 11, 27))


# --------------------------------------------------------------------------- library
def test_native_file_lands_on_org_local_days_and_the_rollup_matches_hourly_facts(
    app_db, admin, acme
):
    result = ingest(
        app_db,
        acme,
        load_file(EXAMPLES / "native.csv"),
        on_unknown_campaign="create",
        source="cli",
    )
    assert result["status"] == "committed"
    assert (result["rows_received"], result["rows_written"]) == (7, 7)
    # 22:00 and 23:00 EDT on Sep 1 are Sep 2 in UTC but stay on the org's Sep 1.
    assert result["days_touched"] == ["2026-11-22", "2026-11-23"]
    assert sorted(c["name"] for c in result["campaigns_created"]) == [
        "Autumn Sale – Prospecting",
        "Brand Search – Autumn",
    ]
    assert_rollup_matches_hourly(admin, acme, result["days_touched"])
    sums = hourly_sums(admin, acme, *EXAMPLE_WEEK, ("Autumn Sale – Prospecting",))
    assert sums["spend"] == pytest.approx(152.40 + 98.15 + 41.70 + 12.30)
    local_day = scalar(
        admin,
        "SELECT f.local_date FROM metric_facts_hourly f JOIN campaigns c "
        "ON c.id = f.campaign_id WHERE c.name = 'Brand Search – Autumn' "
        "AND f.hour_utc = :h",
        h=dt.datetime(2026, 11, 23, 4),
    )
    assert str(local_day) == "2026-11-22"
    weeks = {
        str(d): str(w)
        for d, w in admin.engine.connect().execute(
            text(
                "SELECT day, week_start FROM metric_facts_daily WHERE org_id = :o AND "
                "day IN "
                "('2026-11-22', '2026-11-23')"
            ),
            {"o": acme},
        )
    }
    assert weeks == {"2026-11-22": "2026-11-16", "2026-11-23": "2026-11-23"}  # Sun; Mon
    refresh = (
        admin.engine.connect()
        .execute(
            text(
                "SELECT first_day, last_day FROM analytics_refresh_queue WHERE org_id "
                "= :o"
            ),
            {"o": acme},
        )
        .one()
    )
    assert (
        str(refresh.first_day) <= "2026-11-22" and str(refresh.last_day) >= "2026-11-23"
    )
    batch = (
        admin.engine.connect()
        .execute(
            text(
                "SELECT status, source, format, rows_received, rows_written FROM "
                "ingest_batches "
                "WHERE id = :i"
            ),
            {"i": result["batch_id"]},
        )
        .one()
    )
    assert tuple(batch) == ("committed", "cli", "native", 7, 7)


def test_resending_a_file_changes_nothing_and_a_corrected_row_replaces_the_old_one(
    app_db, admin, acme
):
    data = load_file(EXAMPLES / "native.json")
    ingest(app_db, acme, data, on_unknown_campaign="create")
    names = ("Autumn Sale – Retargeting",)
    before = hourly_sums(admin, acme, *EXAMPLE_WEEK, names)
    count = facts_count(admin, acme)
    again = ingest(app_db, acme, data)
    assert (again["rows_written"], again["rows_unchanged"]) == (0, 4)
    assert hourly_sums(admin, acme, *EXAMPLE_WEEK, names) == before
    assert facts_count(admin, acme) == count
    assert before["spend"] == pytest.approx(55.10 + 61.75 + 9.80 + 18.40)
    data["rows"][0]["spend"] = 60.10
    corrected = ingest(app_db, acme, data)
    assert corrected["rows_written"] == 1
    after = hourly_sums(admin, acme, *EXAMPLE_WEEK, names)
    assert after["spend"] == pytest.approx(before["spend"] + 5.0)
    assert facts_count(admin, acme) == count
    assert_rollup_matches_hourly(admin, acme, ["2026-11-24", "2026-11-25"])


def test_google_and_meta_exports_are_ingested_with_their_own_columns(
    app_db, admin, acme
):
    google = ingest(
        app_db,
        acme,
        load_file(EXAMPLES / "google_ads.csv"),
        fmt="google_ads",
        on_unknown_campaign="create",
    )
    meta = ingest(
        app_db,
        acme,
        load_file(EXAMPLES / "meta_ads.csv"),
        fmt="meta_ads",
        on_unknown_campaign="create",
    )
    assert (google["rows_received"], meta["rows_received"]) == (6, 4)
    assert {c["platform"] for c in google["campaigns_created"]} == {"google"}
    assert meta["campaigns_created"][0]["external_id"] == "23851234567890123"
    shoes = hourly_sums(admin, acme, *EXAMPLE_WEEK, ("Search – Running Shoes",))
    assert shoes["spend"] == pytest.approx(1204.56 + 880.10 + 410.00 + 95.25)
    assert shoes["impressions"] == 12480 + 9215 + 4870 + 1120
    lookalike = hourly_sums(admin, acme, *EXAMPLE_WEEK, ("Autumn Sale – Lookalike",))
    assert (lookalike["clicks"], lookalike["conversions"]) == (
        81 + 66 + 42,
        3 + 2 + 2 + 1,
    )
    # "23:00:00 - 23:59:59" on Nov 22 in New York (EST) is 04:00 UTC on Nov 23.
    assert scalar(
        admin,
        "SELECT f.spend FROM metric_facts_hourly f JOIN campaigns c ON "
        "c.id = f.campaign_id WHERE c.name = 'Autumn Sale – Lookalike' AND "
        "f.hour_utc = :h",
        h=dt.datetime(2026, 11, 23, 4),
    ) == pytest.approx(47.90)
    assert_rollup_matches_hourly(admin, acme, ["2026-11-22", "2026-11-23"])


def test_a_batch_with_one_bad_row_writes_nothing_and_is_recorded_as_rejected(
    app_db, admin, acme
):
    campaigns = scalar(
        admin, "SELECT COUNT(*) FROM campaigns WHERE org_id = :o", o=acme
    )
    count = facts_count(admin, acme)
    data = NATIVE_HEADER + (
        "Never Written,meta,2024-08-01T10:00:00Z,US,10,100,5,1,20\n"
        "Never Written,meta,2024-08-01T11:00:00Z,US,-3,100,500,1,20\n"
        "Never Written,meta,2024-08-01T12:00:00Z,Atlantis,1,100,5,1,20\n"
    )
    with pytest.raises(IngestRejected) as rejected:
        ingest(app_db, acme, data, on_unknown_campaign="create")
    report = rejected.value.report()
    assert {(e["row"], e["field"]) for e in report} == {
        (3, "spend"),
        (3, "clicks"),
        (4, "country"),
    }
    assert facts_count(admin, acme) == count
    assert (
        scalar(admin, "SELECT COUNT(*) FROM campaigns WHERE org_id = :o", o=acme)
        == campaigns
    )
    batch = (
        admin.engine.connect()
        .execute(
            text(
                "SELECT status, rows_received, rows_written, errors FROM "
                "ingest_batches WHERE id = :i"
            ),
            {"i": rejected.value.batch_id},
        )
        .one()
    )
    assert (batch.status, batch.rows_received, batch.rows_written) == ("rejected", 3, 0)
    errors = (
        batch.errors if isinstance(batch.errors, list) else json.loads(batch.errors)
    )
    assert {
        "row": 4,
        "field": "country",
        "reason": "unknown country 'Atlantis'; use an ISO 3166 code such as US or DE",
    } in errors


def test_unknown_campaigns_are_refused_unless_creation_is_asked_for(
    app_db, admin, acme
):
    data = (
        NATIVE_HEADER + "Webinar Push,linkedin,2024-08-02T15:00:00Z,CA,40,900,12,2,0\n"
    )
    with pytest.raises(IngestRejected) as refused:
        ingest(app_db, acme, data)
    assert refused.value.report()[0]["field"] == "campaign"
    assert "unknown campaign 'Webinar Push'" in refused.value.report()[0]["reason"]
    created = ingest(app_db, acme, data, on_unknown_campaign="create")
    new = created["campaigns_created"][0]
    assert (new["name"], new["platform"]) == ("Webinar Push", "linkedin")
    row = (
        admin.engine.connect()
        .execute(
            text("SELECT org_id, platform, start_date FROM campaigns WHERE id = :i"),
            {"i": new["id"]},
        )
        .one()
    )
    assert (row.org_id, row.platform, str(row.start_date)) == (
        acme,
        "linkedin",
        "2024-08-02",
    )
    # Now the campaign exists, refusing unknown ones no longer matters.
    assert ingest(app_db, acme, data)["rows_unchanged"] == 1


# ------------------------------------------------------------------------------ API
@pytest.fixture
def client(fresh):
    from app import create_app

    app = create_app(make_settings(fresh["app"], admin_database_url=fresh["admin"]))
    yield app.server.test_client()
    app.server.extensions["pulse"].db.dispose()


@pytest.fixture
def acme_key(admin) -> dict[str, str]:
    _, key = create_key(admin, "acme", "ingest tests")
    return {"Authorization": f"Bearer {key}"}


def test_api_ingests_json_and_csv_bodies_with_an_org_api_key(
    client, acme_key, admin, acme
):
    rows = [
        {
            "campaign": "API Campaign",
            "platform": "tiktok",
            "hour": "2024-08-05T10:00:00Z",
            "country": "US",
            "spend": 12.5,
            "impressions": 1000,
            "clicks": 40,
            "conversions": 2,
            "revenue": 99.0,
        }
    ]
    response = client.post(
        "/api/v1/ingest?unknown_campaigns=create", json={"rows": rows}, headers=acme_key
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (
        body["rows_written"] == 1
        and body["campaigns_created"][0]["name"] == "API Campaign"
    )
    csv_body = (
        NATIVE_HEADER + "API Campaign,tiktok,2024-08-05T11:00:00Z,US,7.25,500,20,1,30\n"
    )
    response = client.post(
        "/api/v1/ingest", data=csv_body, content_type="text/csv", headers=acme_key
    )
    assert response.status_code == 201 and response.get_json()["rows_written"] == 1
    again = client.post(
        "/api/v1/ingest", data=csv_body, content_type="text/csv", headers=acme_key
    )
    assert again.status_code == 200 and again.get_json()["rows_written"] == 0
    sums = hourly_sums(
        admin, acme, dt.datetime(2024, 8, 5), dt.datetime(2024, 8, 6), ("API Campaign",)
    )
    assert sums["spend"] == pytest.approx(19.75)
    source = scalar(
        admin, "SELECT source FROM ingest_batches WHERE id = :i", i=body["batch_id"]
    )
    assert source == "api"
    # The batch names the key that sent it.
    key_prefix = acme_key["Authorization"].split()[1][:12]
    key_id = scalar(admin, "SELECT id FROM api_keys WHERE prefix = :p", p=key_prefix)
    assert (
        scalar(
            admin,
            "SELECT api_key_id FROM ingest_batches WHERE id = :i",
            i=body["batch_id"],
        )
        == key_id
    )


def test_api_refuses_missing_credentials_viewers_bad_rows_and_oversized_bodies(
    client, acme_key, monkeypatch
):
    rows = [
        {
            "campaign": "X",
            "platform": "meta",
            "hour": "2024-08-05T10:00:00Z",
            "country": "US",
            "spend": -1,
            "impressions": 10,
            "clicks": 1,
        }
    ]
    assert client.post("/api/v1/ingest", json={"rows": rows}).status_code == 401
    response = client.post(
        "/api/v1/ingest?unknown_campaigns=create", json={"rows": rows}, headers=acme_key
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["details"] == ["row 1: spend: must be ≥ 0 (got -1)"]
    assert body["row_errors"] == [
        {"row": 1, "field": "spend", "reason": "must be ≥ 0 (got -1)"}
    ]
    assert "nothing was written" in body["error"] and body["batch_id"]
    wrong_type = client.post(
        "/api/v1/ingest", data="a;b", content_type="application/xml", headers=acme_key
    )
    assert wrong_type.status_code == 415
    bad_option = client.post(
        "/api/v1/ingest?format=tiktok_ads", json={"rows": rows}, headers=acme_key
    )
    assert bad_option.status_code == 422 and "format" in bad_option.get_json()["error"]
    monkeypatch.setattr("server.api.ingest.MAX_BODY_BYTES", 64)
    too_big = client.post(
        "/api/v1/ingest",
        data=NATIVE_HEADER * 3,
        content_type="text/csv",
        headers=acme_key,
    )
    assert (
        too_big.status_code == 413
        and too_big.get_json()["error"] == "request body too large"
    )
    login(client, "viewer@acme.example")
    assert client.post("/api/v1/ingest", json={"rows": rows}).status_code == 403


def test_an_acme_key_cannot_write_to_a_globex_campaign_by_id(client, acme_key, admin):
    globex = org_id(admin, "globex")
    globex_campaign = scalar(
        admin, "SELECT MIN(id) FROM campaigns WHERE org_id = :o", o=globex
    )
    before = facts_count(admin, globex)
    rows = [
        {
            "campaign_id": globex_campaign,
            "hour": "2024-08-06T10:00:00Z",
            "country": "DE",
            "spend": 1.0,
            "impressions": 10,
            "clicks": 1,
            "conversions": 0,
            "revenue": 0,
        }
    ]
    response = client.post(
        "/api/v1/ingest?unknown_campaigns=create", json={"rows": rows}, headers=acme_key
    )
    assert response.status_code == 422
    assert response.get_json()["row_errors"] == [
        {
            "row": 1,
            "field": "campaign_id",
            "reason": f"no campaign with id {globex_campaign} in this org",
        }
    ]
    assert facts_count(admin, globex) == before


def test_a_kpi_served_through_the_data_service_changes_right_after_an_ingest(
    client, acme_key, admin, acme, seed_now
):
    day = org_today(NY, seed_now) - dt.timedelta(days=2)
    url = (
        f"/api/v1/data/campaigns?view=summary&metric=spend&comparison=false"
        f"&date_from={day}&date_to={day}"
    )
    start, end = utc_bounds(DateWindow(day, day), NY)
    first = client.get(url, headers=acme_key).get_json()
    assert first["value"] == pytest.approx(
        hourly_sums(admin, acme, start, end)["spend"]
    )
    campaign = scalar(admin, "SELECT MIN(id) FROM campaigns WHERE org_id = :o", o=acme)
    rows = [
        {
            "campaign_id": campaign,
            "date": day.isoformat(),
            "hour": 12,
            "country": "US",
            "spend": 12345.67,
            "impressions": 99999,
            "clicks": 999,
            "conversions": 9,
            "revenue": 1.0,
        }
    ]
    posted = client.post("/api/v1/ingest", json={"rows": rows}, headers=acme_key)
    assert posted.status_code == 201, posted.get_json()
    second = client.get(url, headers=acme_key).get_json()
    assert second["value"] == pytest.approx(
        hourly_sums(admin, acme, start, end)["spend"]
    )
    assert second["value"] != pytest.approx(first["value"])


# ------------------------------------------------------------------------------ CLI
def test_cli_exit_codes_say_committed_rejected_or_unusable(
    fresh, tmp_path, monkeypatch
):
    monkeypatch.setenv("PULSE_CACHE_TYPE", "simple")
    runner = CliRunner()

    def pulse_ingest(*args: str):
        return runner.invoke(pulse, ["ingest", *args])

    good = tmp_path / "good.csv"
    good.write_text(
        NATIVE_HEADER + "CLI Campaign,snapchat,2024-08-07T09:00:00Z,US,5,200,9,0,0\n"
    )
    base = ["--org", "acme", "--database-url", fresh["admin"]]
    refused = pulse_ingest(str(good), *base)
    assert refused.exit_code == 1  # unknown campaigns are refused by default
    assert "unknown campaign 'CLI Campaign'" in refused.stderr
    created = pulse_ingest(str(good), *base, "--create-campaigns")
    assert created.exit_code == 0, created.output
    out = created.stdout
    assert "1 rows received, 1 written" in out and "1 campaign(s) created" in out
    bad = tmp_path / "bad.csv"
    bad.write_text(
        NATIVE_HEADER + "CLI Campaign,snapchat,2024-08-07T10:00:00Z,US,x,200,9,0,0\n"
    )
    rejected = pulse_ingest(str(bad), *base)
    assert rejected.exit_code == 1
    assert "row 2: spend: not a number: 'x'" in rejected.stderr
    nobody = pulse_ingest(
        str(good), "--org", "nobody", "--database-url", fresh["admin"]
    )
    assert nobody.exit_code == 2
    assert "error: no org with slug 'nobody'" in nobody.stderr
    missing = pulse_ingest(str(tmp_path / "missing.csv"), *base)
    assert missing.exit_code == 2
    assert "error: " in missing.stderr and "missing.csv" in missing.stderr


def test_cli_runs_as_a_module_and_invalidates_a_shared_redis_cache(
    fresh, redis_url, admin, tmp_path
):
    from core.cache import make_cache

    export = tmp_path / "meta.csv"
    export.write_text(
        "Campaign name,Campaign ID,Day,Time of day (ad account time zone),"
        "Amount spent (USD),Impressions,Link clicks,Results\n"
        f"Redis Check {fresh['engine']},777,2024-08-08,09:00:00 - 09:59:59,"
        "3.5,120,4,1\n"
    )
    env = os.environ | {"PULSE_CACHE_TYPE": "redis", "REDIS_URL": redis_url}
    cache = make_cache(
        make_settings(fresh["admin"], cache_type="redis", redis_url=redis_url)
    )
    acme = org_id(admin, "acme")
    before = cache.get(f"orgver:{acme}") or 0
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "ingest",
            str(export),
            "--org",
            "acme",
            "--format",
            "meta_ads",
            "--create-campaigns",
            "--country",
            "US",
            "--database-url",
            fresh["admin"],
        ],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    assert (
        "1 written" in completed.stdout
        and "redis cache invalidated" in completed.stdout
    )
    assert (cache.get(f"orgver:{acme}") or 0) > before
    country = scalar(
        admin,
        "SELECT f.country FROM metric_facts_hourly f JOIN campaigns c ON "
        "c.id = f.campaign_id WHERE c.external_id = '777' AND c.name = :n",
        n=f"Redis Check {fresh['engine']}",
    )
    assert country == "USA"


def test_a_json_batch_mixing_iso_hours_and_date_plus_hour_rows_is_committed(
    app_db, admin, acme
):
    campaign = {
        "campaign": "mixed-shapes-1",
        "campaign_name": "Mixed Shapes",
        "platform": "google",
        "country": "US",
    }
    batch = [
        # New York is UTC-5 in November.
        {**campaign, "hour": "2024-11-05T23:00:00-05:00", "spend": 10.5},
        {**campaign, "date": "2024-11-05", "hour": 22, "spend": 20.25},
        {**campaign, "hour": "2024-11-06T05:00:00Z", "spend": 30.0},
        {**campaign, "date": "2024-11-06", "hour": "1", "spend": 40.75},
    ]
    for number, row in enumerate(batch, start=1):
        row |= {"impressions": 100 * number, "clicks": number, "revenue": number}
    result = ingest(app_db, acme, batch, on_unknown_campaign="create")
    assert (result["status"], result["rows_written"]) == ("committed", 4)
    assert result["days_touched"] == ["2024-11-05", "2024-11-06"]

    with admin.engine.connect() as connection:
        stored = connection.execute(
            text(
                "SELECT f.hour_utc, f.local_date FROM metric_facts_hourly f"
                " JOIN campaigns c ON c.id = f.campaign_id"
                " WHERE c.org_id = :org AND c.external_id = 'mixed-shapes-1'"
                " ORDER BY f.hour_utc"
            ),
            {"org": acme},
        ).all()
    assert [(str(h)[:16], str(d)) for h, d in stored] == [
        ("2024-11-06 03:00", "2024-11-05"),
        ("2024-11-06 04:00", "2024-11-05"),
        ("2024-11-06 05:00", "2024-11-06"),
        ("2024-11-06 06:00", "2024-11-06"),
    ]
    sums = hourly_sums(
        admin,
        acme,
        dt.datetime(2024, 11, 6, 3),
        dt.datetime(2024, 11, 6, 7),
        campaign_names=("Mixed Shapes",),
    )
    assert sums == pytest.approx(
        {
            "impressions": 1000,
            "clicks": 10,
            "conversions": 0,
            "spend": 101.5,
            "revenue": 10,
        }
    )
    assert_rollup_matches_hourly(admin, acme, result["days_touched"])


# ----------------------------------------------------------- one campaign per key
def test_a_second_campaign_with_the_same_platform_and_external_id_is_refused(
    admin, acme
):
    insert = text(
        "INSERT INTO campaigns (org_id, platform, external_id, name, objective,"
        " status, budget, start_date, created_at, updated_at)"
        " VALUES (:org, 'meta', :external, :name, 'conversions', 'active', 0,"
        " '2024-01-01', '2024-01-01 00:00:00', '2024-01-01 00:00:00')"
    )
    with admin.unscoped_session() as session:
        session.execute(insert, {"org": acme, "external": "uniq-1", "name": "One"})
        # Campaigns created by name only carry no external id and are not keyed.
        for name in ("By name A", "By name B"):
            session.execute(insert, {"org": acme, "external": "", "name": name})
    with pytest.raises(IntegrityError), admin.unscoped_session() as session:
        session.execute(insert, {"org": acme, "external": "uniq-1", "name": "Two"})
    count = scalar(
        admin,
        "SELECT COUNT(*) FROM campaigns WHERE org_id = :o AND external_id = 'uniq-1'",
        o=acme,
    )
    assert count == 1


def test_two_ingests_creating_the_same_campaign_at_once_make_one(
    fresh, app_db, admin, acme, monkeypatch
):
    if fresh["engine"] != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite has one writer)")
    # Both batches have validated (neither saw the campaign) before either writes.
    both_validated = threading.Barrier(2, timeout=30)
    commit = pipeline._commit

    def commit_together(*args, **kwargs):
        both_validated.wait()
        return commit(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_commit", commit_together)
    campaign = {
        "campaign": "race-42",
        "campaign_name": "Race",
        "platform": "tiktok",
        "country": "US",
        "impressions": 10,
        "clicks": 1,
    }
    batches = [
        [{**campaign, "hour": "2024-10-01T12:00:00Z", "spend": 1.0}],
        [{**campaign, "hour": "2024-10-01T13:00:00Z", "spend": 2.0}],
    ]
    with ThreadPoolExecutor(2) as pool:
        results = list(
            pool.map(
                lambda rows: ingest(app_db, acme, rows, on_unknown_campaign="create"),
                batches,
            )
        )
    assert [r["status"] for r in results] == ["committed", "committed"]
    # One batch created the campaign, the other found it.
    assert sorted(len(r["campaigns_created"]) for r in results) == [0, 1]
    ids = scalar(
        admin,
        "SELECT COUNT(*) FROM campaigns WHERE org_id = :o AND external_id = 'race-42'",
        o=acme,
    )
    assert ids == 1
    spend = scalar(
        admin,
        "SELECT SUM(f.spend) FROM metric_facts_hourly f"
        " JOIN campaigns c ON c.id = f.campaign_id"
        " WHERE c.org_id = :o AND c.external_id = 'race-42'",
        o=acme,
    )
    assert spend == pytest.approx(3.0)
