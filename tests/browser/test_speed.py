"""How long a signed-in staff member waits for the customer, in Chromium, as the WeCom client
opens the page again and again (warm: static files cached, credentials and profile cached),
from the app as it is deployed: gunicorn with deploy/gunicorn.conf.py, Redis, static files
with hashed names.

It prints the figures (docs/speed.md) and checks what does not depend on the machine's
load: the page shows the customer every time, with two requests to the server (the page and
the lookup). The time itself is printed, not asserted: a busy CI machine must not fail it.
"""

import statistics

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import WeComWebview
from tests.browser.test_sidebar import SINGLE_CHAT

pytestmark = [pytest.mark.browser, pytest.mark.processes]

OPENS = 10


def test_warm_navigation_to_the_profile(browser, corp, deployment, capsys):
    view = WeComWebview(browser, corp, chat=SINGLE_CHAT)
    server = deployment.url
    view.page.goto(server + "/sidebar/")  # signs in, and fills the caches
    expect(view.page.locator(".profile .name-text")).to_have_text("陈小明")
    # Signatures are still checked, with the tickets WeCom issued, as the client checks them:
    # in the client, not by a call into this test process.
    view.verify_in_page(corp)
    shown_after, requests = [], []
    for _ in range(OPENS):
        view.page.goto(server + "/sidebar/")
        expect(view.page.locator(".profile .name-text")).to_have_text("陈小明")
        shown = view.page.evaluate(
            "performance.getEntriesByName('sidebar:panel-shown')[0].startTime"
        )
        shown_after.append(shown)
        # Requests made before the panel showed that reached the network (the rest came
        # from the browser's cache; the replies tab loads after the panel, by design).
        fetched = view.page.evaluate(
            """(shown) => [performance.getEntriesByType('navigation')[0],
                           ...performance.getEntriesByType('resource')]
                .filter(e => e.transferSize > 0 && e.name.startsWith(location.origin))
                .filter(e => e.startTime < shown)
                .map(e => e.name.replace(location.origin, ''))""",
            shown,
        )
        requests.append(fetched)
    with capsys.disabled():
        print(
            f"\nnavigation to the profile shown, warm, {OPENS} opens: "
            f"median {statistics.median(shown_after):.0f} ms, "
            f"min {min(shown_after):.0f} ms, max {max(shown_after):.0f} ms; "
            f"requests to the server each time: {sorted({len(r) for r in requests})}"
        )
    for fetched in requests:
        assert sorted(fetched) == ["/sidebar/", "/sidebar/lookup/contact/"], fetched
    assert view.errors == [] and view.csp_violations() == []
    view.close()
