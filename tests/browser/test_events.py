"""WeCom's change events through the emulator in Chromium: a remark changed "in WeCom" shows on
the next open with no more WeCom calls than the event caused; a customer who deletes the staff
member ends their access at once and the staff member is told in an app message."""

import pytest
from playwright.sync_api import expect

from sidebar.events import churn
from tests.browser.conftest import PROFILE_NAME, assert_clean
from tests.events.conftest import connect_callback

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER = "wmChenXiaoMing0001"
GET_CONTACT = "/cgi-bin/externalcontact/get"


@pytest.fixture
def evented(live_server, standin, corp, settings):
    """The app's callback configured, and the stand-in posting its events to it."""
    connect_callback(corp, settings, live_server.url)
    return corp


def reopen(view):
    view.open_chat("single_chat_tools", "woZhouJianGuo0002")
    view.open_chat("single_chat_tools", CUSTOMER)
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("陈小明")


def test_a_remark_changed_in_wecom_shows_on_the_next_open(evented, signed_in, corp):
    view = signed_in
    reopen(view)  # cached for 6 h now: no more calls for this customer
    before = corp.count(GET_CONTACT)
    view.page.fill("#wecom-remark", "在企业微信里改的")
    view.page.get_by_role("button", name="在企业微信中修改", exact=True).click()
    expect(view.page.locator("#status")).to_contain_text("✓")
    corp.callbacks.wait()
    assert [d["status"] for d in corp.callbacks.deliveries] == [200]
    reopen(view)
    expect(view.sidebar.locator(".remark")).to_have_text("在企业微信里改的")
    expect(view.sidebar.locator(".events")).to_contain_text("在企业微信中修改了备注或标签")
    reopen(view)
    # Two opens of each customer since: one call, the one the event caused.
    assert corp.count(GET_CONTACT) - before == 1
    view.screenshot("events-remark-changed-in-wecom")
    assert_clean(view)


def test_the_customer_deleting_the_staff_member_ends_access_and_tells_them(
    evented, signed_in, corp
):
    view = signed_in
    view.page.get_by_role("button", name="客户删除了我", exact=True).click()
    expect(view.page.locator("#status")).to_contain_text("✓")
    corp.callbacks.wait()
    view.open_chat("single_chat_tools", "woZhouJianGuo0002")
    view.open_chat("single_chat_tools", CUSTOMER)
    expect(view.sidebar.locator(".problem-title")).to_have_text("你未添加该客户")
    assert churn.idle(timeout=60)
    message = view.page.locator("#app-messages .app-message")
    expect(message).to_contain_text("陈小明删除了你")
    expect(message).to_have_count(1)
    assert len(corp.messages_to("zhangsan")) == 1
    view.screenshot("events-churn-alert", whole=True)
