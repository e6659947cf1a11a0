"""The rendered library is shared while the library stays the same, and renders afresh the
moment an admin changes a reply, a category or a menu item, or when the cache is down."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sidebar.replies.models import Category, MenuItem
from tests.replies import factories
from tests.replies.conftest import ANDROID, MAC

pytestmark = pytest.mark.django_db


def library(client, entry="single_kf_tools", user_agent=ANDROID) -> tuple[str, int]:
    """The library's HTML, and how many database queries serving it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/sidebar/replies/", {"entry": entry}, HTTP_USER_AGENT=user_agent)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def rendering_queries(queries: int) -> int:
    return queries - 2  # the session and the staff member's sign-in check stay


def test_served_from_the_cache_until_something_changes(staff_client):
    made = factories.every_kind()
    first, cold = library(staff_client)
    again, warm = library(staff_client)
    assert again == first and warm < cold
    for change in (
        lambda: made["text"].save(),
        lambda: setattr(made["news"], "title", "改过的标题") or made["news"].save(),
        lambda: Category.objects.create(name="新分类"),
        lambda: MenuItem.objects.filter(reply=made["msgmenu"]).first().delete(),
    ):
        change()
        _, queries = library(staff_client)
        assert queries == cold, "a change must render the library afresh"
    fresh, _ = library(staff_client)
    assert "改过的标题" in fresh and fresh.count('class="menu-item menu-') == 1


def test_each_client_and_entry_gets_its_own_library(staff_client):
    factories.every_kind()
    kf, _ = library(staff_client)
    mac, _ = library(staff_client, user_agent=MAC)
    group, _ = library(staff_client, entry="group_chat_tools")
    assert 'data-kind="msgmenu"' in kf and 'data-kind="msgmenu"' not in mac
    assert 'data-kind="text"' in kf and 'data-kind="text"' not in group
    assert "data-enter-chat" in kf and "data-enter-chat" not in mac


def test_without_a_cache_it_renders_every_time(staff_client, settings):
    factories.every_kind()
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    first, cold = library(staff_client)
    second, queries = library(staff_client)
    assert first == second and queries == cold


def test_the_browser_keeps_the_library_and_revalidates_it(staff_client):
    """Once per library version the page's browser gets the library; after that it asks with
    the ETag and an unchanged library answers 304 without a body."""
    made = factories.every_kind()
    url, query = "/sidebar/replies/", {"entry": "single_chat_tools"}
    first = staff_client.get(url, query, HTTP_USER_AGENT=ANDROID)
    tag = first["ETag"]
    assert first.status_code == 200 and first["Cache-Control"] == "private, no-cache"
    again = staff_client.get(url, query, HTTP_USER_AGENT=ANDROID, HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == tag
    # Another client version or language is another library, with another tag.
    mac = staff_client.get(url, query, HTTP_USER_AGENT=MAC, HTTP_IF_NONE_MATCH=tag)
    assert mac.status_code == 200 and mac["ETag"] != tag
    # An admin's change is a new version: the whole library again.
    made["text"].title = "新的问候"
    made["text"].save()
    changed = staff_client.get(url, query, HTTP_USER_AGENT=ANDROID, HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200 and "新的问候" in changed.content.decode()
    # The page itself stays uncached.
    assert staff_client.get("/sidebar/")["Cache-Control"] == "no-store"
