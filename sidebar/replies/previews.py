"""A reply as the customer will see it in the chat, for the library and the admin alike: one
shape (Preview), rendered by one template (sidebar/replies/bubble.html)."""

from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.urls import reverse

from sidebar import profiles
from sidebar.replies import placeholders
from sidebar.replies.models import Reply


@dataclass(frozen=True)
class Preview:
    kind: str
    text: str = ""
    media_url: str = ""  # a picture or video to show
    file_name: str = ""
    file_size: int | None = None
    link: str = ""
    title: str = ""
    description: str = ""
    image_url: str = ""
    appid: str = ""
    page: str = ""
    head: str = ""
    tail: str = ""
    menu: list[dict] = field(default_factory=list)
    price_fen: int | None = None
    shop_name: str = ""
    shop_image_url: str = ""

    @property
    def segments(self) -> list[tuple[str, str | None]]:
        """A text's literal parts and placeholders (placeholders.parts)."""
        return placeholders.parts(self.text)

    @property
    def file_ext(self) -> str:
        """What the file card's icon says: the extension, as chat apps label files."""
        name, _, ext = self.file_name.rpartition(".")
        return ext[:4].upper() if name and ext.isalnum() else ""

    @property
    def price_yuan(self) -> str:
        return f"{self.price_fen / 100:.2f}" if self.price_fen is not None else ""


def of_reply(reply: Reply) -> Preview:
    file_url = reverse("sidebar:replies:file", args=[reply.pk]) if reply.upload else ""
    kind = reply.kind
    if kind == "text":
        return Preview(kind, text=reply.text)
    if kind in ("image", "video"):
        return Preview(kind, media_url=file_url)
    if kind == "file":
        return Preview(kind, file_name=reply.upload_name, file_size=reply.upload_size)
    if kind == "news":
        return Preview(
            kind,
            link=reply.link,
            title=reply.card_title or reply.title,
            description=reply.description,
            image_url=profiles.safe_url(reply.image_url) or file_url,
        )
    if kind == "miniprogram":
        return Preview(
            kind,
            title=reply.card_title,
            image_url=profiles.safe_url(reply.image_url),
            appid=reply.appid,
            page=reply.page,
        )
    if kind == "msgmenu":
        return Preview(
            kind,
            head=reply.head_content,
            tail=reply.tail_content,
            menu=[{"type": i.type, "content": i.content} for i in reply.menu_items.all()],
        )
    return Preview(
        kind,
        title=reply.card_title,
        image_url=profiles.safe_url(reply.image_url),
        price_fen=reply.selling_price,
        shop_name=reply.shop_nickname,
        shop_image_url=profiles.safe_url(reply.shop_img_url),
    )


def render(reply: Reply) -> str:
    """The reply's bubble, as HTML."""
    return render_preview(of_reply(reply))


def render_preview(preview: Preview) -> str:
    return render_to_string("sidebar/replies/bubble.html", {"preview": preview})
