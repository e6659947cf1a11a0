"""The shape every audit log takes in Django admin (lookups, sends): read-only rows, newest
first, filters, and a CSV download of the whole filtered list (or of the rows selected).

At a million rows (docs/speed.md) every page is read off an index (sidebar.audit_indexes):
no date hierarchy (it computes a date for every row), filters whose choices are known in
advance (never a DISTINCT over the table), and counts that stop at COUNT_CAP."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponseBadRequest
from django.urls import path
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from sidebar import audit_search, csv_export, entries
from sidebar.csv_export import Column
from sidebar.entries import ENTRIES
from sidebar.hosts.models import Host

# The columns every audit log's download starts with: when, who, where; and from which entry
# (lookups and sends, which the toolbar makes).
WHO_CSV_COLUMNS = [
    Column(_("time"), "created_at", kind="time"),
    Column(_("staff member"), "staff_name"),
    Column(_("staff userid"), "staff_userid"),
    Column(_("host"), "host", words=dict(Host.choices)),
    Column(_("operator"), "operator_name"),
    Column(_("operator id"), "operator_uid"),
]
AUDIT_CSV_COLUMNS = [*WHO_CSV_COLUMNS, Column(_("entry"), "entry", words=dict(ENTRIES))]

# Counting beyond this many rows costs a scan of the rows; the list then says "more than".
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows; `capped` says the real count is larger."""

    @cached_property
    def count(self):
        return self.object_list[: COUNT_CAP + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > COUNT_CAP

    @property
    def cap_display(self) -> str:
        return f"{COUNT_CAP:,}"


class EntryFilter(admin.SimpleListFilter):
    """The entries WeCom has, in words; and any it added since this code was written."""

    title = _("entry")
    parameter_name = "entry"
    OTHER = "other"

    def lookups(self, request, model_admin):
        return [*ENTRIES, (self.OTHER, _("Another entry"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.OTHER:
            return queryset.exclude(entry__in=[key for key, _label in ENTRIES])
        if value:
            return queryset.filter(entry=value)
        return queryset


def id_cell(value: str):
    """A WeCom id in a list cell: code that may wrap anywhere (static/sidebar/admin/audit.css),
    so a long id does not widen its column past a 1280 px screen."""
    return format_html('<code class="audit-id">{}</code>', value)


def target_cell(name: str, target_id: str):
    """A customer or group in a log's list: its name over its id, or the id alone."""
    if not name:
        return id_cell(target_id)
    return format_html("{}<br><small>{}</small>", name, id_cell(target_id))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows admins read and never add, change or delete (the logs, staff's notes)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditLogAdmin(ReadOnlyAdmin):
    csv_name = "rows"  # the download is <csv_name>-<local time>.csv
    # Who and what a row names (a log adds its own fields, as the sends their reply).
    search_fields = [
        "staff_userid",
        "staff_name",
        "target_id",
        "target_name",
        "operator_name",
        "operator_uid",
    ]
    csv_columns: list[csv_export.Column] = []
    # Indexed ids a search matches whole first (read off their indexes); only when none
    # matches does it look for the words inside every search field, among the rows of the
    # staff and targets whose searched text holds them (sidebar.audit_search).
    search_exact: tuple[str, ...] = ("staff_userid", "target_id")
    search_log = ""  # the AuditSearchKey.log of this log's rows
    search_help_text = _("Finds staff, customers and groups by any part of their name or id.")
    actions = ["export_csv"]
    change_list_template = "admin/audit_change_list.html"

    class Media:
        css = {"all": ["sidebar/admin/audit.css"]}

    list_per_page = 100
    paginator = CappedPaginator
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term:
            # Each id off its own index: PostgreSQL plans the OR of the two as a scan.
            exact = Q()
            for field in self.search_exact:
                if queryset.filter(**{field: term}).exists():
                    exact |= Q(**{field: term})
            if exact:
                return queryset.filter(exact), False
            queryset = audit_search.narrowed(queryset, self.search_log, term)
        return super().get_search_results(request, queryset, search_term)

    # Columns in words for an auditor, each with the stored key in its tooltip.

    @admin.display(description=_("staff member"), ordering="staff_userid")
    def staff(self, row):
        name = row.staff_name or row.staff_userid
        shown = format_html('<span title="{}">{}</span>', row.staff_userid, name)
        if row.operator_name:
            operated = _("operated by %(name)s") % {"name": row.operator_name}
            shown = format_html(
                '{}<br><small title="{}">{}</small>', shown, row.operator_uid, operated
            )
        return shown

    @admin.display(description=_("entry"), ordering="entry")
    def entry_words(self, row):
        return format_html('<span title="{}">{}</span>', row.entry, entries.label(row.entry))

    @admin.display(description=_("outcome"), ordering="outcome")
    def outcome_words(self, row):
        return format_html(
            '<span class="outcome-{}" title="{}">{}</span>',
            row.outcome,
            row.outcome,
            row.get_outcome_display(),
        )

    @admin.action(description=_("Export selected rows as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        return csv_export.stream(self.csv_name, self.csv_columns, queryset.order_by(*ORDER))

    # The whole filtered list as CSV: the changelist's own filters, search and order.

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_export"
        own = [path("export/", self.admin_site.admin_view(self.export_view), name=name)]
        return own + super().get_urls()

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            listed = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest(
                _("These filters are not understood; go back to the list and filter again."),
                content_type="text/plain; charset=utf-8",
            )
        return csv_export.stream(self.csv_name, self.csv_columns, listed.queryset)


# The log's own order, which the audit indexes are built for.
ORDER = ("-created_at", "-id")
