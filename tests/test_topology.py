"""The documented production topology on loopback: Debian's nginx with deploy/nginx/sidebar.conf
(TLS) in front of gunicorn with deploy/gunicorn.conf.py, Redis, and the WeCom stand-in.

Waits here are for conditions, with deadlines far beyond anything a busy machine needs; what is
asserted is what breaks without the protection (a probe that hangs until gunicorn kills the
worker, a WeCom call beyond the bound), never a latency. bench/serving.py measures latencies.
"""

import re
import sqlite3
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from sidebar.standin.seed import seeded_corp
from tests import fuzzing, load
from tests.pages import boot_of
from tests.replies.test_many_workers import all_at_once
from tests.topology import Topology

pytestmark = pytest.mark.processes

WORKERS = 4
THREADS = 8  # deploy/gunicorn.conf.py
LOOKUP_SLOTS = 4  # WECOM_MAX_CONCURRENT_CALLS 6, less a third kept for sign-in and credentials
PROBE_TIMEOUT = 15.0  # a blocked worker holds a probe for 30 s (gunicorn's timeout)
CONTACT = "/cgi-bin/externalcontact/get"


@pytest.fixture(scope="module")
def top(tmp_path_factory):
    corp = seeded_corp()
    work = tmp_path_factory.mktemp("topology")
    verify = work / "WW_verify_Topo123.txt"
    verify.write_text("Topo123")
    env = {
        "WECOM_CONTACT_CACHE_SECONDS": "0",
        "WECOM_VERIFY_FILE": str(verify),
        # As deploy/systemd/sidebar.service sets it: metrics added up across the workers.
        "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics"),
    }
    with Topology(corp, work, workers=WORKERS, env=env) as running:
        yield running


@pytest.fixture
def corp(top):
    top.corp.clear_faults()
    top.corp.reset_counters()
    yield top.corp
    top.corp.clear_faults()


def verify_boot(corp, boot: dict) -> tuple[str, str]:
    config = {"corpid": corp.corp_id, **boot["config"]}
    agent = {"corpid": corp.corp_id, "agentid": corp.agent_id, **boot["agentConfig"]}
    return (
        corp.verify_signature(kind="corp", params=config, url=boot["url"]),
        corp.verify_signature(kind="agent", params=agent, url=boot["url"]),
    )


def test_the_page_signs_the_https_url_the_client_sees(top, corp):
    browser = top.sign_in()
    # Forwarding headers a client sends itself are dropped by nginx, not believed.
    forged = {"X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example", "Forwarded": "x"}
    page = browser.get(top.url + "/sidebar/?from=toolbar", headers=forged, timeout=60)
    assert page.status_code == 200
    boot = boot_of(page.text)
    assert boot["url"] == f"{top.url}/sidebar/?from=toolbar"
    assert boot["url"].startswith("https://localhost:")
    assert verify_boot(corp, boot) == ("ok", "ok")
    assert "max-age=60" in page.headers["Strict-Transport-Security"]


def test_a_port_the_client_writes_into_host_does_not_reach_the_sign_in(top):
    """The OAuth redirect_uri (and every URL the app builds) names the port this site is
    served on, whatever port the client puts in its Host header."""
    served = f"https://localhost:{top.nginx.https_port}"
    for claimed in ("localhost:1", f"localhost:{top.nginx.https_port}", "localhost"):
        answer = top.session().get(
            top.url + "/sidebar/", headers={"Host": claimed}, allow_redirects=False, timeout=60
        )
        assert answer.status_code == 302, claimed
        redirect_uri = parse_qs(urlsplit(answer.headers["Location"]).query)["redirect_uri"][0]
        assert redirect_uri == served + "/sidebar/oauth/callback/", claimed


def test_an_answer_that_echoes_a_long_url_passes_nginx(top):
    """Admin's redirect to its login page carries the whole path in `next`: for a request line
    as long as nginx accepts, the Location header outgrows nginx's default buffer (a 502)."""
    for filler in ("a", "%"):  # "%" grows threefold when the redirect encodes it
        path = "/admin/?index=" + filler * (8100 if filler == "a" else 2700)
        answer = top.session().get(top.url + path, allow_redirects=False, timeout=60)
        assert answer.status_code == 302, (filler, answer.status_code)
        assert answer.headers["Location"].startswith("/admin/login/?next=")


def test_pages_and_panels_are_compressed_by_nginx(top):
    browser = top.sign_in()
    gzip = {"Accept-Encoding": "gzip"}
    with browser.get(top.url + "/sidebar/", headers=gzip, stream=True, timeout=60) as page:
        assert page.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in page.headers["Vary"]
        sent = len(page.raw.read(decode_content=False))
    assert sent < len(browser.get(top.url + "/sidebar/", timeout=60).content) / 2
    origin = top.url
    panel = browser.post(
        top.url + "/sidebar/lookup/contact/",
        data={"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"},
        headers={**gzip, "X-CSRFToken": browser.cookies["csrftoken"], "Origin": origin,
                 "Referer": origin + "/sidebar/"},
        timeout=60,
    )  # fmt: skip
    assert panel.headers["X-Sidebar-Outcome"] == "ok"
    assert panel.headers["Content-Encoding"] == "gzip"


def test_metrics_count_every_audit_row_across_the_workers_and_stay_off_nginx(top, corp):
    """Lookups from four staff at once spread over the workers; /metrics, scraped from
    gunicorn as a scraper on the host does, adds every worker's count up to the audit rows."""
    phone = "Mozilla/5.0 (Linux; Android 14) Mobile wxwork/4.1.30 MicroMessenger/7.0.1"
    browsers = [top.webview(user, user_agent=phone) for user in ("zhangsan", "lisi")] * 2
    url = top.url + "/sidebar/lookup/contact/"
    body = {"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"}

    def look_up(browser):
        for _ in range(10):
            assert browser.post(url, data=body, timeout=60).headers["X-Sidebar-Outcome"] == "ok"

    assert all_at_once(browsers, look_up) == []
    scraped = requests.get(top.gunicorn.url + "/metrics", timeout=60)
    assert scraped.status_code == 200
    counted = sum(
        float(line.rsplit(" ", 1)[1])
        for line in scraped.text.splitlines()
        if line.startswith("sidebar_lookups_total{")
    )
    with sqlite3.connect(top.work_dir / "db.sqlite3") as db:
        (rows,) = db.execute("SELECT COUNT(*) FROM sidebar_lookup").fetchone()
    assert rows >= 40 and counted == rows
    assert top.session().get(top.url + "/metrics", timeout=60).status_code == 404  # not via nginx


def test_http_is_redirected_and_unknown_hosts_get_no_answer(top):
    http = f"http://127.0.0.1:{top.nginx.http_port}/sidebar/"
    answer = requests.get(http, headers={"Host": "localhost"}, allow_redirects=False, timeout=60)
    assert answer.status_code == 301
    assert answer.headers["Location"] == "https://localhost/sidebar/"
    with pytest.raises(requests.ConnectionError):
        requests.get(http, headers={"Host": "evil.example"}, timeout=60)


def test_nginx_serves_hashed_static_files_for_good(top):
    html = top.sign_in().get(top.url + "/sidebar/", timeout=60).text
    scripts = re.findall(r'<script src="([^"]+)"', html)
    sdk = next(s for s in scripts if "wecom.global.prod" in s)
    answer = top.session().get(top.url + sdk, headers={"Accept-Encoding": "gzip"}, timeout=60)
    assert answer.status_code == 200
    assert "immutable" in answer.headers["Cache-Control"]
    assert answer.headers.get("Content-Encoding") == "gzip"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_the_domain_ownership_file_is_served_at_the_root(top):
    answer = top.session().get(top.url + "/WW_verify_Topo123.txt", timeout=60)
    assert answer.status_code == 200 and answer.text == "Topo123"
    http = f"http://127.0.0.1:{top.nginx.http_port}/WW_verify_Topo123.txt"
    plain = requests.get(http, headers={"Host": "localhost"}, allow_redirects=False, timeout=60)
    assert plain.status_code == 200 and plain.text == "Topo123"


def test_admin_uploads_pass_nginx_and_everything_else_stays_small(top):
    """A reply file past WeCom's limit reaches the app, which explains the limit; a page
    request of the same size never gets past nginx."""
    admin = top.admin()
    csrf = {"csrfmiddlewaretoken": admin.cookies["csrftoken"]}
    referer = {"Referer": top.url + "/admin/"}
    added = admin.post(
        top.url + "/admin/replies/category/add/",
        data={**csrf, "name": "资料", "order": 0, "_continue": "1"},
        headers=referer,
        allow_redirects=False,
        timeout=60,
    )
    assert added.status_code == 302, added.status_code
    category = re.search(r"/admin/replies/category/(\d+)/", added.headers["Location"]).group(1)
    big = b"PK" + b"\0" * (25 * 1024 * 1024)
    form = {
        **csrf,
        "category": category,
        "title": "资料包",
        "kind": "file",
        "order": 0,
        "enabled": "on",
        "menu_items-TOTAL_FORMS": 0,
        "menu_items-INITIAL_FORMS": 0,
    }
    answer = admin.post(
        top.url + "/admin/replies/reply/add/",
        data=form,
        files={"upload": ("资料包.zip", big, "application/zip")},
        headers=referer,
        timeout=120,
    )
    assert answer.status_code == 200, answer.status_code  # the form again, with the reason
    assert "最多接受 20 MB" in answer.text
    too_big = top.session().post(top.url + "/sidebar/reports/", data=big[: 2 * 1024 * 1024])
    assert too_big.status_code == 413


def test_slow_clients_never_reach_a_worker(top, corp):
    """More clients trickling headers or bodies than gunicorn has threads (4 x 8): nginx holds
    them all, and everyone else is served."""
    tls = top.nginx.tls_context()
    slow = [load.SlowClient(top.url, part=p, tls=tls) for p in ["header", "body"] * 20]
    healthz, pages, probes = load.everyone_else(top, users=1, interval=0.5, timeout=PROBE_TIMEOUT)
    load.run_threads([c.run for c in slow] + probes, 20, threading.Event())
    print(f"\n{healthz.line()}\n{pages.line()}")
    assert len(slow) > WORKERS * THREADS
    assert sum(c.bytes_sent for c in slow) > len(slow) * 5  # they really were trickling
    assert healthz.failures == [] and healthz.count >= 5
    assert pages.failures == [] and pages.count >= 5


def test_a_slow_wecom_holds_only_the_lookup_slots(top, corp):
    """WeCom answers customer lookups in 3 s while 50 staff look customers up: at most the
    lookup slots of each process wait on WeCom, the rest are refused unsent, and page loads
    and /healthz keep answering."""
    corp.inject(CONTACT, delay=3.0, times=None)
    lookups, outcomes, lock = load.Samples("lookups"), {}, threading.Lock()
    url = top.url + "/sidebar/lookup/contact/"
    staff = [
        load.look_up_loop(top.sign_in(), url, lookups, outcomes, lock, think=0.5) for _ in range(50)
    ]
    healthz, pages, probes = load.everyone_else(top, users=1, interval=0.5, timeout=PROBE_TIMEOUT)
    load.run_threads(staff + probes, 20, threading.Event())
    print(f"\n{healthz.line()}\n{pages.line()}\n{lookups.line()}\n{outcomes}")
    assert healthz.failures == [] and healthz.count >= 5
    assert pages.failures == [] and pages.count >= 5
    assert lookups.failures == []  # no 5xx, no client timeout
    assert outcomes.get("ok", 0) > 0 and outcomes.get("busy", 0) > 0
    assert set(outcomes) <= {"ok", "busy"}
    assert 0 < corp.max_in_flight[CONTACT] <= WORKERS * LOOKUP_SLOTS


def test_fuzzed_requests_get_no_5xx_and_a_short_log(top, corp):
    creds = fuzzing.Credentials.signed_in(top)
    log = top.gunicorn.log_path
    log_before = log.stat().st_size
    direct = fuzzing.fuzz(
        address=("127.0.0.1", top.gunicorn.port),
        host=top.host,
        creds=creds,
        count=10_000,
        as_proxy=True,
    )
    proxied = fuzzing.fuzz(
        address=top.nginx.address,
        server_name=top.nginx.host,
        tls=top.nginx.tls_context(),
        host=top.host,
        creds=creds,
        count=2_000,
        seed=11,
    )
    written = log.stat().st_size - log_before
    print(f"\nstraight to gunicorn: {direct.line()}\nthrough nginx: {proxied.line()}")
    print(f"gunicorn log grew by {written} bytes")
    assert direct.server_errors == [] and direct.no_answer == 0
    assert proxied.server_errors == []
    # nginx answers nothing to host names that are not this site's, and only to those.
    assert {fuzzing.host_of(raw) for raw in proxied.unanswered} <= set(fuzzing.FOREIGN_HOSTS)
    assert direct.statuses[200] > 0 and direct.statuses[400] > 0 and direct.statuses[415] > 0
    assert written < 1_000_000
    text = log.read_text(errors="replace")
    for secret in [corp.secret, *corp.tokens, *corp.tickets["corp"], *corp.tickets["agent"]]:
        assert secret not in text
    # The site still works afterwards.
    assert top.sign_in().get(top.url + "/sidebar/", timeout=60).status_code == 200


def test_a_redis_outage_keeps_pages_and_reports_and_a_short_log(tmp_path):
    """Redis goes away under load: pages still load (sessions from the database, credentials
    from each process's copy), failure reports are still stored, /healthz says 503, and the
    log gets a line per kind of problem, not a traceback per request."""
    with Topology(seeded_corp(), tmp_path, workers=WORKERS) as outage:
        staff = [outage.sign_in() for _ in range(4)]
        outage.redis.stop()
        log_before = outage.gunicorn.log_path.stat().st_size
        statuses = []
        for _ in range(50):
            for browser in staff:
                statuses.append(browser.get(outage.url + "/sidebar/", timeout=60).status_code)
                report = browser.post(
                    outage.url + "/sidebar/reports/",
                    json={"error": "agentConfig:invalid signature"},
                    headers={
                        "X-CSRFToken": browser.cookies["csrftoken"],
                        "Origin": outage.url,
                    },
                    timeout=60,
                )
                statuses.append(report.status_code)
        health = outage.session().get(outage.url + "/healthz", timeout=60)
        written = outage.gunicorn.log_path.stat().st_size - log_before
        print(f"\n400 requests with Redis down: {sorted(set(statuses))}; log +{written} bytes")
        assert set(statuses) <= {200, 201, 429}
        # 20 reports per staff member an hour, counted per process while Redis is away.
        assert 20 <= statuses.count(201) <= 20 * WORKERS
        assert health.status_code == 503 and health.json()["cache"] == "unavailable"
        assert written < 100_000  # before: tracebacks for every request, ~10 KB each
