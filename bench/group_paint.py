"""A customer group of 2,000 members (WeCom's most) on a phone: Chromium at 360×720 with its
CPU slowed 4×, the page from the shipped gunicorn, Redis and SQLite, opened from the group's
chat toolbar again and again (warm: static files, credentials and the group cached). It
prints the time from navigation to the group panel shown (the page's own mark,
sidebar:panel-shown) and the panel's size. Goal (issue 24): under 300 ms warm.

    .venv/bin/python -m bench.group_paint [--members 2000] [--rounds 5] [--throttle 4]
"""

import os
import statistics
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from playwright.sync_api import expect  # noqa: E402

from bench import phone  # noqa: E402
from sidebar.standin.seed import demo_corp, grow_group  # noqa: E402
from tests.browser.conftest import WeComWebview  # noqa: E402
from tests.topology import Topology  # noqa: E402

CHAT_ID = "wrSalesGroup00001"
GROUP_CHAT = {"entry": "group_chat_tools", "chatId": CHAT_ID}


# Where an open's time went (BENCH_VERBOSE=1), in ms from the navigation.
STEPS = """(() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const lookup = performance.getEntriesByType("resource")
    .find((e) => e.name.includes("/lookup/group/"));
  const at = (v) => Math.round(v);
  return `page ${at(nav.responseEnd)} · DOM ready ${at(nav.domContentLoadedEventEnd)} · ` +
    `lookup asked ${at(lookup.startTime)}, answered ${at(lookup.responseEnd)} · shown ` +
    at(performance.getEntriesByName("sidebar:panel-shown")[0].startTime);
})()"""


def main() -> None:
    args = phone.arguments(__doc__, count="members", default=2000)
    corp = demo_corp()
    grow_group(corp, CHAT_ID, args.members)
    with (
        tempfile.TemporaryDirectory(prefix="bench-group-paint-") as work,
        Topology(corp, Path(work), workers=2, proxy=False) as top,
        phone.chromium() as browser,
    ):
        view = WeComWebview(browser, corp, chat=GROUP_CHAT)
        phone.slow_down(view, args.throttle)
        shown, size = [], 0
        for number in range(args.rounds + 1):  # the first fills the caches
            view.page.goto(top.url + "/sidebar/")
            expect(view.page.locator(".group .name-text")).to_be_visible(timeout=120_000)
            mark = "performance.getEntriesByName('sidebar:panel-shown')[0].startTime"
            if number:
                shown.append(view.page.evaluate(mark))
                if os.environ.get("BENCH_VERBOSE"):
                    print(view.page.evaluate(STEPS), flush=True)
            size = view.page.evaluate("document.querySelector('.group').outerHTML.length")
            listed = view.page.locator(".group .member").count()
        if view.errors:
            raise SystemExit(f"the page reported errors: {view.errors}")
    print(
        f"a group of {args.members:,} members ({listed} listed at first, {size // 1024} KiB of "
        f"panel), CPU slowed "
        f"{args.throttle:g}×, {args.rounds} warm opens: navigation → panel shown median "
        f"{statistics.median(shown):.0f} ms ({min(shown):.0f}–{max(shown):.0f}); goal < 300"
    )


if __name__ == "__main__":
    main()
