"""The demo corp's reply library (`manage.py emulate`): a few categories and every kind, so a
newcomer can send each kind from the emulator before writing a reply of their own."""

from collections.abc import Callable

from django.core.files.base import ContentFile
from django.db import transaction

from sidebar.replies import samples
from sidebar.replies.models import Category, MenuItem, Reply


def make(
    kind: str,
    *,
    title: str,
    category: Category,
    upload: bytes | None = None,
    filename: str = "",
    **fields,
) -> Reply:
    """A reply made the way admin makes it: checked by the model's rules, its file saved
    through the storage API."""
    reply = Reply(category=category, kind=kind, title=title, **fields)
    if upload is not None:
        reply.upload = ContentFile(upload, name=filename or f"{kind}.bin")
    reply.full_clean()
    reply.save()
    return reply


@transaction.atomic
def seed(picture: Callable[[str], str]) -> int:
    """Fill an empty library; `picture(name)` is the http(s) address of a cover picture.
    Answers how many replies were made (0 when the library already has some)."""
    if Reply.objects.exists():
        return 0
    greet, products, offers, service = (
        Category.objects.get_or_create(name=name, defaults={"order": order})[0]
        for order, name in enumerate(["开场问候", "产品资料", "活动推广", "客服专用"], start=1)
    )
    made = [
        make(
            "text",
            title="欢迎语",
            category=greet,
            text="{客户称呼}您好，我是{成员姓名}，很高兴为您服务，有问题随时找我。",
        ),
        make(
            "text",
            title="下班提示",
            category=greet,
            order=1,
            text="{客户称呼}，我今天已下班，明早 9 点第一时间回复您。",
        ),
        make(
            "text",
            title="营业时间",
            category=greet,
            order=2,
            text="我们的营业时间是工作日 9:00–18:00，有事请留言。——{成员姓名}",
        ),
        make(
            "image",
            title="产品主图",
            category=products,
            upload=samples.png(colour=(26, 95, 180)),
            filename="产品主图.png",
        ),
        make(
            "video",
            title="30 秒产品演示",
            category=products,
            order=1,
            upload=samples.mp4(),
            filename="产品演示.mp4",
        ),
        make(
            "file",
            title="2026 价格表",
            category=products,
            order=2,
            upload=samples.pdf("Price list 2026"),
            filename="price-2026.pdf",
            upload_name="2026价格表.pdf",
        ),
        make(
            "news",
            title="新品发布会回顾",
            category=products,
            order=3,
            link="https://example.com/news/launch",
            card_title="新品发布会回顾",
            description="三款新品的亮点，一文看懂",
            upload=samples.png(120, 120, colour=(230, 67, 64)),
            filename="发布会封面.png",
        ),
        make(
            "news",
            title="双十一活动说明",
            category=offers,
            link="https://example.com/offers/1111",
            card_title="双十一：满 300 减 50",
            description="活动时间 11 月 1 日至 11 日",
            image_url=picture("offer"),
        ),
        make(
            "miniprogram",
            title="会员商城",
            category=offers,
            order=1,
            appid="wx8bd80126147df384",
            card_title="会员商城 · 积分兑好礼",
            image_url=picture("mall"),
            page="/pages/mall/index.html",
        ),
        make(
            "msgmenu",
            title="服务满意度",
            category=service,
            head_content="您对本次服务满意吗？",
            tail_content="感谢您的反馈！",
        ),
        make(
            "channels_shop_product",
            title="热卖保温杯",
            category=service,
            order=1,
            product_id="10000000000001",
            shop_app_id="wx1234567890abcdef",
            card_title="316 不锈钢保温杯 500ml",
            image_url=picture("cup"),
            selling_price=8900,
            shop_img_url=picture("shop"),
            shop_nickname="示例旗舰店",
        ),
    ]
    menu = next(reply for reply in made if reply.kind == "msgmenu")
    for order, (kind, content, extra) in enumerate(
        [
            ("click", "满意", {"menu_id": "101"}),
            ("click", "不满意", {"menu_id": "102"}),
            ("view", "查看订单", {"url": "https://example.com/orders"}),
        ],
        start=1,
    ):
        item = MenuItem(reply=menu, order=order, type=kind, content=content, **extra)
        item.full_clean()
        item.save()
    return len(made)
