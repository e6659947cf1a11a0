"""Customer lookups: fetch (cached), authorize against the viewer, record in the audit log.

Views call these with keyword arguments and render what comes back; nothing here knows HTTP.
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError

from sidebar.exceptions import WeComAPIError, WeComError
from sidebar.explanations import DENIED, INVALID_REQUEST, Explanation, explain
from sidebar.models import Lookup
from sidebar.profiles import ContactProfile, build_profile, find_follower

logger = logging.getLogger(__name__)

# Entries whose getCurExternalContact returns a customer this service can show.
CONTACT_ENTRIES = ("single_chat_tools", "contact_profile")
NOT_FOUND_ERRCODES = {84061, 40096}


@dataclass(frozen=True)
class LookupResult:
    outcome: str
    profile: ContactProfile | None = None
    explanation: Explanation | None = None


def look_up_contact(*, client, staff_userid: str, entry: str, external_userid: str) -> LookupResult:
    """The customer's profile as `staff_userid` may see it, or why not. Always audited."""
    started = time.perf_counter()
    from_cache = False
    errcode = None
    try:
        payload, from_cache = _external_contact(client, external_userid)
    except WeComError as exc:
        errcode = exc.errcode
        is_missing = isinstance(exc, WeComAPIError) and exc.errcode in NOT_FOUND_ERRCODES
        outcome = Lookup.Outcome.NOT_FOUND if is_missing else Lookup.Outcome.UPSTREAM_ERROR
        result = LookupResult(outcome=outcome, explanation=explain(exc))
    else:
        follower = find_follower(payload, staff_userid)
        if follower is None:
            result = LookupResult(outcome=Lookup.Outcome.DENIED, explanation=DENIED)
        else:
            profile = build_profile(payload, follower=follower)
            result = LookupResult(outcome=Lookup.Outcome.OK, profile=profile)
    _audit(
        staff_userid=staff_userid,
        entry=entry,
        target_id=external_userid,
        outcome=result.outcome,
        errcode=errcode,
        started=started,
        from_cache=from_cache,
    )
    return result


def reject_invalid_lookup(*, staff_userid: str, entry: str, target_id: str) -> LookupResult:
    """A lookup that failed validation: audited, and no WeCom call made."""
    _audit(
        staff_userid=staff_userid,
        entry=entry,
        target_id=target_id,
        outcome=Lookup.Outcome.INVALID,
        errcode=None,
        started=time.perf_counter(),
        from_cache=False,
    )
    return LookupResult(outcome=Lookup.Outcome.INVALID, explanation=INVALID_REQUEST)


def _external_contact(client, external_userid: str) -> tuple[dict, bool]:
    """externalcontact/get, cached per contact for WECOM_CONTACT_CACHE_SECONDS."""
    cache = caches["default"]
    key = f"contact:{client.app.scope}:{external_userid}"
    lifetime = settings.WECOM_CONTACT_CACHE_SECONDS
    if lifetime > 0:
        cached = cache.get(key)
        if cached is not None:
            return cached, True
    payload = client.get_external_contact(external_userid)
    if lifetime > 0:
        cache.set(key, payload, timeout=lifetime)
    return payload, False


def _audit(*, staff_userid, entry, target_id, outcome, errcode, started, from_cache) -> None:
    row = Lookup(
        staff_userid=staff_userid[:64],
        entry=entry[:64],
        target_id=target_id[:128],
        outcome=outcome,
        errcode=errcode,
        duration_ms=round((time.perf_counter() - started) * 1000),
        from_cache=from_cache,
    )
    try:
        row.save()
    except DatabaseError:
        # The lookup itself succeeded or failed on its own merits; keep the row in the log.
        logger.exception(
            "Could not store audit row: staff=%s entry=%s target=%s outcome=%s errcode=%s",
            row.staff_userid,
            row.entry,
            row.target_id,
            row.outcome,
            row.errcode,
        )
