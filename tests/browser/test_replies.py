"""Quick replies in real Chromium, the native-bridge stand-in beneath the unmodified SDK: the
library loads after the customer panel, search filters it, each kind the entry allows goes
into the chat through sendChatMessage, and the client's answer is recorded."""

import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from bench import speed
from sidebar.replies import pieces
from sidebar.replies.models import MediaUpload, Send
from sidebar.standin.seed import demo_corp
from tests.browser.conftest import WECOM_OLD
from tests.replies import factories
from tests.waiting import until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SINGLE = {"entry": "single_chat_tools", "userId": "wmChenXiaoMing0001"}
KF = {"entry": "single_kf_tools", "userId": "wmKfCustomer00001"}
GROUP = {"entry": "group_chat_tools", "chatId": "wrSalesGroup00001"}


@pytest.fixture
def corp():
    return demo_corp()


@pytest.fixture
def library(standin):
    # Covers the page can load (the stand-in draws pictures), so no request fails.
    return factories.every_kind(picture=lambda name: f"{standin.url}/avatar/{name}.svg")


def db(query):
    """Run an ORM query off this thread: Playwright keeps an event loop on it, and Django's
    ORM refuses to run where a loop is."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: list(query()) if callable(query) else query).result()


def outcomes():
    return db(
        lambda: Send.objects.order_by("id").values_list("reply_title", "outcome", "duration_ms")
    )


def open_library(view):
    expect(view.page.locator("#tabs")).to_be_visible()
    view.page.get_by_role("button", name="话术", exact=True).click()
    expect(view.page.locator("#library .reply").first).to_be_visible()


def send(view, title: str, *, said="已发送"):
    item = view.page.locator(".reply", has_text=title)
    item.get_by_role("button", name="发送").click()
    expect(item.locator(".reply-status")).to_have_text(said)


def offered_kinds(view) -> set[str]:
    return set(
        view.page.locator("#library .reply").evaluate_all("els => els.map(e => e.dataset.kind)")
    )


def test_the_library_follows_the_customer_panel_and_sends_into_the_chat(library, webview, corp):
    view = webview(chat=SINGLE)
    expect(view.page.locator(".profile .name-text")).to_have_text("陈小明")
    open_library(view)
    assert offered_kinds(view) == {"text", "image", "video", "file", "news", "miniprogram"}
    send(view, "问候")
    send(view, "产品图")
    send(view, "价格表")
    sent = [m["message"] for m in view.sent()]
    assert sent[0] == {"msgtype": "text", "text": {"content": "陈先生（老客户）您好，我是张三。"}}
    assert (
        sent[1]["msgtype"] == "image"
        and corp.check_media(sent[1]["image"]["mediaid"], "image") == "ok"
    )
    assert corp.media[sent[2]["file"]["mediaid"]]["filename"] == "2026价格表.pdf"
    rows = outcomes()
    assert [(title, outcome) for title, outcome, _ in rows] == [
        ("问候", "sent"),
        ("产品图", "sent"),
        ("价格表", "sent"),
    ]
    assert all(duration is not None for _, _, duration in rows)
    assert view.errors == [] and view.csp_violations() == []
    view.screenshot("replies-library")


def test_the_page_posts_its_forms_urlencoded(library, webview):
    """Lookups, sends and stars go as application/x-www-form-urlencoded, which the server
    parses for a fraction of multipart's cost, and which bench/ posts too; without the
    browser's ";charset=UTF-8", which Django would parse with the email package."""
    view = webview(chat=SINGLE)
    expect(view.page.locator(".profile .name-text")).to_have_text("陈小明")
    posted = []

    def note(request):
        if request.method == "POST":
            posted.append((urlsplit(request.url).path, request.headers.get("content-type", "")))

    view.page.on("request", note)
    view.page.locator("#refresh").click()  # the lookup again
    expect(view.page.locator(".profile .name-text")).to_have_text("陈小明")
    open_library(view)
    send(view, "问候")
    view.page.locator(".reply", has_text="问候").locator(".star").click()
    expect(view.page.locator('.star[aria-pressed="true"]').first).to_be_visible()
    urlencoded = {
        path.split("/")[-2]  # contact, send, star
        for path, kind in posted
        if kind == speed.FORM_TYPE
    }
    assert {"contact", "send", "star"} <= urlencoded, posted
    assert not [kind for _, kind in posted if kind.startswith("multipart/")], posted
    assert view.errors == []


# More replies than the head and one part hold (sidebar/replies/pieces.py): three parts.
BIG = pieces.FIRST_SCREEN + pieces.LATER_RUN * (pieces.RUNS_PER_PART + 1) + 6


@pytest.fixture
def big_library(standin):
    """BIG text replies in two categories: the first screen's, then runs the page unpacks,
    in parts (sidebar/replies/pieces.py). One carries the run mark in its text, as any
    staff text."""
    made = [
        factories.reply(
            "text",
            title=f"说明{number:03d}",
            text=f"{{客户称呼}}您好，这是第 {number} 条。",
            category=factories.category("售后" if number >= 70 else "报价", order=number // 70),
        )
        for number in range(BIG)
    ]
    factories.reply("text", title="暗号", text="<!--sidebar:run--> 不是分隔")
    return made


def test_a_library_of_hundreds_arrives_whole_in_runs(big_library, webview):
    view = webview(chat=SINGLE)
    open_library(view)
    replies = view.page.locator("#library .reply")
    expect(replies).to_have_count(BIG + 1)
    expect(view.page.locator("#library .replies-later")).to_have_count(0)
    titles = replies.locator(".reply-title").all_text_contents()
    assert sorted(titles) == sorted([f"说明{n:03d}" for n in range(BIG)] + ["暗号"])
    # The last run is dressed like the first screen: names filled in, and found by search.
    last_title = f"说明{BIG - 1:03d}"
    last = view.page.locator(".reply", has_text=last_title)
    expect(last.locator(".ph.filled")).to_have_text("陈先生（老客户）")
    view.page.locator(".library-search").fill(last_title)
    expect(view.page.locator("#library .reply:visible .reply-title")).to_have_text([last_title])
    view.page.locator(".library-search").fill("暗号")
    shown = view.page.locator("#library .reply:visible")
    expect(shown.locator(".bubble")).to_contain_text("<!--sidebar:run--> 不是分隔")
    view.page.locator(".library-search").fill("")
    send(view, last_title)
    said = f"陈先生（老客户）您好，这是第 {BIG - 1} 条。"
    assert view.sent()[-1]["message"]["text"]["content"] == said
    assert view.errors == []


def test_the_library_comes_once_per_version_and_is_revalidated_after(library, webview, monkeypatch):
    """Opened again, the page asks for the library with its ETag; unchanged, the server
    answers 304 without a body and the browser shows the library it kept."""
    from sidebar.replies import library_cache

    bodies = []
    real = library_cache.rendered
    monkeypatch.setattr(library_cache, "rendered", lambda **kw: bodies.append(1) or real(**kw))
    view = webview(chat=SINGLE)
    open_library(view)
    asked_with = []

    def note(request):
        if urlsplit(request.url).path == "/sidebar/replies/":
            asked_with.append(request.all_headers().get("if-none-match"))

    view.page.on("requestfinished", note)
    view.page.reload()
    open_library(view)
    expect(view.page.locator(".reply", has_text="问候")).to_be_visible()
    assert len(asked_with) == 1 and asked_with[0], asked_with
    assert len(bodies) == 1  # the second time, no body was made
    assert view.errors == []


def test_customer_service_chats_offer_menus_and_products(library, webview):
    view = webview(chat=KF)
    open_library(view)
    assert {"msgmenu", "channels_shop_product"} <= offered_kinds(view)
    view.page.locator("[data-enter-chat]").check()
    send(view, "满意度")
    send(view, "热卖商品")
    first, second = view.sent()
    assert first["message"]["msgtype"] == "msgmenu" and first["enteredChat"] is True
    assert second["message"]["channelsShopProduct"]["shopNickname"] == "示例小店"
    assert view.errors == [] and view.csp_violations() == []


def test_search_finds_replies_by_pinyin(library, webview):
    view = webview(chat=GROUP)
    open_library(view)
    search = view.page.locator(".library-search")
    search.fill("jiage")  # 价格表, by its pinyin
    expect(view.page.locator("#library .reply:visible .reply-title")).to_have_text(["价格表"])
    search.fill("sp")  # 视频 (shi pin): the initials
    expect(view.page.locator("#library .reply:visible .reply-title")).to_have_text(["演示视频"])
    search.fill("没有这个")
    expect(view.page.locator(".library-empty")).to_be_visible()
    assert view.errors == []


def test_an_old_client_is_not_offered_mini_programs(library, webview):
    view = webview(chat=SINGLE, user_agent=WECOM_OLD)
    expect(view.page.locator(".profile .name-text")).to_have_text("陈小明")
    open_library(view)
    assert "miniprogram" not in offered_kinds(view) and "image" in offered_kinds(view)


def test_a_cancelled_send_is_recorded_as_cancelled(library, webview):
    view = webview(chat=SINGLE, cancel_sends=True)
    open_library(view)
    send(view, "官网文章", said="未发送：你取消了发送")
    assert view.sent() == []
    assert [outcome for _, outcome, _ in outcomes()] == [Send.Outcome.CANCELLED]
    assert view.errors == []


def test_a_dead_media_id_is_replaced_without_anyone_seeing_a_failure(library, webview, corp):
    view = webview(chat=GROUP)
    open_library(view)
    send(view, "产品图")
    corp.expire_media()  # WeCom forgot every media_id early
    send(view, "产品图")  # the client refuses the old one; the page sends a fresh one
    first, second = (m["message"]["image"]["mediaid"] for m in view.sent())
    assert first != second and corp.check_media(second, "image") == "ok"
    assert [outcome for _, outcome, _ in outcomes()] == ["sent", "retried", "sent"]
    assert view.errors == []


def test_the_attachment_bar_opens_on_the_library(library, webview):
    view = webview(chat={"entry": "chat_attachment"})
    expect(view.page.locator("#library .reply").first).to_be_visible()
    expect(view.page.locator("#panel")).to_be_hidden()
    assert "text" not in offered_kinds(view)  # no single customer to name here
    send(view, "官网文章")
    assert view.sent()[0]["chat"]["entry"] == "chat_attachment"
    assert view.errors == []


RESULTS = "**/sidebar/replies/sends/*/result/"
KEPT = "sidebar.undelivered-results"


def kept_on_device(view) -> dict:
    return json.loads(view.page.evaluate(f"() => localStorage.getItem({KEPT!r}) || '{{}}'"))


def test_a_result_the_server_cannot_record_yet_is_posted_again_until_it_is(library, webview):
    """The database did not take the client's answer (503): the page posts it again after a
    pause, and the send ends recorded as sent, with 已发送 on screen."""
    view = webview(chat=SINGLE)
    open_library(view)
    refused = []

    def refuse_twice(route):
        if len(refused) < 2:
            refused.append(route.request.url)
            route.fulfill(status=503, content_type="application/json", body='{"error": "x"}')
        else:
            route.continue_()

    view.page.route(RESULTS, refuse_twice)
    send(view, "问候")
    assert len(refused) == 2
    assert [outcome for _, outcome, _ in outcomes()] == ["sent"]
    assert [e for e in view.errors if "503" not in e] == []


def test_a_result_kept_on_the_device_is_recorded_when_the_page_next_opens(library, webview):
    view = webview(chat=SINGLE)
    open_library(view)
    view.page.route(RESULTS, lambda route: route.abort())  # the network is gone
    view.page.locator(".reply", has_text="问候").get_by_role("button", name="发送").click()
    until(lambda: kept_on_device(view) != {})
    assert [outcome for _, outcome, _ in outcomes()] == ["prepared"]
    view.page.unroute(RESULTS)
    view.page.reload()  # the staff member opens the page again later
    until(lambda: kept_on_device(view) == {})
    assert [outcome for _, outcome, _ in outcomes()] == ["sent"]


def test_a_file_still_uploading_is_sent_by_itself_once_wecom_has_it(library, webview, corp):
    """WeCom holds the upload: the page says the file is uploading, asks again by itself, and
    sends the picture once WeCom has it; WeCom received one upload."""
    view = webview(chat=SINGLE)
    open_library(view)
    db(lambda: MediaUpload.objects.all().delete())  # as if nobody had sent it yet
    corp.inject("/cgi-bin/media/upload", hold=True)
    uploads_before = corp.count("/cgi-bin/media/upload")
    item = view.page.locator(".reply", has_text="产品图")
    try:
        item.get_by_role("button", name="发送").click()
        expect(item.locator(".reply-status")).to_have_text("正在把文件上传到企业微信…")
        expect(item.get_by_role("button", name="发送")).to_be_disabled()
    finally:
        corp.clear_faults()  # WeCom answers the upload
    expect(item.locator(".reply-status")).to_have_text("已发送")
    assert corp.count("/cgi-bin/media/upload") == uploads_before + 1
    (sent,) = [m["message"] for m in view.sent()]
    assert corp.check_media(sent["image"]["mediaid"], "image") == "ok"
    assert [outcome for _, outcome, _ in outcomes()] == ["sent"]  # one row: the send itself
    assert view.errors == []
