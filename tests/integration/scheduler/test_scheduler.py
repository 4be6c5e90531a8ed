"""The scheduler: logged runs per org, failures recorded, one instance only."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli.main import pulse
from core.models import JobRun
from scheduler.context import JobContext
from scheduler.jobs import JobDefinition
from scheduler.runner import SingleInstanceLock, run_job
from tests.conftest import make_settings, org_id


def ok_task(ctx, org):
    return {"org": org, "campaigns": "checked"}


def failing_task(ctx, org):
    if ctx.data.org_context(org).slug == "acme":
        raise RuntimeError("platform API said no")
    return {"ok": True}


@pytest.fixture
def job_context(demo_db):
    ctx = JobContext.from_settings(
        make_settings(demo_db["app"], admin_database_url=demo_db["admin"])
    )
    yield ctx
    ctx.dispose()


def runs_of(ctx, org: int, job_name: str) -> list[JobRun]:
    with ctx.db.session(org) as session:
        return list(session.scalars(select(JobRun).where(JobRun.job == job_name)))


def test_each_org_run_is_logged_in_its_own_org(job_context):
    job = JobDefinition(
        "test_ok",
        "tests.integration.scheduler.test_scheduler:ok_task",
        {"trigger": "interval"},
    )
    runs = run_job(job_context, job, trigger="manual")
    acme, globex = (
        org_id(job_context.admin_db, "acme"),
        org_id(job_context.admin_db, "globex"),
    )
    assert {r.org_id for r in runs} == {acme, globex}
    [acme_run] = runs_of(job_context, acme, "test_ok")
    assert acme_run.status == "success" and acme_run.trigger == "manual"
    assert (
        acme_run.summary == {"org": acme, "campaigns": "checked"}
        and acme_run.finished_at
    )


def test_a_failure_is_recorded_and_other_orgs_still_run(job_context):
    acme, globex = (
        org_id(job_context.admin_db, "acme"),
        org_id(job_context.admin_db, "globex"),
    )
    job = JobDefinition(
        "test_fail", "tests.integration.scheduler.test_scheduler:failing_task", {}
    )
    run_job(job_context, job)
    [failed] = runs_of(job_context, acme, "test_fail")
    [passed] = runs_of(job_context, globex, "test_fail")
    assert failed.status == "failed" and "platform API said no" in failed.error
    assert passed.status == "success"


def test_only_one_scheduler_per_database(job_context):
    first, second = SingleInstanceLock(job_context), SingleInstanceLock(job_context)
    try:
        assert first.acquire() is True
        assert second.acquire() is False
    finally:
        first.release()
        second.release()
    third = SingleInstanceLock(job_context)
    assert third.acquire() is True
    third.release()


def test_cli_names_unknown_jobs_and_orgs(demo_db, monkeypatch):
    monkeypatch.setenv("PULSE_DATABASE_URL", demo_db["app"])
    monkeypatch.setenv("PULSE_ADMIN_DATABASE_URL", demo_db["admin"])
    runner = CliRunner()
    unknown_job = runner.invoke(pulse, ["scheduler", "run", "nightly_magic"])
    assert unknown_job.exit_code == 2
    assert "unknown job 'nightly_magic'" in unknown_job.stderr
    unknown_org = runner.invoke(
        pulse, ["scheduler", "run", "automation_rules", "--org", "initech"]
    )
    assert unknown_org.exit_code == 2
    assert "no org with slug 'initech'" in unknown_org.stderr


def test_embedded_scheduler_starts_once_with_every_job(demo_db):
    from scheduler.jobs import JOBS
    from scheduler.process import start_in_background

    settings = make_settings(demo_db["app"], admin_database_url=demo_db["admin"])
    first = start_in_background(settings)
    try:
        assert first is not None and first.running
        assert {j.id for j in first.get_jobs()} == {j.name for j in JOBS}
        # A second web process against the same database runs no scheduler.
        assert start_in_background(settings) is None
    finally:
        first.shutdown(wait=False)
        first.instance_lock.release()


def test_the_real_jobs_run_and_log_their_summaries(tmp_path, seed_now):
    """analytics and automation_rules as the scheduler runs them, on a demo of their
    own."""
    from scheduler.jobs import job
    from tests.conftest import seed_small_demo, sqlite_url

    url = sqlite_url(tmp_path)
    seed_small_demo(url, seed_now)
    ctx = JobContext.from_settings(make_settings(url))
    try:
        acme = org_id(ctx.admin_db, "acme")
        analytics_runs = run_job(ctx, job("analytics"), org_id=acme, trigger="manual")
        rule_runs = run_job(ctx, job("automation_rules"), org_id=acme, trigger="manual")
        [analytics_run], [rule_run] = analytics_runs, rule_runs
        assert (
            analytics_run.status == "success" and analytics_run.summary["forecasts"] > 0
        )
        assert rule_run.status == "success"
        assert rule_run.summary["rules"] > 0 and rule_run.summary["failed"] == 0
        assert [r.status for r in runs_of(ctx, acme, "automation_rules")] == ["success"]
        # Nothing queued by an ingest: the after-ingest job says so and does nothing.
        [queued] = run_job(ctx, job("analytics_after_ingest"), org_id=acme)
        assert queued.status == "skipped" and queued.summary == {
            "skipped": "nothing queued"
        }
    finally:
        ctx.dispose()


def test_the_alerts_job_evaluates_and_sends(tmp_path, seed_now):
    """The ``alerts`` job as the scheduler runs it: an alert fires, its email goes to
    the outbox, and no job_runs row is written (the alert tables are its log)."""
    from core.models import DashboardAlert
    from scheduler.jobs import job
    from tests.conftest import seed_small_demo, sqlite_url

    url = sqlite_url(tmp_path)
    seed_small_demo(url, seed_now)
    ctx = JobContext.from_settings(make_settings(url, outbox_dir=tmp_path / "outbox"))
    try:
        acme = org_id(ctx.admin_db, "acme")
        with ctx.db.session(acme) as session:
            session.add(
                DashboardAlert(
                    org_id=acme,
                    name="Any spend",
                    alert_type="threshold",
                    condition={
                        "metric": "spend",
                        "operator": ">=",
                        "threshold": 0,
                        "window": "7d",
                    },
                    notification_config={
                        "channels": ["email"],
                        "recipients": ["ops@acme.example"],
                    },
                )
            )
        run_job(ctx, job("alerts"), org_id=acme, trigger="manual")
        with ctx.db.session(acme) as session:
            alert = session.scalars(select(DashboardAlert)).one()
            assert alert.state == "firing" and alert.last_evaluated_at is not None
        assert len(list((tmp_path / "outbox" / "acme").glob("alert-*.eml"))) == 1
        assert runs_of(ctx, acme, "alerts") == []
    finally:
        ctx.dispose()
