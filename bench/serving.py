"""What other users get while the site is under the two loads that used to take it down, in
the shipped topology (nginx → gunicorn gthread) and, side by side in the same run, in the old
one (gunicorn with 4 sync workers and no proxy):

- slow clients: 4 that trickle their request headers and 4 that trickle a body, one byte a
  second, reconnecting whenever the server gives up on them;
- a slow WeCom: externalcontact/get answers in 3 s while 50 staff look customers up.

Meanwhile /healthz is probed every 0.25 s and four signed-in staff load the page every
0.25 s; both report failures and p50/p99/max latency (client timeout 5 s).

    .venv/bin/python -m bench.serving [--slow-clients-seconds 60] [--wecom-seconds 30]
"""

import argparse
import os
import threading

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from bench import exit_on_sigterm  # noqa: E402
from tests import load  # noqa: E402
from tests.topology import Topology, seeded_topology  # noqa: E402

PROBE_TIMEOUT = 5.0
SETUPS = {
    "before: gunicorn, 4 sync workers, no proxy": {
        "proxy": False,
        # gunicorn turns sync into gthread when threads > 1 (the shipped config has 8).
        "gunicorn_args": ("--worker-class", "sync", "--threads", "1"),
    },
    "shipped: nginx -> gunicorn gthread": {"proxy": True, "gunicorn_args": ()},
}


def measure(top: Topology, load_targets, seconds: float) -> tuple[load.Samples, load.Samples]:
    healthz, pages, probes = load.everyone_else(top, users=4, interval=0.25, timeout=PROBE_TIMEOUT)
    load.run_threads([*load_targets, *probes], seconds, threading.Event())
    return healthz, pages


def slow_clients(top: Topology, seconds: float) -> list[str]:
    tls = top.nginx.tls_context() if top.nginx else None
    clients = [
        load.SlowClient(top.url, part=part, tls=tls) for part in ["header"] * 4 + ["body"] * 4
    ]
    healthz, pages = measure(top, [c.run for c in clients], seconds)
    held = sum(c.connections for c in clients)
    return [healthz.line(), pages.line(), f"slow clients: {held} connections opened"]


def slow_wecom(top: Topology, seconds: float) -> list[str]:
    top.corp.inject("/cgi-bin/externalcontact/get", delay=3.0, times=None)
    lookups = load.Samples("lookups")
    outcomes: dict = {}
    lock = threading.Lock()
    staff = [
        load.look_up_loop(
            top.sign_in("zhangsan"), top.url + "/sidebar/lookup/contact/", lookups, outcomes, lock,
            think=0.5,
        )
        for _ in range(50)
    ]  # fmt: skip
    try:
        healthz, pages = measure(top, staff, seconds)
    finally:
        top.corp.clear_faults()
    return [healthz.line(), pages.line(), lookups.line(), f"lookup outcomes: {outcomes}"]


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slow-clients-seconds", type=float, default=60)
    parser.add_argument("--wecom-seconds", type=float, default=30)
    args = parser.parse_args()
    env = {"WECOM_CONTACT_CACHE_SECONDS": "0"}  # every lookup asks the (slow) WeCom
    for name, options in SETUPS.items():
        for scenario, run, seconds in (
            ("4 slow-header + 4 slow-body clients", slow_clients, args.slow_clients_seconds),
            ("WeCom answers in 3 s, 50 staff looking up", slow_wecom, args.wecom_seconds),
        ):
            with seeded_topology("serving", env=env, **options) as top:
                lines = run(top, seconds)
            print(f"\n{name} | {scenario}, {seconds:g} s")
            for line in lines:
                print("  " + line)


if __name__ == "__main__":
    main()
