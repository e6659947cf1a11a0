from django.conf import settings
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sidebar import entries
from sidebar.audit_admin import AUDIT_CSV_COLUMNS, AuditLogAdmin, EntryFilter, target_cell
from sidebar.csv_export import Column
from sidebar.diagnosis import diagnose
from sidebar.models import ClientFailureReport, KfScene, Lookup

CSV_COLUMNS = [
    *AUDIT_CSV_COLUMNS,
    Column(_("customer or group"), "target_name"),
    Column(_("target id"), "target_id"),
    Column(_("outcome"), "outcome", words=dict(Lookup.Outcome.choices)),
    Column(_("WeCom errcode"), "errcode"),
    Column(_("duration (ms)"), "duration_ms"),
    Column(_("from cache"), "from_cache", kind="yes_no"),
]


# The product's name, which admin calls itself unless DJANGO_ADMIN_TITLE says otherwise.
PRODUCT_NAME = _("WeCom sidebar")
admin.site.site_header = admin.site.site_title = settings.DJANGO_ADMIN_TITLE or PRODUCT_NAME
# The page only works inside WeCom: admin has no site to link to ("查看站点").
admin.site.site_url = None
# The log's columns need the width more than a list of models does (1280 px screens).
admin.site.enable_nav_sidebar = False


@admin.register(Lookup)
class LookupAdmin(AuditLogAdmin):
    """The audit log: read-only, filtered, searchable, exportable."""

    search_log = "lookup"

    list_display = [
        "created_at",
        "staff",
        "entry_words",
        "target",
        "outcome_words",
        "answered_from",
        "errcode",
        "duration_ms",
    ]
    list_filter = ["outcome", EntryFilter, "host", "created_at", "from_cache"]
    csv_name = "lookups"
    csv_columns = CSV_COLUMNS

    @admin.display(description=_("customer or group"), ordering="target_id")
    def target(self, row):
        return target_cell(row.target_name, row.target_id)

    @admin.display(description=_("answered from"), ordering="from_cache")
    def answered_from(self, row):
        return _("cache") if row.from_cache else _("WeCom")


@admin.register(ClientFailureReport)
class ClientFailureReportAdmin(admin.ModelAdmin):
    """What failed on staff members' clients, with the likely cause in one line."""

    list_display = [
        "created_at",
        "staff",
        "entry_words",
        "diagnosis",
        "error_start",
        "wecom_version",
    ]
    list_filter = [EntryFilter, "created_at", "wecom_version"]
    search_fields = ["staff_userid", "staff_name", "error", "page_url"]
    date_hierarchy = "created_at"
    readonly_fields = ["diagnosis"]
    ERROR_SHOWN = 40  # the client's own words are technical: their start, the rest on hover

    @admin.display(description=_("staff member"), ordering="staff_userid")
    def staff(self, report):
        return target_cell(report.staff_name, report.staff_userid)

    @admin.display(description=_("entry"), ordering="entry")
    def entry_words(self, report):
        return format_html('<span title="{}">{}</span>', report.entry, entries.label(report.entry))

    @admin.display(description=_("what the client said"))
    def error_start(self, report):
        shown = report.error
        if len(shown) > self.ERROR_SHOWN:
            shown = shown[: self.ERROR_SHOWN] + "…"
        return format_html('<code title="{}">{}</code>', report.error, shown)

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


@admin.register(KfScene)
class KfSceneAdmin(admin.ModelAdmin):
    """The words staff read for each 客服 scene value (the panel shows the value itself
    until it has some)."""

    list_display = ["scene", "name"]
    list_editable = ["name"]
    search_fields = ["scene", "name"]
