"""The page in both hosts, in Chromium. Juzi: through the emulator in Juzi mode, the page framed
by the Juzi stand-in's console on another site, signed in through Juzi's OAuth, sending by
signed URL (which the stand-in fetches), and acting in the chat; the audit rows name the
operator. WeCom: the same chat actions through the bridge stand-in beneath the SDK."""

import re

import pytest
from playwright.sync_api import expect

from sidebar.models import Lookup
from sidebar.replies import file_urls
from sidebar.replies.models import Reply, Send
from sidebar.standin.juzi import fetch
from sidebar.standin.seed import demo_corp
from tests.browser.conftest import PROFILE_NAME, assert_clean, db
from tests.waiting import until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ZHOU = "644a448ab93794cbdccf93ca"


@pytest.fixture
def corp():
    return demo_corp()


def in_juzi(view):
    """The page inside Juzi's console inside the emulator."""
    return view.page.frame_locator("#sidebar").frame_locator("#system-sidebar")


def in_juzi_mode(emulator):
    """The emulator switched to Juzi, showing Juzi's sign-in chooser. The switch waits until
    the panel has started (its WeCom page loaded), so no start-up reload replaces the console
    under the test's first tap."""
    view = emulator()
    expect(view.sidebar.get_by_text("选择成员")).to_be_visible()
    view.page.select_option("#host", "juzi")
    expect(in_juzi(view).get_by_text("选择托管账号")).to_be_visible()
    return view


def open_chat(view, entry: str, chat: str | None = None):
    """Open another chat in Juzi's console as a person would: change only what differs, and let
    the console reload the page after each change. (Each change reloads it; two changes in a
    row could both load the second chat, and look it up twice.)"""
    for select, value in (("#entry", entry), ("#chat", chat)):
        if value is None or view.page.input_value(select) == value:
            continue
        with view.page.expect_response("**/sidebar/juzi/"):
            view.page.select_option(select, value)


def test_juzi_sidebar_end_to_end(emulator, juzi, library, monkeypatch):
    # Juzi's OAuth chooser, inside the console's frame: hosted account and operator.
    view = in_juzi_mode(emulator)
    page = in_juzi(view)
    page.get_by_role("link", name=re.compile("张三 zhangsan .* 运营小周")).click()
    expect(page.locator(PROFILE_NAME)).to_have_text("陈小明")
    expect(page.locator(".who")).to_have_text("张三，由运营小周操作")
    expect(page.locator(".profile img.avatar")).to_have_js_property("complete", True)
    view.screenshot("juzi-sidebar")  # docs/juzi.md: the page in Juzi's console

    # The avatar opens in Juzi's viewer.
    page.locator(".profile img.avatar").click()
    previewed = until(lambda: juzi.host.calls_of("previewImage"), "previewImage")
    assert previewed[0]["params"]["current"].endswith("/avatar/wmChenXiaoMing0001.svg")
    assert previewed[0]["params"]["urls"] == [previewed[0]["params"]["current"]]

    # A text and a picture reply; the picture goes by a signed URL the stand-in fetches.
    page.get_by_role("button", name="话术", exact=True).click()
    text = page.locator(".reply[data-kind=text]").first
    text.locator(".send").click()
    expect(text.locator(".reply-status")).to_have_text("已发送")
    image = page.locator(".reply[data-kind=image]").first
    # Its picture loads lazily: let it load before tapping, or the item grows under the tap.
    image.scroll_into_view_if_needed()
    expect(image.locator(".bubble-image")).to_have_js_property("complete", True)
    expect(image.locator(".bubble-image")).not_to_have_js_property("naturalWidth", 0)
    image.locator(".send").click()
    expect(image.locator(".reply-status")).to_have_text("已发送")
    sent = juzi.host.sent()
    assert [r["params"]["msgtype"] for r in sent] == ["text", "image"]
    assert sent[0]["params"]["text"]["content"].startswith("陈")
    fetched = sent[1]["fetched"]
    reply = db(lambda: Reply.objects.filter(kind="image").order_by("id")[:1])[0]
    assert fetched["status"] == 200
    assert fetched["sha256"] == reply.upload_sha256
    assert fetched["url"].startswith(
        view.page.url.split("/emulator/")[0] + "/sidebar/replies/shared/"
    )
    # The emulator's transcript shows both, the picture loaded from the same URL.
    expect(view.page.locator("#transcript li")).to_have_count(2)
    picture = view.page.locator("#transcript li img.bubble-image")
    expect(picture).to_have_js_property("complete", True)
    assert picture.evaluate("img => img.naturalWidth") > 0
    # Once it has expired the same URL is refused.
    later = file_urls._now() + file_urls.lifetime() + 1
    monkeypatch.setattr(file_urls, "_now", lambda: later)
    assert fetch(fetched["url"])["status"] == 404
    monkeypatch.undo()

    # A customer the hosted account does not follow is refused.
    page.get_by_role("button", name="客户", exact=True).click()
    open_chat(view, "single_chat_tools", "wmOnlyLiSiFollows03")
    expect(page.get_by_text("你未添加该客户")).to_be_visible()

    # A group shows; its members open chats in Juzi.
    open_chat(view, "group_chat_tools", "wrSalesGroup00001")
    expect(page.locator(".group .name-text")).to_have_text("销售客服群")
    page.locator('[data-open-external="wmChenXiaoMing0001"]').click()
    page.locator('[data-open-user="lisi"]').click()
    opened = until(
        lambda: (
            len(juzi.host.calls_of("openEnterpriseChat")) == 2
            and juzi.host.calls_of("openEnterpriseChat")
        ),
        "two openEnterpriseChat calls",
    )
    assert [(c["params"]["userIds"], c["params"]["externalUserIds"]) for c in opened] == [
        ("", "wmChenXiaoMing0001"),
        ("lisi", ""),
    ]

    # An internal chat has no customer: the home panel.
    open_chat(view, "normal")
    expect(page.locator(".home")).to_be_visible()

    rows = db(
        lambda: Lookup.objects.order_by("id").values_list(
            "host", "operator_uid", "operator_name", "outcome"
        )
    )
    assert [r[3] for r in rows] == ["ok", "denied", "ok"]
    assert {r[:3] for r in rows} == {("juzi", ZHOU, "运营小周")}
    sends = db(lambda: Send.objects.values_list("host", "operator_name", "outcome"))
    assert sends == [("juzi", "运营小周", "sent")] * 2
    assert_clean(view)


def test_juzi_helper_failures_and_other_accounts_are_explained(emulator, juzi, library):
    view = in_juzi_mode(emulator)
    page = in_juzi(view)
    page.get_by_role("link", name=re.compile("张三 zhangsan .* 运营小周")).click()
    expect(page.locator(PROFILE_NAME)).to_have_text("陈小明")
    # The sidebar fails to say which chat is open.
    view.page.select_option("#juzi-helper-fault", "getCurChatInfo")
    view.page.locator("[data-juzi=helper-fault]").click()
    expect(view.page.locator("#status")).to_contain_text("✓")
    expect(page.get_by_text("句子互动没有告知当前打开的聊天")).to_be_visible()
    # Its helper fails to name the customer: Juzi's error, not the WeCom client's.
    view.page.select_option("#juzi-helper-fault", "getCurExternalContact")
    view.page.locator("[data-juzi=helper-fault]").click()
    expect(page.get_by_text("句子互动的侧边栏报告了错误")).to_be_visible()
    expect(page.get_by_text("企业微信客户端报告了错误")).to_have_count(0)
    # The console switches to another hosted account than the one signed in.
    view.page.select_option("#juzi-account", "647844cd6059597fc5c79f39")
    expect(page.get_by_text("侧边栏现在显示的是另一个托管账号")).to_be_visible()
    page.get_by_role("link", name="重新登录").click()
    page.get_by_role("link", name=re.compile("李四 lisi .* 客服主管老吴")).click()
    expect(page.locator(".who")).to_have_text("李四，由客服主管老吴操作")
    expect(page.locator(PROFILE_NAME)).to_have_text("陈小明")
    # Juzi refuses sign-in codes: each errcode in its own words.
    view.page.select_option("#juzi-code-fault", "-2")
    view.page.locator("[data-juzi=code-fault]").click()
    page.get_by_role("link", name=re.compile("张三 zhangsan .* 运营小周")).click()
    page.get_by_role("link", name=re.compile("张三 zhangsan .* 运营小周")).click()
    expect(page.get_by_text("句子互动的登录码已过期")).to_be_visible()
    # The explanation page answers 502 (Juzi failed), which the browser logs; nothing else.
    assert [e for e in view.errors if "502 (Bad Gateway)" not in e] == []
    assert view.csp_violations() == []


def test_wecom_client_opens_chats_and_previews(webview, library):
    view = webview(chat={"entry": "group_chat_tools", "chatId": "wrSalesGroup00001"})
    expect(view.page.locator(".group .name-text")).to_have_text("销售客服群")
    view.page.locator('[data-open-external="woZhouJianGuo0002"]').click()
    view.page.locator('[data-open-user="lisi"]').click()
    until(lambda: len(view.opened_chats()) == 2, "two opened chats")
    assert view.opened_chats() == [
        {"userIds": [], "externalUserIds": ["woZhouJianGuo0002"], "chatId": ""},
        {"userIds": ["lisi"], "externalUserIds": [], "chatId": ""},
    ]
    assert view.page.locator('[data-open-user="zhangsan"]').count() == 0  # not oneself
    registered = next(e for e in view.bridge_log() if e["name"] == "agentConfig")
    # The SDK registers previewImage under the client's own name for it, imagePreview.
    assert {"openEnterpriseChat", "imagePreview"} <= set(registered["params"]["jsApiList"])

    single = webview(chat={"entry": "single_chat_tools", "userId": "wmChenXiaoMing0001"})
    expect(single.page.locator(PROFILE_NAME)).to_have_text("陈小明")
    single.page.locator(".profile img.avatar").click()
    until(single.previewed, "a previewed picture")
    (shown,) = single.previewed()
    assert shown["current"].endswith("/avatar/wmChenXiaoMing0001.svg")
    assert shown["urls"] == [shown["current"]]
    single.page.get_by_role("button", name="话术", exact=True).click()
    picture = single.page.locator(".reply[data-kind=image] .bubble-image").first
    expect(picture).to_be_visible()
    picture.click()
    until(lambda: len(single.previewed()) == 2, "the reply's picture previewed")
    assert re.search(r"/sidebar/replies/\d+/file$", single.previewed()[1]["current"])
    assert_clean(view)
    assert_clean(single)
