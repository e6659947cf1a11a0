"""The emulator in headless Chromium: what a person sees, for every entry and every fault.

The sidebar inside runs its production code; the app reaches the stand-in only through the
WECOM_* URLs, and the bridge beneath the unmodified SDK checks signatures the way the client
does."""

import json
import re
import time

import pytest
import requests
from playwright.sync_api import expect

from sidebar.models import ClientFailureReport
from sidebar.standin.seed import demo_corp
from tests.browser.conftest import ARTIFACTS, PROFILE_NAME, assert_clean, db
from tests.contacts import HOSTILE_ID, with_test_contacts

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = ".problem-title"


@pytest.fixture
def corp():
    return with_test_contacts(demo_corp())


def test_newcomer_signs_in_picks_a_chat_and_sees_the_profile(signed_in, corp):
    view = signed_in
    expect(view.sidebar.locator(".remark")).to_have_text("陈先生（老客户）")
    expect(view.sidebar.locator(".tag")).to_have_text(["重要客户", "续费意向", "展会", "爱喝茶"])
    view.screenshot("emulator-single-chat")
    view.open_chat("single_chat_tools", "woZhouJianGuo0002")
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("周建国")
    expect(view.sidebar.locator(".origin")).to_have_text("@远景机械")
    expect(view.page.locator("#calls")).to_contain_text("externalcontact/get")
    view.screenshot("emulator-panel", whole=True)
    assert_clean(view)


# What the page shows from each of the nine entries getContext names (docs/wecom.md).
HOME = (None, ".home-title", "你好，张三")
ENTRIES = {
    "single_chat_tools": ("wmChenXiaoMing0001", PROFILE_NAME, "陈小明"),
    "contact_profile": ("woZhouJianGuo0002", PROFILE_NAME, "周建国"),
    "group_chat_tools": ("wrSalesGroup00001", ".group .name-text", "销售客服群"),
    "single_kf_tools": ("wmKfCustomer00001", ".kf .name-text", "咨询的小王"),
    "chain_single_chat_tools": ("wwDownstream00001/wangjingli", ".chain .corp-name", "华东经销商"),
    "chain_group_chat_tools": ("wrChainGroup00001", ".chain .chat-id", "wrChainGroup00001"),
    "chat_attachment": HOME,
    "internal_group_chat_board": HOME,
    "normal": HOME,
}


def test_every_entry(signed_in):
    view = signed_in
    for entry, (chat, selector, text) in ENTRIES.items():
        view.open_chat(entry, chat)
        expect(view.sidebar.locator(selector)).to_have_text(text)
    # The home panel lists what this staff member looked up, newest first.
    # The newest, an upstream/downstream group WeCom gives no name: said so, its id on hover.
    newest = view.sidebar.locator(".recent li").first
    expect(newest).to_contain_text("未命名")
    expect(newest.locator(".recent-name")).to_have_attribute("title", "wrChainGroup00001")
    view.open_chat("group_chat_tools", "wrSalesGroup00001")
    expect(view.sidebar.locator(".member-customer").first).to_contain_text("陈小明")
    view.screenshot("emulator-group")
    assert_clean(view)


def test_people_are_named_in_the_header_the_group_and_the_home_panel(signed_in, corp):
    view = signed_in  # has opened 陈小明 once
    expect(view.sidebar.locator(".who")).to_have_text("当前成员：张三")
    third = next(
        external_userid
        for external_userid, contact in corp.contacts.items()
        if external_userid not in ("wmChenXiaoMing0001", "woZhouJianGuo0002")
        and any(f["userid"] == "zhangsan" for f in contact["follow_user"])
    )
    third_name = corp.contacts[third]["external_contact"]["name"]
    view.open_chat("single_chat_tools")
    for chat, name in [
        ("woZhouJianGuo0002", "周建国"),
        ("wmChenXiaoMing0001", "陈小明"),
        (third, third_name),
        ("woZhouJianGuo0002", "周建国"),
    ]:
        with view.page.expect_response("**/sidebar/lookup/contact/"):
            view.page.select_option("#chat", chat)
        expect(view.sidebar.locator(PROFILE_NAME)).to_have_text(name)
    view.open_chat("normal")
    expect(view.sidebar.locator(".home-title")).to_have_text("你好，张三")
    expect(view.sidebar.locator(".recent-name")).to_have_text(["周建国", third_name, "陈小明"])
    # Each customer with their avatar, loaded from where WeCom said it is.
    avatars = view.sidebar.locator(".recent-item img.avatar")
    expect(avatars).to_have_count(3)
    for index in range(3):
        expect(avatars.nth(index)).to_have_js_property("complete", True)
    assert (
        avatars.evaluate_all("images => images.map(image => image.naturalWidth > 0)") == [True] * 3
    )
    expect(view.sidebar.locator(".home")).not_to_contain_text("zhangsan")
    view.screenshot("emulator-home")
    view.open_chat("group_chat_tools", "wrSalesGroup00001")
    expect(view.sidebar.locator(".group .facts")).to_contain_text("群主 张三")
    expect(view.sidebar.locator(".admins")).to_have_text("李四")
    expect(view.sidebar.locator(".member-staff .member-name")).to_have_text(["张三", "李四"])
    expect(view.sidebar.locator(".member-customer .member-joined").first).to_contain_text(
        "邀请人 张三"
    )
    # 发消息 to a colleague: the emulator says what the client did.
    view.sidebar.locator(".member-staff [data-open-user]").first.click()
    expect(view.page.locator("#status")).to_have_text("企业微信打开了聊天：lisi")
    assert_clean(view)


def test_group_the_staff_member_is_not_in_is_refused(signed_in):
    view = signed_in
    view.open_chat("group_chat_tools", "wrVipGroup0000002")
    expect(view.sidebar.locator(TITLE)).to_have_text("你不在这个客户群中")
    expect(view.sidebar.locator("body")).not_to_contain_text("VIP")
    assert_clean(view)


def test_each_chat_switch_looks_up_once(signed_in):
    view = signed_in
    lookups = []
    view.page.on(
        "request", lambda r: lookups.append(r.url) if "/sidebar/lookup/" in r.url else None
    )
    with view.page.expect_response("**/sidebar/lookup/group/"):
        view.page.select_option("#entry", "group_chat_tools")  # the desktop client reloads
    expect(view.sidebar.locator(".group .name-text")).to_have_text("销售客服群")
    view.page.check("#phone")
    with view.page.expect_response("**/sidebar/lookup/kf/"):
        view.page.select_option("#entry", "single_kf_tools")  # a phone keeps the page
    expect(view.sidebar.locator(".kf .name-text")).to_have_text("咨询的小王")
    view.page.wait_for_timeout(500)  # a second look would have been sent by now
    assert [url.rsplit("/", 2)[-2] for url in lookups] == ["group", "kf"]
    assert_clean(view)


def test_chat_switch_on_a_phone_shows_the_new_customer(signed_in):
    view = signed_in
    view.page.check("#phone")
    loads = []
    view.page.on("response", lambda r: loads.append(r.url) if r.url.endswith("/sidebar/") else None)
    view.page.select_option("#chat", "woZhouJianGuo0002")
    # The page was not reloaded: it noticed the new chat when it came back into view.
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("周建国")
    assert loads == []
    view.page.select_option("#entry", "group_chat_tools")
    expect(view.sidebar.locator(".group .name-text")).to_have_text("销售客服群")
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_count(0)
    assert loads == []
    assert_clean(view)


def test_customer_not_followed_is_refused(signed_in):
    view = signed_in
    view.open_chat("single_chat_tools", "wmOnlyLiSiFollows03")
    expect(view.sidebar.locator(TITLE)).to_have_text("你未添加该客户")
    expect(view.sidebar.locator("body")).not_to_contain_text("赵女士")
    view.screenshot("emulator-not-followed")
    assert_clean(view)


def test_hostile_markup_is_shown_as_text(signed_in):
    view = signed_in
    view.open_chat("single_chat_tools", HOSTILE_ID)
    expect(view.sidebar.locator(".remark")).to_contain_text('<script>document.title="pwned"')
    assert view.page.title() != "pwned"
    frame = next(f for f in view.page.frames if "/sidebar/" in f.url)
    assert frame.title() != "pwned"
    assert frame.locator(".profile script, .profile img[src^=javascript]").count() == 0
    assert_clean(view)


DROP_TICKETS = "企业微信作废已发放的 ticket（页面应自行恢复）"
AGENT_TICKET = "/cgi-bin/ticket/get"
SIGNATURE_REFUSED = "企业微信未能验证本页面所属的应用"


def test_tickets_wecom_dropped_heal_by_themselves_with_one_fetch(signed_in, corp):
    """WeCom stops honouring its tickets (a secret reset, tickets dropped early): the page
    reloads, the client refuses the signature, the page has the server fetch the ticket
    afresh, signs again and shows the customer, without a word to the staff member."""
    view = signed_in
    fetched = corp.count(AGENT_TICKET)
    with view.page.expect_response("**/sidebar/signatures/") as healed:
        view.press(DROP_TICKETS)
    assert healed.value.json()["healed"] is True
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("陈小明")
    assert corp.count(AGENT_TICKET) == fetched + 1  # one ticket fetch, no more
    expect(view.sidebar.locator(TITLE)).to_have_count(0)
    view.sidebar.locator("#refresh").click()  # 刷新, and the next load: still well, no fetch
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("陈小明")
    with view.page.expect_response("**/sidebar/"):  # another chat: a new page load
        view.page.select_option("#chat", "woZhouJianGuo0002")
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("周建国")
    assert corp.count(AGENT_TICKET) == fetched + 1
    assert db(lambda: ClientFailureReport.objects.all()) == []  # nothing to report
    assert_clean(view)


@pytest.mark.parametrize("repair", ["恢复正常", "清除缓存的令牌和 ticket"])
def test_a_signature_that_cannot_heal_is_explained_and_recovers(emulator, corp, settings, repair):
    """Another app's id with this app's secret and tickets: a fresh ticket does not help. The
    page tries once, then tells the staff member who can fix it, in plain words."""
    settings.WECOM_AGENT_ID = "1000099"
    view = emulator()
    fetched = corp.count(AGENT_TICKET)
    view.sign_in_as("张三 zhangsan")
    expect(view.sidebar.locator(TITLE)).to_have_text(SIGNATURE_REFUSED)
    expect(view.sidebar.locator(".problem-detail")).to_have_text(
        "页面已换用新的签名重试，企业微信仍然拒绝。"
    )
    expect(view.sidebar.locator(".problem-action")).to_contain_text("请告知管理员")
    assert "WECOM_" not in view.sidebar.locator(".problem").inner_text()
    expect(view.sidebar.locator(".problem-tech code")).to_have_text("agentConfig:invalid signature")
    assert corp.count(AGENT_TICKET) <= fetched + 2  # the first ticket, and one fresh one
    view.screenshot("emulator-invalid-signature")
    settings.WECOM_AGENT_ID = corp.agent_id
    view.press(repair)
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("陈小明")
    expect(view.page.locator("#status")).to_have_text(f"{repair} ✓")
    assert_clean(view)


def test_the_emulator_works_when_opened_at_localhost(emulator, live_server):
    """The stand-in answers at 127.0.0.1; opened at localhost, the emulator moves there, so
    the framed sign-in comes back to the same site with its session."""
    assert live_server.url.startswith("http://127.0.0.1:")
    view = emulator(url=live_server.url.replace("127.0.0.1", "localhost"))
    expect(view.page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/emulator/$"))
    view.sign_in_as("张三 zhangsan")
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("陈小明")
    view.press("切换成员")
    view.sign_in_as("李四 lisi")
    expect(view.sidebar.locator(".who")).to_have_text("当前成员：李四")
    assert_clean(view)


def test_token_expiry_mid_session(signed_in, corp):
    view = signed_in
    assert corp.count("/cgi-bin/gettoken") == 1
    view.press("让 access_token 过期")
    view.open_chat("single_chat_tools", "woZhouJianGuo0002")
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("周建国")
    assert corp.count("/cgi-bin/gettoken") == 2  # one new token, after one 42001
    assert_clean(view)


@pytest.mark.parametrize(
    ("fault", "title"),
    [
        ("48002", "应用没有读取客户数据的权限"),
        ("60020", "服务器 IP 不在应用的企业可信IP中"),
        ("http500", "无法连接企业微信"),
        ("hang", "企业微信响应超时"),
    ],
)
def test_api_fault_is_explained(signed_in, settings, fault, title):
    settings.WECOM_TIMEOUT = 1.0
    view = signed_in
    view.page.select_option("#fault-kind", fault)
    view.open_chat("single_chat_tools", "woZhouJianGuo0002")
    # The profile is shown, so cached: the fault must still be what the page meets next.
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("周建国")
    view.press("制造错误")
    expect(view.sidebar.locator(TITLE)).to_have_text(title)
    if fault == "60020":
        expect(view.sidebar.locator(".problem-detail")).to_contain_text("203.0.113.7")
        view.screenshot("emulator-api-fault")
    view.press("恢复正常")
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("周建国")
    assert_clean(view)


def test_older_client_runs_config_then_agent_config(signed_in):
    view = signed_in
    with view.page.expect_response("**/sidebar/"):
        view.page.select_option("#version", "3.0.16")
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("陈小明")
    frame = next(f for f in view.page.frames if "/sidebar/" in f.url)
    calls = frame.evaluate("window.__WECOM_BRIDGE_LOG__.map(e => e.name)")
    assert calls.index("preVerifyJSAPI") < calls.index("agentConfig")
    assert_clean(view)


@pytest.mark.parametrize("rewrite", ["query", "scheme"])
def test_a_proxy_that_rewrites_the_url_cannot_break_the_signature(signed_in, settings, rewrite):
    """The classic "invalid signature": the server signs a URL other than the one the client
    sees. Here a proxy rewrites what reaches the server; the SDK asks for a signature of the
    URL the client shows, and the page has the server sign exactly that."""
    view = signed_in
    if rewrite == "scheme":
        settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

    def proxy(route):
        if rewrite == "query":
            route.continue_(url=route.request.url + "?rewritten=by-proxy")
        else:
            route.continue_(headers={**route.request.headers, "x-forwarded-proto": "https"})

    view.context.route(re.compile(r".*/sidebar/$"), proxy)
    with view.page.expect_response("**/sidebar/signatures/") as resigned:
        view.page.reload()
    assert resigned.value.status == 200
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/sidebar/", resigned.value.json()["url"])
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("陈小明")
    assert_clean(view)


@pytest.mark.parametrize(
    ("rewrite", "title", "detail", "action"),
    [
        ("query", SIGNATURE_REFUSED, "页面已换用新的签名重试", "客户端故障报告"),
        ("scheme", "无法为页面当前的地址签名", "只为本站点当前访问地址", "客户端故障报告"),
    ],
)
def test_signature_for_another_url_fails_and_is_explained(
    signed_in, rewrite, title, detail, action
):
    """A proxy that also rewrites the URL the page asks to have signed. Another query: the
    server signs it, the client refuses, the panel says why. Another scheme: the server signs
    only URLs of this site as it is served, so it refuses, and the panel says so."""
    view = signed_in

    def other(url: str) -> str:
        return url + "?rewritten=by-proxy" if rewrite == "query" else url.replace("http:", "https:")

    def proxy(route):
        if route.request.method == "POST":
            body = json.loads(route.request.post_data)
            route.continue_(post_data=json.dumps({"url": other(body["url"])}))
        else:
            route.continue_(url=route.request.url + "?rewritten=by-proxy")

    view.context.route(re.compile(r".*/sidebar/(signatures/)?$"), proxy)
    view.page.reload()
    expect(view.sidebar.locator(TITLE)).to_have_text(title)
    expect(view.sidebar.locator(".problem-action")).to_contain_text(action)
    if rewrite == "query":
        expect(view.sidebar.locator(".problem-detail")).to_contain_text(detail)
        expect(view.sidebar.locator(".problem-tech code")).to_have_text(
            "agentConfig:invalid signature"
        )
    else:
        expect(view.sidebar.locator(".problem-tech code")).to_contain_text(detail)


def test_switching_staff(signed_in):
    view = signed_in
    view.press("切换成员")
    view.sign_in_as("李四 lisi")
    expect(view.sidebar.locator(".who")).to_have_text("当前成员：李四")
    expect(view.sidebar.locator(".remark")).to_have_text("小明")  # lisi's own remark
    assert_clean(view)


def call(view, script: str):
    """Run `script` (an expression giving a promise) in the framed sidebar; settle as data."""
    frame = next(f for f in view.page.frames if "/sidebar/" in f.url)
    return frame.evaluate(
        f"Promise.resolve().then(() => {script})"
        ".then(r => ({ok: r}), e => ({fail: e.errMsg || String(e)}))"
    )


def settled(view):
    expect(view.sidebar.locator("#panel[aria-busy=false]")).to_be_visible()


def test_emulated_client_answers_each_toolbar_api_for_its_entry(signed_in):
    view = signed_in
    view.open_chat("group_chat_tools", "wrSalesGroup00001")
    settled(view)
    assert call(view, "ww.getCurExternalChat()")["ok"]["chatId"] == "wrSalesGroup00001"
    assert call(view, "ww.getCurExternalContact()") == {
        "fail": "getCurExternalContact:fail without context of external contact"
    }
    view.open_chat("chain_single_chat_tools", "wwDownstream00001/wangjingli")
    settled(view)
    answer = call(view, "ww.getCurCorpGroupContact()")["ok"]
    assert (answer["corpId"], answer["userId"]) == ("wwDownstream00001", "wangjingli")
    assert call(view, "ww.getCurCorpGroupChat()") == {
        "fail": "getCurCorpGroupChat:without context of corpgroup contact"
    }
    view.open_chat("chain_group_chat_tools", "wrChainGroup00001")
    settled(view)
    assert call(view, "ww.getCurCorpGroupChat()")["ok"]["chatId"] == "wrChainGroup00001"
    view.open_chat("normal")
    settled(view)
    message = "ww.sendChatMessage({msgtype: 'text', text: {content: '你好'}})"
    assert call(view, message) == {
        "fail": "sendChatMessage:fail without context of external contact"
    }
    assert_clean(view)


def test_send_chat_message_is_recorded(signed_in):
    view = signed_in
    message = "ww.sendChatMessage({msgtype: 'text', text: {content: '您好，这是报价单'}})"
    assert call(view, message)["ok"]["errMsg"] == "sendChatMessage:ok"
    # The transcript shows it as the customer sees it.
    expect(view.page.locator("#transcript > li .bubble-text")).to_have_text("您好，这是报价单")
    assert_clean(view)


def test_toolbar_apis_need_agent_config(emulator, settings):
    settings.WECOM_AGENT_ID = "1000099"  # agentConfig fails, even with a fresh ticket
    view = emulator()
    view.sign_in_as("张三 zhangsan")
    expect(view.sidebar.locator(TITLE)).to_be_visible()
    raw = "new Promise(done => WeixinJSBridge.invoke('getCurExternalContact', {}, done))"
    assert call(view, raw)["ok"] == {"err_msg": "getCurExternalContact:fail no permission"}


@pytest.fixture
def admin_http(live_server, admin_user):
    """An admin signed in to Django admin over HTTP (set up before the browser starts)."""
    session = requests.Session()
    login = live_server.url + "/admin/login/"
    session.get(login, timeout=60)
    session.post(
        login,
        data={
            "username": "admin",
            "password": "password",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "next": "/admin/",
        },
        headers={"Referer": login},
        timeout=60,
    )
    return session


def test_refused_agent_config_is_reported_once_with_a_diagnosis(
    admin_http, emulator, settings, live_server
):
    settings.WECOM_AGENT_ID = "1000099"  # refused even after a fresh ticket
    view = emulator()
    view.sign_in_as("张三 zhangsan")
    expect(view.sidebar.locator(TITLE)).to_have_text(SIGNATURE_REFUSED)
    view.sidebar.locator("#refresh").click()  # the same failure again: not reported twice
    expect(view.sidebar.locator(TITLE)).to_have_text(SIGNATURE_REFUSED)
    url = live_server.url + "/admin/sidebar/clientfailurereport/"
    deadline = time.monotonic() + 60
    while True:
        page = admin_http.get(url, headers={"Accept-Language": "zh-hans"}, timeout=60).text
        if "agentConfig:invalid signature" in page or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert page.count('name="_selected_action"') == 1  # one row
    assert "签名的地址与页面一致，且页面已换用新的 ticket 重试" in page
    assert "zhangsan" in page and "4.1.30" in page


@pytest.mark.parametrize(
    "screen",
    [{"width": 1280, "height": 900}, {"width": 1366, "height": 650}],  # a laptop, less chrome
    ids=["1280x900", "laptop"],
)
def test_the_phone_stays_in_view_while_the_panel_scrolls(emulator, screen):
    view = emulator(viewport=screen)
    view.sign_in_as("张三 zhangsan")
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("陈小明")
    for entry, (chat, selector, text) in list(ENTRIES.items())[:6]:  # the call table grows
        view.open_chat(entry, chat)
        expect(view.sidebar.locator(selector)).to_have_text(text)
    view.press("恢复正常")
    expect(view.sidebar.locator(".chain .chat-id")).to_have_text("wrChainGroup00001")
    # Down to the panel's end (its call table), as a person does to read it.
    view.page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    assert view.page.evaluate("window.scrollY") > 0, "the panel is taller than the screen"
    phone = view.page.locator("#sidebar").bounding_box()
    assert phone["y"] >= 0 and phone["y"] + phone["height"] <= screen["height"], phone
    assert phone["x"] + phone["width"] <= screen["width"], phone
    assert phone["height"] >= 560  # still a phone's height
    view.page.screenshot(path=str(ARTIFACTS / f"emulator-{screen['width']}x{screen['height']}.png"))
    assert_clean(view)
