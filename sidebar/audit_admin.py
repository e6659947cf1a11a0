"""The shape every audit log takes in Django admin (lookups, sends): read-only rows, newest
first, a date hierarchy, and a CSV export of the selected rows."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from sidebar import csv_export


class AuditLogAdmin(admin.ModelAdmin):
    csv_name = "rows"  # the download is <csv_name>-<local time>.csv
    csv_fields: list[str] = []
    date_hierarchy = "created_at"
    actions = ["export_csv"]
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Export selected rows as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        rows = queryset.order_by("-created_at").values_list(*self.csv_fields).iterator()
        return csv_export.response(self.csv_name, self.csv_fields, rows)
