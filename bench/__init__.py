"""Benchmarks (docs/speed.md and docs/deploying.md). Each starts its own servers and stops them on
the way out, also when it is stopped by a signal (`exit_on_sigterm`)."""

import os
import signal
import sys
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
