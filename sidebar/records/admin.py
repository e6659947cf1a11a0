"""The record in Django admin: stages (the funnel's steps, edited here), record edits (the
audit log, read-only like 查询记录 and 发送记录, with its CSV), and follow-up notes (read-only:
notes are staff's words, changed only by their authors in the panel)."""

from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from sidebar.audit_admin import WHO_CSV_COLUMNS, AuditLogAdmin, ReadOnlyAdmin, id_cell
from sidebar.csv_export import Column
from sidebar.records.models import CustomerStage, Edit, Note, Stage, TargetKind
from sidebar.records.templatetags.records import change_lines, field_words

EDIT_CSV_COLUMNS = [
    *WHO_CSV_COLUMNS,
    Column(_("customer or group"), "target_name"),
    Column(_("kind"), "target_kind", words=dict(TargetKind.choices)),
    Column(_("customer or group id"), "target_id"),
    Column(_("change"), "action", words=dict(Edit.Action.choices)),
    Column(_("before"), "before", show=field_words),
    Column(_("after"), "after", show=field_words),
    Column(_("outcome"), "outcome", words=dict(Edit.Outcome.choices)),
    Column(_("WeCom errcode"), "errcode"),
]


def target_cell(row):
    if not row.target_name:
        return id_cell(row.target_id)
    return format_html("{}<br><small>{}</small>", row.target_name, id_cell(row.target_id))


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "enabled", "customers"]
    list_editable = ["order", "enabled"]
    ordering = ["order", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(customer_count=Count("customers"))

    @admin.display(description=_("customers"), ordering="customer_count")
    def customers(self, stage):
        return stage.customer_count

    def has_delete_permission(self, request, obj=None):
        # A stage customers are at is switched off, not deleted (their history names it).
        return obj is None or not obj.customers.exists()


@admin.register(Edit)
class EditAdmin(AuditLogAdmin):
    """客户资料修改记录: every change staff made to a customer record, or tried to."""

    list_display = [
        "created_at",
        "staff",
        "target",
        "action_words",
        "change",
        "outcome_words",
        "errcode",
    ]
    list_filter = ["outcome", "action", "target_kind", "host", "created_at"]
    csv_name = "record-edits"
    csv_columns = EDIT_CSV_COLUMNS

    @admin.display(description=_("customer or group"), ordering="target_id")
    def target(self, row):
        return target_cell(row)

    @admin.display(description=_("change"), ordering="action")
    def action_words(self, row):
        return format_html('<span title="{}">{}</span>', row.action, row.get_action_display())

    @admin.display(description=_("before → after"))
    def change(self, row):
        if row.outcome in (Edit.Outcome.INVALID, Edit.Outcome.DENIED):
            return (row.after or {}).get("error", "")
        return format_html_join(
            "",
            "<div>{}</div>",
            ((line,) for line in change_lines(row.action, row.before, row.after)),
        )


@admin.register(Note)
class NoteAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "author",
        "target",
        "text_start",
        "due_at",
        "done_at",
        "reminded_at",
    ]
    list_filter = ["target_kind", "created_at", "due_at"]
    search_fields = ["author_userid", "author_name", "target_id", "target_name", "text"]
    exclude = ["remind_claimed_at", "remind_attempts"]
    list_per_page = 100
    show_full_result_count = False

    @admin.display(description=_("author"), ordering="author_userid")
    def author(self, note):
        return format_html(
            '<span title="{}">{}</span>', note.author_userid, note.author_name or note.author_userid
        )

    @admin.display(description=_("customer or group"), ordering="target_id")
    def target(self, note):
        return target_cell(note)

    @admin.display(description=_("text"))
    def text_start(self, note):
        return (
            note.text
            if len(note.text) <= 60
            else format_html('<span title="{}">{}…</span>', note.text, note.text[:60])
        )


@admin.register(CustomerStage)
class CustomerStageAdmin(ReadOnlyAdmin):
    list_display = ["target", "target_kind", "stage", "set_by_name", "set_at"]
    list_filter = ["stage", "target_kind"]
    search_fields = ["target_id", "target_name", "set_by_userid", "set_by_name"]

    @admin.display(description=_("customer or group"), ordering="target_id")
    def target(self, row):
        return target_cell(row)
