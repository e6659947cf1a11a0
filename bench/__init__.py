"""Benchmarks (README, "Speed" and "Deploying"). Each starts its own servers and stops them on
the way out, also when it is stopped by a signal (`exit_on_sigterm`)."""

import signal
import sys


def exit_on_sigterm() -> None:
    """Let SIGTERM (`kill`, `timeout`) unwind like Ctrl-C does, through the `with` blocks that
    stop gunicorn, Redis, PostgreSQL and the stand-in; by default it would end the process
    at once and leave them running."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
