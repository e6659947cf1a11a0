"""Replies of one's own (我的话术) and stars (收藏), over HTTP against the WeCom stand-in:
written, changed, deleted and sent by their writer only, promoted by an admin; starred shared
replies first; the previews' names filled as the send fills them."""

import json
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from sidebar.replies.models import Reply, Send
from tests.conftest import walk_sign_in
from tests.replies import factories
from tests.replies.conftest import ANDROID

pytestmark = pytest.mark.django_db(transaction=True)

SINGLE = {"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"}
GROUP = {"entry": "group_chat_tools", "chat_id": "wrSalesGroup00001"}


@pytest.fixture
def lisi(standin, corp):
    other = Client(HTTP_USER_AGENT=ANDROID)
    walk_sign_in(other, corp, as_user="lisi")
    return other


def write(client, title="报价跟进", text="{客户称呼}，报价单已发你，我是{成员姓名}。", reply=None):
    url = f"/sidebar/replies/own/{reply.pk}/" if reply else "/sidebar/replies/own/"
    return client.post(url, {"title": title, "text": text})


def mine(client, chat=SINGLE) -> str:
    response = client.get("/sidebar/replies/mine/", chat, HTTP_USER_AGENT=ANDROID)
    assert response.status_code == 200
    return response.content.decode()


def titles(html: str) -> list[str]:
    return re.findall(r'class="reply-title">([^<]*)<', html)


def fills(html: str) -> dict:
    found = re.search(r'<script id="reply-fills" type="application/json">(.*?)</script>', html)
    return json.loads(found.group(1))


def send(client, reply, chat=SINGLE):
    return client.post(f"/sidebar/replies/{reply.pk}/send/", chat, HTTP_USER_AGENT=ANDROID)


def test_staff_write_change_send_and_delete_a_reply_of_their_own(staff_client):
    assert write(staff_client).json() == {"saved": True}
    reply = Reply.objects.get(owner_userid="zhangsan")
    assert (reply.kind, reply.category) == ("text", None)
    assert titles(mine(staff_client)) == ["报价跟进"]

    assert write(staff_client, title="报价跟进（新）", reply=reply).json() == {"saved": True}
    reply.refresh_from_db()
    assert reply.title == "报价跟进（新）"

    staff_client.post("/sidebar/lookup/contact/", SINGLE)
    answer = send(staff_client, reply).json()
    assert answer["message"]["text"]["content"] == "陈先生（老客户），报价单已发你，我是张三。"
    assert Send.objects.get().reply_title == "报价跟进（新）"

    assert staff_client.post(f"/sidebar/replies/own/{reply.pk}/delete/").json() == {"deleted": True}
    assert not Reply.objects.filter(pk=reply.pk).exists()
    assert Send.objects.get().reply_title == "报价跟进（新）"  # the log keeps what was sent


def test_a_reply_of_ones_own_is_nobody_elses(staff_client, lisi):
    write(staff_client)
    reply = Reply.objects.get(owner_userid="zhangsan")
    assert titles(mine(lisi)) == []
    shared = lisi.get("/sidebar/replies/", {"entry": "single_chat_tools"})
    assert "报价跟进" not in shared.content.decode()
    refused = send(lisi, reply).json()["refused"]
    assert refused["title"] == "这条话术已不在话术库中"
    assert write(lisi, title="改掉", reply=reply).status_code == 404
    assert lisi.post(f"/sidebar/replies/own/{reply.pk}/delete/").status_code == 404
    assert lisi.post(f"/sidebar/replies/{reply.pk}/star/", {"on": "1"}).status_code == 404
    reply.refresh_from_db()
    assert reply.title == "报价跟进"


def test_what_the_library_would_refuse_is_refused_in_words(staff_client):
    unknown = write(staff_client, text="你好，{客户名字}")
    assert unknown.status_code == 400
    assert "{客户名字}" in unknown.json()["error"]
    assert write(staff_client, title="").json()["error"] == "请给话术起个标题。"
    assert Reply.objects.count() == 0


def test_a_reply_naming_the_customer_waits_for_a_chat_with_one(staff_client):
    write(staff_client)
    html = mine(staff_client, GROUP)
    assert "报价跟进" in html
    item = html[html.index('data-reply="') :]
    assert "reply-reason" in item and 'class="send"' not in item.split("</li>")[0]


def test_starred_replies_come_first_and_are_ones_own(staff_client, lisi):
    library = factories.every_kind()
    news, image = library["news"], library["image"]
    for reply in (image, news):  # the latest star first
        assert staff_client.post(f"/sidebar/replies/{reply.pk}/star/", {"on": "1"}).json() == {
            "starred": True
        }
    html = mine(staff_client)
    starred = html[html.index('data-category="starred"') :]
    assert titles(starred) == [news.title, image.title]
    assert titles(mine(lisi)) == []
    staff_client.post(f"/sidebar/replies/{news.pk}/star/", {"on": "0"})
    assert titles(mine(staff_client)[html.index("<section") :]) == [image.title]


def test_the_previews_names_are_filled_as_the_send_fills_them_once_shown(staff_client):
    factories.every_kind()
    assert fills(mine(staff_client)) == {"成员姓名": "张三"}
    staff_client.post("/sidebar/lookup/contact/", SINGLE)  # the panel shows the customer
    assert fills(mine(staff_client)) == {"成员姓名": "张三", "客户称呼": "陈先生（老客户）"}


def test_an_admin_promotes_a_reply_into_the_shared_library(staff_client, lisi, client):
    write(staff_client)
    reply = Reply.objects.get(owner_userid="zhangsan")
    category = factories.category("跟进")
    User.objects.create_superuser("boss", password="pw-for-tests")
    admin = Client()
    admin.login(username="boss", password="pw-for-tests")
    listed = admin.get("/admin/replies/ownreply/")
    assert "报价跟进" in listed.content.decode() and "张三" in listed.content.decode()
    action = {"action": "promote", "_selected_action": [reply.pk]}
    form = admin.post("/admin/replies/ownreply/", action)
    assert "报价跟进" in form.content.decode() and form.status_code == 200
    done = admin.post("/admin/replies/ownreply/", {**action, "category": category.pk}, follow=True)
    assert "共享话术库" in done.content.decode()
    reply.refresh_from_db()
    assert (reply.owner_userid, reply.category) == ("", category)
    shared = lisi.get("/sidebar/replies/", {"entry": "single_chat_tools"}, HTTP_USER_AGENT=ANDROID)
    assert "报价跟进" in shared.content.decode()
    assert admin.get("/admin/replies/ownreply/").content.decode().count("报价跟进") == 0


def test_replies_that_cannot_be_sent_here_are_listed_apart_with_why(staff_client):
    factories.every_kind()
    group = staff_client.get(
        "/sidebar/replies/", {"entry": "group_chat_tools"}, HTTP_USER_AGENT=ANDROID
    ).content.decode()
    apart = group[group.index('class="library-unavailable"') :]
    assert "另有 3 条在此会话中不可用" in apart
    # the greeting names the customer; a group chat has none. Menus and products: 客服 only.
    assert "问候" in apart and "只有与单个客户的聊天才有" in apart
    assert "只能在微信客服会话中发送" in apart
    assert 'data-kind="msgmenu"' not in group  # listed, never offered to send
