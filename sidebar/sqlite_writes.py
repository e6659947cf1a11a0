"""One writer at a time for the embedded SQLite database, queued without sleeping.

SQLite lets one connection write at a time. A connection that finds the write lock taken
waits in SQLite's busy handler, which sleeps 1, 2, 5, 10 ... up to 100 ms between tries, so
under a burst of lookups (each writes an audit row) writers sleep far longer than the writes
take. Here writers queue instead: the threads of a process on a lock, the processes of the
machine on an flock() of a file beside the database, and each is woken the moment the
writer before it is done. On any other database this does nothing.
"""

import contextlib
import fcntl
import os
import threading

from django.db import connections

_thread_lock = threading.Lock()
_lock_files: dict[str, int] = {}


@contextlib.contextmanager
def one_writer(using: str = "default"):
    connection = connections[using]
    path = str(connection.settings_dict["NAME"])
    if connection.vendor != "sqlite" or path == ":memory:" or path.startswith("file:"):
        yield
        return
    with _thread_lock:
        descriptor = _lock_files.get(path)
        if descriptor is None:
            descriptor = os.open(path + ".write-lock", os.O_RDWR | os.O_CREAT, 0o600)
            _lock_files[path] = descriptor
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
