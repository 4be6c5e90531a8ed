"""The throwaway PostgreSQL and Redis servers the outage tests stop and start."""

from tests.outage import _outage_postgres_server, outage_postgres, outage_redis

__all__ = ["_outage_postgres_server", "outage_postgres", "outage_redis"]
