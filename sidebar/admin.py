import csv
import re

from django.contrib import admin
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sidebar.diagnosis import diagnose
from sidebar.models import ClientFailureReport, Lookup

CSV_FIELDS = [
    "created_at",
    "staff_userid",
    "entry",
    "target_id",
    "outcome",
    "errcode",
    "duration_ms",
    "from_cache",
]


# What a spreadsheet reads as the start of a formula: = + - @ (or their full-width forms),
# also after leading whitespace, and a leading tab or line break.
_FORMULA = re.compile(r"\A(?:[\t\r\n]|\s*[=+\-@\uff1d\uff0b\uff0d\uff20])")


def _csv_cell(value):
    """A value as a CSV cell: numbers stay numbers; text a spreadsheet would run as a formula
    is prefixed with ' so it stays text."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if _FORMULA.match(text) else text


@admin.register(Lookup)
class LookupAdmin(admin.ModelAdmin):
    """The audit log: read-only, filtered, searchable, exportable."""

    list_display = CSV_FIELDS
    list_filter = ["outcome", "entry", "created_at", "from_cache"]
    search_fields = ["staff_userid", "target_id"]
    date_hierarchy = "created_at"
    actions = ["export_csv"]
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Export selected lookups as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="lookups-{stamp}.csv"'
        response.write("\ufeff")  # so spreadsheet programs read the Chinese text as UTF-8
        writer = csv.writer(response)
        writer.writerow(CSV_FIELDS)
        for row in queryset.order_by("-created_at").values_list(*CSV_FIELDS).iterator():
            row = list(row)
            row[0] = timezone.localtime(row[0]).isoformat()
            writer.writerow([_csv_cell(value) for value in row])
        return response


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
