"""The home panel in Chromium: the customers and groups last shown open their chat
(openEnterpriseChat: a customer by externalUserIds, a customer group by chatId)."""

import re

import pytest
from playwright.sync_api import expect

from sidebar.standin.seed import demo_corp
from tests.browser.conftest import WECOM_MOBILE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# getContext (3.0.24) but not yet openEnterpriseChat's chatId (3.0.36)
BEFORE_GROUP_CHAT = WECOM_MOBILE.replace("wxwork/4.1.30", "wxwork/3.0.30")
SINGLE_CHAT = {"entry": "single_chat_tools", "userId": "wmChenXiaoMing0001"}


@pytest.fixture
def corp():
    return demo_corp()


def test_recent_customers_and_groups_open_their_chat(webview):
    for chat in (SINGLE_CHAT, {"entry": "group_chat_tools", "chatId": "wrSalesGroup00001"}):
        seen = webview(chat=chat)
        expect(seen.page.locator("#panel article")).to_be_visible()
        seen.close()
    view = webview(chat={"entry": "normal"})
    recent = view.page.locator(".recent-item")
    expect(recent).to_have_count(2)
    recent.filter(has=view.page.locator("[data-open-external]")).get_by_role("button").click()
    recent.filter(has=view.page.locator("[data-open-chat]")).get_by_role("button").click()
    expect(view.page.locator(".recent-open:disabled")).to_have_count(0)
    opened = view.opened_chats()
    assert {"userIds": [], "externalUserIds": ["wmChenXiaoMing0001"], "chatId": ""} in opened
    assert {"userIds": [], "externalUserIds": [], "chatId": "wrSalesGroup00001"} in opened
    assert view.errors == [] and view.csp_violations() == []


def test_a_client_too_old_to_open_a_group_says_so_beside_the_button(webview):
    seen = webview(chat={"entry": "group_chat_tools", "chatId": "wrSalesGroup00001"})
    expect(seen.page.locator("#panel article")).to_be_visible()
    seen.close()
    view = webview(chat={"entry": "normal"}, user_agent=BEFORE_GROUP_CHAT)
    view.page.locator("[data-open-chat]").click()
    said = view.page.locator(".recent-item .action-said")
    expect(said).to_contain_text("无法打开聊天")
    expect(said.locator(".problem-tech code")).to_have_text(re.compile("function not exist"))
