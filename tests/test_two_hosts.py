"""Two app hosts behind one nginx, on one PostgreSQL and one Redis (docs/deploying.md, "More than
one host"): two independent gunicorns, each with its own processes and in-process state, as two
machines would be. A cold burst of sign-ins spread over both costs WeCom one token and one of
each ticket; a session started on one host goes on on the other; forgetting the credentials on
one reaches both with one fetch; a file sent at once from both is uploaded once; an event
delivered twice, to either host, is handled once."""

import contextlib
import time
from dataclasses import dataclass

import pytest
import requests

from sidebar.standin.seed import add_followers, seeded_corp
from sidebar.standin.server import StandinServer
from tests.events import vectors
from tests.pages import boot_of
from tests.replies.test_many_workers import UPLOAD, StaffMember, all_at_once, make_picture
from tests.servers import Gunicorn, Nginx, PostgresServer, RedisServer
from tests.topology import deployment_environment, django_shell, sign_in

pytestmark = pytest.mark.processes

SIGN_INS = 40
CUSTOMER = "wmChenXiaoMing0001"
SENDERS = [f"staff{n:02d}" for n in range(10)]  # add_followers' userids
COUNT_EVENTS = "from sidebar.events.models import ChangeEvent; print(ChangeEvent.objects.count())"


@dataclass
class Hosts:
    corp: object
    apps: list  # the two hosts' gunicorns
    nginx: Nginx
    env: dict

    def session(self) -> requests.Session:
        browser = requests.Session()
        browser.trust_env = False
        browser.verify = str(self.nginx.certificate)
        return browser


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    work = tmp_path_factory.mktemp("two-hosts")
    corp = seeded_corp()
    add_followers(corp, CUSTOMER, len(SENDERS))
    with contextlib.ExitStack() as stack:
        standin = StandinServer(corp).start()
        stack.callback(standin.stop)
        redis = stack.enter_context(RedisServer(work))
        postgres = stack.enter_context(PostgresServer(work))
        env = deployment_environment(standin, corp, redis.url, work)
        env.update(
            DATABASE_URL=postgres.url,
            DJANGO_ALLOWED_HOSTS="localhost,127.0.0.1",
            DJANGO_STATIC_ROOT=str(work / "static"),
            DJANGO_SECURE_PROXY_SSL_HEADER="on",
            DJANGO_SECURE_SSL_REDIRECT="on",
            WECOM_CALLBACK_TOKEN=vectors.TOKEN,
            WECOM_CALLBACK_AES_KEY=vectors.AES_KEY,
        )
        apps = [
            stack.enter_context(
                Gunicorn(
                    {**env, "PROMETHEUS_MULTIPROC_DIR": str(work / name / "metrics")},
                    work / name,
                    workers=2,
                )
            )
            for name in ("host-a", "host-b")
        ]
        nginx = stack.enter_context(
            Nginx(
                work / "nginx",
                upstream_port=apps[0].port,
                more_upstream_ports=(apps[1].port,),
                static_root=work / "static",
            )
        )
        yield Hosts(corp, apps, nginx, env)


def lookups_counted(app) -> float:
    """What one host's /metrics counts of lookups (scraped as a scraper on that host does)."""
    scraped = requests.get(app.url + "/metrics", timeout=60).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in scraped.splitlines()
        if line.startswith("sidebar_lookups_total{")
    )


def test_a_cold_burst_over_both_hosts_costs_one_token_and_one_of_each_ticket(hosts):
    corp = hosts.corp
    corp.reset_counters()
    browsers = [hosts.session() for _ in range(SIGN_INS)]
    assert all_at_once(browsers, lambda browser: sign_in(browser, hosts.nginx.url)) == []
    assert corp.count("/cgi-bin/gettoken") == 1
    assert corp.count("/cgi-bin/get_jsapi_ticket") == 1
    assert corp.count("/cgi-bin/ticket/get") == 1

    # Both hosts served the staff: each counts lookups of its own.
    origin = hosts.nginx.url
    for browser in browsers[:20]:
        answer = browser.post(
            origin + "/sidebar/lookup/contact/",
            data={"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"},
            headers={"X-CSRFToken": browser.cookies["csrftoken"], "Origin": origin,
                     "Referer": origin + "/sidebar/"},
            timeout=60,
        )  # fmt: skip
        assert answer.headers["X-Sidebar-Outcome"] == "ok"
    per_host = [lookups_counted(app) for app in hosts.apps]
    assert min(per_host) > 0 and sum(per_host) >= 20


def test_a_session_started_on_one_host_goes_on_on_the_other(hosts):
    browser = hosts.session()
    sign_in(browser, hosts.nginx.url)
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
    for app in hosts.apps:  # straight to each host, as nginx would pass it on
        page = requests.get(
            app.url + "/sidebar/",
            headers={"Cookie": cookie, "X-Forwarded-Proto": "https", "Host": "localhost"},
            allow_redirects=False,
            timeout=60,
        )
        assert page.status_code == 200, (app.url, page.status_code)  # not sent to sign in


def test_forgetting_the_credentials_on_one_host_reaches_both_with_one_fetch(hosts):
    """`reset_wecom_credentials`, run where one host runs, empties the shared cache; each host
    drops its in-process copy within 10 s, and the fresh ticket is fetched once for both."""
    browser = hosts.session()
    sign_in(browser, hosts.nginx.url)
    cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)

    def pages_on_both():
        for app in hosts.apps:
            page = requests.get(
                app.url + "/sidebar/",
                headers={"Cookie": cookie, "X-Forwarded-Proto": "https", "Host": "localhost"},
                timeout=60,
            )
            assert page.status_code == 200 and boot_of(page.text)["config"]["signature"]

    pages_on_both()
    path = "/cgi-bin/get_jsapi_ticket"
    before = hosts.corp.count(path)
    django_shell(hosts.env, "from django.core.management import call_command; "
                 "call_command('reset_wecom_credentials')")  # fmt: skip
    started = time.monotonic()
    while hosts.corp.count(path) == before and time.monotonic() - started < 120:
        pages_on_both()
        time.sleep(0.5)
    took = time.monotonic() - started
    assert hosts.corp.count(path) == before + 1, "no fresh corp ticket was fetched"
    for _ in range(5):  # both hosts keep signing with it: no second fetch
        pages_on_both()
    assert hosts.corp.count(path) == before + 1
    print(f"\nthe fresh ticket was in use {took:.1f} s after the reset")


def test_a_file_sent_at_once_over_both_hosts_is_uploaded_once(hosts):
    """Ten staff send the same never-uploaded picture at once, nginx spreading them over both
    hosts: WeCom sees one media/upload, and every send goes out."""
    corp = hosts.corp
    reply_id = make_picture(hosts)
    verify = str(hosts.nginx.certificate)
    members = [StaffMember(hosts.nginx.url, userid, verify=verify) for userid in SENDERS]
    corp.inject(UPLOAD, delay=0.5)  # a WeCom that takes its time widens the race
    corp.reset_counters()
    assert all_at_once(members, lambda m: m.tap_send(reply_id, corp)) == []
    assert corp.count(UPLOAD) == 1
    shown = [verdict for member in members for verdict in member.shown]
    assert len(shown) == len(SENDERS) and {v["outcome"] for v in shown} == {"sent"}


def test_an_event_delivered_twice_over_both_hosts_is_handled_once(hosts):
    sender = vectors.sender(hosts.nginx.url, hosts.corp, verify=str(hosts.nginx.certificate))
    assert sender.verify()
    before = int(django_shell(hosts.env, COUNT_EVENTS).split()[-1])
    message = sender.message(
        "change_external_contact",
        "edit_external_contact",
        {"UserID": "zhangsan", "ExternalUserID": "wmChenXiaoMing0001"},
    )
    for _ in range(4):  # nginx passes them to the hosts in turn
        sender.deliver(message, "edit_external_contact")
    assert int(django_shell(hosts.env, COUNT_EVENTS).split()[-1]) == before + 1
