"""A customer as one staff member's lookup needs it, cached so that its cost does not grow with
the customer's followers.

WeCom answers `externalcontact/get` with the customer and every follower's entry (a customer
of a big sales team has thousands). A lookup needs the customer, the viewer's own entry and
how many follow. So one answer is kept in three parts, all stamped with the same generation:

- the customer and the follower count (small; read by every lookup);
- the viewer's own entry, or that they do not follow (small; one per viewer, written on
  their first lookup of this generation);
- every follower's entry (large; read only on a viewer's first lookup of a generation).

A cached lookup reads the first two in one round trip and checks that their generations
match; a viewer's entry from an older answer is never combined with a newer customer.
Forgetting the customer part (`forget`) forgets them all. When the customer is not cached,
the threads of a process that ask for it at once make one WeCom call between them.

In front of the shared cache each process keeps what a viewer saw for up to LOCAL_SECONDS
(never past the cached answer's own expiry), so a staff member's repeated lookups cost no
round trip. `forget` clears this process's copies at once; other processes' copies end
within LOCAL_SECONDS, well inside the WECOM_CONTACT_CACHE_SECONDS a profile may be old.
"""

import dataclasses
import time
import uuid
from dataclasses import dataclass

from django.core.cache import caches

from sidebar import in_process
from sidebar.events import follows

# How long a process serves its copy of what a viewer saw, and of how many customers it keeps
# copies.
LOCAL_SECONDS = 5.0
LOCAL_LIMIT = 10_000

# Cache key kinds, per app scope and external_userid.
SUMMARY = "contact"
FOLLOWERS = "contact-followers"
VIEWER = "contact-viewer"


@dataclass(frozen=True)
class ViewerContact:
    external_contact: dict
    follower: dict | None  # the viewer's own follow_user entry; None: they do not follow
    follower_count: int
    generation: str = ""  # which cached answer this is ("": not cached)


def find_follower(follow_user: list, userid: str) -> dict | None:
    for follower in follow_user or []:
        if isinstance(follower, dict) and follower.get("userid") == userid:
            return follower
    return None


def from_answer(answer: dict, viewer: str) -> ViewerContact:
    """What one viewer sees of WeCom's answer."""
    followers = answer.get("follow_user") or []
    return ViewerContact(
        external_contact=answer.get("external_contact") or {},
        follower=find_follower(followers, viewer),
        follower_count=len(followers),
    )


def key(kind: str, scope: str, external_userid: str, viewer: str = "") -> str:
    suffix = f":{viewer}" if kind == VIEWER else ""
    return f"{kind}:{scope}:{external_userid}{suffix}"


def viewer_contact(
    *, client, external_userid: str, viewer: str, lifetime: int
) -> tuple[ViewerContact, bool]:
    """(what `viewer` sees of the customer, whether it came from the cache). Asks WeCom
    when nothing usable is cached; `lifetime` 0 turns caching off."""
    if lifetime <= 0:
        return from_answer(_answer(client, external_userid), viewer), False
    copy = _recall(client.app.scope, external_userid, viewer)
    if copy is not None:
        return copy, True
    cached = _cached(client, external_userid, viewer)
    if cached is not None:
        return cached, True
    with in_process.held(key(SUMMARY, client.app.scope, external_userid)):
        # Another thread may have fetched it while this one waited.
        cached = _cached(client, external_userid, viewer)
        if cached is not None:
            return cached, True
        return _fetch(client, external_userid, viewer, lifetime), False


def _cached(client, external_userid: str, viewer: str) -> ViewerContact | None:
    cache = caches["default"]
    scope = client.app.scope
    summary_key = key(SUMMARY, scope, external_userid)
    viewer_key = key(VIEWER, scope, external_userid, viewer)
    found = cache.get_many([summary_key, viewer_key])
    summary, own = found.get(summary_key), found.get(viewer_key)
    if summary and own and own["generation"] == summary["generation"]:
        return _remember(scope, external_userid, viewer, summary, own["follower"])
    if summary:
        everyone = cache.get(key(FOLLOWERS, scope, external_userid))
        if everyone and everyone["generation"] == summary["generation"]:
            follower = find_follower(everyone["follow_user"], viewer)
            remaining = round(summary["expires_at"] - time.time())
            if remaining > 0:
                own = {"generation": summary["generation"], "follower": follower}
                cache.set(viewer_key, own, timeout=remaining)
            return _remember(scope, external_userid, viewer, summary, follower)
    return None


def _fetch(client, external_userid: str, viewer: str, lifetime: int) -> ViewerContact:
    cache = caches["default"]
    scope = client.app.scope
    answer = _answer(client, external_userid)
    generation = uuid.uuid4().hex
    seen = dataclasses.replace(from_answer(answer, viewer), generation=generation)
    summary = {
        "generation": generation,
        "external_contact": seen.external_contact,
        "follower_count": seen.follower_count,
        "expires_at": time.time() + lifetime,
    }
    cache.set_many(
        {
            key(SUMMARY, scope, external_userid): summary,
            key(FOLLOWERS, scope, external_userid): {
                "generation": generation,
                "follow_user": answer.get("follow_user") or [],
            },
            key(VIEWER, scope, external_userid, viewer): {
                "generation": generation,
                "follower": seen.follower,
            },
        },
        timeout=lifetime,
    )
    return _remember(scope, external_userid, viewer, summary, seen.follower)


def _answer(client, external_userid: str) -> dict:
    """What WeCom answers, less the followers whose following WeCom's events ended."""
    return follows.without_ended(external_userid, client.get_external_contact(external_userid))


def forget(*, client, external_userids) -> list[str]:
    """Drop this process's copies of these customers; the shared-cache keys to delete so that
    the next lookup of them asks WeCom."""
    scope = client.app.scope
    for ext in external_userids:
        _copies.pop((scope, ext))
    return [key(kind, scope, ext) for ext in external_userids for kind in (SUMMARY, FOLLOWERS)]


def forget_everything() -> None:
    """Drop every copy this process keeps (the shared cache is the caller's to clear)."""
    _copies.clear()


# (scope, external_userid) -> {viewer: (time.monotonic() until which it is served, what was
# seen)}: grouped by customer, so that `forget` drops a customer's copies in one step.
_copies = in_process.Bounded(LOCAL_LIMIT)


def _remember(
    scope: str, external_userid: str, viewer: str, summary: dict, follower: dict | None
) -> ViewerContact:
    seen = _combine(summary, follower)
    remaining = min(LOCAL_SECONDS, summary["expires_at"] - time.time())
    if remaining > 0:
        _copies.put_in((scope, external_userid), viewer, (time.monotonic() + remaining, seen))
    return seen


def _recall(scope: str, external_userid: str, viewer: str) -> ViewerContact | None:
    found = (_copies.get((scope, external_userid)) or {}).get(viewer)
    if found is not None and found[0] > time.monotonic():
        return found[1]
    return None


def _combine(summary: dict, follower: dict | None) -> ViewerContact:
    return ViewerContact(
        external_contact=summary["external_contact"],
        follower=follower,
        follower_count=summary["follower_count"],
        generation=summary["generation"],
    )
