"""Redis behind Sentinel (docs/deploying.md, "Redis with Sentinel"): the master dies under load
and Sentinel promotes the replica. Staff keep their sessions, no request fails, every lookup
shown has its audit row, no single-flight lock is left without an expiry, and the app is back
on the new master without a restart."""

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import pytest

from sidebar.standin.seed import add_followers, seeded_corp
from tests.servers import RedisSentinels
from tests.topology import Topology

pytestmark = pytest.mark.processes

CUSTOMER = "wmChenXiaoMing0001"
STAFF = [f"staff{n:02d}" for n in range(6)]  # add_followers' userids
PHONE = "Mozilla/5.0 (Linux; Android 14) Mobile wxwork/4.1.30 MicroMessenger/7.0.1"
COUNT_LOOKUPS = "from sidebar.models import Lookup; print(Lookup.objects.count())"
RESET = "from django.core.management import call_command; call_command('reset_wecom_credentials')"
TICKET = "/cgi-bin/get_jsapi_ticket"
# How long after Sentinel names the new master the load goes on.
AFTER_FAILOVER_SECONDS = 10


@dataclass
class Answer:
    at: float  # seconds since the master died (negative: before)
    what: str  # "page" or "lookup"
    status: int
    outcome: str
    seconds: float  # how long it took


@dataclass
class Load:
    """Staff opening the page and looking up the customer, each in a loop, until stopped."""

    url: str
    browsers: list
    died_at: float = float("inf")
    answers: list = field(default_factory=list)
    failures: list = field(default_factory=list)

    def __post_init__(self):
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(b,)) for b in self.browsers]

    def start(self):
        for thread in self._threads:
            thread.start()
        return self

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=300)

    def _run(self, browser):
        body = {"entry": "single_chat_tools", "external_userid": CUSTOMER}
        while not self._stop.is_set():
            try:
                page = browser.get(self.url + "/sidebar/", allow_redirects=False, timeout=60)
                self._note("page", page)
                found = browser.post(self.url + "/sidebar/lookup/contact/", data=body, timeout=60)
                self._note("lookup", found)
            except Exception as exc:  # no answer at all: counted, never lost
                self.failures.append(repr(exc))

    def _note(self, what, response):
        outcome = response.headers.get("X-Sidebar-Outcome", "")
        took = response.elapsed.total_seconds()
        at = time.monotonic() - self.died_at
        self.answers.append(Answer(at, what, response.status_code, outcome, took))


def test_the_master_fails_over_under_load_and_nothing_is_lost(tmp_path):
    """Six staff open the page and look the customer up in a loop. A ticket refresh is under
    way (WeCom holds its answer) when the master dies, so the refresh's single-flight lock is
    on the master; Sentinel promotes the replica, WeCom answers, and the load goes on."""
    corp = seeded_corp()
    add_followers(corp, CUSTOMER, len(STAFF))
    with (
        RedisSentinels(tmp_path / "redis") as redis,
        Topology(
            corp,
            tmp_path / "app",
            workers=2,
            redis_url=redis.url,
            env={"REDIS_SENTINELS": redis.sentinels},
        ) as top,  # fmt: skip
    ):
        browsers = [top.webview(userid, user_agent=PHONE) for userid in STAFF]
        before = int(top.shell(COUNT_LOOKUPS).split()[-1])
        replica = redis.client(redis.replica.port)
        load = Load(top.url, browsers).start()
        try:
            lock = refresh_in_flight(top, replica)
            load.died_at = time.monotonic()
            redis.kill_master()
            while redis.master_port() != redis.replica.port:
                assert time.monotonic() - load.died_at < 120, "Sentinel promoted no replica"
                time.sleep(0.1)
            promoted = time.monotonic() - load.died_at
            lock_expires_in = replica.ttl(lock)
            corp.clear_faults()  # WeCom answers the held refresh
            time.sleep(AFTER_FAILOVER_SECONDS)
        finally:
            corp.clear_faults()
            load.stop()

        answers = load.answers
        statuses = Counter(a.status for a in answers)
        errors = [a for a in answers if a.status >= 500]
        shown = sum(1 for a in answers if a.what == "lookup" and a.outcome == "ok")
        during = [a for a in answers if 0 <= a.at <= promoted]
        slowest = max((a.seconds for a in during), default=0.0)
        print(
            f"\n{len(answers)} requests ({len(during)} while no master), statuses "
            f"{dict(statuses)}; replica promoted {promoted:.1f} s after the master died; "
            f"5xx: {len(errors)}; slowest while no master {slowest:.2f} s; {shown} lookups "
            f"shown; the refresh's lock on the new master expires in {lock_expires_in} s"
        )
        assert load.failures == []
        assert errors == []
        assert statuses[302] == 0, "a page sent its staff member to sign in again"
        assert len(during) > 0
        # Every lookup shown has its audit row.
        assert int(top.shell(COUNT_LOOKUPS).split()[-1]) - before == shown
        # The lock taken on the old master came over with its expiry: never held for ever.
        assert replica.info("replication")["role"] == "master"
        assert lock_expires_in > 0
        # The app is back on Redis, on the new master: a fresh ticket is fetched once for all.
        fresh_ticket_fetched_once(top, browsers[0])
        assert replica.exists(lock.removesuffix(":lock"))


def refresh_in_flight(top, replica) -> str:
    """Forget the credentials and hold WeCom's answer to the corp ticket's refresh; once the
    refresh's lock is on the replica too, its key."""
    corp = top.corp
    corp.inject(TICKET, hold=True)
    fetched = corp.count(TICKET)
    top.shell(RESET)
    deadline = time.monotonic() + 120
    while True:  # each process reads the shared cache again within 10 s
        locks = [key for key in replica.keys("*corp_ticket:lock")]
        if corp.count(TICKET) > fetched and locks:
            return locks[0]
        assert time.monotonic() < deadline, "no refresh started"
        time.sleep(0.1)


def fresh_ticket_fetched_once(top, browser) -> None:
    fetched = top.corp.count(TICKET)
    top.shell(RESET)
    deadline = time.monotonic() + 120
    while top.corp.count(TICKET) == fetched:
        assert browser.get(top.url + "/sidebar/", timeout=60).status_code == 200
        assert time.monotonic() < deadline, "no fresh ticket was fetched"
        time.sleep(0.5)
    for _ in range(5):
        assert browser.get(top.url + "/sidebar/", timeout=60).status_code == 200
    assert top.corp.count(TICKET) == fetched + 1
