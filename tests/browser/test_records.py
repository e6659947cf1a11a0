"""The customer record through the emulator in headless Chromium: a staff member edits their
remark and tags in place, writes a follow-up note with a reminder, sets the stage, and reads
the timeline; the reminder arrives as an app message that opens the customer's panel."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sidebar.records.models import Note
from sidebar.standin.seed import tag_id
from tests.browser.conftest import PROFILE_NAME, assert_clean, db
from tests.records.conftest import default_stages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER = "wmChenXiaoMing0001"
REMARK = "/cgi-bin/externalcontact/remark"
MARK_TAG = "/cgi-bin/externalcontact/mark_tag"
SEND = "/cgi-bin/message/send"


def sidebar_frame(view):
    return next(f for f in view.page.frames if "/sidebar/" in f.url)


def test_a_follower_edits_remark_description_company_and_two_mobiles(signed_in, corp):
    view = signed_in
    mine = view.sidebar.locator("[data-part=mine]")
    mine.get_by_role("button", name="编辑").click()
    form = view.sidebar.locator("form[data-part=mine]")
    form.get_by_label("备注").fill("陈总")
    form.get_by_label("描述").fill("下月续费")
    form.get_by_label("公司").fill("小明国际贸易")
    mobiles = form.locator("input[name=mobile]")
    mobiles.nth(0).fill("13900000002")
    mobiles.nth(1).fill("021-55550000")
    view.screenshot("record-remark-form")
    form.get_by_role("button", name="保存").click()
    expect(view.sidebar.locator(".remark")).to_have_text("陈总")
    expect(view.sidebar.locator(".mobile-number")).to_have_text(["13900000002", "021-55550000"])
    # The timeline below shows the edit at once.
    expect(view.sidebar.locator(".events")).to_contain_text("备注：陈先生（老客户） → 陈总")
    (call,) = corp.calls_to(REMARK)
    assert call.body == {
        "userid": "zhangsan",
        "external_userid": CUSTOMER,
        "remark": "陈总",
        "description": "下月续费",
        "remark_company": "小明国际贸易",
        "remark_mobiles": ["13900000002", "021-55550000"],
    }
    # A phone number is a link that calls, with a copy button beside it.
    expect(view.sidebar.locator('a[href="tel:021-55550000"]')).to_be_visible()
    # A reload asks WeCom afresh and shows what it now holds.
    view.open_chat("single_chat_tools", "woZhouJianGuo0002")
    view.open_chat("single_chat_tools", CUSTOMER)
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("陈小明")
    expect(view.sidebar.locator(".remark")).to_have_text("陈总")
    expect(view.sidebar.locator(".description")).to_have_text("下月续费")
    expect(view.sidebar.locator(".company")).to_have_text("小明国际贸易")
    expect(view.sidebar.locator(".events")).to_contain_text("备注：陈先生（老客户） → 陈总")
    view.screenshot("record-remark-saved")
    assert_clean(view)
    # A colleague who follows the customer still sees their own remark, and that 张三 changed
    # theirs, not to what.
    view.press("切换成员")
    view.sign_in_as("李四 lisi")
    expect(view.sidebar.locator(".remark")).to_have_text("小明")
    expect(view.sidebar.locator(".events")).to_contain_text("修改了备注")
    expect(view.sidebar.locator(".events")).not_to_contain_text("陈总")
    # 王五 does not follow the customer: forcing the endpoint is refused, WeCom hears nothing.
    view.press("切换成员")
    view.sign_in_as("王五 wangwu")
    expect(view.sidebar.locator(".problem-title")).to_have_text("你未添加该客户")
    status = sidebar_frame(view).evaluate(
        """(url) => {
          const body = new FormData();
          body.append("remark", "抢来的客户");
          const headers = {"X-CSRFToken": window.sidebarCsrfToken()};
          return fetch(url, {method: "POST", body, headers})
            .then((r) => r.status);
        }""",
        f"/sidebar/record/contact/{CUSTOMER}/remark/",
    )
    assert status == 403
    assert corp.count(REMARK) == 1


def test_tags_added_and_removed_in_one_call(signed_in, corp):
    view = signed_in
    tags = view.sidebar.locator("[data-part=tags]")
    tags.get_by_role("button", name="编辑").click()
    form = view.sidebar.locator("form[data-part=tags]")
    expect(form).to_contain_text("个人标签只能在企业微信中修改")
    form.get_by_label("官网").check()
    form.get_by_label("专业版").check()
    form.get_by_label("展会").uncheck()
    view.screenshot("record-tags-form")
    form.get_by_role("button", name="保存").click()
    expect(view.sidebar.locator("[data-part=tags] .tag")).to_have_text(
        ["重要客户", "续费意向", "爱喝茶", "官网", "专业版"]
    )
    (call,) = corp.calls_to(MARK_TAG)
    assert call.body == {
        "userid": "zhangsan",
        "external_userid": CUSTOMER,
        "add_tag": sorted([tag_id("来源", "官网"), tag_id("意向产品", "专业版")]),
        "remove_tag": [tag_id("来源", "展会")],
    }
    # Cancel puts the card back as it was, with nothing sent.
    view.sidebar.locator("[data-part=tags]").get_by_role("button", name="编辑").click()
    view.sidebar.locator("form[data-part=tags]").get_by_role("button", name="取消").click()
    expect(view.sidebar.locator("[data-part=tags] .tag")).to_have_count(5)
    assert corp.count(MARK_TAG) == 1
    assert_clean(view)


def test_a_note_with_a_reminder_a_stage_and_the_timeline(signed_in, corp):
    db(default_stages)
    view = signed_in
    view.sidebar.locator("#refresh").click()  # the panel as it is with the stages defined
    expect(view.sidebar.locator(".stage-choices button")).to_have_count(5)
    record = view.sidebar.locator("[data-part=record]")
    record.locator("#note-text").fill("约了周五演示，带上报价")
    due = timezone.localtime(timezone.now() + timedelta(minutes=1))
    record.locator("input[name=due_at]").fill(due.strftime("%Y-%m-%dT%H:%M"))
    record.get_by_role("button", name="保存").click()
    expect(view.sidebar.locator(".note-text")).to_have_text("约了周五演示，带上报价")
    view.sidebar.locator(".stage-choices").get_by_role("button", name="跟进中").click()
    expect(view.sidebar.locator(".stage-choices [aria-pressed=true]")).to_have_text("跟进中")
    events = view.sidebar.locator(".event .event-words")
    expect(events).to_have_text(["设置了客户阶段", "写了跟进记录"])
    view.screenshot("record-note-stage-timeline")
    # The follow-up time comes: the reminder is an app message to 张三 that opens the customer.
    db(lambda: [Note.objects.update(due_at=timezone.now() - timedelta(seconds=1))])
    message = view.page.locator("#app-messages .app-message")
    expect(message).to_contain_text("跟进提醒：陈小明", timeout=60_000)
    expect(message).to_contain_text("约了周五演示，带上报价")
    assert corp.count(SEND) == 1
    view.screenshot("record-reminder-message", whole=True)
    with view.page.expect_response("**/sidebar/?record=*"):
        message.get_by_role("button", name="查看").click()
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("陈小明")
    expect(view.sidebar.locator(".note-text")).to_have_text("约了周五演示，带上报价")
    assert corp.count(SEND) == 1
    assert_clean(view)


def test_the_home_panel_lists_what_is_due(signed_in):
    view = signed_in
    record = view.sidebar.locator("[data-part=record]")
    record.locator("#note-text").fill("回电话")
    due = timezone.localtime(timezone.now() + timedelta(minutes=5))
    record.locator("input[name=due_at]").fill(due.strftime("%Y-%m-%dT%H:%M"))
    record.get_by_role("button", name="保存").click()
    expect(view.sidebar.locator(".note-text")).to_have_text("回电话")
    view.open_chat("normal")
    due_item = view.sidebar.locator(".due-item")
    expect(due_item).to_contain_text("陈小明")
    expect(due_item).to_contain_text("回电话")
    view.screenshot("record-home-due")
    with view.page.expect_response("**/sidebar/?record=*"):
        due_item.locator("a").click()
    expect(view.sidebar.locator(PROFILE_NAME)).to_have_text("陈小明")
    assert_clean(view)
