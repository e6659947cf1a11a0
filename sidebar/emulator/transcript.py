"""The emulator's chat transcript: a message the emulated client sent (the sendChatMessage
object, as the page gave it) shown as the customer sees it, through the same bubble the
library and the admin use (sidebar.replies.previews)."""

import re
from collections.abc import Callable

from django.urls import reverse

from sidebar import profiles
from sidebar.replies.previews import Preview


class NotAMessage(ValueError):
    """The object is not a sendChatMessage message the transcript can show."""


def preview(message: object, media_info: Callable[[str], dict | None]) -> Preview:
    """`media_info(media_id)` answers what the stand-in knows of an uploaded file (its name
    and size), or None."""
    if not isinstance(message, dict) or not isinstance(message.get("msgtype"), str):
        raise NotAMessage("a message has a msgtype")
    kind = message["msgtype"]
    body = message.get("channelsShopProduct" if kind == "channels_shop_product" else kind)
    if not isinstance(body, dict):
        raise NotAMessage(f"a {kind} message has a {kind} object")

    def text(name: str) -> str:
        value = body.get(name, "")
        return value if isinstance(value, str) else str(value)

    if kind == "text":
        return Preview(kind, text=text("content"))
    if kind in ("image", "video") and text("url"):  # a hosted sidebar sends by URL
        return Preview(kind, media_url=profiles.safe_url(text("url")))
    if kind in ("image", "video"):
        return Preview(kind, media_url=_media_url(text("mediaid")))
    if kind == "file" and text("url"):
        return Preview(kind, file_name=text("title"))
    if kind == "file":
        info = media_info(text("mediaid")) or {}
        return Preview(kind, file_name=info.get("filename", ""), file_size=info.get("size"))
    if kind == "news":
        return Preview(
            kind,
            link=text("link"),
            title=text("title"),
            description=text("desc"),
            image_url=profiles.safe_url(text("imgUrl")),
        )
    if kind == "miniprogram":
        return Preview(
            kind,
            title=text("title"),
            image_url=profiles.safe_url(text("imgUrl")),
            appid=text("appid"),
            page=text("page"),
        )
    if kind == "msgmenu":
        items = body.get("list") if isinstance(body.get("list"), list) else []
        return Preview(
            kind,
            head=text("head_content"),
            tail=text("tail_content"),
            menu=[_menu_item(item) for item in items if isinstance(item, dict)],
        )
    if kind == "channels_shop_product":
        price = text("sellingPrice")
        return Preview(
            kind,
            title=text("title"),
            image_url=profiles.safe_url(text("imgUrl")),
            price_fen=int(price) if price.isdigit() else None,
            shop_name=text("shopNickname"),
            shop_image_url=profiles.safe_url(text("shopImgUrl")),
        )
    raise NotAMessage(f"unknown msgtype {kind!r}")


MEDIA_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def _media_url(media_id: str) -> str:
    return reverse("emulator:media", args=[media_id]) if MEDIA_ID.fullmatch(media_id) else ""


def _menu_item(item: dict) -> dict:
    kind = str(item.get("type", ""))
    detail = item.get(kind) if isinstance(item.get(kind), dict) else {}
    return {"type": kind, "content": str(detail.get("content", ""))}
