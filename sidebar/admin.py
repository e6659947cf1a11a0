from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from sidebar.audit_admin import AuditLogAdmin, EntryFilter
from sidebar.diagnosis import diagnose
from sidebar.models import ClientFailureReport, Lookup

CSV_FIELDS = [
    "created_at",
    "staff_userid",
    "host",
    "operator_name",
    "entry",
    "target_id",
    "outcome",
    "errcode",
    "duration_ms",
    "from_cache",
]


@admin.register(Lookup)
class LookupAdmin(AuditLogAdmin):
    """The audit log: read-only, filtered, searchable, exportable."""

    list_display = CSV_FIELDS
    list_filter = ["outcome", EntryFilter, "host", "created_at", "from_cache"]
    search_fields = ["staff_userid", "target_id", "operator_name", "operator_uid"]
    csv_name = "lookups"
    csv_fields = CSV_FIELDS


@admin.register(ClientFailureReport)
class ClientFailureReportAdmin(admin.ModelAdmin):
    """What failed on staff members' clients, with the likely cause in one line."""

    list_display = ["created_at", "staff_userid", "entry", "error", "diagnosis", "wecom_version"]
    list_filter = ["entry", "created_at", "wecom_version"]
    search_fields = ["staff_userid", "error", "page_url"]
    date_hierarchy = "created_at"
    readonly_fields = ["diagnosis"]

    @admin.display(description=_("likely cause"))
    def diagnosis(self, report):
        return diagnose(
            error=report.error,
            signed_url=report.signed_url,
            page_url=report.page_url,
            wecom_version=report.wecom_version,
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
