"""Dashboard snapshots on each engine (PostgreSQL as the RLS-bound app role): taken
through the report's queries with KPI figures equal to SQL over the hourly facts,
stored encrypted (the bytes in the database hold no figure and no title) and read back
after a key rotation; exports rendered from the stored data (JSON, Excel, and a PDF
drawn by the system Chromium); compare; org scoping; audit rows; the retention job."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select, text

from accounts.permissions import Caller, PermissionDenied
from commands import snapshots
from commands.dashboards import DashboardNotFound, create_dashboard, delete_dashboard
from commands.errors import Invalid
from core.crypto import SnapshotCipher, SnapshotDecryptError, generate_key
from core.models import AuditLog, Campaign, Dashboard, DashboardSnapshot, JobRun, User
from core.windows import DateWindow
from dashboards.store import dashboard_document, visible_widgets
from reports.charts import browser_path
from reports.errors import ReportRenderError
from scheduler.context import JobContext
from scheduler.jobs import job
from scheduler.runner import run_for_org
from tests.conftest import TEST_SNAPSHOT_KEY, make_settings, org_id
from tests.figures import independent_sums, org_context
from widgets._formatting import format_value

CIPHER = SnapshotCipher([TEST_SNAPSHOT_KEY])
KPI_FORMATS = {
    "Total Revenue": "currency",
    "Total Spend": "currency",
    "ROAS": "ratio",
    "Conversions": "number",
}


@pytest.fixture(scope="module")
def world(own_demo):
    settings = make_settings(own_demo["app"], admin_database_url=own_demo["admin"])
    ctx = JobContext.from_settings(settings)
    acme, globex = org_id(ctx.admin_db, "acme"), org_id(ctx.admin_db, "globex")
    with ctx.admin_db.unscoped_session() as session:
        users = {
            u.email: Caller(u.org_id, u.id, u.role)
            for u in session.scalars(select(User))
        }
        dashboards = {
            (d.org_id, d.name): d.id
            for d in session.scalars(
                select(Dashboard).where(Dashboard.is_template.is_(False))
            )
        }
    yield {
        "ctx": ctx,
        "engine": own_demo["engine"],
        "acme": acme,
        "globex": globex,
        "admin": users["admin@acme.example"],
        "editor": users["editor@acme.example"],
        "viewer": users["viewer@acme.example"],
        "globex_admin": users["admin@globex.example"],
        "executive": dashboards[(acme, "Executive Overview")],
        "globex_executive": dashboards[(globex, "Executive Overview")],
    }
    ctx.dispose()


def kpi_window(world) -> DateWindow:
    window = world["ctx"].data.query(
        world["acme"],
        "campaigns",
        {"view": "summary", "metric": "revenue", "period": "30d"},
    )["window"]
    return DateWindow(
        dt.date.fromisoformat(window["start"]), dt.date.fromisoformat(window["end"])
    )


def expected_kpis(world, platform: str | None = None) -> dict[str, float]:
    """Independently: the Executive KPI cards' figures, summed in SQL from the
    hourly facts over their 30 org-local days."""
    org = org_context(world["ctx"].admin_db, "acme")
    sums = independent_sums(
        world["ctx"].admin_db, org.id, org.timezone, kpi_window(world), platform
    )
    return {
        "total_revenue": sums["revenue"],
        "total_spend": sums["spend"],
        "roas": sums["revenue"] / sums["spend"],
        "conversions": sums["conversions"],
    }


def take(world, caller="editor", **options) -> snapshots.SnapshotSummary:
    return snapshots.take_snapshot(
        world["ctx"], CIPHER, world[caller], world["executive"], **options
    )


def audit_rows(world, snapshot_id: int, org: str = "acme") -> list[AuditLog]:
    with world["ctx"].db.session(world[org]) as session:
        return list(
            session.scalars(
                select(AuditLog)
                .where(
                    AuditLog.entity_type == "snapshot",
                    AuditLog.entity_id == str(snapshot_id),
                )
                .order_by(AuditLog.id)
            )
        )


def raw_data(world, snapshot_id: int) -> bytes:
    with world["ctx"].admin_db.engine.connect() as connection:
        return bytes(
            connection.execute(
                text("SELECT data FROM dashboard_snapshots WHERE id = :id"),
                {"id": snapshot_id},
            ).scalar_one()
        )


def test_snp001_a_snapshot_holds_every_widget_the_filters_and_the_kpis_equal_to_sql(
    world,
):
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    summary = take(world, name="Board pack")
    assert summary.name == "Board pack"
    assert summary.snapshot_type == "manual"
    assert summary.created_by == world["editor"].user_id
    assert summary.taken_by not in ("", "—")
    view = snapshots.get_snapshot(world["ctx"], CIPHER, world["viewer"], summary.id)
    document = view.document
    assert document["snapshot_type"] == "manual"
    taken = dt.datetime.fromisoformat(document["snapshot_date"].replace("Z", "+00:00"))
    assert before <= taken <= dt.datetime.now(dt.UTC)
    assert document["metadata"]["filters"]["date_range"] == "widget"
    assert document["metadata"]["filters"]["platforms"] == []
    kpis = document["data"]["kpis"]
    for key, value in expected_kpis(world).items():
        assert kpis[key] == pytest.approx(value, rel=1e-9), key
    titles = [w["title"] for w in document["data"]["widgets"]]
    assert {"Total Revenue", "ROAS Trend", "Revenue by Platform"} <= set(titles)
    assert all(w["widget_type"] and "data" in w for w in document["data"]["widgets"])
    # The page's content: KPI cards and figures drawn from the stored data.
    assert [k.title for k in view.content.kpis][:4] == list(KPI_FORMATS)
    assert any(w.figure for w in view.content.widgets if w.title == "ROAS Trend")


def test_snp002_the_stored_bytes_hold_no_figure_and_no_title(world):
    summary = take(world)
    stored = raw_data(world, summary.id)
    document = json.loads(CIPHER.decrypt(stored))
    revenue = document["data"]["kpis"]["total_revenue"]
    conversions = document["data"]["kpis"]["conversions"]
    for needle in (
        "Total Revenue",
        "ROAS Trend",
        "kpis",
        "total_revenue",
        f"{revenue}",
        f"{revenue:.2f}",
        f"{int(conversions)}",
    ):
        assert needle.encode() not in stored, needle
    # And in the database's own view of the column (bytea / BLOB as text).
    with world["ctx"].admin_db.engine.connect() as connection:
        found = connection.execute(
            text(
                "SELECT COUNT(*) FROM dashboard_snapshots WHERE id = :id AND "
                "(CAST(data AS TEXT) LIKE '%Revenue%' OR CAST(data AS TEXT) LIKE :v)"
            ),
            {"id": summary.id, "v": f"%{revenue:.2f}%"},
        ).scalar_one()
    assert found == 0
    assert stored.startswith(b"gAAAA")  # a Fernet token


def test_snp003_rotation_re_encrypts_with_the_new_key_and_old_snapshots_read_back(
    world,
):
    summary = take(world, caller="admin")
    before = snapshots.get_snapshot(world["ctx"], CIPHER, world["admin"], summary.id)
    new_key = generate_key()
    both = SnapshotCipher([new_key, TEST_SNAPSHOT_KEY])
    # With both keys configured, old snapshots read before the rotation runs.
    snapshots.get_snapshot(world["ctx"], both, world["admin"], summary.id)
    count = snapshots.rotate_snapshot_keys(world["ctx"], both, world["acme"])
    assert count >= 1
    only_new = SnapshotCipher([new_key])
    after = snapshots.get_snapshot(world["ctx"], only_new, world["admin"], summary.id)
    assert after.document == before.document
    with pytest.raises(SnapshotDecryptError):
        snapshots.get_snapshot(world["ctx"], CIPHER, world["admin"], summary.id)
    # Back to the tests' key for the other tests of the module.
    back = SnapshotCipher([TEST_SNAPSHOT_KEY, new_key])
    assert snapshots.rotate_snapshot_keys(world["ctx"], back, world["acme"]) == count
    snapshots.get_snapshot(world["ctx"], CIPHER, world["admin"], summary.id)


def test_snp004_exports_are_rendered_from_the_stored_data(world, monkeypatch):
    summary = take(world)
    expected = expected_kpis(world)

    def no_query(*args, **kwargs):
        raise AssertionError("an export must not query the data sources")

    monkeypatch.setattr(world["ctx"].data, "query", no_query)
    exported = snapshots.export_snapshot(
        world["ctx"], CIPHER, world["viewer"], summary.id, "json"
    )
    assert exported.mimetype == "application/json"
    assert exported.filename.startswith("Executive-Overview_snapshot-")
    document = json.loads(exported.data)
    assert document["data"]["kpis"]["roas"] == pytest.approx(expected["roas"])

    workbook = snapshots.export_snapshot(
        world["ctx"], CIPHER, world["viewer"], summary.id, "excel"
    )
    assert workbook.filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(workbook.data))["Summary"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2) if row[0].value}
    for title, key in (
        ("Total Revenue", "total_revenue"),
        ("Total Spend", "total_spend"),
        ("ROAS", "roas"),
        ("Conversions", "conversions"),
    ):
        assert isinstance(rows[title][1].value, float | int)
        assert rows[title][1].value == pytest.approx(expected[key])

    with pytest.raises(Invalid, match="format: 'csv' is not one of json, pdf, xlsx"):
        snapshots.export_snapshot(
            world["ctx"], CIPHER, world["viewer"], summary.id, "csv"
        )


def test_snp005_the_pdf_holds_the_stored_kpi_figures(world):
    try:
        browser_path()
    except ReportRenderError as exc:
        pytest.skip(str(exc))
    summary = take(world)
    report = snapshots.export_snapshot(
        world["ctx"], CIPHER, world["viewer"], summary.id, "pdf"
    )
    assert report.mimetype == "application/pdf"
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(report.data)).pages]
    assert "Executive Overview" in pages[0]
    # The title page's brand line is set in capitals by the print CSS.
    assert f"DASHBOARD SNAPSHOT · {summary.name.upper()}" in pages[0]
    assert "Taken" in pages[0]
    expected = expected_kpis(world)
    keys = dict(zip(KPI_FORMATS, expected, strict=True))
    for title, fmt in KPI_FORMATS.items():
        assert title in pages[1]
        assert format_value(expected[keys[title]], fmt, "USD") in pages[1]


def test_snp006_compare_gives_both_values_and_the_change(world):
    everything = take(world, name="All platforms")
    meta_only = take(
        world,
        name="Meta",
        filters={"date_range": "last_30_days", "platforms": ["meta"]},
    )
    comparison = snapshots.compare_snapshots(
        world["ctx"], CIPHER, world["viewer"], everything.id, meta_only.id
    )
    rows = {k.title: k for k in comparison.kpis}
    revenue = rows["Total Revenue"]
    assert revenue.a == pytest.approx(expected_kpis(world)["total_revenue"])
    assert revenue.b is not None and revenue.b < revenue.a
    assert revenue.change == pytest.approx(revenue.b - revenue.a)
    assert revenue.change_pct == pytest.approx(
        (revenue.b - revenue.a) / revenue.a * 100
    )
    titles = [c.title for c in comparison.charts]
    assert "ROAS Trend" in titles
    overlay = next(c for c in comparison.charts if c.title == "ROAS Trend").figure
    dashed = [t for t in overlay["data"] if t.get("line", {}).get("dash") == "dash"]
    assert dashed and all(t["name"].endswith("(A)") for t in dashed)
    assert any(t["name"].endswith("(B)") for t in overlay["data"])
    document = comparison.document()
    assert document["a"]["id"] == everything.id and document["b"]["id"] == meta_only.id
    stored = snapshots.get_snapshot(world["ctx"], CIPHER, world["viewer"], meta_only.id)
    assert stored.document["metadata"]["filters"]["platforms"] == ["meta"]
    assert stored.document["metadata"]["filters"]["date_range"] == "last_30_days"


def test_snp007_another_orgs_snapshot_is_not_found(world):
    summary = take(world)
    other = world["globex_admin"]
    for call in (
        lambda: snapshots.get_snapshot(world["ctx"], CIPHER, other, summary.id),
        lambda: snapshots.export_snapshot(
            world["ctx"], CIPHER, other, summary.id, "json"
        ),
        lambda: snapshots.delete_snapshot(world["ctx"], other, summary.id),
        lambda: snapshots.compare_snapshots(
            world["ctx"], CIPHER, other, summary.id, summary.id
        ),
    ):
        with pytest.raises(snapshots.SnapshotNotFound):
            call()
    assert summary.id not in {
        s.id for s in snapshots.list_snapshots(world["ctx"], other)
    }
    with pytest.raises(DashboardNotFound):
        snapshots.take_snapshot(world["ctx"], CIPHER, other, world["executive"])
    with pytest.raises(DashboardNotFound):
        snapshots.list_snapshots(world["ctx"], other, dashboard_id=world["executive"])
    for bad in ("x", -1, 2**40):
        with pytest.raises(snapshots.SnapshotNotFound):
            snapshots.get_snapshot(world["ctx"], CIPHER, world["admin"], bad)
    # A campaign of another org in the filters is refused by name, never queried.
    with world["ctx"].db.session(world["globex"]) as session:
        foreign = session.scalars(select(Campaign.id).limit(1)).one()
    with pytest.raises(Invalid, match=f"filters.campaign_ids: {foreign} is not one"):
        take(world, filters={"campaign_ids": [foreign]})


def test_snp008_viewers_read_but_may_not_take_or_delete(world):
    summary = take(world)
    with pytest.raises(PermissionDenied):
        take(world, caller="viewer")
    with pytest.raises(PermissionDenied):
        snapshots.delete_snapshot(world["ctx"], world["viewer"], summary.id)
    listed = snapshots.list_snapshots(world["ctx"], world["viewer"], world["executive"])
    assert summary.id in {s.id for s in listed}
    assert listed == sorted(listed, key=lambda s: (s.snapshot_date, s.id), reverse=True)
    with pytest.raises(Invalid, match="filters.date_range"):
        take(world, filters={"date_range": "last_century"})
    with pytest.raises(Invalid, match="filters.colour"):
        take(world, filters={"colour": "red"})


def test_snp009_create_view_export_delete_are_audited(world):
    summary = take(world, caller="admin")
    snapshots.get_snapshot(world["ctx"], CIPHER, world["viewer"], summary.id)
    snapshots.export_snapshot(world["ctx"], CIPHER, world["viewer"], summary.id, "json")
    snapshots.delete_snapshot(world["ctx"], world["admin"], summary.id)
    rows = audit_rows(world, summary.id)
    assert [r.action for r in rows] == ["create", "view", "export", "delete"]
    assert [r.user_id for r in rows] == [
        world["admin"].user_id,
        world["viewer"].user_id,
        world["viewer"].user_id,
        world["admin"].user_id,
    ]
    assert rows[0].details["widgets"] >= 4
    assert rows[2].details["format"] == "json"
    with pytest.raises(snapshots.SnapshotNotFound):
        snapshots.get_snapshot(world["ctx"], CIPHER, world["admin"], summary.id)


def test_snp010_retention_deletes_only_the_orgs_old_snapshots(world):
    ctx = world["ctx"]
    now = dt.datetime.now(dt.UTC)
    old = take(world, now=now - dt.timedelta(days=40))
    recent = take(world, now=now - dt.timedelta(days=5))
    theirs = snapshots.take_snapshot(
        ctx,
        CIPHER,
        world["globex_admin"],
        world["globex_executive"],
        now=now - dt.timedelta(days=40),
    )
    assert snapshots.apply_snapshot_retention(ctx, world["acme"])["removed"] == 0
    with pytest.raises(PermissionDenied):
        snapshots.set_snapshot_retention(ctx, world["editor"], {"days": 30})
    with pytest.raises(Invalid, match="days"):
        snapshots.set_snapshot_retention(ctx, world["admin"], {"days": 0})
    assert snapshots.set_snapshot_retention(ctx, world["admin"], {"days": 30}) == {
        "days": 30
    }
    assert snapshots.get_snapshot_retention(ctx, world["admin"]) == {"days": 30}
    run = run_for_org(ctx, job("snapshot_retention"), world["acme"], trigger="test")
    assert run.status == "success"
    assert run.summary["removed"] >= 1 and run.summary["retention_days"] == 30
    left = {s.id for s in snapshots.list_snapshots(ctx, world["admin"])}
    assert old.id not in left and recent.id in left
    assert theirs.id in {
        s.id for s in snapshots.list_snapshots(ctx, world["globex_admin"])
    }
    with ctx.db.session(world["acme"]) as session:
        purge = session.scalars(
            select(AuditLog)
            .where(
                AuditLog.action == "purge", AuditLog.entity_type == "snapshot_retention"
            )
            .order_by(AuditLog.id.desc())
        ).first()
        assert purge is not None and purge.details["removed"] == run.summary["removed"]
        assert session.scalars(
            select(JobRun).where(JobRun.job == "snapshot_retention")
        ).first()
        remaining = session.scalars(select(DashboardSnapshot.snapshot_date)).all()
    cutoff = (now - dt.timedelta(days=30)).replace(tzinfo=None)
    assert all(when >= cutoff for when in remaining)
    snapshots.set_snapshot_retention(ctx, world["admin"], {"days": None})
    assert "skipped" in snapshots.apply_snapshot_retention(ctx, world["acme"])


def test_snp011_deleting_a_dashboard_deletes_its_snapshots(world):
    ctx = world["ctx"]
    with ctx.db.session(world["acme"]) as session:
        executive = session.get(Dashboard, world["executive"])
        document = dashboard_document(
            executive, visible_widgets(session, executive.id, None)
        )
    copy = create_dashboard(ctx, world["admin"], {**document, "name": "Short-lived"})
    taken = snapshots.take_snapshot(ctx, CIPHER, world["admin"], copy.dashboard.id)
    delete_dashboard(ctx, world["admin"], copy.dashboard.id)
    with pytest.raises(snapshots.SnapshotNotFound):
        snapshots.get_snapshot(ctx, CIPHER, world["admin"], taken.id)
    with ctx.admin_db.engine.connect() as connection:
        left = connection.execute(
            text("SELECT COUNT(*) FROM dashboard_snapshots WHERE id = :id"),
            {"id": taken.id},
        ).scalar_one()
    assert left == 0
