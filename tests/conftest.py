import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django.core.cache import caches

from sidebar.standin.seed import seeded_corp
from sidebar.standin.server import StandinServer

PROJECT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "wecom"


def load_fixture(name: str) -> dict:
    """A WeCom body from tests/fixtures/wecom (FACTS.md's documented samples)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _empty_caches():
    for alias in ("default", "wecom"):
        caches[alias].clear()
    yield


@pytest.fixture
def corp():
    return seeded_corp()


@pytest.fixture
def standin(corp, settings):
    """The WeCom stand-in on a free loopback port, and the app's settings pointing at it."""
    server = StandinServer(corp).start()
    settings.WECOM_CORP_ID = corp.corp_id
    settings.WECOM_AGENT_ID = corp.agent_id
    settings.WECOM_AGENT_SECRET = corp.secret
    settings.WECOM_API_BASE_URL = server.url
    settings.WECOM_OAUTH_AUTHORIZE_URL = server.authorize_url
    yield server
    server.stop()


class RedisServer:
    def __init__(self):
        self.port = free_port()
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: run .ci/setup --test")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def flush(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"FLUSHALL\r\n")
            s.recv(16)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_server():
    server = RedisServer()
    yield server
    server.stop()


def redis_caches(url: str) -> dict:
    def cache(ignore_exceptions):
        return {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "sidebar",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 1.0,
                "IGNORE_EXCEPTIONS": ignore_exceptions,
            },
        }

    return {"default": cache(True), "wecom": cache(False)}


@pytest.fixture
def redis_settings(redis_server, settings):
    """The app's caches on the real redis-server, emptied first."""
    redis_server.flush()
    settings.CACHES = redis_caches(redis_server.url)
    yield redis_server
    for alias in ("default", "wecom"):
        caches[alias].close()


def walk_sign_in(client, corp, *, as_user="zhangsan", path="/sidebar/"):
    """Follow the OAuth redirects the way a browser would: page → stand-in → callback.

    Returns the callback's response (a redirect back to the page when sign-in worked).
    """
    corp.signin_as = as_user
    response = client.get(path)
    assert response.status_code == 302, response
    return follow_authorize(client, response["Location"])


def follow_authorize(client, authorize_url: str):
    """Ask the stand-in's authorize endpoint for a code and deliver it to our callback."""
    answer = requests.get(authorize_url.split("#", 1)[0], allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


@pytest.fixture
def staff_client(client, standin, corp):
    """A Django test client signed in as zhangsan through the real OAuth flow."""
    response = walk_sign_in(client, corp)
    assert response.status_code == 302 and response["Location"] == "/sidebar/"
    return client


def deployment_environment(standin, corp, redis_url: str, tmp_path: Path) -> dict:
    """The environment a deployment would set, pointing at the stand-in and the test Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WECOM_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="sidebar.settings",
        DJANGO_SECRET_KEY="process-test-secret",
        DJANGO_DEBUG="off",
        DJANGO_LOG_LEVEL="WARNING",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL=redis_url,
        WECOM_CORP_ID=corp.corp_id,
        WECOM_AGENT_ID=corp.agent_id,
        WECOM_AGENT_SECRET=corp.secret,
        WECOM_API_BASE_URL=standin.url,
        WECOM_OAUTH_AUTHORIZE_URL=standin.authorize_url,
        PYTHONPATH=str(PROJECT),
    )
    return env
