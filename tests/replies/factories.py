"""Replies of every kind, made the way admin makes them (files through the storage API)."""

from sidebar.replies import demo, samples
from sidebar.replies.models import Category, MenuItem, Reply

KINDS = [kind for kind, _label in Reply.Kind.choices]


def category(name="常用", order=0) -> Category:
    return Category.objects.get_or_create(name=name, defaults={"order": order})[0]


def reply(kind: str, *, title=None, **fields) -> Reply:
    fields["category"] = fields.get("category") or category()
    return demo.make(kind, title=title or f"{kind} reply", **fields)


def every_kind(picture=lambda name: f"https://example.com/{name}.png") -> dict[str, Reply]:
    """One enabled reply of each kind, with what WeCom needs; `picture(name)` is the address
    of each cover picture (browser tests pass one the page can load)."""
    made = {
        "text": reply("text", title="问候", text="{客户称呼}您好，我是{成员姓名}。"),
        "image": reply("image", title="产品图", upload=samples.png(), filename="产品.png"),
        "video": reply("video", title="演示视频", upload=samples.mp4(), filename="demo.mp4"),
        "file": reply(
            "file",
            title="价格表",
            upload=samples.pdf(),
            filename="price.pdf",
            upload_name="2026价格表.pdf",
        ),
        "news": reply(
            "news",
            title="官网文章",
            link="https://example.com/a",
            card_title="新品发布",
            description="今年的新品",
            image_url=picture("cover"),
        ),
        "miniprogram": reply(
            "miniprogram",
            title="商城",
            appid="wx8bd80126147df384",
            card_title="商城首页",
            image_url=picture("mp"),
            page="/index/page.html",
        ),
        "msgmenu": reply("msgmenu", title="满意度", head_content="您对本次服务满意吗？"),
        "channels_shop_product": reply(
            "channels_shop_product",
            title="热卖商品",
            product_id="10000000000000",
            shop_app_id="wx123123123123123",
            image_url=picture("p"),
            card_title="保温杯",
            selling_price=1990,
            shop_img_url=picture("s"),
            shop_nickname="示例小店",
        ),
    }
    MenuItem.objects.create(
        reply=made["msgmenu"], order=1, type="click", menu_id="101", content="满意"
    )
    MenuItem.objects.create(
        reply=made["msgmenu"], order=2, type="view", url="https://example.com", content="自助查询"
    )
    return made
