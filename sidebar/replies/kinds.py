"""What each kind of reply holds, how it is checked when an admin saves it, and the
sendChatMessage object it becomes (docs/wecom.md, "Sending into the chat").

Limits are WeCom's where WeCom states them: media sizes and types (temporary media), the
mini-program card (an http(s) cover, a page ending in .html) and the customer-service menu
(byte lengths per field, at most 10 items). Where WeCom states none, the bound is ours and
says so in its name.
"""

from contextlib import contextmanager
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from sidebar.replies import filetypes, placeholders

MB = 1024 * 1024
# kind -> (WeCom media type, largest file, what the file must be)
MEDIA = {
    "image": ("image", 10 * MB, _("a JPG or PNG picture")),
    "video": ("video", 10 * MB, _("an MP4 video")),
    "file": ("file", 20 * MB, _("a file")),
}
SMALLEST_MEDIA = 6  # WeCom refuses files of 5 bytes or fewer
# A news card's uploaded cover is served by us, not uploaded to WeCom; same rules as a picture.
COVER_LIMIT = 10 * MB
OUR_TEXT_LIMIT = 4000  # characters; WeCom states no limit for the toolbar's text messages
MENU_ITEMS_MAX = 10
MENU_TEXT_BYTES = 1024


FILE_SHAPES = {"image": {"jpeg", "png"}, "video": {"mp4"}, "file": None}


def _bytes(value: str) -> int:
    return len(value.encode("utf-8"))


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and value.isprintable()


def _page_ends_in_html(page: str) -> bool:
    return page.split("?", 1)[0].endswith(".html")


class Problems:
    """Collects field errors, then raises them together as one ValidationError."""

    def __init__(self):
        self.errors: dict[str, list] = {}

    def add(self, field: str, message) -> None:
        self.errors.setdefault(field, []).append(message)

    def require(self, reply, *fields: str) -> None:
        for name in fields:
            value = getattr(reply, name)
            if value in ("", None) or (hasattr(value, "name") and not value):
                self.add(name, _("Required for this kind of reply."))

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def check_upload(upload, *, kind: str, limit: int, shapes: set[str] | None, problems, field):
    """Size and, where the kind demands one, what the file is, read from the whole file
    (sidebar.replies.filetypes); a picture too large to decode is refused whatever the kind."""
    if not upload:
        return
    size = upload.size
    if size is not None and size < SMALLEST_MEDIA:
        problems.add(field, _("The file is empty or too small (WeCom needs more than 5 bytes)."))
        return
    if size is not None and size > limit:
        problems.add(
            field,
            _("The file is %(size).1f MB; WeCom accepts at most %(limit)d MB for this kind.")
            % {"size": size / MB, "limit": limit // MB},
        )
        return
    with opened(upload) as file:
        try:
            shape = shape_of(upload, file)
        except filetypes.TooManyPixels as exc:
            problems.add(
                field,
                _(
                    "The picture is %(width)d×%(height)d pixels; phones cannot open pictures of "
                    "more than %(most)d megapixels. Make it smaller."
                )
                % {
                    "width": exc.width,
                    "height": exc.height,
                    "most": filetypes.MAX_PIXELS // 1_000_000,
                },
            )
            return
    if shapes is not None and shape not in shapes:
        what = MEDIA[kind][2] if kind in MEDIA else _("a JPG or PNG picture")
        problems.add(
            field,
            _("This file is not %(what)s (read from its content, whatever its name says).")
            % {"what": what},
        )


def shape_of(upload, file) -> str:
    """What `upload` (a FieldFile, open as `file`) is: read once per file and kept on the
    FieldFile, so the model's save does not decode what its validation just decoded. Raises
    filetypes.TooManyPixels."""
    known = getattr(upload, "_sidebar_shape", None)
    if known is None:
        known = upload._sidebar_shape = filetypes.shape_of(file)
    return known


@contextmanager
def opened(upload):
    """A FieldFile's bytes from the start: a fresh upload (not yet stored) or a stored file."""
    if getattr(upload, "_committed", True):
        with upload.storage.open(upload.name, "rb") as stored:
            yield stored
        return
    upload.file.seek(0)
    try:
        yield upload.file
    finally:
        upload.file.seek(0)


def validate(reply) -> None:
    """Raise ValidationError naming each field that breaks WeCom's rules for reply.kind."""
    problems = Problems()
    kind = reply.kind
    if kind == "text":
        problems.require(reply, "text")
        if len(reply.text) > OUR_TEXT_LIMIT:
            problems.add(
                "text", _("Keep a text reply under %(n)d characters.") % {"n": OUR_TEXT_LIMIT}
            )
        try:
            placeholders.used(reply.text)
        except ValidationError as exc:
            problems.add("text", exc.messages[0])
    elif kind in MEDIA:
        problems.require(reply, "upload")
        _type, limit, _what = MEDIA[kind]
        check_upload(
            reply.upload,
            kind=kind,
            limit=limit,
            shapes=FILE_SHAPES[kind],
            problems=problems,
            field="upload",
        )
    elif kind == "news":
        problems.require(reply, "link")
        if reply.link and not _is_http_url(reply.link):
            problems.add("link", _("Enter a link that starts with http:// or https://."))
        if reply.image_url and reply.upload:
            problems.add("image_url", _("Give a cover image URL or upload a cover, not both."))
        if reply.image_url and not _is_http_url(reply.image_url):
            problems.add("image_url", _("Enter a link that starts with http:// or https://."))
        check_upload(
            reply.upload,
            kind=kind,
            limit=COVER_LIMIT,
            shapes={"jpeg", "png"},
            problems=problems,
            field="upload",
        )
    elif kind == "miniprogram":
        problems.require(reply, "appid", "card_title", "image_url", "page")
        if reply.appid and not (reply.appid.isascii() and reply.appid.isalnum()):
            problems.add("appid", _("A mini program appid has only letters and digits (wx…)."))
        if reply.image_url and not _is_http_url(reply.image_url):
            problems.add(
                "image_url", _("WeCom needs a cover URL that starts with http:// or https://.")
            )
        if reply.page and not _page_ends_in_html(reply.page):
            problems.add(
                "page",
                _(
                    "The page must end in .html (for example pages/index.html), or WeChat cannot "
                    "open it."
                ),
            )
    elif kind == "msgmenu":
        for name in ("head_content", "tail_content"):
            if _bytes(getattr(reply, name)) > MENU_TEXT_BYTES:
                problems.add(
                    name,
                    _("At most %(n)d bytes (a Chinese character takes 3).")
                    % {"n": MENU_TEXT_BYTES},
                )
    elif kind == "channels_shop_product":
        problems.require(
            reply,
            "product_id",
            "shop_app_id",
            "image_url",
            "card_title",
            "selling_price",
            "shop_img_url",
            "shop_nickname",
        )
        for name in ("image_url", "shop_img_url"):
            value = getattr(reply, name)
            if value and not _is_http_url(value):
                problems.add(name, _("Enter a link that starts with http:// or https://."))
    problems.raise_any()


# (type, field) -> (smallest, largest) in bytes, for one menu item (WeCom's msgmenu table).
MENU_FIELD_BYTES = {
    ("click", "menu_id"): (0, 64),
    ("click", "content"): (1, 128),
    ("view", "url"): (1, 2048),
    ("view", "content"): (1, 1024),
    ("miniprogram", "appid"): (1, 32),
    ("miniprogram", "page"): (1, 1024),
    ("miniprogram", "content"): (1, 1024),
}


def validate_menu_item(item) -> None:
    problems = Problems()
    for (item_type, name), (least, most) in MENU_FIELD_BYTES.items():
        if item_type != item.type:
            continue
        size = _bytes(getattr(item, name))
        if size < least:
            problems.add(name, _("Required for this kind of menu item."))
        elif size > most:
            problems.add(
                name, _("At most %(n)d bytes (a Chinese character takes 3).") % {"n": most}
            )
    if item.type == "view" and item.url and not _is_http_url(item.url):
        problems.add("url", _("Enter a link that starts with http:// or https://."))
    if item.type == "miniprogram" and item.page and not _page_ends_in_html(item.page):
        problems.add("page", _("The page must end in .html (for example pages/index.html)."))
    problems.raise_any()


# Building the message ----------------------------------------------------------------------


def message(
    reply, *, text: str = "", media_id: str = "", file_url: str = "", cover_url: str = ""
) -> dict:
    """The sendChatMessage object for `reply`: `text` is its text with placeholders filled,
    `media_id` its WeCom media, or `file_url` where a hosted sidebar fetches its file
    (docs/hosts.md), `cover_url` the absolute URL of an uploaded news cover."""
    kind = reply.kind
    if kind == "text":
        body = {"content": text}
    elif kind in MEDIA and file_url:
        body = {"url": file_url, "title": reply.upload_name or reply.title}
    elif kind in MEDIA:
        body = {"mediaid": media_id}
    elif kind == "news":
        body = {
            "link": reply.link,
            "title": reply.card_title or reply.title,
            "desc": reply.description,
            "imgUrl": reply.image_url or cover_url,
        }
    elif kind == "miniprogram":
        body = {
            "appid": reply.appid,
            "title": reply.card_title,
            "imgUrl": reply.image_url,
            "page": reply.page,
        }
    elif kind == "msgmenu":
        body = {
            "head_content": reply.head_content,
            "list": [_menu_item(item) for item in reply.menu_items.all()],
            "tail_content": reply.tail_content,
        }
    elif kind == "channels_shop_product":
        return {
            "msgtype": kind,
            "channelsShopProduct": {
                "productId": reply.product_id,
                "shopAppId": reply.shop_app_id,
                "imgUrl": reply.image_url,
                "title": reply.card_title,
                "sellingPrice": str(reply.selling_price),
                "shopImgUrl": reply.shop_img_url,
                "shopNickname": reply.shop_nickname,
            },
        }
    else:
        raise ValueError(f"unknown kind {kind!r}")
    return {"msgtype": kind, kind: body}


def _menu_item(item) -> dict:
    if item.type == "click":
        click = {"content": item.content}
        if item.menu_id:
            click["id"] = item.menu_id
        return {"type": "click", "click": click}
    if item.type == "view":
        return {"type": "view", "view": {"url": item.url, "content": item.content}}
    return {
        "type": "miniprogram",
        "miniprogram": {"appid": item.appid, "page": item.page, "content": item.content},
    }


def searchable(reply) -> list[str]:
    """The texts of a reply that search matches."""
    texts = [reply.title, reply.text, reply.card_title, reply.description, reply.upload_name]
    texts += [reply.head_content, reply.tail_content, reply.shop_nickname]
    return [t for t in texts if t]
