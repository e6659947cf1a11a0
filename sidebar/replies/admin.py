"""话术库 in Django admin: categories, replies with a preview of how each looks in the chat
and who sent it how often, and the send log (发送记录), read-only and exportable."""

import functools
from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminFileWidget
from django.db import transaction
from django.db.models import Count, Max, Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sidebar import staff_names
from sidebar.audit_admin import AUDIT_CSV_COLUMNS, AuditLogAdmin, EntryFilter, target_cell
from sidebar.csv_export import Column
from sidebar.exceptions import ConfigurationError
from sidebar.replies import kinds, media, own, placeholders, previews
from sidebar.replies.models import Category, MenuItem, OwnReply, Reply, Send
from sidebar.wecom import get_client


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "reply_count"]
    list_editable = ["order"]
    search_fields = ["name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(reply_total=Count("replies"))

    @admin.display(description=_("number of replies"), ordering="reply_total")
    def reply_count(self, category):
        return category.reply_total


class MenuItemFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if self.instance.kind != Reply.Kind.MSGMENU:
            return
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE", False)]
        if not kept:
            raise forms.ValidationError(_("A menu message needs at least one menu item."))
        if len(kept) > kinds.MENU_ITEMS_MAX:
            raise forms.ValidationError(
                _("A menu message has at most %(n)d items.") % {"n": kinds.MENU_ITEMS_MAX}
            )


class MenuItemInline(admin.TabularInline):
    model = MenuItem
    formset = MenuItemFormSet
    extra = 0
    max_num = kinds.MENU_ITEMS_MAX
    fields = ["order", "type", "content", "menu_id", "url", "appid", "page"]
    classes = ["kind-msgmenu"]


# The reply's fields in groups: (heading, fields, the kinds that use them). The page shows a
# group only for those kinds (sidebar/admin/reply-kind.js); the model checks each kind's fields.
FIELD_GROUPS = [
    (_("Text"), ["text"], ["text"]),
    (_("File"), ["upload", "upload_name"], ["image", "video", "file", "news"]),
    (_("Card"), ["card_title", "image_url"], ["news", "miniprogram", "channels_shop_product"]),
    (_("Link"), ["link", "description"], ["news"]),
    (_("Mini program"), ["appid", "page"], ["miniprogram"]),
    (_("Menu message"), ["head_content", "tail_content"], ["msgmenu"]),
    (
        _("Channels shop product"),
        ["product_id", "shop_app_id", "selling_price", "shop_img_url", "shop_nickname"],
        ["channels_shop_product"],
    ),
]


@dataclass(frozen=True)
class _StoredFile:
    """What the file widget shows as the current file: a name, and where it opens."""

    url: str
    name: str

    def __str__(self) -> str:
        return self.name


class StoredFileWidget(AdminFileWidget):
    """The current file ("目前:") links to the app's own file view, which admins may open, not
    to MEDIA_URL, which nothing serves (files are never public: docs/replies.md)."""

    link = ""
    shown = ""

    def is_initial(self, value) -> bool:
        return bool(value and self.link)

    def format_value(self, value):
        if self.is_initial(value):
            return _StoredFile(url=self.link, name=self.shown or str(value))
        return None


class ReplyForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].required = True  # only staff members' own replies have none
        widget = self.fields["upload"].widget
        if self.instance.pk and self.instance.upload:
            widget.link = reverse("sidebar:replies:file", args=[self.instance.pk])
            widget.shown = self.instance.upload_name

    def clean(self):
        data = super().clean()
        # A new file brings its own name, unless the admin typed one now.
        if "upload" in self.changed_data and "upload_name" not in self.changed_data:
            upload = data.get("upload")
            self.instance.upload_name = data["upload_name"] = getattr(upload, "name", "") or ""
        return data

    class Meta:
        model = Reply
        widgets = {"upload": StoredFileWidget}
        fields = [
            "category",
            "title",
            "kind",
            "order",
            "enabled",
            *(name for _heading, fields, _kinds in FIELD_GROUPS for name in fields),
        ]
        help_texts = {
            "text": _("Placeholders, filled when sent: %(names)s. Write {{ and }} for a brace.")
            % {
                "names": "; ".join(
                    f"{{{name}}} = {meaning}" for name, meaning in placeholders.NAMES.items()
                )
            },
            "upload": _(
                "Picture: JPG or PNG up to 10 MB. Video: MP4 up to 10 MB. File: up to 20 MB. "
                "Link: an optional cover picture instead of a cover image URL."
            ),
            "upload_name": _("For a file: the name the chat shows. Empty: the uploaded name."),
            "page": _("Must end in .html, for example pages/index.html."),
            "selling_price": _("In fen: 1990 is ¥19.90."),
        }


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin):
    form = ReplyForm
    inlines = [MenuItemInline]
    list_display = ["title", "category", "kind", "enabled", "order", "sent_count", "last_sent"]
    list_editable = ["enabled", "order"]
    list_filter = ["kind", "category", "enabled"]
    search_fields = ["title", "text", "card_title", "description", "upload_name"]
    list_select_related = ["category"]
    readonly_fields = ["preview", "sent_by"]

    class Media:
        css = {"all": ["sidebar/css/bubbles.css", "sidebar/admin/replies.css"]}
        js = ["sidebar/admin/reply-kind.js"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The file goes to WeCom now, off this request, so the first send finds it ready (a
        # failure to start it is logged: the first send or refresh_media uploads it then).
        transaction.on_commit(functools.partial(_upload_soon, obj.pk), robust=True)

    def get_fieldsets(self, request, obj=None):
        common = (None, {"fields": ["category", "title", "kind", "order", "enabled"]})
        fieldsets = [common]
        for heading, fields, used_by in FIELD_GROUPS:
            classes = [f"kind-{kind}" for kind in used_by]
            fieldsets.append((heading, {"fields": fields, "classes": classes}))
        if obj is not None:
            fieldsets.append((_("In the chat"), {"fields": ["preview", "sent_by"]}))
        return fieldsets

    def get_queryset(self, request):
        return _with_send_counts(super().get_queryset(request).filter(owner_userid=""))

    @admin.display(description=_("sent"), ordering="sent_total")
    def sent_count(self, reply):
        return reply.sent_total

    @admin.display(description=_("last sent"), ordering="sent_last")
    def last_sent(self, reply):
        return reply.sent_last

    @admin.display(description=_("as the customer sees it"))
    def preview(self, reply):
        return previews.render(reply)

    @admin.display(description=_("sent by"))
    def sent_by(self, reply):
        senders = (
            Send.objects.filter(reply=reply, outcome=Send.Outcome.SENT)
            .values("staff_userid")
            .annotate(times=Count("id"), name=Max("staff_name"))
            .order_by("-times", "staff_userid")[:20]
        )
        if not senders:
            return _("Not sent yet.")
        link = reverse("admin:replies_send_changelist") + f"?reply__id__exact={reply.pk}"
        rows = format_html_join(
            "",
            '<li title="{}">{}: {}</li>',
            ((s["staff_userid"], s["name"] or s["staff_userid"], s["times"]) for s in senders),
        )
        return format_html(
            '<ul class="sent-by">{}</ul><a href="{}">{}</a>', rows, link, _("All sends")
        )


def _with_send_counts(replies):
    sent = Q(sends__outcome=Send.Outcome.SENT)
    return replies.annotate(
        sent_total=Count("sends", filter=sent),
        sent_last=Max("sends__created_at", filter=sent),
    )


class PromoteForm(forms.Form):
    category = forms.ModelChoiceField(Category.objects.all(), label=_("category"))


@admin.register(OwnReply)
class OwnReplyAdmin(admin.ModelAdmin):
    """Replies staff wrote for themselves in the sidebar (我的话术): admins read them and add
    the good ones to the shared library. Staff write and change them; admins do not."""

    list_display = ["title", "written_by", "text_start", "updated_at", "sent_count"]
    search_fields = ["title", "text", "owner_userid"]
    readonly_fields = ["title", "written_by", "preview", "updated_at"]
    fields = readonly_fields
    actions = ["promote"]

    class Media:
        css = {"all": ["sidebar/css/bubbles.css", "sidebar/admin/replies.css"]}

    def get_queryset(self, request):
        return _with_send_counts(super().get_queryset(request).exclude(owner_userid=""))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("written by"), ordering="owner_userid")
    def written_by(self, reply):
        userid = reply.owner_userid
        try:
            name = staff_names.shown(get_client(), [userid]).get(userid, userid)
        except ConfigurationError:
            name = userid  # no WeCom app configured: the userid is all there is
        return userid if name == userid else f"{name} ({userid})"

    @admin.display(description=_("text"))
    def text_start(self, reply):
        return reply.text if len(reply.text) <= 60 else reply.text[:60] + "…"

    @admin.display(description=_("sent"), ordering="sent_total")
    def sent_count(self, reply):
        return reply.sent_total

    @admin.display(description=_("as the customer sees it"))
    def preview(self, reply):
        return previews.render(reply)

    @admin.action(description=_("Add to the shared library"), permissions=["promote"])
    def promote(self, request, queryset):
        form = PromoteForm(request.POST if "category" in request.POST else None)
        if form.is_valid():
            count = own.promote(replies=queryset, category=form.cleaned_data["category"])
            self.message_user(
                request,
                ngettext(
                    "%(n)d reply is in the shared library now: everyone sees it.",
                    "%(n)d replies are in the shared library now: everyone sees them.",
                    count,
                )
                % {"n": count},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Add to the shared library"),
            "opts": self.model._meta,
            "form": form,
            "replies": queryset,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/replies/promote.html", context)

    def has_promote_permission(self, request):
        return request.user.has_perm("replies.add_reply")


def _upload_soon(reply_id: int) -> None:
    reply = Reply.objects.filter(pk=reply_id).first()
    if reply is None:
        return
    try:
        client = get_client()
    except ConfigurationError:
        return  # no WeCom app configured yet: the first send uploads it
    media.upload_soon(client=client, reply=reply)


CSV_COLUMNS = [
    *AUDIT_CSV_COLUMNS,
    Column(_("customer or group"), "target_name"),
    Column(_("chat or customer"), "target_id"),
    Column(_("reply title"), "reply_title"),
    Column(_("kind"), "kind", words=dict(Reply.Kind.choices)),
    Column(_("outcome"), "outcome", words=dict(Send.Outcome.choices)),
    Column(_("client message"), "err_msg"),
    Column(_("duration (ms)"), "duration_ms"),
    Column(_("WeCom version"), "wecom_version"),
]


@admin.register(Send)
class SendAdmin(AuditLogAdmin):
    """发送记录: every send with its outcome; read-only, filtered, searchable, exportable."""

    list_display = [
        "created_at",
        "staff",
        "entry_words",
        "chat",
        "reply_title",
        "kind",
        "outcome",
        "client_message",
        "duration_ms",
    ]
    list_filter = ["outcome", "kind", EntryFilter, "host", "created_at"]
    search_fields = [
        "staff_userid",
        "staff_name",
        "target_id",
        "target_name",
        "reply_title",
        "operator_name",
        "operator_uid",
    ]
    search_log = "send"
    exclude = ["media_id"]
    csv_name = "sends"
    csv_columns = CSV_COLUMNS

    # The list keeps to 1280 px: ids wrap, and the client's message shows its start (the
    # whole of it in the tooltip, the detail page and the CSV).
    MESSAGE_SHOWN = 60

    @admin.display(description=_("chat or customer"), ordering="target_id")
    def chat(self, row):
        return target_cell(row.target_name, row.target_id)

    @admin.display(description=_("client message"))
    def client_message(self, row):
        if len(row.err_msg) <= self.MESSAGE_SHOWN:
            return row.err_msg
        return format_html(
            '<span title="{}">{}…</span>', row.err_msg, row.err_msg[: self.MESSAGE_SHOWN]
        )
