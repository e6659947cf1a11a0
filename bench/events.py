"""WeCom's change events at a sustained rate, in the shipped topology (nginx → gunicorn gthread,
Redis, SQLite), side by side in one run:

1. page loads (GET /sidebar/, a signed-in staff member) alone;
2. the same page loads while events arrive at `--rate` per second for `--seconds`, each a
   different customer's edit, encrypted and signed as WeCom sends them;
3. page loads alone again.

It prints the events' achieved rate, their answers' p50/p99 and any that were not 200, and the
page loads' p50/p99 during the events as a ratio to the mean of runs 1 and 3. The goals
(issue 21): 500 events/s for 30 s, each answered in under 200 ms p99, page loads within 1.2×.

    .venv/bin/python -m bench.events [--rate 500] [--seconds 30] [--senders 16]
"""

import argparse
import os
import secrets
import threading
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from bench import exit_on_sigterm  # noqa: E402
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


def pages_alone(top, browser, name: str, seconds: float) -> Samples:
    samples, stop = Samples(name), threading.Event()
    thread = threading.Thread(target=page_loads, args=(top, browser, samples, stop, 0.02))
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join()
    return samples


def prepared(sender: CallbackSender, count: int) -> list[tuple[str, bytes]]:
    """`count` distinct events, encrypted and signed now (WeCom's timestamps are the send's)."""
    bodies = []
    for n in range(count):
        message = sender.message(
            "change_external_contact",
            "edit_external_contact",
            {"UserID": "zhangsan", "ExternalUserID": f"wmBenchCustomer{n:07d}"},
        )
        encrypted = sender.crypto.encrypt(message)
        timestamp, nonce = str(int(time.time())), secrets.token_hex(4)
        signature = sender.crypto.sign(timestamp, nonce, encrypted)
        query = f"msg_signature={signature}&timestamp={timestamp}&nonce={nonce}"
        body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
        bodies.append((query, body))
    return bodies


def send_events(top, bodies, *, rate: float, senders: int, samples: Samples) -> float:
    """Post `bodies` at `rate` per second from `senders` threads; the seconds it took."""
    start = time.monotonic() + 0.5
    next_index = iter(range(len(bodies)))
    lock = threading.Lock()

    def sender():
        session = top.session()
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            wait = start + index / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            query, body = bodies[index]
            began = time.perf_counter()
            try:
                answer = session.post(
                    f"{top.url}/wecom/events/?{query}",
                    data=body,
                    headers={"Content-Type": "text/xml"},
                    timeout=30,
                )
                if answer.status_code == 200:
                    samples.ok(time.perf_counter() - began)
                else:
                    samples.failed(f"HTTP {answer.status_code}")
            except Exception as exc:
                samples.failed(type(exc).__name__)

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - start


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--senders", type=int, default=16)
    args = parser.parse_args()
    env = {"WECOM_CALLBACK_TOKEN": vectors.TOKEN, "WECOM_CALLBACK_AES_KEY": vectors.AES_KEY}
    with seeded_topology("events", env=env) as top:
        sender = CallbackSender(
            url=top.url + "/wecom/events/",
            token=vectors.TOKEN,
            aes_key=vectors.AES_KEY,
            corp_id=top.corp.corp_id,
            agent_id=top.corp.agent_id,
        )
        sender.session.verify = top.verify
        if not sender.verify():
            raise SystemExit("The app did not verify its callback URL.")
        browser = top.sign_in()
        pages_alone(top, browser, "warm-up", 3)
        before = pages_alone(top, browser, "page loads, no events", args.seconds / 2)
        bodies = prepared(sender, int(args.rate * args.seconds))
        events, during, stop = (
            Samples("events"),
            Samples("page loads, during events"),
            threading.Event(),
        )
        pages = threading.Thread(target=page_loads, args=(top, browser, during, stop, 0.02))
        pages.start()
        took = send_events(top, bodies, rate=args.rate, senders=args.senders, samples=events)
        stop.set()
        pages.join()
        after = pages_alone(top, browser, "page loads, no events again", args.seconds / 2)

    without = (before.percentile(50) + after.percentile(50)) / 2
    print(f"\n{len(bodies):,} events in {took:.1f} s: {events.count / took:.0f} events/s achieved")
    for samples in (events, before, during, after):
        print("  " + samples.line())
    print(
        f"  page loads during events / without (p50): {during.percentile(50) / without:.2f} "
        "(goal: at most 1.2); events p99 "
        f"{events.percentile(99) * 1000:.0f} ms (goal: under 200 ms)"
    )


if __name__ == "__main__":
    main()
