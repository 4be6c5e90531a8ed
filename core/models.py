"""The Pulse data model (SQLAlchemy 2).

Every tenant table carries ``org_id`` through :class:`TenantMixin` (or
:class:`SharedTenantMixin` for tables whose rows may also be global, with ``org_id``
NULL). The tenancy layer (``datasources.tenancy``) scopes every ORM query by these
mixins, and on PostgreSQL the migrations add row-level-security policies on the same
column.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from core.metrics import BASE_COLUMNS

# Money is stored as double precision: sums over millions of rows stay exact to far
# below a cent, and PostgreSQL aggregates float8 several times faster than numeric.
Money = Float


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# JSON documents: JSONB on PostgreSQL (indexable, compact), JSON text on SQLite.
JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JsonDocument, list[Any]: JsonDocument}


class TenantMixin:
    """Rows that belong to exactly one org."""

    @declared_attr
    def org_id(cls) -> Mapped[int]:
        return mapped_column(
            ForeignKey("orgs.id", ondelete="CASCADE"), index=True, nullable=False
        )


class SharedTenantMixin:
    """Rows that belong to one org, or to every org when ``org_id`` is NULL
    (read-only)."""

    @declared_attr
    def org_id(cls) -> Mapped[int | None]:
        return mapped_column(
            ForeignKey("orgs.id", ondelete="CASCADE"), index=True, nullable=True
        )


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, server_default=func.now()
    )


# --------------------------------------------------------------------------- tenancy
class Org(Base, Timestamps):
    """A customer organisation. RLS scopes it by its own id."""

    __tablename__ = "orgs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    allowed_recipient_domains: Mapped[list[Any]] = mapped_column(default=list)
    retention_days: Mapped[int] = mapped_column(Integer, default=730)
    # How long the retention job keeps raw hourly facts, audit rows and job runs, in
    # days (commands.retention validates them); the rollups are never purged.
    retention_raw_days: Mapped[int] = mapped_column(
        Integer, default=400, server_default="400"
    )
    retention_audit_days: Mapped[int] = mapped_column(
        Integer, default=730, server_default="730"
    )
    retention_job_runs_days: Mapped[int] = mapped_column(
        Integer, default=90, server_default="90"
    )
    # The org-local day before which hourly facts have been purged (None: never):
    # ingest refuses older rows and rollup rebuilds stop here.
    raw_purged_before: Mapped[dt.date | None] = mapped_column(Date)
    # How many days the snapshot_retention job keeps dashboard snapshots (None:
    # forever); see commands.snapshots.
    snapshot_retention_days: Mapped[int | None] = mapped_column(Integer)


class User(Base, TenantMixin, Timestamps):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ApiKey(Base, TenantMixin, Timestamps):
    """An org API key; only its SHA-256 hash is stored."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class UserSession(Base, TenantMixin):
    """One sign-in: it lasts until sign-out, ``PULSE_SESSION_IDLE_MINUTES`` without a
    request, or ``PULSE_SESSION_MAX_HOURS`` after it began, whichever comes first.

    The browser's (signed) session cookie holds the random token; only its SHA-256
    hash is stored here, as the id, so a copy of this table opens no session.
    ``last_seen_at`` is refreshed at most about once a minute, not on every request.
    """

    __tablename__ = "user_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(400))


class Playlist(Base, TenantMixin, Timestamps):
    """Dashboards a kiosk display shows in turn: ``items`` is an ordered list of
    ``{"dashboard_id": <id>, "seconds": <how long it stays on screen>}``."""

    __tablename__ = "kiosk_playlists"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    items: Mapped[list[Any]] = mapped_column(default=list)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class KioskToken(Base, TenantMixin, Timestamps):
    """A read-only wall-display token for one dashboard or one playlist (exactly one
    of ``dashboard_id``/``playlist_id``) under fixed ``filters``.

    Like an API key, only its SHA-256 hash is stored; ``prefix`` is what lists show.
    It opens ``/kiosk/<token>`` and nothing else: no session, no API, no other
    callback. ``last_seen_at`` is refreshed at most about once a minute.
    """

    __tablename__ = "kiosk_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    dashboard_id: Mapped[int | None] = mapped_column(
        ForeignKey("dashboard_templates.id", ondelete="CASCADE")
    )
    playlist_id: Mapped[int | None] = mapped_column(
        ForeignKey("kiosk_playlists.id", ondelete="CASCADE")
    )
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AuditLog(Base, TenantMixin):
    """Who (a user, an API key, or nobody: a job or the CLI) did or read what, when,
    and from which address."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_org_created", "org_id", "created_at"),)
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, index=True
    )
    api_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))


# ------------------------------------------------------------------- the six hub tables
class Dashboard(Base, SharedTenantMixin, Timestamps):
    """A dashboard, or a template to make dashboards from (``is_template``).

    Global templates have ``org_id`` NULL; an org's dashboards (``is_template`` false)
    are cloned from them and own their widgets. The table keeps the name it was created
    with, ``dashboard_templates``.
    """

    __tablename__ = "dashboard_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(32), default="custom")
    is_template: Mapped[bool] = mapped_column(Boolean, default=False)
    schema_version: Mapped[int] = mapped_column(Integer, default=1)
    layout_config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    widgets: Mapped[list[Any]] = mapped_column(default=list)
    default_filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    refresh_interval: Mapped[str] = mapped_column(String(16), default="15m")
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    source_template_id: Mapped[int | None] = mapped_column(
        ForeignKey("dashboard_templates.id", ondelete="SET NULL")
    )
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow
    )


class DashboardWidget(Base, TenantMixin, Timestamps):
    """A widget instance on an org dashboard; owned by a user, optionally shared."""

    __tablename__ = "dashboard_widgets"
    id: Mapped[int] = mapped_column(primary_key=True)
    dashboard_id: Mapped[int] = mapped_column(
        ForeignKey("dashboard_templates.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    is_shared: Mapped[bool] = mapped_column(Boolean, default=True)
    widget_type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    data_source: Mapped[str] = mapped_column(String(64))
    query_params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    position_x: Mapped[int] = mapped_column(Integer, default=0)
    position_y: Mapped[int] = mapped_column(Integer, default=0)
    width: Mapped[int] = mapped_column(Integer, default=3)
    height: Mapped[int] = mapped_column(Integer, default=2)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow
    )


class DashboardSnapshot(Base, TenantMixin, Timestamps):
    """A dashboard's widgets' data, filters and instant, kept as taken.

    ``data`` is the whole snapshot document (``commands.snapshots``), encrypted with
    Fernet (``core.crypto``); ``name``, the type, the date and who took it stay plain
    so the list can be shown without decrypting anything.
    """

    __tablename__ = "dashboard_snapshots"
    __table_args__ = (
        Index("ix_dashboard_snapshots_org_date", "org_id", "snapshot_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    dashboard_id: Mapped[int] = mapped_column(
        ForeignKey("dashboard_templates.id", ondelete="CASCADE"), index=True
    )
    snapshot_type: Mapped[str] = mapped_column(String(16), default="manual")
    snapshot_date: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Point-in-time widget data, encrypted at rest (see the snapshots issue).
    data: Mapped[bytes] = mapped_column(LargeBinary)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JsonDocument, default=dict)
    export_formats: Mapped[list[Any]] = mapped_column(default=list)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class ReportSchedule(Base, TenantMixin, Timestamps):
    __tablename__ = "report_schedules"
    id: Mapped[int] = mapped_column(primary_key=True)
    dashboard_id: Mapped[int] = mapped_column(
        ForeignKey("dashboard_templates.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    frequency: Mapped[str] = mapped_column(String(16))
    schedule_config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recipients: Mapped[list[Any]] = mapped_column(default=list)
    format: Mapped[str] = mapped_column(String(8), default="pdf")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    next_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime, index=True)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class ReportDelivery(Base, TenantMixin, Timestamps):
    """One run of a report schedule: what was sent, when, to whom, and how it ended.

    ``(schedule_id, scheduled_for)`` is unique: the delivery key that keeps two
    scheduler processes from sending one fire instant twice (see
    :mod:`commands.report_schedules`). ``scheduled_for`` is naive UTC like every
    instant in the database.
    """

    __tablename__ = "report_deliveries"
    __table_args__ = (
        UniqueConstraint(
            "schedule_id", "scheduled_for", name="uq_report_deliveries_key"
        ),
        Index("ix_report_deliveries_status", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("report_schedules.id", ondelete="CASCADE")
    )
    trigger: Mapped[str] = mapped_column(String(16))  # schedule, manual
    scheduled_for: Mapped[dt.datetime] = mapped_column(DateTime)
    # pending, running, retrying, sent, failed, missed
    status: Mapped[str] = mapped_column(String(16))
    recipients: Mapped[list[Any]] = mapped_column(default=list)
    format: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(255))
    outbox_file: Mapped[str | None] = mapped_column(String(500))
    # The snapshot a schedule of format "snapshot" took (no foreign key: the log
    # still names it after the snapshot is deleted).
    snapshot_id: Mapped[int | None] = mapped_column(Integer)


class DashboardAlert(Base, TenantMixin, Timestamps):
    __tablename__ = "dashboard_alerts"
    id: Mapped[int] = mapped_column(primary_key=True)
    dashboard_id: Mapped[int | None] = mapped_column(
        ForeignKey("dashboard_templates.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    alert_type: Mapped[str] = mapped_column(String(16))
    condition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notification_config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="ok")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    cooldown_minutes: Mapped[int] = mapped_column(Integer, default=60)
    last_evaluated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_triggered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    history: Mapped[list[Any]] = mapped_column(default=list)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # From 0015: why the alert cannot be evaluated (unknown metric, deleted
    # campaign), a mute, the last acknowledgement and the webhook signing secret.
    broken_reason: Mapped[str | None] = mapped_column(Text)
    muted_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    webhook_secret: Mapped[str | None] = mapped_column(String(64))


class AlertState(Base, TenantMixin):
    """Where one alert stands for one entity (``org``, ``platform:meta``,
    ``campaign:12``): ``ok`` -> ``pending`` -> ``firing`` -> ``resolved``."""

    __tablename__ = "alert_states"
    __table_args__ = (
        UniqueConstraint("alert_id", "entity_key", name="uq_alert_states_entity"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        ForeignKey("dashboard_alerts.id", ondelete="CASCADE")
    )
    entity_key: Mapped[str] = mapped_column(String(64))
    entity_label: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(16), default="ok")
    pending_count: Mapped[int] = mapped_column(Integer, default=0)
    value: Mapped[float | None] = mapped_column(Float)
    since: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_evaluated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_fired_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AlertHistory(Base, TenantMixin):
    """One state change of an alert for one entity, and whether it was notified
    (``notify_status``: ``none`` for changes nobody is told about, ``pending``,
    ``sending``, ``sent``, ``failed``, ``muted``)."""

    __tablename__ = "alert_history"
    __table_args__ = (
        Index("ix_alert_history_alert", "alert_id", "created_at"),
        Index("ix_alert_history_notify", "notify_status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        ForeignKey("dashboard_alerts.id", ondelete="CASCADE")
    )
    entity_key: Mapped[str] = mapped_column(String(64))
    entity_label: Mapped[str] = mapped_column(String(200), default="")
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    notify_status: Mapped[str] = mapped_column(String(16), default="none")
    notified_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AlertDelivery(Base, TenantMixin):
    """One attempt to deliver a notification on one channel, with its outcome (the
    HTTP status code of a webhook or Slack request). An alert's attempts name its
    history row; an automation rule's ``notify`` names its execution."""

    __tablename__ = "alert_deliveries"
    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("dashboard_alerts.id", ondelete="CASCADE"), index=True
    )
    history_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_history.id", ondelete="CASCADE")
    )
    execution_id: Mapped[int | None] = mapped_column(
        ForeignKey("automation_executions.id", ondelete="CASCADE")
    )
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(500), default="")
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    status_code: Mapped[int | None] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class RealtimeMetricsCache(Base, TenantMixin):
    __tablename__ = "realtime_metrics_cache"
    __table_args__ = (UniqueConstraint("org_id", "metric_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    metric_key: Mapped[str] = mapped_column(String(255))
    metric_type: Mapped[str] = mapped_column(String(64))
    metric_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    aggregation_period: Mapped[str] = mapped_column(String(16))
    entity_type: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    cached_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


# ------------------------------------------------------------ campaigns and their facts
class Platform(Base):
    """The advertising platforms; global reference data, not tenant data."""

    __tablename__ = "platforms"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))


# A platform's campaign id names one campaign per org: ingests and every other creator
# upsert on this key. Campaigns created by name only (no external id) are not keyed.
CAMPAIGN_EXTERNAL_KEY = ("org_id", "platform", "external_id")
CAMPAIGN_HAS_EXTERNAL_ID = text("external_id <> ''")


class Campaign(Base, TenantMixin, Timestamps):
    __tablename__ = "campaigns"
    __table_args__ = (
        Index(
            "uq_campaigns_org_platform_external_id",
            *CAMPAIGN_EXTERNAL_KEY,
            unique=True,
            sqlite_where=CAMPAIGN_HAS_EXTERNAL_ID,
            postgresql_where=CAMPAIGN_HAS_EXTERNAL_ID,
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(ForeignKey("platforms.code"), index=True)
    external_id: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(200))
    objective: Mapped[str] = mapped_column(String(32), default="conversions")
    status: Mapped[str] = mapped_column(String(16), default="active")
    budget: Mapped[float] = mapped_column(Money, default=0.0)
    daily_budget: Mapped[float | None] = mapped_column(Money)
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    target_cpa: Mapped[float | None] = mapped_column(Money)
    target_roas: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow
    )


class MetricSums:
    """The additive delivery measures every fact and rollup table carries; ratios (CTR,
    ROAS, ...) are computed from their sums, never stored."""

    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    conversions: Mapped[int] = mapped_column(BigInteger, default=0)
    spend: Mapped[float] = mapped_column(Money, default=0.0)
    revenue: Mapped[float] = mapped_column(Money, default=0.0)


class MetricFactHourly(Base, TenantMixin, MetricSums):
    """One campaign's delivery in one UTC hour and one country (ISO 3166 alpha-3).

    ``local_date`` is the org-local calendar day of ``hour_utc``, fixed at ingest so
    that every day-level query groups by the org's own days on any database engine.
    """

    __tablename__ = "metric_facts_hourly"
    __table_args__ = (
        Index("ix_facts_hourly_org_hour", "org_id", "hour_utc"),
        Index("ix_facts_hourly_org_date", "org_id", "local_date"),
    )
    # Not indexed alone: the composite indexes above lead with org_id.
    org_id: Mapped[int] = mapped_column(
        ForeignKey("orgs.id", ondelete="CASCADE"), nullable=False
    )
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    hour_utc: Mapped[dt.datetime] = mapped_column(DateTime, primary_key=True)
    country: Mapped[str] = mapped_column(String(3), primary_key=True)
    local_date: Mapped[dt.date] = mapped_column(Date)


# The columns of ``metric_facts_hourly`` in the order the bulk writers (ingest, the
# demo seeder, the benchmark generator) COPY or insert them.
FACT_COLUMNS = (
    "org_id",
    "campaign_id",
    "hour_utc",
    "country",
    "local_date",
    *BASE_COLUMNS,
)


class MetricFactDaily(Base, TenantMixin, MetricSums):
    """Rollup of :class:`MetricFactHourly` by org-local day, campaign and country.

    The platform is copied from the campaign so platform breakdowns need no join.
    """

    __tablename__ = "metric_facts_daily"
    __table_args__ = (
        Index("ix_facts_daily_org_day", "org_id", "day"),
        Index("ix_facts_daily_org_platform_day", "org_id", "platform", "day"),
        Index("ix_facts_daily_org_week", "org_id", "week_start"),
    )
    # Not indexed alone: the composite indexes above lead with org_id.
    org_id: Mapped[int] = mapped_column(
        ForeignKey("orgs.id", ondelete="CASCADE"), nullable=False
    )
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    country: Mapped[str] = mapped_column(String(3), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    # Monday of the org-local week of ``day``: weekly series group by it in SQL.
    week_start: Mapped[dt.date | None] = mapped_column(Date)


class MetricFactDailyPlatform(Base, TenantMixin, MetricSums):
    """Rollup of :class:`MetricFactDaily` by org-local day and platform (campaigns and
    countries summed).

    Day- and week-level widgets without a campaign or country filter (KPI cards, trends,
    platform breakdowns) read five rows per day here instead of one per campaign ×
    country, so their cost does not grow with the number of campaigns.
    """

    __tablename__ = "metric_facts_daily_platform"
    # The primary key leads with org_id and day: it serves the day-range scans.
    org_id: Mapped[int] = mapped_column(
        ForeignKey("orgs.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    week_start: Mapped[dt.date | None] = mapped_column(Date)


class CampaignTotals(Base, TenantMixin, MetricSums):
    """Each campaign's lifetime sums from :class:`MetricFactDaily`, with the first and
    last day it delivered: budget pacing reads one row per campaign here instead of
    every day of every flight."""

    __tablename__ = "campaign_totals"
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)


class MetricFactHourlyPlatform(Base, TenantMixin, MetricSums):
    """Rollup of :class:`MetricFactHourly` by UTC hour and platform (campaigns and
    countries summed).

    Hour-level views without a campaign or country filter (heatmap, realtime) read a
    few rows per hour here instead of one per campaign × country. ``local_date`` is the
    org-local day of ``hour_utc`` (as on the hourly facts), so ingests can rebuild
    exactly the days they touched.
    """

    __tablename__ = "metric_facts_hourly_platform"
    __table_args__ = (
        Index("ix_facts_hourly_platform_org_date", "org_id", "local_date"),
    )
    # Not indexed alone: the primary key and the index above lead with org_id.
    org_id: Mapped[int] = mapped_column(
        ForeignKey("orgs.id", ondelete="CASCADE"), primary_key=True
    )
    hour_utc: Mapped[dt.datetime] = mapped_column(DateTime, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    local_date: Mapped[dt.date] = mapped_column(Date)


# ---------------------------------------------------------------------------- analytics
class Forecast(Base, TenantMixin):
    __tablename__ = "forecasts"
    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32), default="org")
    entity_id: Mapped[str | None] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(32))
    forecast_type: Mapped[str] = mapped_column(String(32))
    horizon_days: Mapped[int] = mapped_column(Integer)
    points: Mapped[list[Any]] = mapped_column(default=list)
    accuracy_mape: Mapped[float | None] = mapped_column(Float)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    generated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Anomaly(Base, TenantMixin):
    __tablename__ = "anomalies"
    __table_args__ = (
        UniqueConstraint(
            "org_id",
            "entity_key",
            "metric",
            "day",
            name="uq_anomalies_entity_metric_day",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # "campaign:<id>" or "platform:<code>": one key for de-duplicating re-runs.
    entity_key: Mapped[str] = mapped_column(String(64), default="")
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    platform: Mapped[str | None] = mapped_column(String(16))
    metric: Mapped[str] = mapped_column(String(32))
    day: Mapped[dt.date] = mapped_column(Date)
    observed: Mapped[float] = mapped_column(Float)
    expected: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float)
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="new")
    detected_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    acknowledged_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class TrendAnalysis(Base, TenantMixin):
    __tablename__ = "trend_analyses"
    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32), default="org")
    entity_id: Mapped[str | None] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(32))
    trend_type: Mapped[str] = mapped_column(String(16))
    slope: Mapped[float] = mapped_column(Float)
    window_days: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[dt.date] = mapped_column(Date)
    window_end: Mapped[dt.date] = mapped_column(Date)
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Recommendation(Base, TenantMixin, Timestamps):
    __tablename__ = "recommendations"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    rec_type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(8), default="medium")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    expected_impact: Mapped[float | None] = mapped_column(Float)
    decided_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


# --------------------------------------------------------------------------- automation
class AutomationRule(Base, TenantMixin, Timestamps):
    __tablename__ = "automation_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    rule_type: Mapped[str] = mapped_column(String(32), default="campaign_performance")
    status: Mapped[str] = mapped_column(String(16), default="active")
    condition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    action: Mapped[dict[str, Any]] = mapped_column(default=dict)
    scope: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AutomationExecution(Base, TenantMixin):
    __tablename__ = "automation_executions"
    __table_args__ = (Index("ix_automation_exec_org_time", "org_id", "executed_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(
        ForeignKey("automation_rules.id", ondelete="CASCADE")
    )
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL")
    )
    executed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16))
    action_taken: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)


# ----------------------------------------------------------------- platform connections
class PlatformConnection(Base, TenantMixin, Timestamps):
    __tablename__ = "platform_connections"
    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(ForeignKey("platforms.code"))
    account_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")
    token_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_sync_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_sync_status: Mapped[str | None] = mapped_column(String(16))
    rate_limit_limit: Mapped[int] = mapped_column(Integer, default=10000)


class PlatformSyncRun(Base, TenantMixin):
    __tablename__ = "platform_sync_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("platform_connections.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))
    records_synced: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class PlatformApiCalls(Base, TenantMixin):
    """API calls a connection made in one UTC hour, and its rate-limit usage then."""

    __tablename__ = "platform_api_calls"
    __table_args__ = (UniqueConstraint("connection_id", "hour_utc"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("platform_connections.id", ondelete="CASCADE"), index=True
    )
    hour_utc: Mapped[dt.datetime] = mapped_column(DateTime)
    call_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    rate_limit_used: Mapped[int] = mapped_column(Integer, default=0)


class PlatformError(Base, TenantMixin):
    __tablename__ = "platform_errors"
    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("platform_connections.id", ondelete="CASCADE"), index=True
    )
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)
    error_code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16), default="error")


# ----------------------------------------------------------------- jobs and ingestion
class JobRun(Base, TenantMixin):
    """One run of a scheduled or on-demand job for one org, with its outcome."""

    __tablename__ = "job_runs"
    __table_args__ = (
        Index("ix_job_runs_org_job_started", "org_id", "job", "started_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(16), default="schedule")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class AnalyticsRefresh(Base, TenantMixin):
    """Org-local days whose analytics (forecasts, anomalies, trends) need
    recomputing."""

    __tablename__ = "analytics_refresh_queue"
    __table_args__ = (UniqueConstraint("org_id", name="uq_analytics_refresh_org"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    requested_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class IngestBatch(Base, TenantMixin):
    """One ingest request or file: what came in and what happened to it."""

    __tablename__ = "ingest_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # api, cli
    format: Mapped[str] = mapped_column(String(16))  # native, google_ads, meta_ads
    status: Mapped[str] = mapped_column(String(16))  # committed, rejected
    rows_received: Mapped[int] = mapped_column(Integer, default=0)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    first_day: Mapped[dt.date | None] = mapped_column(Date)
    last_day: Mapped[dt.date | None] = mapped_column(Date)
    errors: Mapped[list[Any]] = mapped_column(default=list)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    api_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


def tenant_tables() -> list[str]:
    """Names of every table that carries ``org_id`` (RLS applies to each)."""
    return sorted(
        cast(Table, mapper.local_table).name
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, (TenantMixin, SharedTenantMixin))
    )
