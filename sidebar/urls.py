from django.contrib import admin
from django.urls import include, path, re_path

from sidebar import admin_views, views
from sidebar.events import views as events
from sidebar.wecom.config import VERIFY_FILE_PATTERN

sidebar_patterns = (
    [
        path("", views.page, name="page"),
        path("oauth/callback/", views.oauth_callback, name="oauth-callback"),
        path("signin/", views.sign_in_again, name="signin"),
        path("lookup/<slug:kind>/", views.lookup, name="lookup"),
        path("home/", views.home, name="home"),
        path("reports/", views.report_failure, name="reports"),
        path("signatures/", views.signatures, name="signatures"),
        path("replies/", include("sidebar.replies.urls")),
        path("record/", include("sidebar.records.urls")),
        # The same page in Juzi's system sidebar (docs/hosts.md).
        path("juzi/", include("sidebar.hosts.juzi.urls")),
    ],
    "sidebar",
)

urlpatterns = [
    path("sidebar/", include(sidebar_patterns)),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics_view, name="metrics"),
    # WeCom's callback (接收消息 → 设置API接收): URL verification and change events.
    path("wecom/events/", events.receive, name="wecom-events"),
    # WeCom's trusted-domain check fetches this file from the site root (WECOM_VERIFY_FILE).
    re_path(
        rf"^(?P<name>{VERIFY_FILE_PATTERN})$",
        views.domain_verification,
        name="domain-verification",
    ),
    # Development only: every route answers 404 unless DEBUG and WECOM_EMULATOR are on.
    path("emulator/", include("sidebar.emulator.urls")),
    path(
        "admin/overview/", admin.site.admin_view(admin_views.overview_page), name="admin-overview"
    ),
    path("admin/doctor/", admin.site.admin_view(admin_views.doctor_page), name="admin-doctor"),
    path("admin/", admin.site.urls),
]

# An unexpected error, or a database that does not answer, in words (never a bare 500 page).
handler500 = "sidebar.views.server_error"
