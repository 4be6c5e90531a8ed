"""The throwaway PostgreSQL server the scheduler's outage test stops and starts."""

from tests.outage import _outage_postgres_server, outage_postgres

__all__ = ["_outage_postgres_server", "outage_postgres"]
