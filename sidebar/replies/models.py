import hashlib

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sidebar.audit_indexes import audit_indexes
from sidebar.hosts.models import HostedRow
from sidebar.replies import filetypes, kinds, search


class Category(models.Model):
    name = models.CharField(_("name"), max_length=32, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("reply category")
        verbose_name_plural = _("reply categories")
        ordering = ["order", "id"]

    def __str__(self):
        return self.name


class Reply(models.Model):
    """A prepared message. Which fields it uses depends on its kind (sidebar.replies.kinds);
    the others stay empty."""

    UNREAD = "?"  # upload_shape of a file nobody has read yet

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        IMAGE = "image", _("Picture")
        VIDEO = "video", _("Video")
        FILE = "file", _("File")
        NEWS = "news", _("Link")
        MINIPROGRAM = "miniprogram", _("Mini program")
        MSGMENU = "msgmenu", _("Menu message (customer service)")
        CHANNELS_SHOP_PRODUCT = (
            "channels_shop_product",
            _("Channels shop product (customer service)"),
        )

    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="replies",
        verbose_name=_("category"),
        null=True,  # only a staff member's own reply has none (ReplyForm requires it)
        blank=True,
    )
    # The staff member who wrote it in the sidebar (我的话术): only they see it, until an
    # admin adds it to the shared library, which empties this. '' for the shared library.
    owner_userid = models.CharField(_("written by"), max_length=64, blank=True, default="")
    title = models.CharField(_("title"), max_length=64)
    order = models.PositiveIntegerField(_("order"), default=0)
    enabled = models.BooleanField(_("enabled"), default=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices, default=Kind.TEXT)

    text = models.TextField(_("text"), blank=True)
    upload = models.FileField(_("file"), upload_to="replies/%Y/%m/", max_length=255, blank=True)
    upload_name = models.CharField(_("file name shown in the chat"), max_length=128, blank=True)
    upload_size = models.PositiveIntegerField(_("file size"), null=True, blank=True, editable=False)
    upload_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    # What the file is, read from its bytes on save (sidebar.replies.filetypes): 'jpeg', 'png',
    # 'mp4', or '' for anything else. It decides how the file is served; UNREAD for a file
    # stored before shapes were kept, read when it is first served.
    upload_shape = models.CharField(max_length=8, blank=True, default="?", editable=False)

    card_title = models.CharField(_("card title"), max_length=128, blank=True)
    description = models.CharField(_("description"), max_length=512, blank=True)
    link = models.CharField(_("link"), max_length=2048, blank=True)
    image_url = models.CharField(_("cover image URL"), max_length=2048, blank=True)
    appid = models.CharField(_("mini program appid"), max_length=32, blank=True)
    page = models.CharField(_("mini program page"), max_length=1024, blank=True)

    head_content = models.TextField(_("text before the menu"), blank=True)
    tail_content = models.TextField(_("text after the menu"), blank=True)

    product_id = models.CharField(_("product id"), max_length=64, blank=True)
    shop_app_id = models.CharField(_("shop id"), max_length=64, blank=True)
    selling_price = models.PositiveIntegerField(_("lowest price (fen)"), null=True, blank=True)
    shop_img_url = models.CharField(_("shop avatar URL"), max_length=2048, blank=True)
    shop_nickname = models.CharField(_("shop name"), max_length=64, blank=True)

    # Title and content, with their pinyin, lower-cased: what search-as-you-type matches.
    search_text = models.TextField(blank=True, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["category__order", "category_id", "order", "id"]
        indexes = [models.Index(fields=["owner_userid", "-updated_at"], name="reply_owner")]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.upload:
            self.upload_sha256, self.upload_size, self.upload_name = "", None, ""
            self.upload_shape = ""
        elif not self.upload._committed or not self.upload_sha256:
            with kinds.opened(self.upload) as file:
                self.upload_sha256, self.upload_size = _digest(file)
                self.upload_shape = read_shape(self.upload, file)
        if self.upload:
            self.upload_name = filetypes.display_name(
                self.upload_name or _basename(self.upload.name)
            )[:128]
        self.search_text = search.search_text(*kinds.searchable(self))
        super().save(*args, **kwargs)

    def clean(self):
        kinds.validate(self)

    @property
    def media_type(self) -> str:
        """The WeCom media type its file is uploaded as ('' for kinds sent without media)."""
        return kinds.MEDIA[self.kind][0] if self.kind in kinds.MEDIA else ""


def _digest(file) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    file.seek(0)
    for chunk in iter(lambda: file.read(1024 * 1024), b""):
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    return digest.hexdigest(), size


def read_shape(upload, file) -> str:
    """What the file is (filetypes.shape_of); a picture too large to decode is served as a
    download, like anything else that is not a picture (validation refuses it before)."""
    try:
        return kinds.shape_of(upload, file)
    except filetypes.TooManyPixels:
        return ""


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1][:128]


class OwnReply(Reply):
    """The replies staff wrote for themselves, as admins review and promote them."""

    class Meta:
        proxy = True
        verbose_name = _("reply written by staff")
        verbose_name_plural = _("replies written by staff")
        ordering = ["-updated_at", "-id"]


class Star(models.Model):
    """A shared reply a staff member starred (收藏): their library lists it first."""

    staff_userid = models.CharField(max_length=64)
    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["staff_userid", "reply"], name="one_star_per_reply")
        ]

    def __str__(self):
        return f"{self.staff_userid} ★ {self.reply_id}"


class MenuItem(models.Model):
    """One choice of a menu message (msgmenu)."""

    class Type(models.TextChoices):
        CLICK = "click", _("Reply")
        VIEW = "view", _("Link")
        MINIPROGRAM = "miniprogram", _("Mini program")

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="menu_items")
    order = models.PositiveIntegerField(_("order"), default=0)
    type = models.CharField(_("type"), max_length=16, choices=Type.choices, default=Type.CLICK)
    content = models.CharField(_("text shown"), max_length=1024)
    menu_id = models.CharField(_("menu id"), max_length=64, blank=True)
    url = models.CharField(_("link"), max_length=2048, blank=True)
    appid = models.CharField(_("mini program appid"), max_length=32, blank=True)
    page = models.CharField(_("mini program page"), max_length=1024, blank=True)

    class Meta:
        verbose_name = _("menu item")
        verbose_name_plural = _("menu items")
        ordering = ["order", "id"]

    def __str__(self):
        return self.content

    def clean(self):
        kinds.validate_menu_item(self)


class MediaUpload(models.Model):
    """A file uploaded to WeCom's temporary media (it lives 3 days): the media_id to send it
    by, per app and file content, so every process and restart reuses it until it ages out."""

    scope = models.CharField(max_length=96)  # corp:agent
    sha256 = models.CharField(max_length=64)
    media_type = models.CharField(max_length=8)
    filename = models.CharField(max_length=128)  # what the chat shows for a file
    media_id = models.CharField(max_length=256)
    uploaded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("WeCom media upload")
        verbose_name_plural = _("WeCom media uploads")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "sha256", "media_type", "filename"],
                name="one_media_upload_per_file",
            )
        ]

    def __str__(self):
        return f"{self.media_type} {self.sha256[:12]} ({self.uploaded_at:%Y-%m-%d %H:%M})"


class Send(HostedRow):
    """One row per reply a staff member sent (or tried to): the send log admins audit."""

    class Outcome(models.TextChoices):
        PREPARED = "prepared", _("No answer from the client")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")
        RETRIED = "retried", _("Failed, sent again")
        REFUSED = "refused", _("Refused by the server")

    created_at = models.DateTimeField(_("time"), default=timezone.now)
    staff_userid = models.CharField(_("staff userid"), max_length=64)
    # The name at the time of the send (the session's), so the log reads without WeCom.
    staff_name = models.CharField(_("staff member"), max_length=64, blank=True, default="")
    entry = models.CharField(_("entry"), max_length=64)
    target_id = models.CharField(_("chat or customer"), max_length=160, blank=True)
    # The name the staff member's panel showed for it (their last lookup of it), so the log
    # reads without WeCom; '' when they never looked it up.
    target_name = models.CharField(_("customer or group"), max_length=128, blank=True, default="")
    reply = models.ForeignKey(
        Reply,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sends",
        verbose_name=_("reply"),
    )
    reply_title = models.CharField(_("reply title"), max_length=64)
    kind = models.CharField(_("kind"), max_length=24, choices=Reply.Kind.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    err_msg = models.CharField(_("client message"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    wecom_version = models.CharField(_("WeCom version"), max_length=32, blank=True)
    # The WeCom media_id a picture, video or file went out with (dropped if the client
    # could not use it).
    media_id = models.CharField(max_length=256, blank=True, editable=False)
    # A send made again after this one failed on its media (the server uploaded it anew).
    retry_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("retry of"),
    )

    class Meta(HostedRow.Meta):
        verbose_name = _("send")
        verbose_name_plural = _("sends")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["reply", "outcome"]),
            # A customer's or group's timeline lists what was sent to them (sidebar.records).
            models.Index(fields=["target_id", "-created_at"], name="send_target_newest"),
            *audit_indexes("send", filtered=("outcome", "kind", "entry", "host")),
        ]

    def __str__(self):
        return f"{self.staff_userid} → {self.target_id or self.entry}: {self.reply_title}"
