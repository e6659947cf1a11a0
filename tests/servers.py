"""Real server processes for tests and benchmarks: redis-server, gunicorn and nginx, started
as a deployment runs them and always stopped, even when a test fails.

Each process starts in its own process group (session), and stopping kills the whole group, so
gunicorn's and nginx's workers go with their master. Every group started is registered:
tests/conftest.py fails the run if any of them outlives it.
"""

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

PROJECT = Path(__file__).resolve().parents[1]
DEPLOY = PROJECT / "deploy"
# Readiness waits: long enough for a busy 2-core machine, short enough to report a real fault.
READY_SECONDS = 120

started_groups: set[int] = set()


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """`count` different free ports: each socket is held until all are bound (asked one
    after another, the kernel may hand out a port it just took back: nginx once got the
    same port for HTTP and HTTPS)."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - the group id was reused by another user
        return False
    return True


class ServiceError(RuntimeError):
    pass


class Service:
    """A process group started for a test; a context manager that stops it on exit."""

    name = "service"

    def __init__(self, argv: list[str], *, log_path: Path, env: dict | None = None, cwd=None):
        self.log_path = log_path
        self._argv, self._env, self._cwd = argv, env, cwd
        self._spawn()

    def _spawn(self) -> None:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        try:
            self.process = subprocess.Popen(
                self._argv,
                env=self._env,
                cwd=self._cwd,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except BaseException:
            self._log.close()
            raise
        started_groups.add(self.process.pid)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def wait_until(self, ready: Callable[[], bool], *, what: str, seconds=READY_SECONDS):
        """Poll `ready` (any exception counts as not yet) until it holds; stop the service
        and raise with its log if it exits first or the deadline passes."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                if ready():
                    return
            except Exception:  # noqa: S110 (not ready yet, whatever the reason)
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                state = "exited" if self.process.returncode is not None else "timed out"
                self.stop()
                raise ServiceError(f"{self.name} {state} before {what}:\n{self.log_tail()}")
            time.sleep(0.2)

    def log_tail(self, size: int = 4000) -> str:
        try:
            return self.log_path.read_bytes()[-size:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM to the group, SIGKILL after a grace period; idempotent."""
        pgid = self.process.pid
        for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            if not group_alive(pgid):
                break
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + grace
            while group_alive(pgid) and time.monotonic() < deadline:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=0.1)  # reaps the leader
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        if not group_alive(pgid):
            started_groups.discard(pgid)
        self._log.close()


class RedisServer(Service):
    name = "redis-server"

    def __init__(self, log_dir: Path, *, replica_of: "RedisServer | None" = None):
        """`replica_of`: start as a replica of that server (for RedisSentinels)."""
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        argv = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(log_dir)]
        if replica_of is not None:
            argv += ["--replicaof", "127.0.0.1", str(replica_of.port)]
        super().__init__(argv, log_path=log_dir / f"redis-{self.port}.log")
        self.wait_until(lambda: self.command(b"PING").startswith(b"+PONG"), what="PONG")

    def command(self, line: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=60) as conn:
            conn.sendall(line + b"\r\n")
            return conn.recv(64)

    def flush(self) -> None:
        assert self.command(b"FLUSHALL").startswith(b"+OK")


def redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceError("redis-server is not installed: run .ci/setup --test")
    return binary


class RedisSentinel(Service):
    """One Redis Sentinel (redis-server --sentinel) watching `master` under `name`."""

    name = "redis-sentinel"

    def __init__(
        self, log_dir: Path, master: RedisServer, *, name: str, quorum: int, down_after_ms: int
    ):
        self.port = free_port()
        config = log_dir / f"sentinel-{self.port}.conf"  # Sentinel rewrites it as it learns
        config.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {log_dir}\n"
            f"sentinel monitor {name} 127.0.0.1 {master.port} {quorum}\n"
            f"sentinel down-after-milliseconds {name} {down_after_ms}\n"
            f"sentinel failover-timeout {name} 10000\n"
        )
        argv = [redis_binary(), str(config), "--sentinel"]
        super().__init__(argv, log_path=log_dir / f"sentinel-{self.port}.log")
        self.wait_until(lambda: self.command(b"PING").startswith(b"+PONG"), what="PONG")

    command = RedisServer.command


class RedisSentinels:
    """A master, one replica and three sentinels (quorum 2), as docs/deploying.md's "Redis
    with Sentinel" sets them up, on loopback; a context manager that stops them all.
    `url` and `sentinels` are the app's REDIS_URL and REDIS_SENTINELS."""

    NAME = "sidebar"

    def __init__(self, log_dir: Path, *, down_after_ms: int = 1000):
        log_dir.mkdir(parents=True, exist_ok=True)
        self._stack = contextlib.ExitStack()
        try:
            self.master = self._stack.enter_context(RedisServer(log_dir))
            self.replica = self._stack.enter_context(RedisServer(log_dir, replica_of=self.master))
            watch = {"name": self.NAME, "quorum": 2, "down_after_ms": down_after_ms}
            self.watchers = [
                self._stack.enter_context(RedisSentinel(log_dir, self.master, **watch))
                for _ in range(3)
            ]
            self._wait_until_ready()
        except BaseException:
            self._stack.close()
            raise
        self.url = f"redis://{self.NAME}/0"
        self.sentinels = ",".join(f"127.0.0.1:{s.port}" for s in self.watchers)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._stack.close()

    def client(self, port: int):
        import redis

        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=10, decode_responses=True)

    def master_port(self) -> int | None:
        """The master's port as a majority of the sentinels name it, or None."""
        named = []
        for watcher in self.watchers:
            try:
                found = self.client(watcher.port).sentinel_get_master_addr_by_name(self.NAME)
            except Exception:  # noqa: S112 (that sentinel does not answer: the others count)
                continue
            if found:
                named.append(int(found[1]))
        best = max(set(named), key=named.count, default=None)
        return best if named.count(best) >= 2 else None

    def _wait_until_ready(self) -> None:
        """Until the replica is in sync and every sentinel knows it and the other two: a
        failover before then would find no replica to promote."""

        def ready() -> bool:
            if self.client(self.replica.port).info("replication")["master_link_status"] != "up":
                return False
            for watcher in self.watchers:
                sentinel = self.client(watcher.port)
                if len(sentinel.sentinel_slaves(self.NAME)) != 1:
                    return False
                if len(sentinel.sentinel_sentinels(self.NAME)) != 2:
                    return False
            return True

        # Sentinels find replicas through the master's INFO every 10 s.
        self.watchers[0].wait_until(ready, what="the sentinels knew the replica and each other")

    def kill_master(self) -> None:
        """The master dies at once (SIGKILL), as a crashed server or machine."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.master.process.pid, signal.SIGKILL)
        self.master.stop()


class PostgresServer(Service):
    """A throwaway PostgreSQL cluster from Debian's packages, on loopback, removed on stop.
    PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user, in
    a directory of its own (a test's work directory is private to root)."""

    name = "postgres"

    def __init__(self, log_dir: Path):
        bindir = postgres_bindir()
        if bindir is None:
            raise ServiceError("PostgreSQL is not installed: apt-get install postgresql")
        self.port = free_port()
        self.cluster = Path(tempfile.mkdtemp(prefix="sidebar-postgres-"))
        as_user = []
        if os.geteuid() == 0:
            as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.cluster, "postgres")
        data = self.cluster / "data"
        initdb = subprocess.run(
            [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "sidebar",
             "--auth=trust", "-E", "UTF8", "--no-sync"],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        if initdb.returncode:
            shutil.rmtree(self.cluster, ignore_errors=True)
            raise ServiceError(f"initdb failed:\n{initdb.stderr[-4000:]}")
        argv = [*as_user, str(bindir / "postgres"), "-D", str(data), "-p", str(self.port)]
        argv += ["-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={data}"]
        self.url = f"postgres://sidebar@127.0.0.1:{self.port}/postgres"
        super().__init__(argv, log_path=log_dir / f"postgres-{self.port}.log")
        self.wait_until(self.ready, what="accepting connections")

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.cluster, ignore_errors=True)

    def halt(self) -> None:
        """Stop the server as an outage does: a fast shutdown, which breaks its clients'
        connections at once (SIGTERM would wait for them to leave). The cluster stays for
        `resume`."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGINT)
        deadline = time.monotonic() + 60
        while group_alive(self.process.pid) and time.monotonic() < deadline:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=0.1)
        Service.stop(self)  # whatever is left, and the log

    def resume(self) -> None:
        """Start the halted server again on the same cluster and port."""
        self._spawn()
        self.wait_until(self.ready, what="accepting connections again")

    def ready(self) -> bool:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=sidebar dbname=postgres"):
            return True


def postgres_bindir() -> Path | None:
    """Where Debian's PostgreSQL server binaries are (/usr/lib/postgresql/<version>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    return found[-1].parent if found else None


class Gunicorn(Service):
    """The app under gunicorn with the shipped deploy/gunicorn.conf.py."""

    name = "gunicorn"

    def __init__(
        self, env: dict, log_dir: Path, *, workers: int = 4, extra: tuple = (), nice: int = 0
    ):
        """`nice`: the CPU priority its processes run at, as a systemd unit's Nice= sets it."""
        log_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
            done = subprocess.run(
                [sys.executable, "manage.py", *command, "-v", "0"],
                env=env,
                cwd=PROJECT,
                capture_output=True,
                text=True,
                timeout=300,
            )
            if done.returncode:
                raise ServiceError(f"manage.py {command[0]} failed:\n{done.stderr[-4000:]}")
        argv = [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py")]
        argv += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), *extra]
        argv.append("sidebar.wsgi")
        super().__init__(argv, log_path=log_dir / "gunicorn.log", env=env, cwd=PROJECT)
        if nice:  # the master at once (workers it forks inherit it), then all its group
            os.setpriority(os.PRIO_PROCESS, self.process.pid, nice)
        self.wait_until(self.healthy, what="/healthz answered 200")
        if nice:
            os.setpriority(os.PRIO_PGRP, self.process.pid, nice)

    def healthy(self) -> bool:
        return requests.get(self.url + "/healthz", timeout=10).status_code == 200


# What tests replace in deploy/nginx/sidebar.conf: each must be found, so the file cannot
# drift away from what is tested.
NGINX_EDITS = {
    "listen 443 ssl default_server;": "listen 127.0.0.1:{https_port} ssl default_server;",
    "listen 80 default_server;": "listen 127.0.0.1:{http_port} default_server;",
    "listen 443 ssl;": "listen 127.0.0.1:{https_port} ssl;",
    "listen 80;": "listen 127.0.0.1:{http_port};",
    "server_name sidebar.example.com;": "server_name {host};",
    "server 127.0.0.1:8000;": "{upstream_servers}",
    "server 127.0.0.1:8001;": "server 127.0.0.1:{events_port};",
    "server 127.0.0.1:8000 backup;": "server 127.0.0.1:{upstream_port} backup;",
    "/etc/ssl/sidebar/fullchain.pem": "{tls_dir}/cert.pem",
    "/etc/ssl/sidebar/privkey.pem": "{tls_dir}/key.pem",
    "alias /srv/sidebar/staticfiles/;": "alias {static_root}/;",
}


def self_signed_certificate(directory: Path, host: str) -> Path:
    """A throwaway certificate for the host name `host`, made with the openssl CLI."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", f"/CN={host}", "-addext", f"subjectAltName=DNS:{host}",
            "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )  # fmt: skip
    return directory / "cert.pem"


class Nginx(Service):
    """Debian's nginx running the shipped site config in front of `upstream_port`."""

    name = "nginx"
    # A host name, not an address: clients send it in SNI, as they send the real domain.
    host = "localhost"

    def __init__(
        self,
        work_dir: Path,
        *,
        upstream_port: int,
        static_root: Path,
        events_port: int | None = None,
        more_upstream_ports: tuple[int, ...] = (),
    ):
        """`events_port`: the events service's gunicorn (deploy/systemd/sidebar-events.service);
        None: none runs, and nginx passes events to the app's own (its `backup`).
        `more_upstream_ports`: other app hosts in the upstream beside `upstream_port`'s, as
        docs/deploying.md ("More than one host") lists them."""
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise ServiceError("nginx is not installed: run .ci/setup --test")
        work_dir.mkdir(parents=True, exist_ok=True)
        self.https_port, self.http_port = free_ports(2)
        self.url = f"https://{self.host}:{self.https_port}"
        self.certificate = self_signed_certificate(work_dir / "tls", self.host)
        site = (DEPLOY / "nginx" / "sidebar.conf").read_text()
        values = {
            "https_port": self.https_port,
            "http_port": self.http_port,
            "host": self.host,
            "upstream_port": upstream_port,
            "upstream_servers": "\n    ".join(
                f"server 127.0.0.1:{port};" for port in (upstream_port, *more_upstream_ports)
            ),
            "events_port": events_port or 1,  # nothing listens on port 1: refused at once
            "tls_dir": work_dir / "tls",
            "static_root": str(static_root).rstrip("/"),
        }
        for original, replacement in NGINX_EDITS.items():
            if original not in site:
                raise ServiceError(f"deploy/nginx/sidebar.conf no longer has {original!r}")
            site = site.replace(original, replacement.format(**values))
        (work_dir / "sidebar.conf").write_text(site)
        temp = [f"{kind}_temp_path {work_dir / kind};" for kind in
                ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")]  # fmt: skip
        user = "user root;" if os.geteuid() == 0 else ""
        (work_dir / "nginx.conf").write_text(
            f"{user}\nworker_processes 2;\npid {work_dir / 'nginx.pid'};\n"
            f"error_log {work_dir / 'error.log'} warn;\n"
            "events { worker_connections 1024; }\n"
            f"http {{\n include /etc/nginx/mime.types;\n access_log off;\n"
            f" {' '.join(temp)}\n include {work_dir / 'sidebar.conf'};\n}}\n"
        )
        argv = [binary, "-p", str(work_dir), "-c", str(work_dir / "nginx.conf")]
        tested = subprocess.run([*argv, "-t"], capture_output=True, text=True, timeout=60)
        if tested.returncode:
            raise ServiceError(f"nginx -t refused the config:\n{tested.stderr}")
        # nginx listens on 127.0.0.1 only; `localhost` must not send anyone to ::1.
        self.address = ("127.0.0.1", self.https_port)
        super().__init__([*argv, "-g", "daemon off;"], log_path=work_dir / "nginx.out")
        self.wait_until(self.healthy, what="/healthz answered 200 over TLS")

    def healthy(self) -> bool:
        response = requests.get(self.url + "/healthz", timeout=10, verify=str(self.certificate))
        return response.status_code == 200

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.certificate))
