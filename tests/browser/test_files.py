"""Chromium opens every URL that serves an uploaded file, for files made to run script if served
by name or first bytes (tests/replies/polyglots.py), stored the way an older version or a raw
database write could have stored them (no check on save): no script runs, on any route.

The same payload given to Chromium as a page does run (the control), so the watch for it is
known to work."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Error as PlaywrightError

from sidebar.replies import file_urls
from sidebar.replies.models import Reply
from sidebar.replies.views import cover_path
from tests.replies import factories, polyglots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILES = {
    "png-with-script.html": polyglots.png_with_script(),
    "png-signature-then-html.png": polyglots.png_signature_then_html(),
    "mp4-with-script.html": polyglots.mp4_with_script(),
    "ftyp-then-html.mp4": polyglots.ftyp_then_html(),
    "script.svg": polyglots.SVG,
    "page.png": polyglots.HTML,
}
KINDS = ("image", "video", "file", "news")


def _store_everything():
    """Every file as every kind, saved without the admin's checks; the URLs serving each, and
    an admin's session cookie for the preview route."""
    category = factories.category()
    urls = []
    for name, content in FILES.items():
        for kind in KINDS:
            reply = Reply.objects.create(
                category=category,
                kind=kind,
                title=f"{kind} {name}"[:64],
                link="https://example.com/" if kind == "news" else "",
                upload=ContentFile(content, name=name),
            )
            urls.append(reverse("sidebar:replies:file", args=[reply.pk]))
            urls.append(file_urls.signed_path(reply))
            if kind == "news":
                urls.append(cover_path(reply))
    admin = User.objects.create_superuser("admin", "admin@example.com", "admin-password")
    client = Client()
    client.force_login(admin)
    return urls, client.cookies["sessionid"].value


def open_watched(context, url: str) -> dict:
    """Open `url` in a fresh page; what ran: console lines, dialogs, the title, and how the
    browser took it (a page, or a download)."""
    page = context.new_page()
    seen = {"console": [], "dialogs": [], "title": "", "download": False, "status": None}
    page.on("console", lambda message: seen["console"].append(message.text))

    def dialog(d):
        seen["dialogs"].append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    try:
        response = page.goto(url, wait_until="load")
        seen["status"] = response.status if response else None
        seen["title"] = page.title()
    except PlaywrightError as exc:
        if "Download is starting" not in str(exc):
            raise
        seen["download"] = True
    finally:
        page.close()
    return seen


def ran(seen: dict) -> bool:
    said = seen["console"] + seen["dialogs"] + [seen["title"]]
    return any("PWNED" in text for text in said)


def test_no_uploaded_file_runs_script_on_any_route(live_server, browser):
    with ThreadPoolExecutor(1) as pool:  # the ORM off the thread Playwright keeps a loop on
        urls, session = pool.submit(_store_everything).result()
    context = browser.new_context(accept_downloads=True)
    host = live_server.url.split("//", 1)[1].split(":")[0]
    context.add_cookies([{"name": "sessionid", "value": session, "domain": host, "path": "/"}])
    try:
        control = context.new_page()
        control_said = []
        control.on("console", lambda m: control_said.append(m.text))
        control.on("dialog", lambda d: d.dismiss())
        control.set_content(polyglots.HTML.decode())
        assert "PWNED" in control_said and control.title() == "PWNED"  # the watch works
        control.close()

        results = {url: open_watched(context, live_server.url + url) for url in urls}
    finally:
        context.close()
    assert len(results) == len(FILES) * (2 * len(KINDS) + 1)
    assert [url for url, seen in results.items() if ran(seen)] == []
    answered = [seen for seen in results.values() if not seen["download"]]
    assert all(seen["status"] == 200 for seen in answered), answered
    downloads = sum(seen["download"] for seen in results.values())
    print(f"\n{len(results)} file URLs opened: {downloads} downloads, {len(answered)} shown")
