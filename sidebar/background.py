"""Work a process does off its request threads: a few daemon threads per process that take
named jobs from a bounded queue (uploads to WeCom: sidebar.replies.media).

A job named by a key already queued or running in this process is not queued again, and a
full queue refuses new jobs instead of growing: the caller decides what to tell the person
waiting. The threads start on the first job, in the process that runs it (gunicorn forks
workers before the app starts any), and never hold a request.
"""

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Hashable

from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)


class Workers:
    def __init__(self, name: str, *, threads: int, backlog: int):
        self.name = name
        self.threads = max(1, threads)
        self._jobs: queue.Queue = queue.Queue(maxsize=max(1, backlog))
        self._keys: set[Hashable] = set()  # queued or running
        self._lock = threading.Condition()
        self._started_in: int | None = None

    def submit(self, key: Hashable, job: Callable[[], None]) -> bool:
        """Queue `job` unless a job of `key` is queued or running here, or the queue is
        full; True when it was queued."""
        with self._lock:
            if key in self._keys:
                return False
            try:
                self._jobs.put_nowait((key, job))
            except queue.Full:
                return False
            self._keys.add(key)
            self._start()
        return True

    def busy(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._keys

    def idle(self, timeout: float) -> bool:
        """Wait until no job is queued or running (True), or `timeout` passes (False)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._keys:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(timeout=left)
        return True

    def _start(self) -> None:
        if self._started_in == os.getpid():
            return
        self._started_in = os.getpid()
        for number in range(self.threads):
            thread = threading.Thread(target=self._work, name=f"{self.name}-{number}", daemon=True)
            thread.start()

    def _work(self) -> None:
        while True:
            key, job = self._jobs.get()
            try:
                close_old_connections()
                job()
            except Exception:
                logger.exception("Background job %s failed", self.name)
            finally:
                connections.close_all()  # this thread's own; it may sleep for hours
                with self._lock:
                    self._keys.discard(key)
                    self._lock.notify_all()
