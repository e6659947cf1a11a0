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

from sidebar.watched import Watched

LIFETIME = 24 * 3600


# What every record section shows besides its own record: the stages admins define.
STAGES = "record-version:stages"


def _key(target_id: str) -> str:
    return f"record-version:{target_id}"


# Each process keeps the versions it read; every change is announced (sidebar.watched).
_watched = Watched("record-versions")


def current(target_id: str) -> str | None:
    """The current version's token: the record's and the stages' (each made now if there is
    none); None without the cache."""
    keys = [_key(target_id), STAGES]
    kept, told = _watched.recall(keys)
    if kept is not None:
        return "/".join(kept[key] for key in keys)
    cache = caches["default"]  # ignores outages: answers None
    # A copy: django-redis answers a get_many it could not make with one shared dict, which
    # filling in below would hand to every later caller (a 500 per lookup once seen).
    found = dict(cache.get_many(keys))
    for key in keys:
        if key not in found:
            cache.add(key, uuid.uuid4().hex, timeout=LIFETIME)
            found[key] = cache.get(key)
            if found[key] is None:
                return None
    _watched.keep(found, told)
    return "/".join(found[key] for key in keys)


def changed(target_id: str) -> None:
    """The record of `target_id` changed: a new version, once the transaction commits."""
    _bump(_key(target_id))


def key_to_drop(target_id: str) -> str:
    """The key whose deletion makes a new version of `target_id`'s record (the next reader
    makes one), for a caller that deletes it with other keys in one round trip after its
    transaction committed, and then calls `dropped`."""
    return _key(target_id)


def dropped(target_ids) -> None:
    """The keys of these records' versions were deleted: every process reads them anew."""
    _watched.announce([_key(target_id) for target_id in target_ids])


def stages_changed(**_signal) -> None:
    """An admin changed the stages (post_save / post_delete of Stage): every section anew."""
    _bump(STAGES)


def _bump(key: str) -> None:
    def bump():
        caches["default"].set(key, uuid.uuid4().hex, timeout=LIFETIME)
        _watched.announce([key])

    transaction.on_commit(bump)
