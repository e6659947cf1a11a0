"""What a long customer record costs the panel, in the shipped topology (nginx → gunicorn
gthread, Redis, SQLite), measured side by side in one run by one signed-in staff member:

1. the customer panel's lookup (profile cached) with an empty record;
2. the same with 50 follow-up notes and 200 timeline events on the customer (the panel shows
   the latest notes, the stage and the latest events below the profile);
3. the lookup again after the record is emptied.

It prints p50/p90 of each and the lookup's time with the record as a ratio to its time without
(the mean of runs 1 and 3, which bracket it). The goal (issue 20): at most 1.2.

    .venv/bin/python -m bench.records [--notes 50] [--events 200] [--rounds 300]
"""

import argparse
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from bench import exit_on_sigterm  # noqa: E402
from bench.replies import CUSTOMER, Staff, line, lookups, p  # noqa: E402
from tests.topology import seeded_topology  # noqa: E402


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=50)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    customer = CUSTOMER["external_userid"]
    with seeded_topology("records") as top:
        staff = Staff(top)
        lookups(staff, "warm-up", 30)  # the profile and the credentials cached
        before = lookups(staff, "lookup, empty record", args.rounds)
        top.shell(
            f"from bench.record import fill; "
            f"fill({customer!r}, notes={args.notes}, events={args.events})"
        )
        shown = staff.session.post(top.url + "/sidebar/lookup/contact/", data=CUSTOMER, timeout=60)
        if shown.text.count('class="note"') != 5 or shown.text.count('class="event ') != 5:
            raise SystemExit("The panel does not show the latest notes and events.")
        present = lookups(
            staff, f"lookup, {args.notes} notes and {args.events} events", args.rounds
        )
        top.shell(f"from bench.record import empty; empty({customer!r})")
        after = lookups(staff, "lookup, record emptied", args.rounds)

    without = (p(before, 50) + p(after, 50)) / 2
    print(f"\n{args.rounds} rounds each")
    for samples in (before, present, after):
        print("  " + line(samples))
    ratio = p(present, 50) / without
    print(f"  lookup with the record / without (p50): {ratio:.2f} (goal: at most 1.2)")


if __name__ == "__main__":
    main()
