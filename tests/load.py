"""Load for the topology tests and bench/serving.py: clients that misbehave on purpose, staff
who look customers up, and probes that measure what everyone else gets meanwhile.

Everything runs in threads until `stop` is set, catches every error (a failure is a data
point, never an exception in a thread), and closes its sockets.
"""

import contextlib
import functools
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests


@dataclass
class Samples:
    """Outcomes of repeated requests: latencies of the good ones, and what went wrong."""

    name: str
    latencies: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ok(self, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)

    def failed(self, what: str) -> None:
        with self.lock:
            self.failures.append(what)

    @property
    def count(self) -> int:
        return len(self.latencies) + len(self.failures)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    def line(self) -> str:
        if not self.latencies:
            return f"{self.name}: {self.count} requests, {len(self.failures)} failed"
        return (
            f"{self.name}: {self.count} requests, {len(self.failures)} failed; "
            f"p50 {self.percentile(50) * 1000:.0f} ms, p99 {self.percentile(99) * 1000:.0f} ms, "
            f"max {max(self.latencies) * 1000:.0f} ms"
        )


def probe(stop: threading.Event, samples: Samples, call, *, interval: float, timeout: float):
    """Call `call(timeout)` every `interval` s until `stop`; it returns an HTTP status."""
    while not stop.is_set():
        started = time.perf_counter()
        try:
            status = call(timeout)
        except Exception as exc:
            samples.failed(type(exc).__name__)
        else:
            if status == 200:
                samples.ok(time.perf_counter() - started)
            else:
                samples.failed(f"HTTP {status}")
        stop.wait(interval)


class SlowClient:
    """A client that opens a connection and trickles a request one byte a second: its headers
    (`part="header"`) or, after complete headers, its body (`part="body"`). When the server
    closes the connection it opens another, until stopped."""

    def __init__(self, url: str, *, part: str, tls: ssl.SSLContext | None):
        parts = urlsplit(url)
        self.address = ("127.0.0.1", parts.port)
        self.server_name = parts.hostname
        self.host = parts.netloc
        self.part = part
        self.tls = tls
        self.connections = 0
        self.bytes_sent = 0

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                self._one_connection(stop)
            stop.wait(0.2)

    def _one_connection(self, stop: threading.Event) -> None:
        plain = socket.create_connection(self.address, timeout=10)
        try:
            conn = (
                self.tls.wrap_socket(plain, server_hostname=self.server_name) if self.tls else plain
            )
            self.connections += 1
            if self.part == "header":
                conn.sendall(f"GET /sidebar/ HTTP/1.1\r\nHost: {self.host}\r\n".encode())
                trickle = b"X-Slow: " + b"a" * 100000
            else:
                conn.sendall(
                    f"POST /sidebar/reports/ HTTP/1.1\r\nHost: {self.host}\r\n"
                    "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n".encode()
                )
                trickle = b"{" + b" " * 100000
            conn.settimeout(1.0)
            for byte in trickle:
                if stop.is_set():
                    return
                conn.sendall(bytes([byte]))
                self.bytes_sent += 1
                with contextlib.suppress(TimeoutError):
                    if conn.recv(1024) == b"":  # answered (408) or closed: start over
                        return
        finally:
            plain.close()


def run_threads(targets, seconds: float, stop: threading.Event) -> None:
    """Run each `target(stop)` in a thread for `seconds`, then stop them and wait for them."""
    threads = [threading.Thread(target=t, args=(stop,), daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    try:
        stop.wait(seconds)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)


def everyone_else(top, *, users: int, interval: float, timeout: float):
    """What other users get: a /healthz probe, and `users` signed-in staff members loading the
    page (warm caches), each every `interval` s with a client `timeout`.

    Returns the two Samples and the probe targets for run_threads."""
    healthz, pages = Samples("healthz"), Samples("page loads")

    def health(timeout):
        return requests.get(top.url + "/healthz", timeout=timeout, verify=top.verify).status_code

    def page_load(session):
        url = top.url + "/sidebar/"
        return lambda timeout: session.get(url, timeout=timeout, allow_redirects=False).status_code

    calls = [(healthz, health)] + [(pages, page_load(top.sign_in("lisi"))) for _ in range(users)]
    targets = [
        functools.partial(probe, samples=samples, call=call, interval=interval, timeout=timeout)
        for samples, call in calls
    ]
    return healthz, pages, targets


def look_up_loop(session, url, samples: Samples, outcomes: dict, lock, *, think: float):
    """A staff member looking customers up, pausing `think` s between lookups."""
    token = session.cookies.get("csrftoken")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    body = {"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"}

    def loop(stop: threading.Event):
        while not stop.is_set():
            started = time.perf_counter()
            try:
                answer = session.post(
                    url,
                    data=body,
                    headers={"X-CSRFToken": token, "Origin": origin, "Referer": origin + "/"},
                    timeout=60,
                )
            except Exception as exc:
                samples.failed(type(exc).__name__)
            else:
                outcome = answer.headers.get("X-Sidebar-Outcome", f"HTTP {answer.status_code}")
                if "企业微信当前响应缓慢" in answer.text:
                    outcome = "busy"
                with lock:
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
                if answer.status_code < 500:
                    samples.ok(time.perf_counter() - started)
                else:
                    samples.failed(f"HTTP {answer.status_code}")
            stop.wait(think)

    return loop
