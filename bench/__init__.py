"""Benchmarks (docs/speed.md and docs/deploying.md). Each starts its own servers and stops them on
the way out, also when it is stopped by a signal (`exit_on_sigterm`)."""

import contextlib
import os
import signal
import sys
import tempfile
from pathlib import Path


def exit_on_sigterm() -> None:
    """Let SIGTERM (`kill`, `timeout`) unwind like Ctrl-C does, through the `with` blocks that
    stop gunicorn, Redis, PostgreSQL and the stand-in; by default it would end the process
    at once and leave them running."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))


def cpu_seconds(groups: set[int]) -> float:
    """CPU time (user + system) used so far by every process in these process groups."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        # After the command: state, ppid, pgrp, ... utime (12th), stime (13th).
        if int(fields[2]) in groups:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores (/proc/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values) - idle) / ticks, sum(values) / ticks


def database_backends(asked: str) -> list[str]:
    """The databases a benchmark runs on: those `asked` (comma-separated), else SQLite and,
    when it is installed, PostgreSQL."""
    from tests.servers import postgres_bindir

    return [b for b in asked.split(",") if b] or (
        ["sqlite", "postgres"] if postgres_bindir() else ["sqlite"]
    )


@contextlib.contextmanager
def child_database(backend: str, prefix: str):
    """A scratch directory and the environment a benchmark's child Django process runs in,
    on a fresh database: a SQLite file in the directory, or a throwaway PostgreSQL cluster
    (stopped on the way out). Yields (environment, the database server's process group,
    None for SQLite)."""
    from tests.servers import PostgresServer
    from tests.topology import django_environment

    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=prefix)))
        env = django_environment(work)
        server = None
        if backend == "postgres":
            postgres = stack.enter_context(PostgresServer(work))
            env["DATABASE_URL"] = postgres.url
            server = postgres.process.pid
        yield env, server
