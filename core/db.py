"""Engines, sessions and the tenant context.

Every session is opened for one org (``Database.session(org_id)``). Two independent
guards keep tenants apart:

* the query layer (both engines): each ORM statement that touches a tenant model gets
  ``org_id = :org`` criteria added, a statement with no org context raises
  :class:`TenantContextMissing`, and a flush refuses rows of another org;
* PostgreSQL row-level security: each transaction sets ``app.org_id`` with
  ``set_config(..., true)`` (transaction-local, so a pooled connection never carries
  one org's context into another request), and the RLS policies from the migrations
  filter on it. The app connects as a role that cannot bypass them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Table, create_engine, event, or_, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.util import find_tables

from core.models import Base, SharedTenantMixin, TenantMixin

ORG_KEY = "org_id"
# A PostgreSQL server that does not answer within this is down: a request waiting
# longer only ties up a worker (a refused connection fails at once anyway).
PG_CONNECT_TIMEOUT_SECONDS = 3
UNSCOPED_KEY = "unscoped"
_TENANT_TABLE_NAMES = frozenset(
    cast(Table, mapper.local_table).name
    for mapper in Base.registry.mappers
    if issubclass(mapper.class_, (TenantMixin, SharedTenantMixin))
)


class TenantContextMissing(PermissionError):
    """A tenant table was queried without an org context: fail closed."""


class CrossTenantWrite(PermissionError):
    """A flush tried to write a row that belongs to another org."""


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine with the per-dialect settings Pulse relies on."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    # Pre-ping: after the server restarts, the pool notices each dead connection at
    # checkout and opens a new one, so the app recovers by itself.
    kwargs.setdefault("pool_pre_ping", True)
    kwargs["connect_args"] = {
        "connect_timeout": PG_CONNECT_TIMEOUT_SECONDS,
        **kwargs.get("connect_args", {}),
    }
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 5)
        kwargs.setdefault("max_overflow", 10)
    return create_engine(url, **kwargs)


def _tenant_tables_in(state: ORMExecuteState) -> list[str]:
    """Tenant tables a statement reads, including ones only in FROM/WHERE clauses
    (``select(func.count()).select_from(Campaign)`` names no entity in its columns)."""
    tables = {
        t.name
        for t in find_tables(
            cast(ClauseElement, state.statement),
            include_joins=True,
            include_aliases=True,
            include_crud=True,
        )
    }
    tables |= {cast(Table, m.local_table).name for m in state.all_mappers}
    return sorted(tables & _TENANT_TABLE_NAMES)


def _scope_statement(state: ORMExecuteState) -> None:
    """Add org criteria to every ORM statement; refuse one with no org context."""
    if not (state.is_select or state.is_update or state.is_delete):
        return
    session = state.session
    if session.info.get(UNSCOPED_KEY):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the parent statement already carried the criteria
    org_id = session.info.get(ORG_KEY)
    if org_id is None:
        tables = _tenant_tables_in(state)
        if tables:
            raise TenantContextMissing(
                f"query on {', '.join(tables)} without an org context"
            )
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantMixin, lambda cls: cls.org_id == org_id, include_aliases=True
        ),
        with_loader_criteria(
            SharedTenantMixin,
            lambda cls: or_(cls.org_id == org_id, cls.org_id.is_(None)),
            include_aliases=True,
        ),
    )


def _check_flush(session: Session, _flush_context, _instances) -> None:
    """Stamp new tenant rows with the session's org and refuse rows of another org."""
    if session.info.get(UNSCOPED_KEY):
        return
    org_id = session.info.get(ORG_KEY)
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if not isinstance(obj, (TenantMixin, SharedTenantMixin)):
            continue
        if org_id is None:
            raise TenantContextMissing(
                f"write to {type(obj).__name__} without an org context"
            )
        if obj.org_id is None and obj in session.new:
            obj.org_id = org_id
        if obj.org_id != org_id:
            raise CrossTenantWrite(
                f"refusing to write {obj.__tablename__} row of org {obj.org_id} "
                f"in the context of org {org_id}"
            )


def _set_pg_org_context(session: Session, _transaction, connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    org_id = session.info.get(ORG_KEY)
    if org_id is not None:
        connection.execute(
            text("SELECT set_config('app.org_id', :org_id, true)"),
            {"org_id": str(int(org_id))},
        )


class Database:
    """The app's database handle: an engine and org-scoped sessions.

    Args:
        url: SQLAlchemy URL of the app role.
        **engine_kwargs: passed to :func:`make_engine`.
    """

    def __init__(self, url: str, **engine_kwargs) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self._sessions, "do_orm_execute", _scope_statement)
        event.listen(self._sessions, "before_flush", _check_flush)
        event.listen(self._sessions, "after_begin", _set_pg_org_context)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, org_id: int | None, *, durable: bool = True) -> Iterator[Session]:
        """A session for one org that commits on success and rolls back on error.

        Args:
            org_id: the org whose rows this session may read and write. ``None`` gives a
                session that can only touch global tables (tenant queries raise).
            durable: ``False`` lets PostgreSQL acknowledge the commit before its WAL
                reaches the disk (``synchronous_commit = off`` for this transaction
                only): a crash in the next fraction of a second may lose it, but never
                leaves anything half-written. For records of reads, written on a hot
                path, where waiting for the disk would double a cached answer's time.
        """
        with self._sessions() as session:
            session.info[ORG_KEY] = org_id
            try:
                if not durable and self.dialect == "postgresql":
                    session.execute(text("SET LOCAL synchronous_commit = off"))
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def unscoped_session(self) -> Iterator[Session]:
        """A session without tenant scoping, for migrations, seeding and login lookups.

        On PostgreSQL RLS still applies unless the engine's role bypasses it.
        """
        with self._sessions() as session:
            session.info[UNSCOPED_KEY] = True
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def time_limit(self, session: Session, seconds: float) -> Iterator[None]:
        """Abort the session's statements that run longer than ``seconds``.

        PostgreSQL: a transaction-local ``statement_timeout``. SQLite: a progress
        handler that interrupts the statement once the deadline has passed. Either way
        the statement raises and :func:`is_timeout` recognises the error.
        """
        connection = session.connection()
        if self.dialect == "postgresql":
            connection.execute(
                text("SELECT set_config('statement_timeout', :ms, true)"),
                {"ms": str(int(seconds * 1000))},
            )
            yield
            return
        raw: Any = connection.connection.driver_connection
        deadline = time.monotonic() + seconds
        raw.set_progress_handler(lambda: time.monotonic() > deadline, 20_000)
        try:
            yield
        finally:
            raw.set_progress_handler(None, 0)

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def is_timeout(error: BaseException) -> bool:
    """Whether a database error is a statement cut off by
    :meth:`Database.time_limit`."""
    message = str(getattr(error, "orig", error)).lower()
    return "statement timeout" in message or "interrupted" in message


def is_unavailable(error: BaseException) -> bool:
    """Whether a database error means the database cannot be reached (stopped, not
    accepting connections, the connection dropped, the pool exhausted), rather than a
    problem with the statement. Such an error goes away by itself when the database is
    back; a statement cut off by :meth:`Database.time_limit` is not one."""
    if is_timeout(error):
        return False
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.OperationalError) and _is_sqlite(error):
        # SQLite says OperationalError for a missing table or column too: that is a
        # schema out of date (run the migrations), not an outage to wait out.
        message = str(error.orig).lower()
        return any(sign in message for sign in SQLITE_UNAVAILABLE)
    return isinstance(error, (sa_exc.OperationalError, sa_exc.TimeoutError))


# What SQLite says when its file cannot be used right now (as opposed to a bad
# statement or schema).
SQLITE_UNAVAILABLE = (
    "database is locked",
    "unable to open database",
    "disk i/o error",
    "file is not a database",
    "database disk image is malformed",
)


def _is_sqlite(error: sa_exc.DBAPIError) -> bool:
    return type(error.orig).__module__.startswith("sqlite3")
