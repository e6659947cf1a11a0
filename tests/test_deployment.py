"""`gunicorn sidebar.wsgi` as a deployment runs it: four worker processes sharing Redis,
forty staff members signing in and loading the page at once from a cold cache."""

import json
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import PROJECT, deployment_environment, free_port

CLIENTS = 40
WORKERS = 4


class Gunicorn:
    def __init__(self, env: dict, tmp_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            subprocess.run(
                [sys.executable, "manage.py", *command, "-v", "0"],
                env=env,
                cwd=PROJECT,
                check=True,
                capture_output=True,
            )
        self.log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "sidebar.wsgi",
                "--workers",
                str(WORKERS),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "60",
            ],
            env=env,
            cwd=PROJECT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError((tmp_path / "gunicorn.log").read_text())
            time.sleep(0.1)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture
def deployment(standin, corp, redis_settings, tmp_path):
    env = deployment_environment(standin, corp, redis_settings.url, tmp_path)
    env.update(
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_COOKIES="off",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
    )
    server = Gunicorn(env, tmp_path)
    # Whatever the health checks cost is not part of what is measured.
    redis_settings.flush()
    corp.reset_counters()
    yield server
    server.stop()


def sign_in_and_load(base_url: str) -> tuple[str, float]:
    """What a staff member's webview does: page → WeCom OAuth → callback → page."""
    started = time.perf_counter()
    with requests.Session() as browser:
        first = browser.get(base_url + "/sidebar/", allow_redirects=False, timeout=30)
        assert first.status_code == 302, first.text
        authorize = browser.get(
            first.headers["Location"].split("#")[0], allow_redirects=False, timeout=30
        )
        assert authorize.status_code == 302
        callback = browser.get(authorize.headers["Location"], allow_redirects=False, timeout=30)
        assert callback.status_code == 302, callback.text
        assert callback.headers["Location"] == "/sidebar/"
        page = browser.get(base_url + "/sidebar/", allow_redirects=False, timeout=30)
        assert page.status_code == 200, page.text
        return page.text, time.perf_counter() - started


def boot_of(html: str) -> dict:
    found = re.search(r'<script id="sidebar-boot" type="application/json">(.*?)</script>', html)
    return json.loads(found.group(1))


@pytest.mark.processes
def test_forty_sign_ins_at_once_cost_one_token_and_one_of_each_ticket(deployment, corp):
    corp.inject("/cgi-bin/gettoken", delay=0.2)  # a WeCom that takes its time widens the race
    barrier = threading.Barrier(CLIENTS)
    pages, timings, failures = [], [], []

    def staff_member():
        barrier.wait()
        try:
            html, seconds = sign_in_and_load(deployment.url)
            pages.append(html)
            timings.append(seconds)
        except Exception as exc:  # collected and asserted below
            failures.append(repr(exc))

    threads = [threading.Thread(target=staff_member) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started

    assert failures == []
    assert len(pages) == CLIENTS
    assert corp.count("/cgi-bin/gettoken") == 1
    assert corp.count("/cgi-bin/get_jsapi_ticket") == 1
    assert corp.count("/cgi-bin/ticket/get") == 1
    assert corp.count("/cgi-bin/auth/getuserinfo") == CLIENTS
    for html in pages:
        boot = boot_of(html)
        config = {"corpid": corp.corp_id, **boot["config"]}
        agent = {"corpid": corp.corp_id, "agentid": corp.agent_id, **boot["agentConfig"]}
        assert corp.verify_signature(kind="corp", params=config, url=boot["url"]) == "ok"
        assert corp.verify_signature(kind="agent", params=agent, url=boot["url"]) == "ok"
    timings.sort()
    print(
        f"\n{CLIENTS} sign-ins + page loads on {WORKERS} workers: wall {wall:.2f} s, "
        f"median {statistics.median(timings):.3f} s, max {timings[-1]:.3f} s; "
        f"gettoken 1, corp ticket 1, agent ticket 1, getuserinfo {CLIENTS}"
    )


@pytest.mark.processes
def test_gunicorn_alone_serves_hashed_static_files_with_long_lifetimes(deployment, corp):
    html, _ = sign_in_and_load(deployment.url)
    assert "no-store" in requests.get(deployment.url + "/sidebar/", timeout=5).headers.get(
        "Cache-Control", ""
    )
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert any(re.search(r"wecom\.global\.prod\.[0-9a-f]{12}\.js$", s) for s in scripts), scripts
    for src in scripts + re.findall(r'<link rel="stylesheet" href="([^"]+)"', html):
        assert re.search(r"\.[0-9a-f]{12}\.(js|css)$", src), src
        response = requests.get(deployment.url + src, timeout=5)
        assert response.status_code == 200
        cache_control = response.headers["Cache-Control"]
        assert "max-age=315360000" in cache_control and "immutable" in cache_control
