"""Small values of the shared cache that each process keeps, told of every change.

A record's version (sidebar.records.versions) is read by every lookup and changes only when
staff or WeCom change the record: asking Redis each time was a round trip per lookup, about a
seventh of a cached lookup's CPU (docs/speed.md). So each process keeps the versions it read,
and whoever changes one announces it on a Redis channel (`announce`, after the change); each
process listens on a thread of its own and drops what it was told of, within milliseconds.

Nothing here trusts the channel more than it must:
- a process uses its copies only while it is subscribed; from each (re)subscription it starts
  with none (what was announced while it was away is unknown);
- a copy read from Redis is kept only if no announcement arrived while it was being read
  (else the announcement may have been about it, and it is read again next time);
- a copy lives LOCAL_SECONDS at most, whatever it was told.
Without Redis (the embedded in-process cache) there is nothing to share: every read goes to
the cache, as before.
"""

import contextlib
import logging
import os
import threading
import time

from django.conf import settings
from django.core.cache import caches

logger = logging.getLogger(__name__)

LOCAL_SECONDS = 60.0
LIMIT = 10_000
RECONNECT_SECONDS = 1.0
PING_SECONDS = 5.0
SILENT_SECONDS = 12.0


def _redis(alias: str = "default"):
    """The raw redis-py client behind the cache `alias`; None when it is not Redis."""
    cache = caches[alias]
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    return client.get_client(write=True)


class Watched:
    """Copies of some of the shared cache's keys (names as given to the cache, before its
    prefix), dropped when `announce` says they changed."""

    def __init__(self, topic: str):
        self.topic = topic
        self._lock = threading.Lock()
        self._copies: dict[str, tuple[float, object]] = {}
        self._told = 0  # announcements (and (re)subscriptions) heard so far
        self._live = False
        # Which process and Redis the listener serves (gunicorn forks after import; tests
        # point the cache elsewhere), and its number: a listener no longer current stops.
        self._where: tuple | None = None
        self._listener = 0

    def channel(self) -> str:
        return caches["default"].make_key(f"watched:{self.topic}")

    # Reading --------------------------------------------------------------------------

    def recall(self, keys: list[str]) -> tuple[dict | None, int]:
        """({key: value} when every key has a live copy, else None; the announcement count
        to hand back to `keep`)."""
        self._listen()
        now = time.monotonic()
        with self._lock:
            told = self._told
            if not self._live:
                return None, told
            found = {}
            for key in keys:
                copy = self._copies.get(key)
                if copy is None or copy[0] < now:
                    return None, told
                found[key] = copy[1]
            return found, told

    def keep(self, values: dict, told: int) -> None:
        """Keep copies of `values`, read from the cache after `recall` answered `told`."""
        expires = time.monotonic() + LOCAL_SECONDS
        with self._lock:
            if not self._live or told != self._told:
                return  # an announcement came meanwhile: it may be about these
            if len(self._copies) + len(values) > LIMIT:
                self._copies.clear()
            for key, value in values.items():
                self._copies[key] = (expires, value)

    # Telling --------------------------------------------------------------------------

    def announce(self, keys: list[str]) -> None:
        """Tell every process that `keys` changed (call after changing them). Best effort:
        with Redis down no process is listening, so none keeps a copy."""
        self.forget(keys)
        redis = _redis()
        if redis is None or not keys:
            return
        try:
            redis.publish(self.channel(), "\n".join(keys))
        except Exception:  # Redis unreachable: listeners lost it too
            logger.warning("Could not announce changed %s", self.topic)

    def forget(self, keys) -> None:
        with self._lock:
            self._told += 1
            for key in keys:
                self._copies.pop(key, None)

    def _restart(self, listener: int, *, live: bool) -> None:
        """From (re)subscription or a lost connection: no copies, live or not."""
        with self._lock:
            if listener != self._listener:
                return
            self._told += 1
            self._copies.clear()
            self._live = live

    # Listening ------------------------------------------------------------------------

    def _listen(self) -> None:
        """Start this process's listener, once per process and Redis."""
        location = str(settings.CACHES["default"].get("LOCATION", ""))
        where = (os.getpid(), location)
        if self._where == where:
            return
        with self._lock:
            if self._where == where:
                return
            self._where = where
            self._listener += 1
            listener = self._listener
            self._copies.clear()
            self._live = False
        if _redis() is None:
            return
        thread = threading.Thread(
            target=self._run, args=(listener,), name=f"watched-{self.topic}", daemon=True
        )
        thread.start()

    def _current(self, listener: int) -> bool:
        return listener == self._listener

    def _run(self, listener: int) -> None:
        while self._current(listener):
            pubsub = None
            try:
                pubsub = _redis().pubsub()
                pubsub.subscribe(self.channel())
                self._hear(pubsub, listener)
            except Exception:  # Redis away: read through until it is back
                logger.info("Not told of %s changes; reading them from the cache", self.topic)
            finally:
                self._restart(listener, live=False)
                if pubsub is not None:
                    with contextlib.suppress(Exception):  # closing a broken connection
                        pubsub.close()
            if self._current(listener):
                time.sleep(RECONNECT_SECONDS)

    def _hear(self, pubsub, listener: int) -> None:
        """Until the connection fails or stops answering: a PING every PING_SECONDS, and no
        PONG for SILENT_SECONDS is a Redis that hangs (its announcements may go elsewhere)."""
        heard = pinged = time.monotonic()
        while self._current(listener):
            message = pubsub.get_message(timeout=0.5)
            now = time.monotonic()
            if message is not None:
                heard = now
                kind = message["type"]
                if kind == "subscribe":
                    self._restart(listener, live=True)
                elif kind == "message":
                    data = message["data"]
                    text = data.decode() if isinstance(data, bytes) else str(data)
                    self.forget(text.split("\n"))
            if now - pinged >= PING_SECONDS:
                pubsub.ping()
                pinged = now
            if now - heard > SILENT_SECONDS:
                raise ConnectionError("Redis stopped answering")
