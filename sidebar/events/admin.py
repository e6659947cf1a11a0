"""WeCom's change events as they arrived, read-only: what the callback received and did."""

from django.contrib import admin

from sidebar.audit_admin import ReadOnlyAdmin
from sidebar.events.models import ChangeEvent


@admin.register(ChangeEvent)
class ChangeEventAdmin(ReadOnlyAdmin):
    list_display = [
        "received_at",
        "happened_at",
        "event",
        "change_type",
        "user_id",
        "external_userid",
        "chat_id",
        "tag_id",
    ]
    list_filter = ["event", "change_type", "received_at"]
    search_fields = ["user_id", "external_userid", "chat_id", "tag_id"]
    exclude = ["digest"]
    list_per_page = 100
    show_full_result_count = False
