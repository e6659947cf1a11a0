"""What a big reply library costs, in the shipped topology (nginx → gunicorn gthread, Redis,
SQLite), measured side by side in one run by one signed-in staff member on an Android client:

1. the customer panel's lookup (profile cached) with an empty library;
2. with 1,000 replies: the lookup alone;
3. the lookup and the library (话术 tab) alternately, request by request, as pages use them;
4. the lookup alone again after the library is deleted.

It prints p50/p90 of each, the library's size, the library's time as a ratio to the lookup's
(run 3), and the lookup's time with the library present (run 2) as a ratio to its time without
(the mean of runs 1 and 4, which bracket it).

    .venv/bin/python -m bench.replies [--replies 1000] [--rounds 200]
"""

import argparse
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from bench import exit_on_sigterm  # noqa: E402
from tests.load import Samples  # noqa: E402
from tests.replies.conftest import ANDROID  # noqa: E402
from tests.topology import Topology, seeded_topology  # noqa: E402

CUSTOMER = {"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"}


class Staff:
    """One signed-in staff member's webview: the lookup and the library, timed."""

    def __init__(self, top: Topology):
        self.url = top.url
        self.session = top.webview("zhangsan", user_agent=ANDROID)
        self.library_bytes = 0
        self.library_replies = 0

    def lookup(self, samples: Samples) -> None:
        started = time.perf_counter()
        answer = self.session.post(self.url + "/sidebar/lookup/contact/", data=CUSTOMER, timeout=60)
        outcome = answer.headers.get("X-Sidebar-Outcome")
        if answer.status_code != 200 or outcome != "ok":
            samples.failed(f"HTTP {answer.status_code} {outcome}")
            return
        samples.ok(time.perf_counter() - started)

    def parts(self, **headers):
        """The library's parts as the page asks them, in turn (the first says how many)."""
        part, count = 0, 1
        while part < count:
            answer = self.session.get(
                self.url + "/sidebar/replies/",
                params={"entry": CUSTOMER["entry"], "part": part},
                headers=headers,
                stream=True,
                timeout=60,
            )
            yield answer
            count = int(answer.headers.get("X-Sidebar-Parts", "1"))
            part += 1

    def library(self, samples: Samples) -> None:
        started = time.perf_counter()
        size = replies = 0
        for answer in self.parts():
            if answer.status_code != 200:
                samples.failed(f"HTTP {answer.status_code}")
                return
            size += len(answer.content)
            replies += answer.text.count('class="reply"')
        samples.ok(time.perf_counter() - started)
        self.library_bytes, self.library_replies = size, replies

    def library_on_the_wire(self) -> str:
        """The library's size as sent, every part (nginx compresses HTML)."""
        sent, encodings = 0, set()
        for answer in self.parts(**{"Accept-Encoding": "gzip"}):
            with answer:
                sent += len(answer.raw.read(decode_content=False))
                encodings.add(answer.headers.get("Content-Encoding", "identity"))
        return f"{sent / 1024:.0f} KiB {'/'.join(sorted(encodings))}"


def lookups(staff: Staff, name: str, rounds: int) -> Samples:
    samples = Samples(name)
    for _ in range(rounds):
        staff.lookup(samples)
    return samples


def p(samples: Samples, percent: float) -> float:
    return samples.percentile(percent) * 1000


def line(samples: Samples) -> str:
    failed = f", {len(samples.failures)} failed" if samples.failures else ""
    return (
        f"{samples.name}: {len(samples.latencies)} requests{failed}; "
        f"p50 {p(samples, 50):.1f} ms, p90 {p(samples, 90):.1f} ms"
    )


def main() -> None:
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replies", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with seeded_topology("replies") as top:
        staff = Staff(top)
        lookups(staff, "warm-up", 20)  # the profile and the credentials cached
        before = lookups(staff, "lookup, empty library", args.rounds)

        started = time.perf_counter()
        top.shell(f"from bench.library import fill; fill({args.replies})")
        filled = time.perf_counter() - started
        present = lookups(staff, f"lookup, {args.replies:,} replies", args.rounds)
        first = Samples("library, first render of this version")
        staff.library(first)
        wire = staff.library_on_the_wire()
        during, library = Samples("lookup, between library loads"), Samples("library")
        for _ in range(args.rounds):
            staff.lookup(during)
            staff.library(library)

        top.shell(
            "from sidebar.replies.models import Category, Reply; "
            "Reply.objects.all().delete(); Category.objects.all().delete()"
        )
        after = lookups(staff, "lookup, library deleted", args.rounds)

    library.name = (
        f"library ({staff.library_replies} replies offered of {args.replies:,}, "
        f"{staff.library_bytes / 1024:.0f} KiB, {wire} on the wire)"
    )
    without = (p(before, 50) + p(after, 50)) / 2
    print(f"\n{args.replies:,} replies made in {filled:.1f} s; {args.rounds} rounds each")
    for samples in (before, present, first, during, library, after):
        print("  " + line(samples))
    print(f"  library / lookup (p50, same rounds): {p(library, 50) / p(during, 50):.2f}")
    print(f"  lookup with library present / without (p50): {p(present, 50) / without:.2f}")


if __name__ == "__main__":
    main()
