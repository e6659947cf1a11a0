"""The documented production topology on loopback: nginx (TLS, deploy/nginx/sidebar.conf) →
gunicorn (deploy/gunicorn.conf.py) → the app, with Redis and a SQLite database, and the WeCom
stand-in playing WeCom. For tests (tests/test_topology.py) and benchmarks (bench/).
"""

import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests

from sidebar.standin.server import StandinServer
from tests.servers import PROJECT, Gunicorn, Nginx, RedisServer

ADMIN_PASSWORD = "topology-admin-password"
# The events service as deploy/systemd/sidebar-events.service runs it (a test holds the unit
# to these values).
EVENTS_SERVICE_WORKERS = 2
EVENTS_SERVICE_NICE = 10


def django_environment(work_dir: Path, redis_url: str = "") -> dict:
    """The environment a deployment sets for Django alone: production settings, no file of
    a developer's, a SQLite database and media directory in `work_dir`, the given Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WECOM_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="sidebar.settings",
        # The production environment file, not a developer's .env.
        DJANGO_ENV_FILE="",
        DJANGO_SECRET_KEY="process-test-secret-" + "x" * 40,
        DJANGO_DEBUG="off",
        DJANGO_LOG_LEVEL="WARNING",
        DATABASE_URL=f"sqlite:///{work_dir / 'db.sqlite3'}",
        DJANGO_MEDIA_ROOT=str(work_dir / "media"),
        REDIS_URL=redis_url,
        PYTHONPATH=str(PROJECT),
    )
    return env


def django_shell(env: dict, code: str) -> str:
    """Run `code` with `manage.py shell` in the environment `env` (a deployment's: its own
    database and media directory); what it printed."""
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        env=env, cwd=PROJECT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"manage.py shell failed:\n{done.stderr[-3000:]}")
    return done.stdout


def deployment_environment(standin, corp, redis_url: str, work_dir: Path) -> dict:
    """The environment a deployment sets, pointing at the stand-in and the given Redis."""
    env = django_environment(work_dir, redis_url)
    env.update(
        WECOM_CORP_ID=corp.corp_id,
        WECOM_AGENT_ID=corp.agent_id,
        WECOM_AGENT_SECRET=corp.secret,
        WECOM_API_BASE_URL=standin.url,
        WECOM_OAUTH_AUTHORIZE_URL=standin.authorize_url,
    )
    return env


class Unexpected(AssertionError):
    """A step of a staff member's visit answered what a browser does not expect there."""

    def __init__(self, step: str, response: requests.Response):
        super().__init__(f"{step} answered {response.status_code}:\n{response.text}")
        self.status_code = response.status_code
        self.text = response.text


def sign_in(browser: requests.Session, base_url: str, *, as_user: str | None = None) -> str:
    """What a staff member's webview does: page → WeCom OAuth → callback → page. Answers the
    page's HTML; `browser` keeps the session. `as_user` picks the staff member the stand-in
    signs in (else its default)."""
    start_session(browser, base_url, as_user=as_user)
    return load_page(browser, base_url)


def start_session(browser: requests.Session, base_url: str, *, as_user: str | None = None):
    """The sign-in alone: page → WeCom OAuth → callback, which redirects back to the page."""
    first = browser.get(base_url + "/sidebar/", allow_redirects=False, timeout=30)
    assert first.status_code == 302, first.text
    authorize = first.headers["Location"].split("#")[0]
    if as_user:
        authorize += "&" + urlencode({"standin_userid": as_user})
    answer = browser.get(authorize, allow_redirects=False, timeout=30)
    assert answer.status_code == 302
    callback = browser.get(answer.headers["Location"], allow_redirects=False, timeout=30)
    if callback.status_code != 302:
        raise Unexpected("the sign-in callback", callback)
    assert callback.headers["Location"] == "/sidebar/"


def load_page(browser: requests.Session, base_url: str) -> str:
    """The signed-in page's HTML."""
    page = browser.get(base_url + "/sidebar/", allow_redirects=False, timeout=30)
    if page.status_code != 200:
        raise Unexpected("the page", page)
    return page.text


@contextlib.contextmanager
def seeded_topology(name: str, **options):
    """A Topology of the seeded corp in a temporary directory (for bench/), removed after."""
    from sidebar.standin.seed import seeded_corp

    with (
        tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as work,
        Topology(seeded_corp(), Path(work), **options) as top,
    ):
        yield top


class Topology:
    """nginx → gunicorn → app, started in `work_dir`; use as a context manager."""

    def __init__(
        self,
        corp,
        work_dir: Path,
        *,
        workers: int = 4,
        env: dict | None = None,
        proxy: bool = True,
        gunicorn_args: tuple = (),
        events_service: bool = False,
        redis_url: str | None = None,
    ):
        """`proxy=False` leaves nginx out (gunicorn alone on plain HTTP, for comparison);
        `gunicorn_args` override deploy/gunicorn.conf.py (e.g. another worker class);
        `events_service` adds the gunicorn that takes WeCom's change events, as
        deploy/systemd/sidebar-events.service runs it (without it, nginx passes them to the
        app's own); `redis_url` is a Redis of the caller's (else it starts its own)."""
        self.corp = corp
        self.work_dir = work_dir
        self.workers = workers
        self.extra_env = env or {}
        self.proxy = proxy
        self.gunicorn_args = gunicorn_args
        self.events_service = events_service
        self.redis_url = redis_url
        self.events = None
        self.nginx = None
        self._stack = contextlib.ExitStack()

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc_info):
        self._stack.close()

    def _start(self):
        stack = self._stack
        self.standin = StandinServer(self.corp).start()
        stack.callback(self.standin.stop)
        if self.redis_url is None:
            self.redis = stack.enter_context(RedisServer(self.work_dir))
            self.redis_url = self.redis.url
        static_root = self.work_dir / "static"
        env = deployment_environment(self.standin, self.corp, self.redis_url, self.work_dir)
        env.update(DJANGO_ALLOWED_HOSTS="localhost,127.0.0.1", DJANGO_STATIC_ROOT=str(static_root))
        if self.proxy:  # as docs/deploying.md's production environment has it behind nginx
            env.update(
                DJANGO_SECURE_PROXY_SSL_HEADER="on",
                DJANGO_SECURE_SSL_REDIRECT="on",
                DJANGO_SECURE_HSTS_SECONDS="60",
            )
        else:
            env.update(DJANGO_SECURE_COOKIES="off")
        env.update(self.extra_env)
        self.env = env
        self.gunicorn = stack.enter_context(
            Gunicorn(env, self.work_dir, workers=self.workers, extra=self.gunicorn_args)
        )
        if not self.proxy:
            self.url = self.gunicorn.url
            return
        if self.events_service:
            self.events = stack.enter_context(
                Gunicorn(
                    env,
                    self.work_dir / "events",
                    workers=EVENTS_SERVICE_WORKERS,
                    nice=EVENTS_SERVICE_NICE,
                )
            )
        nginx = Nginx(
            self.work_dir / "nginx",
            upstream_port=self.gunicorn.port,
            static_root=static_root,
            events_port=self.events.port if self.events else None,
        )
        self.nginx = stack.enter_context(nginx)
        self.url = self.nginx.url

    # Clients ----------------------------------------------------------------------------

    def session(self) -> requests.Session:
        browser = requests.Session()
        browser.trust_env = False  # REQUESTS_CA_BUNDLE would override `verify`
        if self.nginx is not None:
            browser.verify = str(self.nginx.certificate)
        return browser

    @property
    def verify(self):
        return str(self.nginx.certificate) if self.nginx is not None else True

    def sign_in(self, userid: str = "zhangsan") -> requests.Session:
        """A staff member's webview after WeCom OAuth, with its session and CSRF cookie."""
        browser = self.session()
        sign_in(browser, self.url, as_user=userid)
        return browser

    def webview(self, userid: str, *, user_agent: str) -> requests.Session:
        """A signed-in staff member's webview on a given client, sending the CSRF token and
        the Origin and Referer a page of this site sends with every POST."""
        browser = self.sign_in(userid)
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.url))
        browser.headers.update(
            {
                "User-Agent": user_agent,
                "X-CSRFToken": browser.cookies["csrftoken"],
                "Origin": origin,
                "Referer": origin + "/sidebar/",
            }
        )
        return browser

    def admin(self) -> requests.Session:
        """A signed-in Django admin (a superuser created for the purpose)."""
        subprocess.run(
            [sys.executable, "manage.py", "createsuperuser", "--noinput",
             "--username", "auditor", "--email", "auditor@example.com"],
            env={**self.env, "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD},
            cwd=PROJECT, capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        browser = self.session()
        login = self.url + "/admin/login/"
        browser.get(login, timeout=60)
        answer = browser.post(
            login,
            data={
                "username": "auditor",
                "password": ADMIN_PASSWORD,
                "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                "next": "/admin/",
            },
            headers={"Referer": login},
            allow_redirects=False,
            timeout=60,
        )
        assert answer.status_code == 302, answer.status_code
        return browser

    def shell(self, code: str) -> str:
        """Run `code` in the deployment's own Django (its database and media directory);
        what it printed."""
        return django_shell(self.env, code)

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc
