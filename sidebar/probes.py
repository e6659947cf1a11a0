"""Whether the database and the shared cache answer: /healthz and the configuration doctor
(sidebar.doctor) ask here."""

from django.core.cache import caches
from django.db import DatabaseError, connection


def database_problem() -> DatabaseError | None:
    """None when the database answers a query, else the error it raised."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            if cursor.fetchone() == (1,):
                return None
            return DatabaseError("SELECT 1 answered something else")
    except DatabaseError as exc:
        return exc


def cache_answers() -> bool:
    cache = caches["wecom"]  # the alias that reports outages instead of hiding them
    try:
        cache.set("healthz", "1", timeout=10)
        return cache.get("healthz") == "1"
    except Exception:
        return False
