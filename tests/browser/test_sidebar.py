"""The page in real Chromium, opened as the WeCom client opens it: a WeCom user agent, the
native-bridge stand-in checking both signatures against the tickets the stand-in issued."""

import pytest
from django.core.cache import caches
from playwright.sync_api import expect

from sidebar.signing import sign
from tests.browser.conftest import PLAIN_BROWSER, WECOM_OLD
from tests.contacts import HOSTILE_ID

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SINGLE_CHAT = {"entry": "single_chat_tools", "userId": "wmChenXiaoMing0001"}


def results(view, name):
    return [e["result"]["err_msg"] for e in view.bridge_log() if e["name"] == name]


def test_staff_member_signs_in_and_sees_the_customer(webview, corp):
    view = webview(chat=SINGLE_CHAT)
    profile = view.page.locator(".profile")
    expect(profile.locator(".name-text")).to_have_text("陈小明")
    expect(profile.locator(".remark")).to_have_text("陈先生（老客户）")
    expect(profile.locator(".tag")).to_have_text(["重要客户", "续费意向", "展会", "爱喝茶"])
    expect(view.page.locator(".who")).to_have_text("当前成员：张三")
    # A current client runs agentConfig only; the bridge checked it against the app ticket.
    assert results(view, "agentConfig") == ["agentConfig:ok"]
    assert results(view, "getCurExternalContact") == ["getCurExternalContact:ok"]
    assert corp.count("/cgi-bin/auth/getuserinfo") == 1
    assert view.errors == [] and view.csp_violations() == []
    view.screenshot("single-chat-profile")


def test_old_client_checks_config_then_agent_config(webview, corp):
    view = webview(chat=SINGLE_CHAT, user_agent=WECOM_OLD)
    expect(view.page.locator(".profile .name-text")).to_have_text("陈小明")
    assert results(view, "preVerifyJSAPI") == ["config:ok"]
    assert results(view, "agentConfig") == ["agentConfig:ok"]
    order = [e["name"] for e in view.bridge_log()]
    assert order.index("preVerifyJSAPI") < order.index("agentConfig")
    assert view.errors == [] and view.csp_violations() == []


def test_customer_not_followed_is_refused(webview):
    view = webview(chat={"entry": "single_chat_tools", "userId": "wmOnlyLiSiFollows03"})
    expect(view.page.locator(".problem-title")).to_have_text("你未添加该客户")
    expect(view.page.locator("body")).not_to_contain_text("赵")
    assert view.errors == [] and view.csp_violations() == []


def test_hostile_markup_stays_text(webview):
    view = webview(chat={"entry": "single_chat_tools", "userId": HOSTILE_ID})
    expect(view.page.locator(".profile .remark")).to_contain_text("<script>")
    assert view.page.title() != "pwned"
    assert view.page.locator(".profile script, .profile img[src^='javascript']").count() == 0
    assert view.errors == [] and view.csp_violations() == []


def test_other_entry_gets_the_home_panel(webview):
    view = webview(chat={"entry": "chat_attachment"})
    expect(view.page.locator(".home-title")).to_have_text("你好，张三")
    assert view.errors == [] and view.csp_violations() == []


def test_an_agent_ticket_wecom_does_not_honour_heals_by_itself(webview, corp, settings):
    """The server holds an agent ticket WeCom does not honour (dropped early, a secret
    reset): agentConfig is refused once, the page has the server fetch a fresh ticket,
    registers again and shows the customer, without a word to the staff member."""
    caches["wecom"].set(f"wecom:{corp.corp_id}:{corp.agent_id}:agent_ticket", "not-a-ticket")
    view = webview(chat=SINGLE_CHAT)
    expect(view.page.locator(".profile .name-text")).to_have_text("陈小明")
    assert results(view, "agentConfig") == ["agentConfig:invalid signature", "agentConfig:ok"]
    assert corp.count("/cgi-bin/ticket/get") == 1  # the fresh one
    assert view.errors == [] and view.csp_violations() == []


def test_outside_wecom_says_where_to_open_it(webview):
    view = webview(chat=SINGLE_CHAT, user_agent=PLAIN_BROWSER)
    expect(view.page.locator(".problem-title")).to_have_text("请在企业微信中打开本页面")
    assert view.errors == [] and view.csp_violations() == []


def test_url_change_is_re_signed_by_the_server(webview, corp):
    view = webview(chat=SINGLE_CHAT)
    expect(view.page.locator(".profile .name-text")).to_have_text("陈小明")
    # An in-page route change: the SDK must ask for a signature of the new URL, which the
    # page gets from the server (the inlined one was for the old URL).
    view.page.evaluate("history.pushState({}, '', '/sidebar/?route=customer')")
    with view.page.expect_response("**/sidebar/signatures/") as signed:
        view.page.locator("#refresh").click()
    assert signed.value.status == 200
    assert signed.value.json()["url"].endswith("/sidebar/?route=customer")
    expect(view.page.locator(".profile .name-text")).to_have_text("陈小明")
    assert results(view, "agentConfig") == ["agentConfig:ok", "agentConfig:ok"]
    assert view.errors == [] and view.csp_violations() == []


def test_entry_without_a_customer_is_explained(webview):
    view = webview(chat={"entry": "contact_profile"})
    expect(view.page.locator(".problem-title")).to_have_text("当前聊天中没有客户")
    expect(view.page.locator(".problem-tech code")).to_contain_text("without context")
    assert view.errors == []


def test_an_old_client_heals_its_corp_signature_too(webview, corp):
    """Clients before 3.0.24 run config (the corp ticket) first: a corp ticket WeCom does
    not honour heals the same way."""
    caches["wecom"].set(f"wecom:{corp.corp_id}:{corp.agent_id}:corp_ticket", "not-a-ticket")
    view = webview(chat=SINGLE_CHAT, user_agent=WECOM_OLD)
    expect(view.page.locator(".profile .name-text")).to_have_text("陈小明")
    assert results(view, "preVerifyJSAPI") == ["config:invalid signature", "config:ok"]
    assert results(view, "agentConfig") == ["agentConfig:ok"]
    assert view.errors == [] and view.csp_violations() == []


@pytest.mark.parametrize(
    "other_url",
    [
        "{base}/sidebar/?another=query",  # another query
        "{base_https}/sidebar/",  # another scheme
        "{base}/sidebar",  # another path
    ],
)
def test_the_client_rejects_a_signature_made_for_another_url(webview, corp, live_server, other_url):
    view = webview(chat=SINGLE_CHAT)
    expect(view.page.locator(".profile .name-text")).to_have_text("陈小明")
    # A signature made with the real agent ticket, for a URL other than the page's.
    ticket = caches["wecom"].get(f"wecom:{corp.corp_id}:{corp.agent_id}:agent_ticket")
    url = other_url.format(
        base=live_server.url, base_https=live_server.url.replace("http://", "https://")
    )
    signed = sign(url, ticket=ticket)
    params = {
        "corpid": corp.corp_id,
        "agentid": corp.agent_id,
        "timestamp": str(signed.timestamp),
        "nonceStr": signed.nonceStr,
        "signature": signed.signature,
    }
    answer = view.page.evaluate(
        "params => new Promise(done => WeixinJSBridge.invoke('agentConfig', params, done))",
        params,
    )
    assert answer == {"err_msg": "agentConfig:invalid signature"}
    # The same signature for the page's own URL is accepted.
    own = sign(view.page.url.split("#")[0], ticket=ticket)
    params.update(timestamp=str(own.timestamp), nonceStr=own.nonceStr, signature=own.signature)
    answer = view.page.evaluate(
        "params => new Promise(done => WeixinJSBridge.invoke('agentConfig', params, done))",
        params,
    )
    assert answer == {"err_msg": "agentConfig:ok"}
