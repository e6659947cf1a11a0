"""Django's PostgreSQL backend, health-checking only idle connections (sidebar.db.health)."""

from django.db.backends.postgresql import base

from sidebar.db.health import ChecksIdleConnections


class DatabaseWrapper(ChecksIdleConnections, base.DatabaseWrapper):
    pass
