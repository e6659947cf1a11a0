"""Django admin as an auditor sees it, in Chromium: the audit log fits a 1280 px screen."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sidebar.models import Lookup
from tests.browser.conftest import ARTIFACTS, collect_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "auditor-password-for-tests"


@pytest.fixture
def long_row(django_user_model):
    """An auditor, and a row as long as real ones get: 32-character WeCom ids, long names, a
    hosted operator. Made before Chromium starts (the ORM refuses to run beside its loop)."""
    django_user_model.objects.create_superuser("auditor", password=PASSWORD)
    return Lookup.objects.create(
        staff_userid="zhangsan-sales-east-region-0001",
        staff_name="张三丰（华东大区销售一部）",
        operator_uid="647844cd6059597fc5c79f38",
        operator_name="运营小周",
        host="juzi",
        entry="chain_single_chat_tools",
        target_id="wmABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
        target_name="上海某某国际贸易有限公司采购部陈小明",
        outcome=Lookup.Outcome.UPSTREAM_ERROR,
        errcode=60020,
        duration_ms=10_001,
        created_at=timezone.now(),
    )


@pytest.fixture
def auditor_page(live_server, long_row, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.errors = collect_errors(page)
    page.goto(live_server.url + "/admin/login/?next=/admin/")
    page.fill("#id_username", "auditor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_have_text("企业微信侧边栏")
    yield page
    context.close()


def test_the_lookup_log_shows_every_column_at_1280_px(auditor_page, live_server):
    page = auditor_page
    page.goto(live_server.url + "/admin/sidebar/lookup/")
    headers = page.locator("#result_list thead th")
    expect(headers).to_have_count(9)  # the selection box and 8 columns
    # Every column inside the list's visible box: nothing scrolled away, nothing under the
    # filters beside it, and no page-wide scrolling.
    shown = page.locator("#changelist .results").bounding_box()
    filters = page.locator("#changelist-filter").bounding_box()
    assert shown["x"] + shown["width"] <= filters["x"]
    for i in range(headers.count()):
        box = headers.nth(i).bounding_box()
        name = headers.nth(i).inner_text()
        assert box is not None and box["width"] > 0, name
        right = shown["x"] + shown["width"]
        assert shown["x"] <= box["x"] and box["x"] + box["width"] <= right, name
    assert page.evaluate(
        "(() => { const r = document.querySelector('#changelist .results');"
        " return r.scrollWidth <= r.clientWidth; })()"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    expect(page.locator("#result_list tbody")).to_contain_text("张三丰（华东大区销售一部）")
    expect(page.locator("#result_list tbody")).to_contain_text("上下游单聊")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-lookups-1280.png"))
    assert page.errors == []
