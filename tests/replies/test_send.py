"""Sending over HTTP, against the WeCom stand-in: the library a client is offered, the
sendChatMessage object the server answers, placeholders, refusals, and the recorded result."""

import json

import pytest

from sidebar.models import Lookup
from sidebar.replies.models import Send
from tests.replies import factories
from tests.replies.conftest import ANDROID, ANDROID_3_0, MAC

# Transactional: uploads run on the process's upload threads, which read the reply from the
# database on their own connections.
pytestmark = pytest.mark.django_db(transaction=True)

SINGLE = {"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"}
GROUP = {"entry": "group_chat_tools", "chat_id": "wrSalesGroup00001"}
KF = {"entry": "single_kf_tools", "external_userid": "wmKfCustomer00001"}
CHAIN = {
    "entry": "chain_single_chat_tools",
    "corp_id": "wwDownstream00001",
    "user_id": "wangjingli",
}
CHAIN_GROUP = {"entry": "chain_group_chat_tools", "chat_id": "wrChainGroup00001"}
ATTACHMENT = {"entry": "chat_attachment"}
UPLOAD = "/cgi-bin/media/upload"


@pytest.fixture
def library():
    return factories.every_kind()


def offered(client, entry, user_agent=ANDROID) -> set[str]:
    response = client.get("/sidebar/replies/", {"entry": entry}, HTTP_USER_AGENT=user_agent)
    assert response.status_code == 200
    body = response.content.decode()
    return {kind for kind in factories.KINDS if f'data-kind="{kind}"' in body}


def send(client, reply, chat, user_agent=ANDROID, **extra):
    return client.post(
        f"/sidebar/replies/{reply.pk}/send/", {**chat, **extra}, HTTP_USER_AGENT=user_agent
    )


def report(client, answer, err_msg, duration_ms=120):
    return client.post(
        answer["result"],
        json.dumps({"err_msg": err_msg, "duration_ms": duration_ms}),
        content_type="application/json",
    )


COMMON = {"image", "video", "file", "news", "miniprogram"}


@pytest.mark.parametrize(
    ("entry", "user_agent", "kinds"),
    [
        ("single_chat_tools", ANDROID, COMMON | {"text"}),
        ("single_kf_tools", ANDROID, COMMON | {"text", "msgmenu", "channels_shop_product"}),
        # The text reply names the customer ({客户称呼}): no single customer in these chats.
        ("group_chat_tools", ANDROID, COMMON),
        ("chain_single_chat_tools", ANDROID, COMMON),
        ("chain_group_chat_tools", ANDROID, COMMON),
        ("chat_attachment", ANDROID, COMMON),
        # Mini-programs need 3.1.0; the attachment bar sends nothing on Mac.
        ("single_chat_tools", ANDROID_3_0, COMMON - {"miniprogram"} | {"text"}),
        ("single_kf_tools", MAC, COMMON | {"text", "channels_shop_product"}),
        ("chat_attachment", MAC, set()),
    ],
)
def test_each_entry_offers_what_it_may_send(staff_client, library, entry, user_agent, kinds):
    assert offered(staff_client, entry, user_agent) == kinds


def test_a_text_reply_is_filled_for_this_chat_and_recorded(staff_client, library, corp):
    response = send(staff_client, library["text"], SINGLE)
    assert response.status_code == 200
    answer = response.json()
    assert answer["message"] == {
        "msgtype": "text",
        "text": {"content": "陈先生（老客户）您好，我是张三。"},  # zhangsan's remark, his name
    }
    row = Send.objects.get()
    assert (row.staff_userid, row.staff_name, row.entry, row.target_id, row.outcome) == (
        "zhangsan",
        "张三",  # from the session, for the send log
        "single_chat_tools",
        "wmChenXiaoMing0001",
        Send.Outcome.PREPARED,
    )
    assert report(staff_client, answer, "sendChatMessage:ok").json()["outcome"] == "sent"
    row.refresh_from_db()
    assert (row.outcome, row.duration_ms, row.err_msg) == ("sent", 120, "sendChatMessage:ok")


def test_the_send_log_names_the_customer_as_the_panel_showed_it(staff_client, library):
    assert send(staff_client, library["image"], SINGLE).status_code == 200
    assert Send.objects.get().target_name == ""  # never looked up by this staff member
    looked_up = staff_client.post("/sidebar/lookup/contact/", SINGLE)
    assert looked_up.status_code == 200
    shown = Lookup.objects.get(target_id=SINGLE["external_userid"]).target_name
    assert shown
    assert send(staff_client, library["image"], SINGLE).status_code == 200
    assert Send.objects.order_by("-id").first().target_name == shown


def test_a_customer_name_the_staff_member_may_not_see_is_refused(client, standin, corp, library):
    from tests.conftest import walk_sign_in

    walk_sign_in(client, corp, as_user="wangwu")  # does not follow 陈小明
    response = send(client, library["text"], SINGLE)
    assert response.status_code == 200 and "message" not in response.json()
    assert response.json()["refused"]["title"] == "你未添加该客户"
    assert Send.objects.get().outcome == Send.Outcome.REFUSED


def test_a_picture_is_sent_by_a_media_id_the_stand_in_issued(staff_client, library, corp):
    answer = send(staff_client, library["image"], GROUP).json()
    media_id = answer["message"]["image"]["mediaid"]
    assert answer["message"] == {"msgtype": "image", "image": {"mediaid": media_id}}
    assert corp.check_media(media_id, "image") == "ok"
    upload = corp.calls_to(UPLOAD)[0]
    assert upload.query["type"] == "image"
    assert upload.body["files"]["media"][0] == "产品.png"
    file_answer = send(staff_client, library["file"], CHAIN).json()
    assert corp.media[file_answer["message"]["file"]["mediaid"]]["filename"] == "2026价格表.pdf"


def test_the_other_kinds_become_what_the_client_expects(staff_client, library):
    news = send(staff_client, library["news"], ATTACHMENT).json()["message"]
    assert news == {
        "msgtype": "news",
        "news": {
            "link": "https://example.com/a",
            "title": "新品发布",
            "desc": "今年的新品",
            "imgUrl": "https://example.com/cover.png",
        },
    }
    mini = send(staff_client, library["miniprogram"], CHAIN_GROUP).json()["message"]
    assert mini["miniprogram"]["page"] == "/index/page.html"
    menu = send(staff_client, library["msgmenu"], KF, enter_chat="on").json()["message"]
    assert menu == {
        "msgtype": "msgmenu",
        "msgmenu": {
            "head_content": "您对本次服务满意吗？",
            "list": [
                {"type": "click", "click": {"id": "101", "content": "满意"}},
                {"type": "view", "view": {"url": "https://example.com", "content": "自助查询"}},
            ],
            "tail_content": "",
        },
        "enterChat": True,
    }
    product = send(staff_client, library["channels_shop_product"], KF).json()["message"]
    assert product["channelsShopProduct"]["sellingPrice"] == "1990"


def test_enter_chat_only_on_phones(staff_client, library):
    on_mac = send(staff_client, library["news"], SINGLE, user_agent=MAC, enter_chat="on")
    assert "enterChat" not in on_mac.json()["message"]


@pytest.mark.parametrize(
    ("kind", "chat", "user_agent"),
    [
        ("msgmenu", SINGLE, ANDROID),
        ("channels_shop_product", GROUP, ANDROID),
        ("miniprogram", SINGLE, ANDROID_3_0),
        ("image", ATTACHMENT, MAC),
    ],
)
def test_forcing_a_reply_the_entry_does_not_allow_sends_nothing(
    staff_client, library, corp, kind, chat, user_agent
):
    response = send(staff_client, library[kind], chat, user_agent=user_agent)
    assert response.status_code == 403
    assert "message" not in response.json()
    assert response.json()["refused"]["title"] == "这条话术不能在这里发送"
    assert corp.count(UPLOAD) == 0
    assert Send.objects.get().outcome == Send.Outcome.REFUSED


def test_a_cancelled_send_is_recorded_as_cancelled(staff_client, library):
    answer = send(staff_client, library["news"], SINGLE).json()
    said = report(staff_client, answer, "sendChatMessage:cancel").json()
    assert said == {
        "outcome": "cancelled",
        "retry": False,
        "said": {"title": "未发送：你取消了发送", "detail": "", "action": "", "technical": ""},
    }
    assert Send.objects.get().outcome == Send.Outcome.CANCELLED


def test_only_the_sender_reports_a_result_and_only_once(staff_client, client, library, corp):
    answer = send(staff_client, library["news"], SINGLE).json()
    assert report(staff_client, answer, "sendChatMessage:ok").status_code == 200
    assert report(staff_client, answer, "sendChatMessage:fail").status_code == 404
    assert Send.objects.get().outcome == Send.Outcome.SENT


@pytest.mark.parametrize(
    "body",
    [
        {"entry": "contact_profile", "external_userid": "wmChenXiaoMing0001"},
        {"entry": "single_chat_tools"},
        {"entry": "single_chat_tools", "external_userid": "wm<script>"},
    ],
)
def test_bad_send_requests_are_refused_plainly(staff_client, library, body):
    response = send(staff_client, library["news"], body)
    assert response.status_code == 400
    assert response.json() == {"error": "无法理解这个请求。"}
    assert not Send.objects.exists()


def test_signed_out_requests_get_401(client, standin, library):
    assert send(client, library["news"], SINGLE).status_code == 401
    assert client.get("/sidebar/replies/", {"entry": "single_chat_tools"}).status_code == 401
