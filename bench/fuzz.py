"""10,000 malformed requests over every endpoint (tests/fuzzing.py: methods, content types and
charsets, broken multipart, huge bodies, NUL and bad percent-encoding, forged cookies and Host
headers), straight to gunicorn and through nginx, in the shipped topology. Prints the answers
by status, the 5xx (there should be none) and how much the logs grew.

    .venv/bin/python -m bench.fuzz [--count 10000] [--seed 7]
"""

import argparse
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from bench import exit_on_sigterm  # noqa: E402
from tests import fuzzing  # noqa: E402
from tests.topology import seeded_topology  # noqa: E402


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with seeded_topology("fuzz") as top:
        creds = fuzzing.Credentials.signed_in(top)
        app_log = top.gunicorn.log_path
        nginx_log = top.nginx.log_path.parent / "error.log"
        direct = {"address": ("127.0.0.1", top.gunicorn.port), "as_proxy": True}
        proxied = {
            "address": top.nginx.address,
            "server_name": top.nginx.host,
            "tls": top.nginx.tls_context(),
        }
        for name, options in (("straight to gunicorn", direct), ("through nginx", proxied)):
            before = app_log.stat().st_size, nginx_log.stat().st_size
            report = fuzzing.fuzz(
                host=top.host, creds=creds, count=args.count, seed=args.seed, **options
            )
            grew = app_log.stat().st_size - before[0], nginx_log.stat().st_size - before[1]
            print(f"\n{name}: {report.line()}; {report.seconds:.1f} s")
            print(
                f"  app log (gunicorn + Django) grew {grew[0]:,} bytes; nginx error log {grew[1]:,}"
            )
            for status, head in report.server_errors[:10]:
                print(f"  {status}: {head[:120]!r}")
        if top.sign_in().get(top.url + "/sidebar/", timeout=60).status_code == 200:
            print("\nAfterwards a staff member signs in and loads the page as usual.")


if __name__ == "__main__":
    main()
