"""PostgreSQL stopped under load, in the shipped topology (nginx TLS → gunicorn gthread, 4
workers → PostgreSQL, Redis), with the WeCom stand-in: no customer is shown without its audit
row, nothing answers 500, and every send ends recorded.

40 staff members work through it: 20 look customers up in a loop, 20 send a text reply in a
loop, each as the page does (static/sidebar/js/sidebar.js): the client's answer to a send is
posted again, after growing pauses, until the server records it. After a few seconds of load,
PostgreSQL is stopped (a fast shutdown: every connection breaks), kept down for
--down-seconds, and started again; the load goes on for a while, then every page delivers what
it still holds. It prints the answers by status and outcome, the lookups shown against the
audit rows (per staff member: none may be shown without its row), and each send's end.

    .venv/bin/python -m bench.outage [--down-seconds 6.4] [--load-seconds 25]
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

import psycopg  # noqa: E402
import requests  # noqa: E402

from bench import exit_on_sigterm  # noqa: E402
from sidebar.standin.seed import add_followers, seeded_corp  # noqa: E402
from tests.replies.conftest import ANDROID  # noqa: E402
from tests.servers import PostgresServer  # noqa: E402
from tests.topology import Topology  # noqa: E402

LOOKERS = SENDERS = 20
CUSTOMER = {"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"}
SHOWN_NAME = "陈小明"
REPLY = """
from sidebar.replies import demo
from sidebar.replies.models import Category
category, _ = Category.objects.get_or_create(name="问候")
print(demo.make("text", title="问候", category=category, text="您好，我在。").pk)
"""
DELIVERY_PAUSES = [1, 2, 4, 8, 15, 15, 15, 30, 30, 60]  # the page's, seconds


def corp_with_staff():
    """The seeded corp with LOOKERS + SENDERS staff members who all follow the customer."""
    corp = seeded_corp()
    add_followers(corp, CUSTOMER["external_userid"], LOOKERS + SENDERS)
    return corp


class Webview:
    def __init__(self, top: Topology, userid: str):
        self.userid = userid
        self.url = top.url
        self.browser = top.webview(userid, user_agent=ANDROID)
        self.statuses: Counter = Counter()
        self.shown = 0  # lookups whose answer showed the customer
        self.shown_unrecorded = 0  # ...although the answer said it was not recorded
        self.undelivered: dict[str, dict] = {}  # result URL -> the client's answer

    def post(self, path: str, **kwargs):
        try:
            answer = self.browser.post(self.url + path, timeout=30, **kwargs)
        except requests.RequestException as exc:
            self.statuses[type(exc).__name__] += 1
            return None
        self.statuses[answer.status_code] += 1
        return answer

    def look_up(self) -> None:
        answer = self.post("/sidebar/lookup/contact/", data=CUSTOMER)
        if answer is None:
            return
        outcome = answer.headers.get("X-Sidebar-Outcome", "")
        self.statuses[f"lookup {answer.status_code} {outcome}"] += 1
        if SHOWN_NAME in answer.text:
            self.shown += 1
            if outcome != "ok":
                self.shown_unrecorded += 1

    def send(self, reply_id: int) -> None:
        answer = self.post(
            f"/sidebar/replies/{reply_id}/send/",
            data=CUSTOMER,
            headers={"Accept": "application/json"},
        )
        if answer is None:
            return
        self.statuses[f"send {answer.status_code}"] += 1
        if answer.status_code != 200 or "message" not in answer.json():
            return
        result = answer.json()["result"]
        self.undelivered[result] = {"err_msg": "sendChatMessage:ok", "duration_ms": 20}
        self.deliver(result, pauses=[])

    def deliver(self, result: str, *, pauses: list[float]) -> bool:
        """Post the client's answer, and again after each pause while it is not recorded."""
        for pause in [0, *pauses]:
            time.sleep(pause)
            answer = self.post(result, json=self.undelivered[result])
            if answer is not None and answer.status_code < 500:
                del self.undelivered[result]
                return True
        return False


def staff_loop(view: Webview, stop: threading.Event, work) -> None:
    while not stop.is_set():
        try:
            work(view)
        except Exception as exc:  # a failure is a data point
            view.statuses[f"error {type(exc).__name__}"] += 1
        stop.wait(0.2)


def rows(database_url: str) -> tuple[Counter, Counter]:
    """(ok lookup rows per staff member, sends by outcome) as PostgreSQL holds them."""
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as conn:
        lookups = Counter(
            dict(
                conn.execute(
                    "SELECT staff_userid, count(*) FROM sidebar_lookup WHERE outcome = 'ok' "
                    "GROUP BY staff_userid"
                ).fetchall()
            )
        )
        sends = Counter(
            dict(conn.execute("SELECT outcome, count(*) FROM replies_send GROUP BY outcome"))
        )
    return lookups, sends


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--down-seconds", type=float, default=6.4)
    parser.add_argument("--load-seconds", type=float, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-outage-") as work:
        work = Path(work)
        with PostgresServer(work) as postgres:
            env = {"DATABASE_URL": postgres.url}
            with Topology(corp_with_staff(), work, env=env) as top:
                reply_id = int(top.shell(REPLY).strip().splitlines()[-1])
                views = [Webview(top, f"staff{n:02d}") for n in range(LOOKERS + SENDERS)]
                lookers, senders = views[:LOOKERS], views[LOOKERS:]
                stop = threading.Event()
                threads = [
                    threading.Thread(target=staff_loop, args=(v, stop, Webview.look_up))
                    for v in lookers
                ] + [
                    threading.Thread(target=staff_loop, args=(v, stop, lambda v: v.send(reply_id)))
                    for v in senders
                ]
                for thread in threads:
                    thread.start()
                time.sleep(5)
                halted = time.monotonic()
                postgres.halt()
                time.sleep(args.down_seconds)
                postgres.resume()
                down = time.monotonic() - halted
                time.sleep(max(0.0, args.load_seconds - 5 - down))
                stop.set()
                for thread in threads:
                    thread.join(timeout=120)
                for view in senders:  # every page delivers what it still holds
                    for result in list(view.undelivered):
                        view.deliver(result, pauses=DELIVERY_PAUSES)
                lookup_rows, send_rows = rows(postgres.url)

    statuses = sum((v.statuses for v in views), Counter())
    server_errors = {k: n for k, n in statuses.items() if isinstance(k, int) and k >= 500}
    shown = {v.userid: v.shown for v in lookers}
    without_row = sum(max(0, shown[u] - lookup_rows.get(u, 0)) for u in shown)
    print(f"\nPostgreSQL down {down:.1f} s under {LOOKERS} staff looking up and {SENDERS} sending")
    print(f"  answers by status: {dict(sorted((str(k), n) for k, n in statuses.items()))}")
    print(f"  5xx by status: {server_errors or 'none'}; 500s: {statuses.get(500, 0)}")
    print(
        f"  lookups showing the customer: {sum(shown.values())}; ok audit rows of those staff: "
        f"{sum(lookup_rows.get(u, 0) for u in shown)}; shown without a row: {without_row}; "
        f"shown although answered 'not recorded': {sum(v.shown_unrecorded for v in lookers)}"
    )
    print(f"  sends by recorded outcome: {dict(send_rows)}")
    print(f"  results still undelivered by a page: {sum(len(v.undelivered) for v in senders)}")


if __name__ == "__main__":
    main()
