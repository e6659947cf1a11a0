"""Health checks for persistent connections, skipped while a connection is in steady use.

With CONN_HEALTH_CHECKS Django asks the database `SELECT 1` before the first query of every
request that queries it, so a connection the database dropped (a restart, a failover) is
replaced instead of failing the request. On PostgreSQL that is a round trip per lookup:
about 40 µs of the worker's time and 50 µs of the server's, 7% of a cached lookup
(docs/speed.md). A connection used less than FRESH_SECONDS ago has just shown itself alive, so it
is not checked again; one idle for longer is checked as Django would. A database restart
takes longer than that, and a query that fails on a dropped connection marks it, so Django
closes it at the end of that request either way.
"""

import time

FRESH_SECONDS = 1.0


class ChecksIdleConnections:
    """Mixed into a backend's DatabaseWrapper."""

    used_at = float("-inf")

    def close_if_health_check_failed(self):
        if self.connection is not None and time.monotonic() - self.used_at < FRESH_SECONDS:
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _cursor(self, name=None):
        cursor = super()._cursor(name)
        self.used_at = time.monotonic()
        return cursor
