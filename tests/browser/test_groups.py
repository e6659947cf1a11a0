"""A big customer group in Chromium: the panel lists its first members, and the rest come a
page at a time as the staff member scrolls to them (sidebar.profiles.member_page)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from sidebar.models import Lookup
from sidebar.profiles import FIRST_MEMBERS, MEMBERS_PAGE
from sidebar.standin.seed import demo_corp, grow_group
from tests.browser.conftest import db

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHAT_ID = "wrSalesGroup00001"
MEMBERS = FIRST_MEMBERS + 2 * MEMBERS_PAGE + 17


@pytest.fixture
def corp():
    corp = demo_corp()
    grow_group(corp, CHAT_ID, MEMBERS)
    return corp


def test_a_big_groups_members_come_as_the_staff_member_scrolls_to_them(webview):
    view = webview(chat={"entry": "group_chat_tools", "chatId": CHAT_ID})
    asked = []
    view.page.on(
        "request",
        lambda request: (
            urlsplit(request.url).path == "/sidebar/lookup/group-members/"
            and asked.append(parse_qs(request.post_data)["start"][0])
        ),
    )
    members = view.page.locator(".group .member")
    expect(members).to_have_count(FIRST_MEMBERS)
    expect(view.page.locator(".members-more-button")).to_contain_text(
        f"还有 {MEMBERS - FIRST_MEMBERS} 位"
    )
    assert asked == []  # nothing more until the list nears the screen
    for shown in (FIRST_MEMBERS + MEMBERS_PAGE, FIRST_MEMBERS + 2 * MEMBERS_PAGE, MEMBERS):
        view.page.locator(".members-more-button").scroll_into_view_if_needed()
        expect(members).to_have_count(shown)
    expect(view.page.locator(".members-more")).to_have_count(0)
    assert asked == [str(FIRST_MEMBERS), str(FIRST_MEMBERS + MEMBERS_PAGE), str(MEMBERS - 17)]
    # Staff come last, on the last page: its buttons work like the first page's.
    view.page.locator('[data-open-user="lisi"]').click()
    expect(view.page.locator(".member-open:disabled")).to_have_count(0)
    assert {"userIds": ["lisi"], "externalUserIds": [], "chatId": ""} in view.opened_chats()
    entries = db(lambda: Lookup.objects.order_by("id").values_list("entry", flat=True))
    assert entries == ["group_chat_tools"] + ["group_members"] * 3
    assert view.errors == [] and view.csp_violations() == []


def test_members_refused_after_the_panel_say_why_under_the_button(webview, corp):
    """The staff member left the group after its panel showed: the next run is refused, in
    words, under the button, and the list stays as it was."""
    from sidebar import services
    from sidebar.wecom import get_client

    view = webview(chat={"entry": "group_chat_tools", "chatId": CHAT_ID})
    members = view.page.locator(".group .member")
    expect(members).to_have_count(FIRST_MEMBERS)
    group = corp.groups[CHAT_ID]
    group["owner"] = "lisi"
    group["member_list"] = [m for m in group["member_list"] if m.get("userid") != "zhangsan"]
    services.forget_cached_lookups(client=get_client(), target_ids=[CHAT_ID])
    view.page.locator(".members-more-button").scroll_into_view_if_needed()
    expect(view.page.locator(".members-more .action-said")).to_contain_text("你不在这个客户群中")
    expect(members).to_have_count(FIRST_MEMBERS)
    expect(view.page.locator(".members-more-button")).to_be_enabled()
    assert view.errors == []
