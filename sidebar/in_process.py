"""What one process keeps for itself, shared by the modules that need it: a lock per key
(threads of this process that want the same thing done wait for one of them to do it), and
a bounded table that forgets its least recently used entries."""

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Hashable

_locks_guard = threading.Lock()
_locks: dict[Hashable, list] = {}  # key -> [lock, threads using it]


@contextlib.contextmanager
def held(key: Hashable):
    """Holds this process's lock for `key`. The lock is dropped when no thread uses it any
    more, so the table does not grow with every key ever seen."""
    with _locks_guard:
        entry = _locks.setdefault(key, [threading.Lock(), 0])
        entry[1] += 1
    entry[0].acquire()
    try:
        yield
    finally:
        with _locks_guard:
            entry[0].release()
            entry[1] -= 1
            if entry[1] == 0:
                del _locks[key]


class Bounded:
    """A thread-safe table of at most `limit` entries; the least recently used go first."""

    def __init__(self, limit: int):
        self.limit = limit
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable):
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.limit:
                self._entries.popitem(last=False)

    def put_in(self, key: Hashable, member: Hashable, value) -> None:
        """Set `member` of the dict kept at `key` (an empty one made first if there is none),
        for tables that group entries so that a group is dropped at once (`pop`)."""
        with self._lock:
            group = self._entries.get(key)
            if group is None:
                group = self._entries[key] = {}
            group[member] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.limit:
                self._entries.popitem(last=False)

    def pop(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
