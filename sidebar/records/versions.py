"""Which version of a customer's or group's record is current: a token in the shared cache,
replaced whenever anything the record section shows changes (a note, the stage, a remark or
tag edit, a reply sent), after the change is committed.

The record section is rendered once per version, viewer, language and minute, and kept in
each process (sidebar.records.panel), so a lookup of a customer with a long record costs what
one without does (bench/records.py). A reader takes the version *before* it reads the
database, so whatever it renders is at least as new as the version it files it under. When
the shared cache does not answer, there is no version and the section is rendered afresh.
"""

import uuid

from django.core.cache import caches
from django.db import transaction

LIFETIME = 24 * 3600


def _key(target_id: str) -> str:
    return f"record-version:{target_id}"


def current(target_id: str) -> str | None:
    """The current version's token (made now if there is none); None without the cache."""
    cache = caches["default"]  # ignores outages: answers None
    key = _key(target_id)
    found = cache.get(key)
    if found is None:
        cache.add(key, uuid.uuid4().hex, timeout=LIFETIME)
        found = cache.get(key)
    return found


def changed(target_id: str) -> None:
    """The record of `target_id` changed: a new version, once the transaction commits."""

    def bump():
        caches["default"].set(_key(target_id), uuid.uuid4().hex, timeout=LIFETIME)

    transaction.on_commit(bump)
