"""Admin pages beyond the model lists: the overview (概览) of the audit log, and the
configuration doctor (配置体检)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from sidebar import doctor, overview


@require_safe
def overview_page(request):
    """Charts of the last days, each with its numbers in a table beside it. Anyone who may
    read the lookup log may read this; the figures of the send log and the failure reports
    only those who may read those."""
    if not request.user.has_perm("sidebar.view_lookup"):
        raise PermissionDenied
    asked = request.GET.get("days", "")
    days = int(asked) if asked.isdigit() and int(asked) in overview.PERIODS else None
    figures = overview.build(
        days or overview.DEFAULT_DAYS, shown=overview.readable_by(request.user)
    )
    context = {
        **admin.site.each_context(request),
        "title": _("Overview"),
        "figures": figures,
        "periods": overview.PERIODS,
        "charts": _chart_data(figures),
    }
    return render(request, "admin/sidebar/overview.html", context)


def _chart_data(figures: overview.Overview) -> dict:
    """What static/sidebar/admin/overview.js draws; the page's tables hold the same numbers."""

    def bars(rows):
        return {"labels": [row.label for row in rows], "counts": [row.count for row in rows]}

    oldest_first = list(reversed(figures.day_rows()))
    return {
        "perDay": {
            "labels": [day.strftime("%m-%d") for day, _counts in oldest_first],
            "series": [
                {"key": key, "label": words, "counts": [counts[i] for _day, counts in oldest_first]}
                for i, (key, words) in enumerate(figures.outcomes)
            ],
        },
        "refusals": bars(figures.refusals),
        "busiest": bars(figures.busiest),
        **{
            name: bars(rows)
            for name, rows in (
                ("failures", figures.failures),
                ("replies", figures.replies),
                ("funnel", figures.funnel),
            )
            if rows is not None
        },
    }


@require_safe
def doctor_page(request):
    """配置体检: superusers only (it reads the app's settings from WeCom)."""
    if not request.user.is_superuser:
        raise PermissionDenied
    findings = doctor.examine()
    context = {
        **admin.site.each_context(request),
        "title": _("Configuration check"),
        "findings": findings,
        "failed": doctor.failed(findings),
    }
    return render(request, "admin/sidebar/doctor.html", context)
