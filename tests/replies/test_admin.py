"""话术库 in Django admin: an admin creates a reply of every kind; input WeCom would refuse is
refused on save with a message that says what to change."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sidebar.replies import samples
from sidebar.replies.models import MenuItem, Reply, Send
from tests.replies import factories

pytestmark = pytest.mark.django_db

ADD = "/admin/replies/reply/add/"


def form(category, kind, *, menu=(), **fields):
    data = {
        "category": category.pk,
        "title": fields.pop("title", f"{kind} reply"),
        "kind": kind,
        "order": 0,
        "enabled": "on",
        "menu_items-TOTAL_FORMS": len(menu),
        "menu_items-INITIAL_FORMS": 0,
        "menu_items-MIN_NUM_FORMS": 0,
        "menu_items-MAX_NUM_FORMS": 10,
    }
    for i, item in enumerate(menu):
        for name, value in {"order": i, **item}.items():
            data[f"menu_items-{i}-{name}"] = value
    data.update(fields)
    return data


def upload(name: str, content: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


GOOD = {
    "text": {"text": "{客户称呼}您好，我是{成员姓名}。价格见 {{附件}}。"},
    "image": {"upload": lambda: upload("产品.png", samples.png(), "image/png")},
    "video": {"upload": lambda: upload("demo.mp4", samples.mp4(), "video/mp4")},
    "file": {"upload": lambda: upload("price.pdf", samples.pdf(), "application/pdf")},
    "news": {"link": "https://example.com/a", "card_title": "新品", "description": "看看"},
    "miniprogram": {
        "appid": "wx8bd80126147df384",
        "card_title": "商城",
        "image_url": "https://example.com/mp.png",
        "page": "/index/page.html",
    },
    "msgmenu": {
        "head_content": "您对本次服务满意吗？",
        "menu": [
            {"type": "click", "menu_id": "101", "content": "满意"},
            {"type": "view", "url": "https://work.weixin.qq.com", "content": "自助查询"},
            {"type": "miniprogram", "appid": "wx123", "page": "pages/a.html", "content": "小程序"},
        ],
        "tail_content": "欢迎再次光临",
    },
    "channels_shop_product": {
        "product_id": "10000000000000",
        "shop_app_id": "wx123123123123123",
        "card_title": "保温杯",
        "image_url": "https://example.com/p.png",
        "selling_price": "1990",
        "shop_img_url": "https://example.com/s.png",
        "shop_nickname": "示例小店",
    },
}


@pytest.mark.parametrize("kind", list(GOOD))
def test_an_admin_creates_a_reply_of_each_kind(admin_client, kind):
    category = factories.category()
    fields = {k: (v() if callable(v) else v) for k, v in GOOD[kind].items()}
    response = admin_client.post(ADD, form(category, kind, **fields))
    assert response.status_code == 302, _errors(response)
    reply = Reply.objects.get(kind=kind)
    if kind in ("image", "video", "file"):
        assert reply.upload_sha256 and reply.upload_size > 5
        assert reply.upload.storage.exists(reply.upload.name)
    if kind == "file":
        assert reply.upload_name == "price.pdf"
    if kind == "msgmenu":
        assert MenuItem.objects.filter(reply=reply).count() == 3
    page = admin_client.get(f"/admin/replies/reply/{reply.pk}/change/").content.decode()
    assert f'class="bubble" data-kind="{kind}"' in page  # the preview, as the customer sees it


def _errors(response) -> str:
    context = response.context
    if context is None:
        return response.content.decode()[:500]
    errors = [str(e) for e in context["adminform"].form.errors.values()]
    errors += [str(f.errors) for fs in context["inline_admin_formsets"] for f in fs.formset.forms]
    errors += [str(fs.formset.non_form_errors()) for fs in context["inline_admin_formsets"]]
    return " | ".join(errors)


@pytest.mark.parametrize(
    ("kind", "fields", "said"),
    [
        (
            "image",
            {"upload": lambda: upload("brochure.png", samples.pdf(), "image/png")},
            "不是 JPG 或 PNG 图片",
        ),
        (
            "file",
            {"upload": lambda: upload("big.zip", b"PK" + b"\0" * (25 * 1024 * 1024), "x/zip")},
            "最多接受 20 MB",
        ),
        ("video", {"upload": lambda: upload("clip.mov", samples.png(), "video/mp4")}, "MP4"),
        (
            "miniprogram",
            {**GOOD["miniprogram"], "page": "pages/index"},
            "必须以 .html 结尾",
        ),
        (
            "miniprogram",
            {**GOOD["miniprogram"], "image_url": "ftp://example.com/a.png"},
            "http:// 或 https://",
        ),
        ("text", {"text": "{客户姓名}您好"}, "未知的占位符 {客户姓名}"),
        ("text", {"text": "价格 {见附件"}, "花括号"),
        ("news", {"card_title": "无链接"}, "此类话术必须填写"),
        (
            "msgmenu",
            {"menu": [{"type": "click", "content": f"选项{i}"} for i in range(11)]},
            "最多 10 项",
        ),
        ("msgmenu", {"menu": [{"type": "click", "content": "好" * 43}]}, "最多 128 字节"),
        ("msgmenu", {"head_content": "长" * 342, "menu": [GOOD["msgmenu"]["menu"][0]]}, "1024"),
        ("msgmenu", {}, "至少需要一个菜单项"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(admin_client, kind, fields, said):
    category = factories.category()
    fields = {k: (v() if callable(v) else v) for k, v in fields.items()}
    response = admin_client.post(ADD, form(category, kind, **fields))
    assert response.status_code == 200  # the form again, with the message
    assert said in _errors(response)
    assert not Reply.objects.exists()


def test_the_admin_shows_how_often_and_by_whom_a_reply_was_sent(admin_client):
    reply = factories.reply("text", title="问候", text="您好")
    for staff, times in (("zhangsan", 3), ("lisi", 1)):
        for _ in range(times):
            Send.objects.create(
                staff_userid=staff,
                entry="single_chat_tools",
                reply=reply,
                reply_title=reply.title,
                kind="text",
                outcome=Send.Outcome.SENT,
            )
    Send.objects.create(
        staff_userid="wangwu",
        entry="single_chat_tools",
        reply=reply,
        reply_title=reply.title,
        kind="text",
        outcome=Send.Outcome.CANCELLED,
    )
    listing = admin_client.get("/admin/replies/reply/").content.decode()
    assert '<td class="field-sent_count">4</td>' in listing
    detail = admin_client.get(f"/admin/replies/reply/{reply.pk}/change/").content.decode()
    assert (
        '<li title="zhangsan">zhangsan: 3</li><li title="lisi">lisi: 1</li>' in detail
        and "wangwu" not in detail
    )


def test_send_records_are_listed_filtered_exported_and_read_only(admin_client):
    reply = factories.reply("news", **GOOD["news"])
    for staff, outcome, err in (
        ("zhangsan", Send.Outcome.SENT, "sendChatMessage:ok"),
        ("lisi", Send.Outcome.CANCELLED, "sendChatMessage:cancel"),
        ("wangwu", Send.Outcome.FAILED, "sendChatMessage:fail unsupported msgtype"),
    ):
        Send.objects.create(
            staff_userid=staff,
            entry="single_chat_tools",
            target_id="wmChenXiaoMing0001",
            target_name="陈先生（老客户）" if staff != "wangwu" else "",
            reply=reply,
            reply_title=reply.title,
            kind="news",
            outcome=outcome,
            err_msg=err,
            duration_ms=150,
        )
    listing = admin_client.get("/admin/replies/send/").content.decode()
    assert listing.count('<td class="field-outcome">') == 3
    # The customer by the name the panel showed, over the id (the id alone without one).
    assert listing.count("陈先生（老客户）<br><small>") == 2
    found = admin_client.get("/admin/replies/send/", {"q": "老客户"}).content.decode()
    assert found.count('<td class="field-outcome">') == 2
    cancelled = admin_client.get("/admin/replies/send/", {"outcome__exact": "cancelled"})
    assert "lisi" in cancelled.content.decode() and "wangwu" not in cancelled.content.decode()
    exported = admin_client.post(
        "/admin/replies/send/",
        {
            "action": "export_csv",
            "_selected_action": list(Send.objects.values_list("pk", flat=True)),
        },
    )
    assert exported["Content-Type"].startswith("text/csv")
    body = b"".join(exported.streaming_content if exported.streaming else [exported.content])
    assert body.decode("utf-8-sig").count("sendChatMessage:") == 3
    assert body.decode("utf-8-sig").count("陈先生（老客户）,wmChenXiaoMing0001") == 2
    row = Send.objects.get(staff_userid="lisi")
    assert admin_client.get("/admin/replies/send/add/").status_code == 403
    detail = admin_client.post(f"/admin/replies/send/{row.pk}/change/", {"outcome": "sent"})
    assert detail.status_code == 403
    row.refresh_from_db()
    assert row.outcome == Send.Outcome.CANCELLED
