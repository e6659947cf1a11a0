"""WeCom's change events at a sustained rate, in the shipped topology (nginx → gunicorn gthread,
and the events service's gunicorn at a lower CPU priority for /wecom/events/; Redis, SQLite),
side by side in one run. A signed-in staff member loads the page (GET
/sidebar/) every 20 ms throughout; meanwhile:

1. nothing else;
2. `--rate` requests per second for `--seconds` of the cheapest thing the app serves,
   GET /healthz (one database query, one cache round trip): the floor, what any request at
   that rate costs this stack on this machine;
3. `--rate` events per second for `--seconds`, each a different customer's edit, encrypted
   and signed as WeCom sends them, through /wecom/events/;
4. nothing else again.

For 2 and 3 it prints the achieved rate, the answers' p50/p99 (from when each was due) and
any that were not 200, the CPU the servers (both gunicorns, nginx, Redis) spent per request and how
busy the machine was, and the page loads' p50 as a ratio to the mean of 1 and 4. The goals
(issue 21): 500 events/s for 30 s, each answered in under 200 ms p99, page loads within 1.2×.
The requests are sent from a separate process by bench/paced.py, which spends far less CPU
per request than a `requests` client would on the same cores.

    .venv/bin/python -m bench.events [--rate 500] [--seconds 30] [--connections 32]
"""

import argparse
import contextlib
import os
import threading
import time
from dataclasses import dataclass

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from bench import cpu_seconds, exit_on_sigterm, machine_busy_seconds, paced  # noqa: E402
from sidebar.standin.callbacks import CallbackSender  # noqa: E402
from tests.events import vectors  # noqa: E402
from tests.load import Samples  # noqa: E402
from tests.topology import seeded_topology  # noqa: E402


def page_loads(top, browser, samples: Samples, stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        try:
            answer = browser.get(top.url + "/sidebar/", timeout=30)
            if answer.status_code == 200:
                samples.ok(time.perf_counter() - started)
            else:
                samples.failed(f"HTTP {answer.status_code}")
        except Exception as exc:  # a failure is a data point
            samples.failed(type(exc).__name__)
        stop.wait(interval)


@contextlib.contextmanager
def loading_pages(top, browser, samples: Samples):
    """The staff member loads the page every 20 ms into `samples` while the block runs."""
    stop = threading.Event()
    thread = threading.Thread(target=page_loads, args=(top, browser, samples, stop, 0.02))
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def pages_alone(top, browser, name: str, seconds: float) -> Samples:
    samples = Samples(name)
    with loading_pages(top, browser, samples):
        time.sleep(seconds)
    return samples


def prepared(sender: CallbackSender, count: int) -> list[paced.Request]:
    """`count` distinct events, encrypted and signed now (WeCom's timestamps are the send's)."""
    requests = []
    for n in range(count):
        message = sender.message(
            "change_external_contact",
            "edit_external_contact",
            {"UserID": "zhangsan", "ExternalUserID": f"wmBenchCustomer{n:07d}"},
        )
        query, body = sender.signed(message)
        requests.append(paced.Request("POST", f"/wecom/events/?{query}", body))
    return requests


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    env = {"WECOM_CALLBACK_TOKEN": vectors.TOKEN, "WECOM_CALLBACK_AES_KEY": vectors.AES_KEY}
    count = int(args.rate * args.seconds)
    with seeded_topology("events", env=env, events_service=True) as top:
        sender = vectors.sender(top.url, top.corp, verify=top.verify)
        if not sender.verify():
            raise SystemExit("The app did not verify its callback URL.")
        browser = top.sign_in()
        pages_alone(top, browser, "warm-up", 3)
        before = pages_alone(top, browser, "page loads alone", args.seconds / 2)
        floor = beside_pages(
            top, browser, "GET /healthz", [paced.Request("GET", "/healthz")] * count, args
        )
        events = beside_pages(top, browser, "events", prepared(sender, count), args)
        after = pages_alone(top, browser, "page loads alone again", args.seconds / 2)

    alone = (before.percentile(50) + after.percentile(50)) / 2
    print(f"\n{before.line()}\n{after.line()}")
    for run in (floor, events):
        print(run.report(alone))
    print(
        f"\nGoals: events p99 {events.sent.percentile(99) * 1000:.0f} ms (under 200 ms); "
        f"page loads {events.pages.percentile(50) / alone:.2f}× (at most 1.2×; "
        f"beside the floor: {floor.pages.percentile(50) / alone:.2f}×)"
    )


@dataclass
class Beside:
    """What one run of requests beside the page loads measured."""

    name: str
    count: int
    seconds: float
    sent: Samples
    pages: Samples
    servers_cpu: float
    machine_busy: float

    def report(self, pages_alone_p50: float) -> str:
        return "\n".join(
            [
                f"\n{self.name}: {self.count:,} in {self.seconds:.1f} s, "
                f"{self.count / self.seconds:.0f}/s achieved",
                "  " + self.sent.line(),
                "  " + self.pages.line(),
                f"  page loads p50 {self.pages.percentile(50) / pages_alone_p50:.2f}× alone",
                f"  servers' CPU {self.servers_cpu / self.seconds:.2f} cores, "
                f"{self.servers_cpu / self.count * 1000:.2f} ms per request (page loads "
                f"included); the machine {self.machine_busy:.0%} busy of {os.cpu_count()} cores",
            ]
        )


def beside_pages(top, browser, name: str, requests: list[paced.Request], args) -> Beside:
    """Send `requests` at the run's rate while the staff member loads the page."""
    sent, pages = Samples(name), Samples("page loads meanwhile")
    groups = {
        top.gunicorn.process.pid,
        top.events.process.pid,
        top.nginx.process.pid,
        top.redis.process.pid,
    }
    servers_before, machine_before = cpu_seconds(groups), machine_busy_seconds()
    with loading_pages(top, browser, pages):
        took = paced.send(
            top.url,
            requests,
            rate=args.rate,
            connections=args.connections,
            samples=sent,
            cafile=top.verify,
        )
    busy, total = (
        now - then for now, then in zip(machine_busy_seconds(), machine_before, strict=True)
    )
    return Beside(
        name=name,
        count=len(requests),
        seconds=took,
        sent=sent,
        pages=pages,
        servers_cpu=cpu_seconds(groups) - servers_before,
        machine_busy=busy / total,
    )


if __name__ == "__main__":
    main()
