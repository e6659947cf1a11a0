"""What everyone gets while WeCom's media/upload is slow or refusing, in the shipped topology
(nginx TLS → gunicorn gthread, 4 workers → SQLite, Redis), with the WeCom stand-in:

1. WeCom's upload answers in 70 s while 30 staff send the same new picture at once;
2. WeCom refuses every upload with 45009 while 30 staff keep sending a new picture.

Each sender does what the page does (static/sidebar/js/sidebar.js): ask for the message; while
told the file is uploading (202), wait Retry-After seconds and ask again; hand the message to
the client (the stand-in checks the media_id as the client would) and report its answer.
Meanwhile /healthz is probed every 0.25 s and four other signed-in staff load the page every
0.25 s (client timeout 5 s). It prints their p50/p99/max and failures, the senders' outcomes
and their time from tap to sent, and how many uploads WeCom received.

    .venv/bin/python -m bench.uploads [--upload-seconds 70] [--refusal-seconds 65]
"""

import argparse
import os
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from bench import exit_on_sigterm  # noqa: E402
from sidebar.standin.seed import add_followers, seeded_corp  # noqa: E402
from tests import load  # noqa: E402
from tests.replies.conftest import ANDROID  # noqa: E402
from tests.topology import Topology  # noqa: E402

STAFF = 30
CUSTOMER = "wmChenXiaoMing0001"
UPLOAD = "/cgi-bin/media/upload"
COOLDOWN = 20  # WECOM_ERROR_COOLDOWN for this run: several cooldowns fit in one run
PROBE_TIMEOUT = 5.0
NEW_PICTURE = """
from sidebar.replies import demo, samples
from sidebar.replies.models import Category
category, _ = Category.objects.get_or_create(name="新品")
made = demo.make("image", title="{title}", category=category,
                 upload=samples.png(160, 120, colour={colour}), filename="{title}.png")
print(made.pk)
"""


def corp_with_senders():
    """The seeded corp with STAFF more staff members, all following the customer."""
    corp = seeded_corp()
    add_followers(corp, CUSTOMER, STAFF, prefix="sender")
    return corp


class Sender:
    """A staff member's webview tapping 发送 on one reply."""

    def __init__(self, top: Topology, userid: str):
        self.top = top
        self.browser = top.webview(userid, user_agent=ANDROID)

    def tap(self, reply_id: int, *, give_up_after: float) -> tuple[str, float, int]:
        """(what the page showed at the end, seconds from tap to then, times told to wait)."""
        started, waits = time.monotonic(), 0
        form = {"entry": "single_chat_tools", "external_userid": CUSTOMER}
        while True:
            answer = self.browser.post(
                self.top.url + f"/sidebar/replies/{reply_id}/send/",
                data=form, timeout=60,
            )  # fmt: skip
            if answer.status_code >= 500:
                return f"HTTP {answer.status_code}", time.monotonic() - started, waits
            body = answer.json()
            if answer.status_code == 202 and time.monotonic() - started < give_up_after:
                waits += 1
                time.sleep(float(answer.headers["Retry-After"]))
                continue
            if "message" not in body:
                said = body.get("refused", {}).get("title") or body.get("pending", {}).get("title")
                return f"not sent: {said}", time.monotonic() - started, waits
            found = self.top.corp.check_media(body["message"]["image"]["mediaid"], "image")
            said = "sendChatMessage:ok" if found == "ok" else "sendChatMessage:fail invalid mediaid"
            verdict = self.browser.post(
                self.top.url + body["result"], json={"err_msg": said, "duration_ms": 5},
                timeout=60,
            ).json()  # fmt: skip
            return verdict["outcome"], time.monotonic() - started, waits


def new_picture(top: Topology, title: str, colour) -> int:
    return int(top.shell(NEW_PICTURE.format(title=title, colour=colour)).strip().splitlines()[-1])


def everyone_at_once(senders, call) -> list:
    barrier, results, lock = threading.Barrier(len(senders)), [], threading.Lock()

    def run(sender):
        barrier.wait()
        try:
            result = call(sender)
        except Exception as exc:  # a failure is a data point
            result = (f"error {type(exc).__name__}", 0.0, 0)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(s,), daemon=True) for s in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    return results


def watched(top: Topology, work) -> tuple[load.Samples, load.Samples, object]:
    """Run `work()` while everyone else's /healthz and page loads are probed."""
    healthz, pages, probes = load.everyone_else(top, users=4, interval=0.25, timeout=PROBE_TIMEOUT)
    stop, outcome = threading.Event(), {}
    threads = [threading.Thread(target=p, args=(stop,), daemon=True) for p in probes]
    for thread in threads:
        thread.start()
    try:
        outcome["value"] = work()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    return healthz, pages, outcome.get("value")


def slow_upload(top: Topology, senders, seconds: float) -> list[str]:
    reply_id = new_picture(top, "新品海报", (200, 60, 40))
    top.corp.inject(UPLOAD, delay=seconds, times=None)
    top.corp.reset_counters()
    started = time.monotonic()
    healthz, pages, results = watched(
        top, lambda: everyone_at_once(senders, lambda s: s.tap(reply_id, give_up_after=300))
    )
    took = time.monotonic() - started
    top.corp.clear_faults()
    outcomes = Counter(outcome for outcome, _s, _w in results)
    sent_after = sorted(seconds for outcome, seconds, _w in results if outcome == "sent")
    waits = sum(w for _o, _s, w in results)
    return [
        load_line(healthz),
        load_line(pages),
        f"senders: {dict(outcomes)}; sent after {percentiles(sent_after)}; told to wait {waits} "
        f"times in all",
        f"WeCom received {top.corp.count(UPLOAD)} upload(s) of the file in {took:.0f} s",
    ]


def refusing_upload(top: Topology, senders, seconds: float) -> list[str]:
    reply_id = new_picture(top, "活动海报", (40, 120, 200))
    top.corp.inject(UPLOAD, errcode=45009, errmsg="api freq out of limit", times=None)
    top.corp.reset_counters()
    started = time.monotonic()

    def keep_tapping(sender):
        seen = Counter()
        while time.monotonic() - started < seconds:
            outcome, _seconds, _waits = sender.tap(reply_id, give_up_after=30)
            seen[outcome] += 1
            time.sleep(1.0)
        return seen

    healthz, pages, results = watched(top, lambda: everyone_at_once(senders, keep_tapping))
    took = time.monotonic() - started
    top.corp.clear_faults()
    taps = sum((r for r in results if isinstance(r, Counter)), Counter())
    uploads = top.corp.count(UPLOAD)
    most = int(took // COOLDOWN) + 1  # one at the start, then one per cooldown passed
    return [
        load_line(healthz),
        load_line(pages),
        f"{sum(taps.values())} taps: {dict(taps)}",
        f"WeCom received {uploads} upload(s) in {took:.0f} s; one per {COOLDOWN} s cooldown "
        f"allows {most}",
    ]


def load_line(samples: load.Samples) -> str:
    timeouts = sum(1 for f in samples.failures if "Timeout" in f)
    return f"{samples.line()}; {timeouts} timeouts"


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    middle, last = values[len(values) // 2], values[-1]
    return f"{middle:.1f} s median, {last:.1f} s last"


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upload-seconds", type=float, default=70)
    parser.add_argument("--refusal-seconds", type=float, default=65)
    args = parser.parse_args()
    env = {"WECOM_ERROR_COOLDOWN": str(COOLDOWN)}
    with (
        tempfile.TemporaryDirectory(prefix="bench-uploads-") as work,
        Topology(corp_with_senders(), Path(work), env=env) as top,
    ):
        senders = [Sender(top, f"sender{n:02d}") for n in range(STAFF)]
        for title, run, seconds in (
            (f"WeCom's upload answers in {args.upload_seconds:g} s", slow_upload,
             args.upload_seconds),
            (f"WeCom answers every upload with 45009 for {args.refusal_seconds:g} s",
             refusing_upload, args.refusal_seconds),
        ):  # fmt: skip
            lines = run(top, senders, seconds)
            print(f"\n{title}, {STAFF} staff sending one new picture:")
            for line in lines:
                print("  " + line)


if __name__ == "__main__":
    main()
