"""The library as the page shows it, rendered once per library version and kept in the shared
cache: with a thousand replies, rendering takes a couple of hundred milliseconds, and every
staff member on the same kind of client sees the same HTML (placeholders are filled at send
time, never here).

What varies the HTML is in the key: the entry (which replies it may hold), the kinds this
client may send, whether it may jump into the chat, and the language. Any change to a reply, a
category or a menu item moves the library version, so the next request renders afresh; the
cache's lifetime bounds what a change made behind Django's back (a raw UPDATE) can leave.
Without a reachable cache it renders every time.
"""

import hashlib
import secrets
from collections.abc import Callable

from django.core.cache import caches

from sidebar import in_process
from sidebar.replies import pieces

VERSION_KEY = "replies:library-version"
LIFETIME = 300  # seconds a rendered library is kept


def _cache():
    return caches["default"]  # fails open: an outage reads as a miss


def version() -> str | None:
    """The library's current version, or None when the cache cannot tell."""
    cache = _cache()
    found = cache.get(VERSION_KEY)
    if found is None:
        cache.add(VERSION_KEY, secrets.token_hex(8), timeout=None)
        found = cache.get(VERSION_KEY)
    return found


def changed(instance=None, **_signal) -> None:
    """A reply, category or menu item changed: every rendered library is out of date. A
    staff member's own reply is never in it (sidebar.replies.own)."""
    if getattr(instance, "owner_userid", ""):
        return
    _cache().set(VERSION_KEY, secrets.token_hex(8), timeout=None)


def etag(variant: tuple, *, current: str | None) -> str | None:
    """The validator of the library's HTML for `variant` at the `current` version (None when
    the cache cannot tell the version): the page's browser keeps the library and asks again
    with it, and an unchanged library answers 304 with no body."""
    if current is None:
        return None
    return '"' + hashlib.sha256(repr((current, variant)).encode()).hexdigest()[:32] + '"'


def rendered(*, variant: tuple, render: Callable[[], str], current: str | None) -> str:
    """The library's HTML for `variant` (entry, kinds, enter-chat, language) at the `current`
    version, from the cache when this version of it was rendered before."""
    if current is None:
        return render()
    digest = hashlib.sha256(repr(variant).encode()).hexdigest()[:24]
    key = f"replies:library:{current}:{digest}"
    cache = _cache()
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, timeout=LIFETIME)
    return html


# The library in parts (sidebar.replies.pieces), kept in this process per version and
# variant: each part is its own request, and reading the whole library from the shared cache
# for each (1 MB at a thousand replies) made a library open cost six times one.
_parts = in_process.Bounded(12)  # up to 1 MB each: the variants in use at once


def parts(*, variant: tuple, render: Callable[[], str], current: str | None) -> list[str]:
    """The library's HTML for `variant` at the `current` version in parts (`rendered`,
    split)."""
    key = (current, repr(variant))
    found = _parts.get(key) if current is not None else None
    if found is None:
        found = pieces.parts(rendered(variant=variant, render=render, current=current))
        if current is not None:
            _parts.put(key, found)
    return found
