"""Quick replies through the emulator, as a person demoing the product would use them: the demo
library, every kind sent from every entry that allows it, the chat transcript showing each as
the customer sees it, client versions and platforms, a cancelled send, and media_ids that
expire under an open page."""

import pytest
from playwright.sync_api import expect

from sidebar.replies import rules
from sidebar.replies.models import Send
from sidebar.standin.seed import demo_corp
from sidebar.useragent import wecom_client
from tests.browser.conftest import WECOM_MOBILE, assert_clean, db

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UPLOAD = "/cgi-bin/media/upload"
# Each entry sendChatMessage sends from, and the chat the emulator opens there.
SEND_CHATS = {
    "single_chat_tools": "wmChenXiaoMing0001",
    "group_chat_tools": "wrSalesGroup00001",
    "single_kf_tools": "wmKfCustomer00001",
    "chain_single_chat_tools": "wwDownstream00001/wangjingli",
    "chain_group_chat_tools": "wrChainGroup00001",
    "chat_attachment": None,
}
# The emulator's default client: an Android phone on 4.1.30.
ANDROID_NOW = wecom_client(WECOM_MOBILE)


@pytest.fixture
def corp():
    return demo_corp()


def open_library(view):
    frame = view.sidebar
    expect(frame.locator("#tabs")).to_be_visible()
    frame.get_by_role("button", name="话术", exact=True).click()
    expect(frame.locator("#library .reply").first).to_be_visible()


def offered_kinds(view) -> set[str]:
    return set(
        view.sidebar.locator("#library .reply").evaluate_all("els => els.map(e => e.dataset.kind)")
    )


def send(view, title: str, *, said="已发送"):
    item = view.sidebar.locator(".reply", has_text=title)
    item.get_by_role("button", name="发送").click()
    expect(item.locator(".reply-status")).to_have_text(said)


def send_first(view, kind: str) -> None:
    """Send the first reply of `kind` the library offers here."""
    item = view.sidebar.locator(f'#library .reply[data-kind="{kind}"]').first
    item.get_by_role("button", name="发送").click()
    expect(item.locator(".reply-status")).to_have_text("已发送")


def choose(view, select: str, value: str) -> None:
    """Change the emulated client; the sidebar reopens with it."""
    with view.page.expect_response("**/sidebar/"):
        view.page.select_option(select, value)


def transcript(view):
    return view.page.locator("#transcript > li")


def test_each_kind_from_each_entry_lands_in_the_transcript(library, signed_in, corp):
    view = signed_in
    sent_kinds = []
    for entry, chat in SEND_CHATS.items():
        view.open_chat(entry, chat)
        open_library(view)
        allowed = rules.sendable_kinds(entry=entry, client=ANDROID_NOW)
        # Every kind the entry allows is offered, and nothing else.
        assert offered_kinds(view) == allowed, entry
        if entry == "single_chat_tools":
            view.screenshot("emulator-library")
        for kind in sorted(allowed):
            send_first(view, kind)
            sent_kinds.append(kind)
        expect(transcript(view)).to_have_count(len(sent_kinds))
        expect(transcript(view).locator(".bubble")).to_have_count(len(sent_kinds))
    assert sent_kinds.count("msgmenu") == sent_kinds.count("channels_shop_product") == 1

    # Each message as the customer sees it.
    bubbles = view.page.locator("#transcript")
    expect(bubbles.locator(".bubble-text").first).to_have_text(
        "陈先生（老客户）您好，我是张三，很高兴为您服务，有问题随时找我。"
    )
    expect(bubbles.locator(".bubble-file").first).to_contain_text("2026价格表.pdf")
    expect(bubbles.locator(".bubble-news").first).to_contain_text("新品发布会回顾")
    expect(bubbles.locator(".bubble-miniprogram").first).to_contain_text("会员商城 · 积分兑好礼")
    expect(bubbles.locator(".bubble-menu .menu-item")).to_have_text(["满意", "不满意", "查看订单"])
    expect(bubbles.locator(".bubble-product .price")).to_have_text("¥89.00")
    pictures = bubbles.locator(".bubble-image")
    expect(pictures).to_have_count(sent_kinds.count("image"))
    # The pictures are the uploaded files, read back from the stand-in.
    pictures.last.scroll_into_view_if_needed()
    view.page.wait_for_function(
        "() => [...document.querySelectorAll('#transcript .bubble-image')]"
        ".every(i => i.complete && i.naturalWidth === 200)"
    )
    # One upload per file, however many chats it went to.
    assert corp.count(UPLOAD) == 3
    outcomes = db(lambda: Send.objects.values_list("outcome", flat=True))
    assert outcomes == ["sent"] * len(sent_kinds)
    view.page.evaluate("window.scrollTo(0, 0)")
    view.screenshot("emulator-transcript", whole=True)
    assert_clean(view)


def test_older_clients_and_other_platforms_are_offered_what_they_can_send(library, signed_in):
    view = signed_in
    open_library(view)
    assert "miniprogram" in offered_kinds(view)
    choose(view, "#version", "3.0.36")
    open_library(view)
    assert "miniprogram" not in offered_kinds(view) and "image" in offered_kinds(view)
    # Customer service chats send from 3.1.10 on: no 话术 tab before that.
    view.open_chat("single_kf_tools", "wmKfCustomer00001")
    expect(view.sidebar.locator(".kf .name-text")).to_have_text("咨询的小王")
    expect(view.sidebar.locator("#tabs")).to_be_hidden()
    choose(view, "#version", "3.1.10")
    open_library(view)
    assert "miniprogram" in offered_kinds(view) and "msgmenu" not in offered_kinds(view)
    choose(view, "#version", "4.1.30")
    choose(view, "#platform", "mac")  # no menu messages on Mac, and no jumping into the chat
    open_library(view)
    assert "msgmenu" not in offered_kinds(view) and "channels_shop_product" in offered_kinds(view)
    expect(view.sidebar.locator("[data-enter-chat]")).to_have_count(0)
    choose(view, "#platform", "ios")
    open_library(view)
    assert "msgmenu" in offered_kinds(view)
    expect(view.sidebar.locator("[data-enter-chat]")).to_have_count(1)
    assert_clean(view)


def test_a_cancelled_send_is_recorded_and_an_expired_media_id_is_replaced(library, signed_in, corp):
    view = signed_in
    open_library(view)
    view.page.check("#cancel-sends")
    send(view, library["text"], said="未发送：你取消了发送")
    expect(transcript(view)).to_have_count(0)
    view.page.uncheck("#cancel-sends")
    send(view, library["image"])
    expect(transcript(view)).to_have_count(1)

    view.press("使所有已上传的 media_id 过期")
    open_library(view)
    send(view, library["image"])  # the client finds the media_id dead; the page sends again
    expect(transcript(view).locator(".bubble-image")).to_have_count(2)
    assert corp.count(UPLOAD) == 2
    rows = db(lambda: Send.objects.order_by("id").values_list("outcome", "retry_of"))
    assert [outcome for outcome, _ in rows] == ["cancelled", "sent", "retried", "sent"]
    assert rows[3][1] is not None  # the second try names the first
    assert_clean(view)
