"""Prepared HTTP requests sent at a fixed rate over keep-alive (TLS) connections from one
asyncio loop: a request costs the sender well under a millisecond of CPU, against about one
with `requests`, so on a small machine the load generator leaves the servers it measures
their CPU (bench/events.py).

Request i is due at start + i / rate. Connections take the next due request as they become
free; a request's latency runs from when it was due (or sent, if later — it never is while
the connections keep up), so a server that falls behind shows in the figures instead of
slowing the sender down.
"""

import asyncio
import contextlib
import multiprocessing
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from tests.load import Samples


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query
    body: bytes = b""
    content_type: str = "text/xml"

    def wire(self, host: str) -> bytes:
        head = (
            f"{self.method} {self.target} HTTP/1.1\r\nHost: {host}\r\n"
            f"Content-Type: {self.content_type}\r\nContent-Length: {len(self.body)}\r\n"
            "Connection: keep-alive\r\n\r\n"
        )
        return head.encode("ascii") + self.body


def send(
    url: str,
    requests: list[Request],
    *,
    rate: float,
    connections: int,
    samples: Samples,
    cafile: str | None = None,
) -> float:
    """Send `requests` to the server at `url` at `rate` per second; a 200 is a sample of its
    latency, anything else a failure. The seconds from the first due time to the last answer.

    The loop runs in a process of its own, so that it and the caller's threads (which
    measure something else meanwhile) do not take turns on one interpreter lock."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        latencies, failures, took = pool.apply(
            _send_here, (url, requests, rate, connections, cafile)
        )
    for latency in latencies:
        samples.ok(latency)
    for failure in failures:
        samples.failed(failure)
    return took


def _send_here(url, requests, rate, connections, cafile) -> tuple[list, list, float]:
    samples = Samples("paced")
    took = asyncio.run(_send(url, requests, rate, connections, samples, cafile))
    return samples.latencies, samples.failures, took


async def _send(url, requests, rate, connections, samples, cafile) -> float:
    parts = urlsplit(url)
    tls = None
    if parts.scheme == "https":
        tls = ssl.create_default_context(cafile=cafile)
    port = parts.port or (443 if tls else 80)
    hostname = parts.hostname if tls else None
    wires = [request.wire(parts.netloc) for request in requests]
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.5
    due = iter(range(len(wires)))

    async def connection():
        stream = None
        try:
            for index in due:
                wait = start + index / rate - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                began = time.perf_counter() + min(0.0, wait)  # from when it was due
                try:
                    if stream is None:
                        stream = await asyncio.open_connection(
                            "127.0.0.1", port, ssl=tls, server_hostname=hostname
                        )
                    stream[1].write(wires[index])
                    status, keep_alive = await asyncio.wait_for(_answer(stream[0]), 30)
                except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    samples.failed(type(exc).__name__)
                    stream = await _close(stream)
                    continue
                if status == 200:
                    samples.ok(time.perf_counter() - began)
                else:
                    samples.failed(f"HTTP {status}")
                if not keep_alive:
                    stream = await _close(stream)
        finally:
            await _close(stream)

    await asyncio.gather(*(connection() for _ in range(connections)))
    return loop.time() - start


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """The status of the response `reader` delivers, whose body is read and dropped; whether the
    connection stays open."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding") == "chunked":
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    else:
        await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection") != "close"


async def _close(stream) -> None:
    if stream is not None:
        stream[1].close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await stream[1].wait_closed()
    return None
