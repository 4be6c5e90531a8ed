"""Report schedules and their deliveries, on each engine: validation naming the
field or address, a real SMTP server receiving the report, the outbox without
SMTP_URL, retries then failure, the grace period, and a fire instant sent once."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text, update

from accounts.permissions import Caller, PermissionDenied
from commands import report_schedules as reports
from commands.errors import Invalid
from core.models import (
    AuditLog,
    Dashboard,
    DashboardSnapshot,
    DashboardWidget,
    ReportDelivery,
    ReportSchedule,
    User,
    utcnow,
)
from scheduler.context import JobContext
from tests.conftest import make_settings, missing_service, org_id
from tests.smtp import SmtpServer, free_port, self_signed_certificate

WEEKLY = {"day_of_week": 1, "time": "09:00", "timezone": "America/New_York"}


@pytest.fixture(scope="module")
def world(own_demo, tmp_path_factory):
    outbox = tmp_path_factory.mktemp("outbox")
    settings = make_settings(
        own_demo["app"],
        admin_database_url=own_demo["admin"],
        outbox_dir=outbox,
        report_retry_seconds=0,
    )
    ctx = JobContext.from_settings(settings)
    acme = org_id(ctx.admin_db, "acme")
    with ctx.admin_db.unscoped_session() as session:
        users = {
            u.email: Caller(u.org_id, u.id, u.role)
            for u in session.scalars(select(User).where(User.org_id == acme))
        }
        dashboard = session.scalars(
            select(Dashboard).where(
                Dashboard.org_id == acme, Dashboard.name == "Executive Overview"
            )
        ).first()
    yield {
        "ctx": ctx,
        "settings": settings,
        "acme": acme,
        "admin": users["admin@acme.example"],
        "viewer": next(c for c in users.values() if c.role == "viewer"),
        "dashboard": dashboard.id,
        "outbox": outbox,
    }
    ctx.dispose()


def body(world, **changes) -> dict:
    return {
        "name": "Weekly executive",
        "dashboard_id": world["dashboard"],
        "frequency": "weekly",
        "schedule_config": WEEKLY,
        "recipients": ["cfo@acme.example", "Growth@EU.acme.example"],
        "format": "csv",
    } | changes


def make_due(world, schedule_id: int, minutes_ago: float) -> dt.datetime:
    """Move a schedule's next run into the past, as if its time had come while
    the scheduler was busy (or down)."""
    due = (utcnow() - dt.timedelta(minutes=minutes_ago)).replace(microsecond=0)
    with world["ctx"].db.session(world["acme"]) as session:
        session.execute(
            update(ReportSchedule)
            .where(ReportSchedule.id == schedule_id)
            .values(next_run_at=due)
            .execution_options(synchronize_session=False)
        )
    return due


def deliveries(world, schedule_id: int) -> list[ReportDelivery]:
    with world["ctx"].db.session(world["acme"]) as session:
        return list(
            session.scalars(
                select(ReportDelivery)
                .where(ReportDelivery.schedule_id == schedule_id)
                .order_by(ReportDelivery.scheduled_for)
            )
        )


def send_now(world, settings, schedule_id: int) -> reports.DeliveryView:
    return reports.send_now(world["ctx"], settings, world["admin"], schedule_id)


def run(world, settings=None, now=None) -> dict:
    return reports.run_due_reports(
        world["ctx"], settings or world["settings"], world["acme"], now
    )


def test_a_schedule_is_created_with_its_next_five_runs_in_its_zone(world):
    after = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    view = reports.create_schedule(world["ctx"], world["admin"], body(world), after)
    document = view.document()
    assert document["next_runs"][:2] == [
        "2026-03-02T09:00:00-05:00",
        "2026-03-09T09:00:00-04:00",
    ]
    assert len(document["next_runs"]) == 5
    assert document["description"] == "weekly on Monday at 09:00 America/New_York"
    # Addresses are kept as written, once each.
    assert document["recipients"] == ["cfo@acme.example", "Growth@EU.acme.example"]
    with world["ctx"].db.session(world["acme"]) as session:
        stored = session.get(ReportSchedule, view.schedule.id)
        assert stored.next_run_at == dt.datetime(2026, 3, 2, 14, 0)
        assert session.scalars(
            select(AuditLog).where(
                AuditLog.entity_type == "report_schedule",
                AuditLog.entity_id == str(view.schedule.id),
                AuditLog.action == "create",
            )
        ).one()
    # Its runs are all in the past: the other tests must not see them due.
    reports.delete_schedule(world["ctx"], world["admin"], view.schedule.id)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"recipients": ["boss@gmail.com"]}, "boss@gmail.com: the domain gmail.com"),
        ({"recipients": ["not-an-address"]}, "'not-an-address' is not an email"),
        ({"recipients": ["a@acme.example.evil.com"]}, "a@acme.example.evil.com"),
        (
            {"schedule_config": WEEKLY | {"timezone": "US/Nowhere"}},
            "schedule_config.timezone",
        ),
        ({"frequency": "yearly"}, "frequency:"),
        ({"format": "docx"}, "format:"),
        ({"recipients": []}, "recipients:"),
    ],
)
def test_a_bad_schedule_is_refused_naming_the_field_or_address(world, changes, named):
    with pytest.raises(Invalid) as caught:
        reports.create_schedule(world["ctx"], world["admin"], body(world, **changes))
    assert any(named in detail for detail in caught.value.details), caught.value.details


def test_viewers_see_schedules_but_may_not_change_them(world):
    with pytest.raises(PermissionDenied):
        reports.create_schedule(world["ctx"], world["viewer"], body(world))
    assert reports.list_schedules(world["ctx"], world["viewer"]) is not None


def check_report_message(message: EmailMessage, schedule_name: str) -> None:
    assert message["To"] == "cfo@acme.example, Growth@EU.acme.example"
    assert message["Subject"].startswith(f"{schedule_name}: Executive Overview, ")
    assert message.get_content_type() == "multipart/mixed"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Executive Overview" in plain and "Executive Overview" in html
    [attachment] = list(message.iter_attachments())
    # The CSV format is a zip of CSV files (reports.csv): the report's facts, the KPI
    # summary, then one per widget.
    assert attachment.get_content_type() == "application/zip"
    assert attachment.get_filename().endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(attachment.get_content())) as archive:
        names = archive.namelist()
        summary = archive.read("01-summary.csv").decode("utf-8-sig")
    assert names[:2] == ["00-report.csv", "01-summary.csv"]
    assert all(name.endswith(".csv") for name in names) and len(names) > 3
    assert summary.startswith("KPI,Value,Previous period,Change")
    # The headline KPIs of the summary are the dashboard's KPI cards.
    assert "Revenue" in plain and "vs previous period" in plain


def test_a_due_schedule_is_mailed_once_through_a_real_smtp_server(world):
    view = reports.create_schedule(
        world["ctx"], world["admin"], body(world, name="Mailed")
    )
    due = make_due(world, view.schedule.id, minutes_ago=1)
    with SmtpServer() as smtp:
        settings = world["settings"].model_copy(update={"smtp_url": smtp.url})
        first, second = run(world, settings), run(world, settings)
        [message] = smtp.inbox.wait_for(1)
        assert smtp.inbox.envelopes == [["cfo@acme.example", "Growth@EU.acme.example"]]
    assert first["claimed"] == 1 and first["sent"] == 1
    assert second == {"claimed": 0, "missed": 0, "sent": 0, "retrying": 0, "failed": 0}
    check_report_message(message, "Mailed")
    [row] = deliveries(world, view.schedule.id)
    assert (row.status, row.attempts, row.scheduled_for) == ("sent", 1, due)
    assert row.started_at and row.finished_at and row.error is None
    assert row.message_id == message["Message-ID"]
    with world["ctx"].db.session(world["acme"]) as session:
        schedule = session.get(ReportSchedule, view.schedule.id)
        assert schedule.next_run_at > utcnow() and schedule.last_run_at


def test_without_smtp_url_the_message_is_an_eml_file_in_the_outbox(world):
    view = reports.create_schedule(
        world["ctx"], world["admin"], body(world, name="Outboxed")
    )
    delivery = reports.send_now(
        world["ctx"], world["settings"], world["admin"], view.schedule.id
    )
    document = delivery.document()
    assert document["status"] == "sent" and document["trigger"] == "manual"
    path = Path(document["outbox_file"])
    assert path.parent == world["outbox"] / "acme" and path.suffix == ".eml"
    from email import policy
    from email.parser import BytesParser

    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    check_report_message(message, "Outboxed")
    logged = reports.list_deliveries(world["ctx"], world["viewer"], view.schedule.id)
    assert [d.document()["outbox_file"] for d in logged] == [str(path)]


def test_an_unreachable_smtp_server_fails_after_retries_and_the_rest_still_works(
    world,
):
    failing = reports.create_schedule(
        world["ctx"], world["admin"], body(world, name="Unreachable")
    )
    make_due(world, failing.schedule.id, minutes_ago=1)
    dead = world["settings"].model_copy(
        update={"smtp_url": f"smtp://127.0.0.1:{free_port()}", "report_max_attempts": 3}
    )
    outcomes = [run(world, dead) for _ in range(4)]
    assert [o["retrying"] for o in outcomes] == [1, 1, 0, 0]
    assert [o["failed"] for o in outcomes] == [0, 0, 1, 0]
    [row] = deliveries(world, failing.schedule.id)
    assert row.status == "failed" and row.attempts == 3 and row.finished_at
    assert row.error.startswith("MailError: SMTP smtp://127.0.0.1:")
    assert "cannot connect" in row.error and "gave up after 3 attempts" in row.error
    # The scheduler carries on: the next report goes out once the server is back.
    working = reports.create_schedule(
        world["ctx"], world["admin"], body(world, name="After the outage")
    )
    make_due(world, working.schedule.id, minutes_ago=1)
    with SmtpServer() as smtp:
        settings = world["settings"].model_copy(update={"smtp_url": smtp.url})
        assert run(world, settings)["sent"] == 1
        [message] = smtp.inbox.wait_for(1)
    assert message["Subject"].startswith("After the outage:")
    assert deliveries(world, failing.schedule.id)[0].status == "failed"


def test_a_run_found_past_the_grace_period_is_recorded_as_missed(world):
    late = reports.create_schedule(
        world["ctx"],
        world["admin"],
        body(
            world,
            name="Late",
            frequency="daily",
            # Twelve hours from now: no later instant of it is due while the test
            # runs (a fixed 09:00 was, when the suite ran between 09:00 and 11:30).
            schedule_config={
                "time": f"{utcnow() + dt.timedelta(hours=12):%H}:00",
                "timezone": "UTC",
            },
        ),
    )
    recent = reports.create_schedule(
        world["ctx"], world["admin"], body(world, name="Recent")
    )
    grace = world["settings"].report_grace_minutes
    make_due(world, late.schedule.id, minutes_ago=grace + 30)
    make_due(world, recent.schedule.id, minutes_ago=grace - 30)
    summary = run(world)
    [missed] = deliveries(world, late.schedule.id)
    [sent] = deliveries(world, recent.schedule.id)
    assert missed.status == "missed" and missed.attempts == 0
    assert f"past the grace period of {grace} minutes" in missed.error
    assert sent.status == "sent" and sent.attempts == 1
    assert summary["missed"] == 1 and summary["sent"] == 1
    assert run(world)["claimed"] == 0


def test_a_report_that_cannot_be_rendered_fails_with_the_reason(world):
    view = reports.create_schedule(
        world["ctx"], world["admin"], body(world, name="Unrenderable", format="xlsx")
    )
    make_due(world, view.schedule.id, minutes_ago=1)
    # A widget of the dashboard whose stored params no longer validate: the report
    # cannot be made, and says which widget.
    with world["ctx"].admin_db.unscoped_session() as session:
        widget = session.scalars(
            select(DashboardWidget)
            .where(DashboardWidget.dashboard_id == world["dashboard"])
            .where(DashboardWidget.widget_type == "kpi_card")
            .order_by(DashboardWidget.id)
        ).first()
        saved_params, title = dict(widget.query_params or {}), widget.title
        widget.query_params = {**saved_params, "metric": "no_such_metric"}
    try:
        for _ in range(3):
            run(world)
    finally:
        with world["ctx"].admin_db.unscoped_session() as session:
            session.get(DashboardWidget, widget.id).query_params = saved_params
    [row] = deliveries(world, view.schedule.id)
    assert row.status == "failed" and row.attempts == 3
    assert row.error.startswith("ReportRenderError:") and title in row.error


def test_a_recipient_no_longer_allowed_fails_the_delivery_naming_it(world):
    view = reports.create_schedule(
        world["ctx"], world["admin"], body(world, name="Domains changed")
    )
    reports.set_recipient_domains(world["ctx"], world["admin"], ["acme.example"])
    with world["ctx"].admin_db.engine.begin() as connection:
        connection.execute(
            text("UPDATE report_schedules SET recipients = :r WHERE id = :id"),
            {"r": '["cfo@acme.example", "x@rival.example"]', "id": view.schedule.id},
        )
    make_due(world, view.schedule.id, minutes_ago=1)
    # The claim copies the schedule's recipients into the delivery row.
    assert run(world)["failed"] == 1
    [row] = deliveries(world, view.schedule.id)
    assert row.status == "failed" and row.attempts == 1
    assert "x@rival.example: the domain rival.example is not allowed" in row.error


def test_pausing_stops_runs_and_resuming_skips_the_paused_time(world):
    view = reports.create_schedule(
        world["ctx"], world["admin"], body(world, name="Paused")
    )
    paused = reports.pause_schedule(world["ctx"], world["admin"], view.schedule.id)
    assert paused.schedule.is_active is False and paused.next_runs == []
    make_due(world, view.schedule.id, minutes_ago=1)
    assert run(world)["claimed"] == 0
    resumed = reports.pause_schedule(
        world["ctx"], world["admin"], view.schedule.id, paused=False
    )
    assert resumed.schedule.next_run_at > utcnow()
    assert deliveries(world, view.schedule.id) == []


# The test server takes a login without TLS (loopback only), which aiosmtpd warns of.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_smtp_login_of_the_url_is_used_and_a_wrong_one_is_named(world):
    view = reports.create_schedule(
        world["ctx"], world["admin"], body(world, name="Authenticated")
    )
    with SmtpServer(login=("pulse", "s3cret/pass")) as smtp:
        wrong = smtp.url.replace("smtp://", "smtp://pulse:nope@")
        right = smtp.url.replace("smtp://", "smtp://pulse:s3cret%2Fpass@")
        refused = reports.send_now(
            world["ctx"],
            world["settings"].model_copy(update={"smtp_url": wrong}),
            world["admin"],
            view.schedule.id,
        )
        sent = reports.send_now(
            world["ctx"],
            world["settings"].model_copy(update={"smtp_url": right}),
            world["admin"],
            view.schedule.id,
        )
        [message] = smtp.inbox.wait_for(1)
    assert refused.delivery.status == "retrying"
    assert "login refused" in refused.delivery.error
    assert "nope" not in refused.delivery.error
    assert sent.delivery.status == "sent"
    assert message["Subject"].startswith("Authenticated:")


@pytest.mark.parametrize("tls", ["starttls", "smtps"])
def test_the_message_goes_over_starttls_or_smtps(world, tls, tmp_path, monkeypatch):
    certificate = self_signed_certificate(tmp_path)
    if certificate is None:
        missing_service("the openssl command is needed to make a test certificate")
    # The client verifies the server's certificate: trust the test one.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    view = reports.create_schedule(
        world["ctx"], world["admin"], body(world, name=f"Over {tls}")
    )
    with SmtpServer(tls=tls, certificate=certificate) as smtp:
        settings = world["settings"].model_copy(update={"smtp_url": smtp.url})
        delivery = reports.send_now(
            world["ctx"], settings, world["admin"], view.schedule.id
        )
        [message] = smtp.inbox.wait_for(1)
    assert delivery.delivery.status == "sent", delivery.delivery.error
    assert message["Subject"].startswith(f"Over {tls}:")
    # Without trusting it, the certificate is refused and the reason named.
    monkeypatch.delenv("SSL_CERT_FILE")
    with SmtpServer(tls=tls, certificate=certificate) as smtp:
        settings = world["settings"].model_copy(update={"smtp_url": smtp.url})
        refused = reports.send_now(
            world["ctx"], settings, world["admin"], view.schedule.id
        )
    assert refused.delivery.status == "retrying"
    assert "CERTIFICATE_VERIFY_FAILED" in refused.delivery.error


def test_fire_instants_keep_9am_new_york_across_the_dst_change(world):
    """The claim at fixed instants around 8 March 2026 (clocks forward in New
    York): each day's run is due at 09:00 local, claimed once. (The instants are
    before every other schedule's next run, so only this one can be due.)"""
    view = reports.create_schedule(
        world["ctx"],
        world["admin"],
        body(
            world,
            name="Daily New York",
            frequency="daily",
            schedule_config={"time": "09:00", "timezone": "America/New_York"},
        ),
        now=dt.datetime(2026, 3, 6, 12, tzinfo=dt.UTC),
    )
    settings = world["settings"]
    claimed = []
    for now in (
        dt.datetime(2026, 3, 6, 13, 59),  # a minute early: nothing
        dt.datetime(2026, 3, 6, 14, 0, 5),  # 09:00 EST
        dt.datetime(2026, 3, 6, 14, 1, 5),  # the next minute: nothing again
        dt.datetime(2026, 3, 7, 14, 0, 5),  # 09:00 EST
        dt.datetime(2026, 3, 8, 13, 0, 5),  # 09:00 EDT, the day the clocks change
        dt.datetime(2026, 3, 8, 14, 0, 5),  # 10:00 EDT: nothing
        dt.datetime(2026, 3, 9, 13, 0, 5),  # 09:00 EDT
    ):
        claimed.append(reports.claim_due(world["ctx"], settings, world["acme"], now))
    assert [c for c, _ in claimed] == [0, 1, 0, 1, 1, 0, 1]
    rows = deliveries(world, view.schedule.id)
    local = [
        r.scheduled_for.replace(tzinfo=dt.UTC)
        .astimezone(ZoneInfo("America/New_York"))
        .isoformat()
        for r in rows
    ]
    assert local == [
        "2026-03-06T09:00:00-05:00",
        "2026-03-07T09:00:00-05:00",
        "2026-03-08T09:00:00-04:00",
        "2026-03-09T09:00:00-04:00",
    ]
    reports.delete_schedule(world["ctx"], world["admin"], view.schedule.id)


def test_a_monthly_31st_schedule_is_due_on_the_last_day_of_february(world):
    view = reports.create_schedule(
        world["ctx"],
        world["admin"],
        body(
            world,
            name="Month end",
            frequency="monthly",
            schedule_config={"day_of_month": 31, "time": "18:00", "timezone": "UTC"},
        ),
        now=dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
    )
    settings = world["settings"]
    feb_27 = dt.datetime(2026, 2, 27, 18, 0, 5)
    feb_28 = dt.datetime(2026, 2, 28, 18, 0, 5)
    assert reports.claim_due(world["ctx"], settings, world["acme"], feb_27) == (0, 0)
    assert reports.claim_due(world["ctx"], settings, world["acme"], feb_28) == (1, 0)
    [row] = deliveries(world, view.schedule.id)
    assert row.scheduled_for == dt.datetime(2026, 2, 28, 18, 0)
    reports.delete_schedule(world["ctx"], world["admin"], view.schedule.id)


def test_a_pdf_report_is_mailed_with_the_pdf_attached(world):
    view = reports.create_schedule(
        world["ctx"], world["admin"], body(world, name="PDF", format="pdf")
    )
    make_due(world, view.schedule.id, minutes_ago=1)
    with SmtpServer() as smtp:
        settings = world["settings"].model_copy(update={"smtp_url": smtp.url})
        assert run(world, settings)["sent"] >= 1
        [message] = [
            m for m in smtp.inbox.wait_for(1) if m["Subject"].startswith("PDF: ")
        ]
    [row] = deliveries(world, view.schedule.id)
    assert row.status == "sent" and row.attempts == 1
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")


def test_a_snapshot_schedule_takes_a_snapshot_at_its_fire_instant(world):
    with pytest.raises(Invalid, match="a snapshot schedule mails nothing"):
        reports.create_schedule(
            world["ctx"], world["admin"], body(world, format="snapshot")
        )
    with pytest.raises(Invalid, match="recipients: give at least one address"):
        reports.create_schedule(
            world["ctx"], world["admin"], body(world, recipients=[])
        )
    view = reports.create_schedule(
        world["ctx"],
        world["admin"],
        body(world, name="Nightly snapshot", format="snapshot", recipients=[]),
    )
    assert view.schedule.recipients == [] and view.document()["format"] == "snapshot"
    with pytest.raises(Invalid, match="no report to preview"):
        reports.preview_schedule(world["ctx"], world["admin"], view.schedule.id)
    due = make_due(world, view.schedule.id, minutes_ago=1)
    assert run(world)["sent"] == 1
    [row] = deliveries(world, view.schedule.id)
    assert row.status == "sent" and row.snapshot_id and row.error is None
    assert row.message_id is None and row.outbox_file is None
    with world["ctx"].db.session(world["acme"]) as session:
        snapshot = session.get(DashboardSnapshot, row.snapshot_id)
        assert snapshot.snapshot_type == "scheduled"
        assert snapshot.snapshot_date == due  # the fire instant, not the run's
        assert snapshot.dashboard_id == world["dashboard"]
        assert snapshot.name.startswith("Nightly snapshot ")
        assert snapshot.created_by is None and snapshot.meta["schedule_id"]
        created = session.scalars(
            select(AuditLog).where(
                AuditLog.entity_type == "snapshot",
                AuditLog.entity_id == str(snapshot.id),
                AuditLog.action == "create",
            )
        ).one()
        assert created.user_id is None
        assert created.details["snapshot_type"] == "scheduled"
    assert run(world)["claimed"] == 0  # once per fire instant
    sent = send_now(world, world["settings"], view.schedule.id)
    assert sent.delivery.status == "sent"
    assert sent.document()["snapshot_id"] not in (None, row.snapshot_id)
