"""The Juzi page over HTTP, against the Juzi and WeCom stand-ins: sign-in through Juzi's OAuth,
who is accepted, Juzi's errcodes in words, replayed codes, the headers that let Juzi frame the
page (and the WeCom page's, unchanged), and the operator on every audit and send row."""

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client

from sidebar.models import Lookup
from sidebar.replies import file_urls
from sidebar.replies.models import Send
from tests.conftest import walk_sign_in
from tests.hosts.conftest import LISI, WU, ZHANGSAN, ZHAOLIU_OTHER_CORP, ZHOU
from tests.pages import boot_of
from tests.replies import factories

pytestmark = pytest.mark.django_db

PAGE = "/sidebar/juzi/"
USER_INFO = "/api/v1/oauth/getUserInfo"


def authorize(client, juzi, location: str, *, account=ZHANGSAN, operator=ZHOU):
    """What the browser does at Juzi: choose the account and operator, come back with a code."""
    assert location.startswith(juzi.url + "/oauth/connect/authorize?"), location
    answer = requests.get(
        f"{location}&standin_account={account}&standin_operator={operator}",
        allow_redirects=False,
        timeout=60,
    )
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/sidebar/juzi/oauth/callback/"
    return f"{back.path}?{back.query}"


def sign_in(client, juzi, **choice):
    """The Juzi page → Juzi → our callback; the callback's response and its URL."""
    response = client.get(PAGE)
    assert response.status_code == 302
    callback = authorize(client, juzi, response["Location"], **choice)
    return client.get(callback), callback


@pytest.fixture
def juzi_client(client, juzi):
    response, _callback = sign_in(client, juzi)
    assert response.status_code == 302 and response["Location"] == PAGE
    return client


def test_sign_in_names_the_hosted_account_and_its_operator(client, juzi, corp):
    response = client.get(PAGE)
    location = urlsplit(response["Location"])
    query = parse_qs(location.query)
    assert query["redirect_uri"] == ["http://testserver/sidebar/juzi/oauth/callback/"]
    assert query["state"][0].isalnum()
    response, _ = sign_in(client, juzi)
    assert response["Location"] == PAGE
    page = client.get(PAGE)
    assert page.status_code == 200
    body = page.content.decode()
    assert "张三，由运营小周操作" in body  # the account by its WeCom name
    boot = boot_of(body)
    assert boot["host"] == "juzi" and boot["botId"] == ZHANGSAN
    assert boot["sendEntries"] == ["single_chat_tools", "group_chat_tools"]
    assert "config" not in boot and "jsApiList" not in boot  # no WeCom signature in Juzi
    assert f'<script src="{juzi.helper_url}"></script>' in body
    assert "host-juzi.js" in body and "wecom.global" not in body


def test_a_name_wecom_could_not_give_at_sign_in_is_learnt_by_the_page(client, juzi, corp):
    corp.inject("/cgi-bin/user/get", http_status=502)
    response, _ = sign_in(client, juzi)
    assert response["Location"] == PAGE
    assert corp.count("/cgi-bin/user/get") == 1
    assert "张三，由运营小周操作" in client.get(PAGE).content.decode()
    assert corp.count("/cgi-bin/user/get") == 2


def test_an_account_of_another_corp_is_refused_with_a_clear_page(client, juzi):
    response, _ = sign_in(client, juzi, account=ZHAOLIU_OTHER_CORP)
    assert response.status_code == 403
    assert "这个托管账号属于另一家企业" in response.content.decode()
    assert client.get(PAGE).status_code == 302  # not signed in


@pytest.mark.parametrize(
    "errcode, words",
    [
        (-1, "句子互动不接受这个登录码"),
        (-2, "句子互动的登录码已过期"),
        (-4, "句子互动找不到这个登录码"),
    ],
)
def test_an_unusable_code_signs_in_again_once_then_says_which(client, juzi, errcode, words):
    juzi.host.inject(errcode=errcode, times=2)
    response, _ = sign_in(client, juzi)
    # The first refusal starts sign-in again, at Juzi, for a fresh code...
    assert response.status_code == 302
    callback = authorize(client, juzi, response["Location"])
    # ...and when that one is refused too, the page says what Juzi said, and stops.
    answer = client.get(callback)
    assert answer.status_code == 502
    body = answer.content.decode()
    assert words in body and f"错误码 {errcode}" in body  # under 技术细节
    assert 'href="/sidebar/juzi/signin/"' in body
    assert juzi.host.count(USER_INFO) == 2


def test_juzi_own_error_is_explained_without_a_retry_loop(client, juzi):
    juzi.host.inject(errcode=-5, times=1)
    response, _ = sign_in(client, juzi)
    assert response.status_code == 502
    assert "句子互动出现了未知错误" in response.content.decode()
    assert juzi.host.count(USER_INFO) == 1


def test_a_replayed_callback_does_not_loop(client, juzi):
    response, callback = sign_in(client, juzi)
    assert response["Location"] == PAGE
    # Back or refresh onto the used callback: already signed in, back to the page; Juzi is
    # not asked again.
    again = client.get(callback)
    assert again.status_code == 302 and again["Location"] == PAGE
    assert juzi.host.count(USER_INFO) == 1
    # The same URL in a browser without the session: an expired link, with a way on.
    client.cookies.clear()
    stranger = client.get(callback)
    assert stranger.status_code == 400
    assert 'href="/sidebar/juzi/signin/"' in stranger.content.decode()
    assert juzi.host.count(USER_INFO) == 1


def test_a_code_juzi_no_longer_knows_restarts_sign_in_at_most_once(client, juzi):
    response = client.get(PAGE)
    callback = authorize(client, juzi, response["Location"])
    code = parse_qs(urlsplit(callback).query)["code"][0]
    juzi.host.user_info(code)  # someone used it first: Juzi now answers -1
    first = client.get(callback)
    assert first.status_code == 302
    second_callback = authorize(client, juzi, first["Location"])
    juzi.host.user_info(parse_qs(urlsplit(second_callback).query)["code"][0])
    second = client.get(second_callback)
    assert second.status_code == 502  # explained, not a third trip to Juzi


def test_not_configured_says_which_settings(client, juzi, settings):
    settings.JUZI_OAUTH_BASE_URL = ""
    response = client.get(PAGE)
    assert response.status_code == 503
    assert "JUZI_OAUTH_BASE_URL" in response.content.decode()


def test_a_wecom_sign_in_is_not_a_juzi_one(client, standin, juzi, corp):
    walk_sign_in(client, corp)
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(juzi.url)


# Headers ----------------------------------------------------------------------------------


def csp(response) -> dict:
    parts = (p.strip().split(" ", 1) for p in response["Content-Security-Policy"].split(";"))
    return {name: value for name, value in parts}


def test_juzi_may_frame_the_juzi_page_with_third_party_cookies(client, juzi):
    first = client.get(PAGE)
    assert "X-Frame-Options" not in first
    assert csp(first)["frame-ancestors"] == f"'self' {juzi.url}"
    session = first.cookies["sessionid"]
    assert session["samesite"] == "None" and session["secure"]
    assert session.output().endswith("; Partitioned")
    response, _ = sign_in(client, juzi)
    assert response.cookies["sessionid"]["samesite"] == "None"
    page = client.get(PAGE)
    policy = csp(page)
    assert policy["script-src"] == f"'self' {juzi.url}"
    assert page.cookies["csrftoken"]["samesite"] == "None"
    assert page.cookies["csrftoken"]["secure"]


def test_the_wecom_page_keeps_its_stricter_headers(client, standin, juzi, corp):
    walk_sign_in(client, corp)
    page = client.get("/sidebar/")
    assert page.status_code == 200
    assert page["X-Frame-Options"] == "DENY"
    assert csp(page)["frame-ancestors"] == "'self'"
    assert csp(page)["script-src"] == "'self'"
    first = client.get("/sidebar/")
    assert first.status_code == 200
    assert page.cookies["csrftoken"]["samesite"] == "Lax"
    fresh = type(client)()
    start = fresh.get("/sidebar/")
    assert start.cookies["sessionid"]["samesite"] == "Lax"


# The operator on the audit log --------------------------------------------------------------


def test_lookups_name_the_operator_and_authorize_the_hosted_account(juzi_client):
    shown = juzi_client.post(
        "/sidebar/lookup/contact/",
        {"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"},
    )
    assert shown["X-Sidebar-Outcome"] == "ok"
    refused = juzi_client.post(
        "/sidebar/lookup/contact/",
        {"entry": "single_chat_tools", "external_userid": "wmOnlyLiSiFollows03"},
    )
    assert refused["X-Sidebar-Outcome"] == "denied"
    rows = list(
        Lookup.objects.order_by("id").values_list(
            "staff_userid", "host", "operator_uid", "operator_name", "outcome"
        )
    )
    assert rows == [
        ("zhangsan", "juzi", ZHOU, "运营小周", "ok"),
        ("zhangsan", "juzi", ZHOU, "运营小周", "denied"),
    ]


def test_a_group_shows_whom_the_hosted_account_may_open_a_chat_with(client, juzi):
    signed_in, _ = sign_in(client, juzi, account=LISI, operator=WU)
    assert signed_in.status_code == 302
    body = client.post(
        "/sidebar/lookup/group/", {"entry": "group_chat_tools", "chat_id": "wrSalesGroup00001"}
    ).content.decode()
    assert 'data-open-external="wmChenXiaoMing0001"' in body  # lisi added 陈小明
    assert 'data-open-external="woZhouJianGuo0002"' not in body  # but not 周建国
    assert 'data-open-user="zhangsan"' in body
    assert 'data-open-user="lisi"' not in body  # not a chat with oneself


def send(client, reply, chat):
    return client.post(f"/sidebar/replies/{reply.pk}/send/", chat)


def report(client, answer, err_msg):
    body = json.dumps({"err_msg": err_msg, "duration_ms": 80})
    return client.post(answer["result"], body, content_type="application/json")


def test_replies_in_juzi_go_by_signed_url_and_name_the_operator(juzi_client, corp, monkeypatch):
    library = factories.every_kind()
    offered = juzi_client.get("/sidebar/replies/", {"entry": "single_chat_tools"}).content.decode()
    kinds = {kind for kind in factories.KINDS if f'data-kind="{kind}"' in offered}
    assert kinds == {"text", "image", "video", "file", "news", "miniprogram"}
    chat = {"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"}
    answer = send(juzi_client, library["image"], chat).json()
    image = answer["message"]["image"]
    assert set(image) == {"url", "title"} and image["title"] == "产品.png"
    assert corp.count("/cgi-bin/media/upload") == 0  # no WeCom media in Juzi
    # The host fetches it with nothing but the URL: no cookie, no session.
    path = urlsplit(image["url"]).path
    fetched = Client().get(path)
    assert fetched.status_code == 200
    assert b"".join(fetched.streaming_content) == library["image"].upload.open("rb").read()
    assert report(juzi_client, answer, "sendChatMessage:ok").json()["outcome"] == "sent"
    row = Send.objects.get()
    assert (row.host, row.operator_uid, row.operator_name, row.media_id) == (
        "juzi",
        ZHOU,
        "运营小周",
        "",
    )
    # Past its lifetime the same URL is dead; a forged or altered one never worked.
    later = file_urls._now() + file_urls.lifetime() + 1
    monkeypatch.setattr(file_urls, "_now", lambda: later)
    assert Client().get(path).status_code == 404
    monkeypatch.undo()
    assert Client().get(path).status_code == 200
    assert Client().get(path.replace("/shared/", "/shared/x")).status_code == 404


def test_refusals_in_juzi_are_what_juzi_cannot_send(juzi_client):
    menu = factories.reply("msgmenu", title="菜单")
    chat = {"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"}
    response = send(juzi_client, menu, chat)
    assert response.status_code == 403
    kf = {"entry": "single_kf_tools", "external_userid": "wmKfCustomer00001"}
    assert send(juzi_client, factories.reply("text", text="你好"), kf).status_code == 403


def test_a_group_shows_without_customer_chats_when_wecom_will_not_list_them(juzi_client, corp):
    corp.inject("/cgi-bin/externalcontact/list", errcode=48002, errmsg="api forbidden")
    response = juzi_client.post(
        "/sidebar/lookup/group/", {"entry": "group_chat_tools", "chat_id": "wrSalesGroup00001"}
    )
    body = response.content.decode()
    assert response["X-Sidebar-Outcome"] == "ok"
    assert "销售客服群" in body
    assert "data-open-external" not in body
    assert 'data-open-user="lisi"' in body  # colleagues need no customer list
    row = Lookup.objects.get()
    assert (row.outcome, row.errcode) == ("ok", 48002)


def test_record_edits_in_juzi_are_the_hosted_accounts_and_name_the_operator(
    juzi_client, corp, admin_client
):
    """Editing works as in WeCom, for the hosted account's userid; the operator is recorded."""
    from sidebar.records.models import Edit, Note

    base = "/sidebar/record/contact/wmChenXiaoMing0001/"
    assert juzi_client.post(base + "notes/", {"text": "句子里写的"}).status_code == 200
    assert juzi_client.post(base + "remark/", {"remark": "句子备注"}).status_code == 200
    (call,) = corp.calls_to("/cgi-bin/externalcontact/remark")
    assert call.body["userid"] == "zhangsan" and call.body["remark"] == "句子备注"
    for row in [*Edit.objects.all(), Note.objects.get()]:
        assert (row.host, row.operator_uid) == ("juzi", ZHOU)
        assert row.operator_name
    assert "句子备注" in admin_client.get("/admin/records/edit/").content.decode()
