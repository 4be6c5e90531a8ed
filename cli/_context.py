"""What every ``pulse`` command shares: the settings (read at most once), the org
lookup by slug, and how a command fails."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn

import click

from accounts.orgs import org_id_by_slug
from accounts.permissions import OPERATOR_ROLE, Caller
from core.cache import make_cache
from core.db import Database
from core.settings import Settings, load_settings
from datasources.cache import QueryCache


@dataclass(frozen=True)
class OperatorContext:
    """What a command needs (the database and the deployment's query cache) when the
    ``pulse`` command line calls it as an operator, and the operator as a caller."""

    db: Database
    data: QueryCache
    caller: Caller


class PulseContext:
    """The ``pulse`` run's shared state, handed to every command as ``ctx.obj``.

    Args:
        settings: settings to use instead of reading them (tests pass their own).
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings

    @property
    def settings(self) -> Settings:
        """The settings, read from the environment the first time a command asks.

        A command that never asks (``pulse pgsetup``, ``pulse bench report``, or one
        given ``--database-url``) runs even when the environment's settings are bad.

        Raises:
            ConfigurationError: the ``pulse`` group reports it and exits with 2.
        """
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    def admin_database_url(self, explicit: str | None = None) -> str:
        """``--database-url`` when given, else the schema owner's URL
        (``PULSE_ADMIN_DATABASE_URL``, or ``DATABASE_URL``)."""
        return explicit or self.settings.migration_database_url

    @contextmanager
    def admin_database(self, explicit: str | None = None) -> Iterator[Database]:
        """The schema owner's :class:`Database` (see :meth:`admin_database_url`),
        disposed of when the command is done with it."""
        database = Database(self.admin_database_url(explicit))
        try:
            yield database
        finally:
            database.dispose()

    @contextmanager
    def operator(
        self, org_slug: str, explicit: str | None = None
    ) -> Iterator[OperatorContext]:
        """The schema owner's database, the shared cache and an operator
        :class:`Caller` of the org ``org_slug`` (role ``operator``: the commands that
        admins may run accept it); fails the command if there is no such org."""
        with self.admin_database(explicit) as database:
            try:
                org_id = org_id_by_slug(database, org_slug)
            except LookupError as exc:
                fail(f"error: {exc}")
            data = QueryCache(database, make_cache(self.settings))
            yield OperatorContext(database, data, Caller(org_id, None, OPERATOR_ROLE))


pass_pulse = click.make_pass_decorator(PulseContext, ensure=True)

# ``--database-url``: the commands that write as the schema owner accept it.
database_url_option = click.option(
    "--database-url", help="defaults to PULSE_ADMIN_DATABASE_URL or DATABASE_URL"
)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` on stderr and end the command with exit status ``code``."""
    click.echo(message, err=True)
    raise click.exceptions.Exit(code)
