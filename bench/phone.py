"""What the phone benchmarks (library_paint.py, group_paint.py) share: their arguments, and
Debian's Chromium with a page's CPU slowed as a mid-range phone's."""

import argparse
import contextlib
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench import exit_on_sigterm
from tests.browser.conftest import CHROMIUM


def arguments(doc: str, *, count: str, default: int) -> argparse.Namespace:
    """--`count` (how big the library or group is), --rounds and --throttle; Chromium must
    be installed."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument(f"--{count}", type=int, default=default)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--throttle", type=float, default=4.0)
    args = parser.parse_args()
    exit_on_sigterm()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found: run .ci/setup --test")
    return args


@contextlib.contextmanager
def chromium():
    """Headless Chromium, closed after the block."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield browser
        finally:
            browser.close()


def slow_down(view, rate: float) -> None:
    """The CPU of `view`'s page slowed `rate` times (Chrome DevTools' CPU throttling)."""
    view.context.new_cdp_session(view.page).send("Emulation.setCPUThrottlingRate", {"rate": rate})
