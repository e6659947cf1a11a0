"""npm's files served as ours: exactly the files pages load, and a clear error when npm has
not installed them."""

from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import override_settings

from sidebar.static_vendor import VendorFinder


def test_the_pages_scripts_are_found_and_nothing_else_of_the_packages():
    found = finders.find("vendor/chartjs/chart.umd.min.js")
    assert found == str(settings.NODE_MODULES / "chart.js/dist/chart.umd.min.js")
    assert finders.find("vendor/wecom-jssdk/wecom.global.prod.js")
    assert finders.find("vendor/chartjs/chart.js") is None  # the module build stays behind
    listed = {path for path, _storage in VendorFinder().list([])}
    assert listed == {"wecom.global.prod.js", "chart.umd.min.js", "chart.umd.min.js.map"}


@override_settings(VENDOR_STATIC={"vendor/x/x.js": "/nonexistent/x.js"})
def test_a_package_npm_did_not_install_is_a_system_check_error():
    finder = VendorFinder()
    (error,) = finder.check()
    assert error.id == "sidebar.E020" and "npm ci" in error.hint
    assert finder.find("vendor/x/x.js") == [] == finder.find("vendor/x/x.js", find_all=True)
