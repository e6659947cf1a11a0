"""A bound on the customer edits (externalcontact/remark, externalcontact/mark_tag) a corp has
in flight at WeCom, across every process and host of the deployment.

WeCom answers 45033 when more than five such calls of one corp run at once, and also when two
edits of one staff member's entry on a customer overlap (docs/wecom.md, "Editing a
customer"). So an edit first takes the turn of its (staff member, customer) pair, then one of
`limit` numbered slots, each a key in the shared cache (set-if-absent with a lease, released
by its owner only). An edit that gets neither within
`wait` seconds is refused unsent (WeComWritesBusy: the panel says "try again shortly"),
never sent to be refused by WeCom. A holder that dies frees its slot when the lease ends.

While the shared cache does not answer, the bound is kept in this process only (a bound per
process is weaker, but a Redis outage must not stop staff from editing).
"""

import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sidebar.exceptions import WeComWritesBusy
from sidebar.wecom.single_flight import SharedCacheError, release_lock, take_lock

logger = logging.getLogger(__name__)

# WeCom's concurrency limit on customer edits, per corp.
CORP_LIMIT = 5
WAIT_SECONDS = 5.0
POLL_SECONDS = 0.02


class WriteSlots:
    def __init__(
        self,
        cache,
        *,
        corp_id: str,
        lease: float,
        limit: int = CORP_LIMIT,
        wait: float = WAIT_SECONDS,
    ):
        self.cache = cache
        self.prefix = f"wecom-writes:{corp_id}"
        self.limit = limit
        self.lease = lease
        self.wait = wait
        self._local = threading.BoundedSemaphore(limit)
        self._local_turns: dict[str, threading.Lock] = {}
        self._local_guard = threading.Lock()

    @contextmanager
    def slot(self, *, userid: str, external_userid: str, path: str) -> Iterator[None]:
        give_up_at = time.monotonic() + self.wait
        pair = f"{userid}:{external_userid}"
        try:
            held = self._take_shared(pair, give_up_at, path)
        except SharedCacheError:
            logger.warning("Shared cache unavailable: customer edits bounded per process only")
            with self._take_local(pair, give_up_at, path):
                yield
            return
        try:
            yield
        finally:
            for key, owner in held:
                release_lock(self.cache, key, owner)

    def _take_shared(self, pair: str, give_up_at: float, path: str) -> list:
        turn_key = f"{self.prefix}:turn:{pair}"
        held = []
        try:
            owner = self._poll(
                lambda: take_lock(self.cache, turn_key, timeout=self.lease), give_up_at, path
            )
            held.append((turn_key, owner))
            first = random.randrange(self.limit)  # noqa: S311 (spreads takers over the slots)
            order = [(first + i) % self.limit for i in range(self.limit)]

            def any_slot():
                for number in order:
                    key = f"{self.prefix}:slot:{number}"
                    taken = take_lock(self.cache, key, timeout=self.lease)
                    if taken is not None:
                        held.append((key, taken))
                        return taken
                return None

            self._poll(any_slot, give_up_at, path)
            return held
        except BaseException:
            for key, owner in held:
                release_lock(self.cache, key, owner)
            raise

    @staticmethod
    def _poll(attempt, give_up_at: float, path: str):
        while True:
            found = attempt()
            if found is not None:
                return found
            if time.monotonic() >= give_up_at:
                raise WeComWritesBusy("every customer-edit slot is taken", path=path)
            time.sleep(POLL_SECONDS * (0.5 + random.random()))  # noqa: S311 (jitter)

    @contextmanager
    def _take_local(self, pair: str, give_up_at: float, path: str):
        with self._local_guard:
            turn = self._local_turns.setdefault(pair, threading.Lock())
        if not turn.acquire(timeout=max(0.0, give_up_at - time.monotonic())):
            raise WeComWritesBusy("this entry is being edited", path=path)
        try:
            if not self._local.acquire(timeout=max(0.0, give_up_at - time.monotonic())):
                raise WeComWritesBusy("every customer-edit slot is taken", path=path)
            try:
                yield
            finally:
                self._local.release()
        finally:
            turn.release()
            with self._local_guard, suppress(KeyError):
                if not turn.locked():
                    del self._local_turns[pair]
