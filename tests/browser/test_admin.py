"""Django admin as an auditor sees it, in Chromium: both audit logs fit a 1280 px screen, and
the overview draws its charts."""

import contextlib
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sidebar.models import ClientFailureReport, Lookup
from sidebar.replies.models import Send
from tests.browser.conftest import ARTIFACTS, collect_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "auditor-password-for-tests"


# Who made a row, as long as real ones get: a long userid and name, a hosted operator.
LONG_WHO = {
    "staff_userid": "zhangsan-sales-east-region-0001",
    "staff_name": "张三丰（华东大区销售一部）",
    "operator_uid": "647844cd6059597fc5c79f38",
    "operator_name": "运营小周",
    "host": "juzi",
    "duration_ms": 10_001,
}


@pytest.fixture
def long_row(django_user_model):
    """An auditor, and a row as long as real ones get: 32-character WeCom ids, long names, a
    hosted operator. Made before Chromium starts (the ORM refuses to run beside its loop)."""
    django_user_model.objects.create_superuser("auditor", password=PASSWORD)
    return Lookup.objects.create(
        **LONG_WHO,
        entry="chain_single_chat_tools",
        target_id="wmABCDEFGHIJKLMNOPQRSTUVWXYZ012345",
        target_name="上海某某国际贸易有限公司采购部陈小明",
        outcome=Lookup.Outcome.UPSTREAM_ERROR,
        errcode=60020,
        created_at=timezone.now(),
    )


@pytest.fixture
def long_send(db):
    """A send row as long as real ones get: a group chat id, a long title, the client's
    whole error message."""
    return Send.objects.create(
        **LONG_WHO,
        entry="group_chat_tools",
        target_id="wrOgQhDgAAcwMTB7YmDkbeBsgT_AAAAA_wrOgQhDgAAcwMTB7YmDkbeBsgT",
        reply_title="双十一活动价目表（华东区经销商专用，含运费说明）",
        kind="file",
        outcome=Send.Outcome.FAILED,
        err_msg="sendChatMessage:fail_invalid media id, errcode 40007 " * 8,
        wecom_version="4.1.30",
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


def assert_every_column_shows(page, *, columns: int) -> None:
    """Every column inside the list's visible box: nothing scrolled away, nothing under the
    filters beside it, and no page-wide scrolling."""
    headers = page.locator("#result_list thead th")
    expect(headers).to_have_count(columns + 1)  # and the selection box
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


def test_the_lookup_log_shows_every_column_at_1280_px(auditor_page, live_server):
    page = auditor_page
    page.goto(live_server.url + "/admin/sidebar/lookup/")
    assert_every_column_shows(page, columns=8)
    expect(page.locator("#result_list tbody")).to_contain_text("张三丰（华东大区销售一部）")
    expect(page.locator("#result_list tbody")).to_contain_text("上下游单聊")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-lookups-1280.png"))
    assert page.errors == []


@pytest.fixture
def a_month_of_rows(long_row):
    """Lookups of every outcome over the month, a refusal, a failure report and sends."""
    now = timezone.now()
    outcomes = ["ok", "ok", "ok", "denied", "not_found", "upstream_error"]
    Lookup.objects.bulk_create(
        Lookup(
            created_at=now - timedelta(days=n % 30, hours=n % 5),
            staff_userid=f"staff{n % 4}",
            staff_name=["张三", "李四", "王五", "赵六"][n % 4],
            entry="single_chat_tools",
            target_id=f"wmCustomer{n % 7:04d}",
            target_name=f"客户{n % 7}",
            outcome=outcomes[n % len(outcomes)],
            duration_ms=20,
        )
        for n in range(300)
    )
    ClientFailureReport.objects.create(
        staff_userid="staff1", error="agentConfig:fail, invalid signature", wecom_version="4.1.22"
    )
    for title in ("价格表", "价格表", "问候"):
        Send.objects.create(
            staff_userid="staff0",
            entry="single_chat_tools",
            reply_title=title,
            kind="text",
            outcome="sent",
        )


def test_the_send_log_shows_every_column_at_1280_px(long_send, auditor_page, live_server):
    page = auditor_page
    page.goto(live_server.url + "/admin/replies/send/")
    assert_every_column_shows(page, columns=9)
    expect(page.locator("#result_list tbody")).to_contain_text("双十一活动价目表")
    message = page.locator("#result_list td.field-client_message span")
    expect(message).to_have_attribute("title", long_send.err_msg)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-sends-1280.png"))
    assert page.errors == []


def test_the_overview_draws_every_chart_without_errors(a_month_of_rows, auditor_page, live_server):
    page = auditor_page
    page.click("a.overview-link")
    expect(page.locator("h1")).to_have_text("概览")
    page.wait_for_function("document.body.dataset.charts === '5'", timeout=30_000)
    for figure in ("per-day", "refusals", "busiest", "failures", "replies"):
        canvas = page.locator(f"#{figure}-chart")
        expect(canvas).to_be_visible()
        # Chart.js drew on it: some pixels are no longer transparent.
        painted = canvas.evaluate(
            "(c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " for (let i = 3; i < d.length; i += 4) if (d[i]) return true; return false; }"
        )
        assert painted, figure
        expect(page.locator(f"#{figure}-table tbody tr").first).to_be_visible()
    expect(page.locator("#per-day-table tbody tr")).to_have_count(30)
    expect(page.locator("#replies-table tbody tr").first).to_contain_text("价格表")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-overview-1280.png"), full_page=True)
    assert page.errors == []


def admin_forms() -> list[str]:
    """Every add form admin has (the models admins create rows of)."""
    from django.contrib import admin
    from django.urls import NoReverseMatch, reverse

    found = []
    for model in admin.site._registry:
        with contextlib.suppress(NoReverseMatch):
            found.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add"))
    return found


def test_every_admin_form_fits_1280_px(auditor_page, live_server):
    page = auditor_page
    forms = admin_forms()
    assert "/admin/replies/reply/add/" in forms
    wide, shown, missing = {}, [], []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    for path in forms:
        if page.goto(live_server.url + path).status == 403:
            continue  # a log or a list nobody adds rows to
        shown.append(path)
        if path == "/admin/replies/reply/add/":
            page.select_option("#id_kind", "msgmenu")  # its menu items: the widest form
            expect(page.locator(".kind-msgmenu").first).to_be_visible()
            page.get_by_text("添加另一个").first.click()
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 1280:
            wide[path] = width
    assert len(shown) >= 5 and wide == {}
    assert missing == []
    # Scripts ran without an error (resources are counted above; the browser's own favicon
    # request is not the admin's).
    assert [e for e in page.errors if not e.startswith("Failed to load resource")] == []
