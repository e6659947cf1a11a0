import contextlib
import json
import os
import signal
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django.core.cache import caches

from sidebar import customers
from sidebar.events import churn
from sidebar.replies import media
from sidebar.standin.juzi import JuziStandin, demo_host
from sidebar.standin.seed import seeded_corp
from sidebar.standin.server import StandinServer
from tests import servers
from tests.contacts import with_test_contacts
from tests.servers import Gunicorn, RedisServer
from tests.topology import deployment_environment

FIXTURES = Path(__file__).parent / "fixtures" / "wecom"


def load_fixture(name: str) -> dict:
    """A WeCom body from tests/fixtures/wecom (WeCom's documented sample answers)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def pytest_configure(config):
    """A run stopped with SIGTERM (a CI timeout) unwinds like Ctrl-C, so fixtures still stop
    the servers they started."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)


def pytest_report_header(config):
    from django.conf import settings

    database = settings.DATABASES["default"]
    return f"database: {database['ENGINE'].rsplit('.', 1)[-1]} ({database.get('PORT') or 'file'})"


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL (tests/on_postgres.py), tests of SQLite itself do not apply."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        return
    skip = pytest.mark.skip(reason="checks SQLite itself; this run is on PostgreSQL")
    for item in items:
        if item.get_closest_marker("sqlite"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, and on PostgreSQL, before it drops the test database: the connections
    of threads tests started and finished (each thread has its own, which nothing closes once
    the thread is gone) are ended, as DROP DATABASE refuses while any is open."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    connection.close()


def pytest_sessionfinish(session, exitstatus):
    """No process a test started may outlive the run: kill any that did, and fail."""
    leaked = [pgid for pgid in servers.started_groups if servers.group_alive(pgid)]
    leaked_children = _descendants(os.getpid())
    for pgid in leaked:
        os.killpg(pgid, 9)
    for pid, _name in leaked_children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)
    if leaked or leaked_children:
        names = [name for _pid, name in leaked_children] + [f"group {g}" for g in leaked]
        session.config.get_terminal_writer().line(
            f"\nProcesses started by tests outlived them (killed now): {names}", red=True
        )
        session.exitstatus = 1


def _descendants(root: int) -> list[tuple[int, str]]:
    children: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] == "Z":  # a zombie is already dead; its parent reaps it
            continue
        children.setdefault(int(fields[1]), []).append((int(entry.name), name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


@pytest.fixture(autouse=True)
def _empty_caches():
    for alias in ("default", "wecom"):
        caches[alias].clear()
    customers.forget_everything()  # this process's copies in front of the shared cache
    yield
    # Uploads run on this process's upload threads: none may outlive its test (and touch the
    # next test's database). A held stand-in answer is released when the stand-in stops.
    assert media.uploads_idle(timeout=120), "an upload outlived its test"
    assert churn.idle(timeout=120), "a churn alert outlived its test"


@pytest.fixture
def corp():
    return with_test_contacts(seeded_corp())


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


@pytest.fixture
def juzi(standin, corp, settings):
    """The Juzi stand-in (OAuth, helper script, console) for the stand-in corp, and the app's
    Juzi settings pointing at it. It answers at "localhost", the app at 127.0.0.1: another
    site, as Juzi's console is to the page it frames."""
    server = JuziStandin(demo_host(corp.corp_id), public_host="localhost").start()
    settings.JUZI_OAUTH_BASE_URL = server.url
    settings.JUZI_HELPER_URL = server.helper_url
    settings.JUZI_FRAME_ANCESTORS = [server.url]
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    with RedisServer(tmp_path_factory.mktemp("redis")) as server:
        yield server


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
    answer = requests.get(authorize_url.split("#", 1)[0], allow_redirects=False, timeout=60)
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


@pytest.fixture
def staff_client(client, standin, corp):
    """A Django test client signed in as zhangsan through the real OAuth flow."""
    response = walk_sign_in(client, corp)
    assert response.status_code == 302 and response["Location"] == "/sidebar/"
    return client


@pytest.fixture
def panel_renders(monkeypatch) -> list[str]:
    """The templates of the panels sidebar.fragments renders from now on, in order (a panel
    it serves from its in-process table is not rendered again)."""
    from sidebar import fragments

    renders = []
    real = fragments.render_to_string
    monkeypatch.setattr(
        fragments,
        "render_to_string",
        lambda template, *a, **k: renders.append(template) or real(template, *a, **k),
    )
    return renders


@contextlib.contextmanager
def only_call_slot_held(corp, settings, path: str):
    """One WeCom call slot per process, held by a call to `path` that WeCom does not answer
    until the block ends (a hanging WeCom)."""
    from sidebar.wecom import get_client

    settings.WECOM_MAX_CONCURRENT_CALLS = 1
    settings.WECOM_TIMEOUT = 60.0
    client = get_client()
    client.access_token()
    corp.inject(path, hold=True, times=None)
    hanging = threading.Thread(target=client.get_external_contact, args=["woZhouJianGuo0002"])
    hanging.start()
    try:
        deadline = time.monotonic() + 60
        while corp.count(path) < 1:
            assert time.monotonic() < deadline, f"the call to {path} never started"
            time.sleep(0.02)
        yield
    finally:
        corp.clear_faults()
        hanging.join(timeout=60)


@pytest.fixture
def deployment_env():
    """Settings a test adds to the deployment's environment (override to add some)."""
    return {}


@pytest.fixture
def deployment(standin, corp, redis_settings, tmp_path, deployment_env):
    """gunicorn with the shipped deploy/gunicorn.conf.py, four workers sharing the real Redis,
    and a SQLite database and media directory in `tmp_path`; counters reset once it is up."""
    env = deployment_environment(standin, corp, redis_settings.url, tmp_path)
    env.update(
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_COOKIES="off",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        **deployment_env,
    )
    with Gunicorn(env, tmp_path, workers=4) as server:
        server.env = env
        # Whatever the health checks cost is not part of what is measured.
        redis_settings.flush()
        corp.reset_counters()
        yield server
