"""One worker does the work, the others wait for its result: across processes, through a lock
in the shared cache (set-if-absent with a timeout, released only by its owner).

Used for whatever many workers would otherwise all fetch from WeCom at once: tokens and
tickets (sidebar.wecom.credentials). The lock alone (`take_lock`, `release_lock`) also keeps
one upload of a file at a time (sidebar.replies.media), whose waiters do not wait for it here.
"""

import logging
import secrets
import time
from collections.abc import Callable
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class SharedCacheError(Exception):
    """The shared cache failed while taking or waiting for the lock (the original is the
    cause). Errors of `read` and `produce` propagate as they are."""


def single_flight(
    cache,
    lock_key: str,
    *,
    read: Callable[[], T | None],
    produce: Callable[[], T],
    lock_timeout: float,
    poll_interval: float = 0.05,
) -> T:
    """`read()` if it has a result; else `produce()` it in exactly one worker at a time.

    The lock holder re-reads first (another worker may have finished meanwhile). Waiters
    poll `read()`. If the holder vanishes without a result and its lock outlives twice
    `lock_timeout`, the waiter produces anyway. If the shared cache fails, SharedCacheError
    is raised: the caller decides how to carry on without it.
    """
    give_up_at = time.monotonic() + 2 * lock_timeout
    while time.monotonic() < give_up_at:
        owner = take_lock(cache, lock_key, timeout=lock_timeout)
        if owner is not None:
            try:
                found = read()
                return found if found else produce()
            finally:
                release_lock(cache, lock_key, owner)
        time.sleep(poll_interval)
        found = read()
        if found:
            return found
    logger.warning("Lock %s not released by its holder; going ahead without it", lock_key)
    return produce()


def take_lock(cache, lock_key: str, *, timeout: float) -> str | None:
    """Take the lock (set-if-absent, expiring after `timeout` seconds): the owner token that
    releases it, or None when someone holds it. Raises SharedCacheError."""
    owner = secrets.token_hex(8)
    try:
        acquired = cache.add(lock_key, owner, timeout=timeout)
    except Exception as exc:
        raise SharedCacheError(f"could not take {lock_key}") from exc
    return owner if acquired else None


def release_lock(cache, lock_key: str, owner: str) -> None:
    """Release the lock if `owner` still holds it (it may have expired and been taken)."""
    try:
        if cache.get(lock_key) == owner:
            cache.delete(lock_key)
    except Exception:  # the lock expires on its own; the result is what matters
        logger.warning("Could not release lock %s; it expires on its own", lock_key)
