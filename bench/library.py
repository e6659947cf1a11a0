"""A big reply library for bench/replies.py, made inside the deployment's own database (run
through `manage.py shell`, so it needs only Django set up)."""

from django.core.files.base import ContentFile

from sidebar.replies import samples
from sidebar.replies.models import Category, MenuItem, Reply

WORDS = [
    "报价",
    "售后",
    "发货",
    "退款",
    "安装",
    "保修",
    "会员",
    "优惠",
    "新品",
    "活动",
    "发票",
    "合同",
    "培训",
    "门店",
    "预约",
]


def fill(count: int, *, per_category: int = 100) -> None:
    """`count` enabled replies in categories of `per_category`: mostly text (with the
    placeholders), and links, mini-programs, pictures and 客服 menus among them."""
    picture = samples.png(64, 64)
    for start in range(0, count, per_category):
        category = Category.objects.create(name=f"分类{start // per_category + 1:02d}")
        for number in range(start, min(count, start + per_category)):
            word = WORDS[number % len(WORDS)]
            reply = Reply(category=category, order=number, title=f"{word}说明 {number}")
            kind = ("text",) * 6 + ("news", "miniprogram", "image", "msgmenu")
            reply.kind = kind[number % len(kind)]
            if reply.kind == "text":
                reply.text = f"{{客户称呼}}您好，关于{word}：请见第 {number} 条说明。——{{成员姓名}}"
            elif reply.kind == "news":
                reply.link, reply.card_title = f"https://example.com/{number}", f"{word}指南"
                reply.description, reply.image_url = "一文看懂", "https://example.com/c.png"
            elif reply.kind == "miniprogram":
                reply.appid, reply.card_title = "wx8bd80126147df384", f"{word}小程序"
                reply.image_url, reply.page = "https://example.com/m.png", "/pages/a.html"
            elif reply.kind == "image":
                reply.upload = ContentFile(picture, name=f"{number}.png")
            else:
                reply.head_content = f"{word}问题解决了吗？"
            reply.full_clean()
            reply.save()
            if reply.kind == "msgmenu":
                MenuItem.objects.create(reply=reply, type="click", content="解决了", menu_id="1")
