"""Cached access_token and jsapi tickets, refreshed single-flight.

One cache key per (corp, agent, kind); the cache's TTL (expires_in minus a safety margin) does
the expiry. When many workers find a key empty at once, exactly one of them asks WeCom: it holds
a lock in the shared cache (set-if-absent with a timeout), re-checks the key after acquiring,
fetches and stores; the others poll the key and use its result. Threads of one process queue on
an in-process lock first, so a process sends at most one of them to the shared lock.

The shared cache is the source of truth. In front of it each process keeps a copy of what it
read, with the credential's expiry (stored beside it in the shared cache), and serves it for up
to LOCAL_SECONDS without asking again: a page then costs no round trip for its two tickets.
The copy is never served past the credential's own expiry, and a credential forgotten in the
shared cache (reset_wecom_credentials, a token WeCom rejected) leaves the other processes'
copies within LOCAL_SECONDS. If the shared cache becomes unreachable, each process serves from
its copy (and refreshes that copy itself, once) rather than asking WeCom for a token on every
request, which WeCom answers with 45009.

When WeCom refuses to issue a credential (bad secret, untrusted IP, rate limit:
COOLDOWN_ERRCODES), the refusal is remembered for WECOM_ERROR_COOLDOWN seconds and re-raised
without asking again. Other failures are not remembered: the next request asks again.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sidebar.exceptions import COOLDOWN_ERRCODES, WeComAPIError, recalled, remembered
from sidebar.wecom.api import Grant
from sidebar.wecom.single_flight import SharedCacheError, single_flight

logger = logging.getLogger(__name__)

ACCESS_TOKEN = "access_token"  # noqa: S105 (a cache-key kind, not a secret)
CORP_TICKET = "corp_ticket"
AGENT_TICKET = "agent_ticket"
KINDS = (ACCESS_TOKEN, CORP_TICKET, AGENT_TICKET)

# After the shared cache fails, it is not tried again for this long: a dead Redis would
# otherwise cost a connect timeout on every request.
SHARED_RETRY_SECONDS = 5.0
# How long a process serves its copy of a credential before reading the shared cache again.
LOCAL_SECONDS = 10.0


@dataclass
class _LocalCopy:
    value: str
    expires_at: float  # time.monotonic() when the credential stops being served at all
    trusted_until: float  # until then it is served without asking the shared cache

    @classmethod
    def lasting(cls, value: str, seconds: float) -> "_LocalCopy":
        """A copy of a credential that stays valid for `seconds` from now."""
        now = time.monotonic()
        return cls(value, expires_at=now + seconds, trusted_until=now + min(LOCAL_SECONDS, seconds))

    def usable(self, now: float) -> bool:
        return now < self.expires_at

    def trusted(self, now: float) -> bool:
        return now < self.trusted_until and self.usable(now)


class CredentialStore:
    def __init__(
        self,
        *,
        scope: str,
        cache,
        safety_margin: int,
        error_cooldown: int,
        lock_timeout: float,
        poll_interval: float = 0.05,
    ):
        self.scope = scope
        self.cache = cache
        self.safety_margin = safety_margin
        self.error_cooldown = error_cooldown
        self.lock_timeout = lock_timeout
        self.poll_interval = poll_interval
        self._local: dict[str, _LocalCopy] = {}
        self._local_failures: dict[str, tuple[dict, float]] = {}
        self._local_replaced: dict[str, float] = {}  # kind -> when it may be replaced again
        # One lock per kind: KINDS, and a token per downstream corp (WeComClient, 上下游).
        self._thread_locks = {kind: threading.Lock() for kind in KINDS}
        self._locks_lock = threading.Lock()
        self._shared_down_until = 0.0

    # Public API --------------------------------------------------------------------------

    def get(self, kind: str, fetch: Callable[[], Grant], *, trust_local: bool = True) -> str:
        """The current credential of `kind`; `fetch` asks WeCom for a new one when needed.
        `trust_local=False` reads the shared cache even within LOCAL_SECONDS of this
        process's copy (which another process may have replaced just now)."""
        value = self._read(kind, trust_local=trust_local)
        if value:
            return value
        with self._lock_for(kind):
            value = self._read(kind, trust_local=trust_local)
            if value:
                return value
            if self._shared_up():
                return self._refresh_shared(kind, fetch)
            return self._fetch_and_store(kind, fetch)

    def replace(
        self, kind: str, stale: str, fetch: Callable[[], Grant], *, interval: float
    ) -> str | None:
        """WeCom refused `stale`, which was current: drop it and fetch a fresh one, at most
        once per `interval` seconds per kind across processes (so a cause that a fresh
        credential cannot cure never costs more than that many fetches). None when the bound
        says no."""
        if not self._replacing_allowed(kind, interval):
            return None
        logger.warning("WeCom refused the cached %s for %s; fetching a fresh one", kind, self.scope)
        self.drop(kind, stale)
        return self.get(kind, fetch, trust_local=False)

    def _replacing_allowed(self, kind: str, interval: float) -> bool:
        key = self._key(kind) + ":replaced"
        if self._shared_up():
            try:
                return bool(self.cache.add(key, 1, timeout=max(1, int(interval))))
            except Exception:
                self._mark_shared_down()
        now = time.monotonic()
        with self._lock_for(kind):
            if self._local_replaced.get(kind, 0.0) > now:
                return False
            self._local_replaced[kind] = now + interval
        return True

    def _lock_for(self, kind: str) -> threading.Lock:
        lock = self._thread_locks.get(kind)
        if lock is None:
            with self._locks_lock:
                lock = self._thread_locks.setdefault(kind, threading.Lock())
        return lock

    def drop(self, kind: str, stale: str) -> None:
        """Forget `stale` (WeCom rejected it), unless another worker already replaced it."""
        local = self._local.get(kind)
        if local and local.value == stale:
            del self._local[kind]
        if self._shared_up():
            key = self._key(kind)
            try:
                if self.cache.get(key) == stale:
                    self.cache.delete(key)
            except Exception:
                self._mark_shared_down()

    def forget_all(self) -> None:
        """Drop every cached credential and remembered refusal of this app, everywhere."""
        self._local.clear()
        self._local_failures.clear()
        keys = [k for kind in KINDS for k in self._keys(kind)]
        self.cache.delete_many(keys)  # raises if the shared cache is down: the caller says so

    # Reading -----------------------------------------------------------------------------

    def _read(self, kind: str, *, trust_local: bool = True) -> str | None:
        """The cached value, or None. Raises the remembered refusal during its cooldown."""
        local = self._local.get(kind)
        if trust_local and local and local.trusted(time.monotonic()):
            return local.value
        if self._shared_up():
            try:
                found = self.cache.get_many(self._keys(kind))
            except Exception:
                self._mark_shared_down()
            else:
                value = found.get(self._key(kind))
                if value:
                    self._keep_copy(kind, value, found.get(self._expiry_key(kind)))
                    return value
                self._local.pop(kind, None)
                self._raise_remembered(found.get(self._failure_key(kind)))
                return None
        if local and local.usable(time.monotonic()):
            return local.value
        failure, until = self._local_failures.get(kind, (None, 0.0))
        self._raise_remembered(failure if until > time.monotonic() else None)
        return None

    def _keep_copy(self, kind: str, value: str, expires_at: float | None) -> None:
        """Keep what the shared cache holds until `expires_at` (wall-clock time), if known."""
        remaining = (expires_at or 0.0) - time.time()
        if remaining <= 0:
            self._local.pop(kind, None)
            return
        self._local[kind] = _LocalCopy.lasting(value, remaining)

    @staticmethod
    def _raise_remembered(failure: dict | None) -> None:
        if failure:
            raise recalled(failure)

    # Refreshing --------------------------------------------------------------------------

    def _refresh_shared(self, kind: str, fetch: Callable[[], Grant]) -> str:
        try:
            return single_flight(
                self.cache,
                self._key(kind) + ":lock",
                read=lambda: self._read(kind, trust_local=False),
                produce=lambda: self._fetch_and_store(kind, fetch),
                lock_timeout=self.lock_timeout,
                poll_interval=self.poll_interval,
            )
        except SharedCacheError:
            # The shared cache failed under the lock: carry on with this process's copy.
            self._mark_shared_down()
            return self._read(kind) or self._fetch_and_store(kind, fetch)

    def _fetch_and_store(self, kind: str, fetch: Callable[[], Grant]) -> str:
        try:
            grant = fetch()
        except WeComAPIError as exc:
            if exc.errcode in COOLDOWN_ERRCODES:
                self._remember_failure(kind, exc)
            raise
        ttl = self._ttl(grant.expires_in)
        self._local[kind] = _LocalCopy.lasting(grant.value, ttl)
        self._local_failures.pop(kind, None)
        if self._shared_up():
            try:
                shared = {self._key(kind): grant.value, self._expiry_key(kind): time.time() + ttl}
                self.cache.set_many(shared, timeout=ttl)
                self.cache.delete(self._failure_key(kind))
            except Exception:
                self._mark_shared_down()
        logger.info("WeCom %s refreshed for %s (cached %d s)", kind, self.scope, ttl)
        return grant.value

    def _remember_failure(self, kind: str, exc: WeComAPIError) -> None:
        failure = remembered(exc)
        self._local_failures[kind] = (failure, time.monotonic() + self.error_cooldown)
        if self._shared_up():
            try:
                self.cache.set(self._failure_key(kind), failure, timeout=self.error_cooldown)
            except Exception:
                self._mark_shared_down()
        logger.error(
            "WeCom refused to issue %s for %s: errcode %s; not asking again for %d s",
            kind,
            self.scope,
            exc.errcode,
            self.error_cooldown,
        )

    def _ttl(self, expires_in: int) -> int:
        if expires_in > 2 * self.safety_margin:
            return expires_in - self.safety_margin
        return max(1, expires_in // 2)

    # Shared cache health -----------------------------------------------------------------

    def _shared_up(self) -> bool:
        return time.monotonic() >= self._shared_down_until

    def _mark_shared_down(self) -> None:
        if self._shared_up():
            logger.warning(
                "Shared cache unreachable; serving WeCom credentials from this process's copy"
            )
        self._shared_down_until = time.monotonic() + SHARED_RETRY_SECONDS

    def _key(self, kind: str) -> str:
        return f"wecom:{self.scope}:{kind}"

    def _failure_key(self, kind: str) -> str:
        return self._key(kind) + ":refused"

    def _expiry_key(self, kind: str) -> str:
        return self._key(kind) + ":expires"

    def _keys(self, kind: str) -> list[str]:
        """Everything kept about `kind`, read together in one round trip."""
        return [self._key(kind), self._failure_key(kind), self._expiry_key(kind)]
