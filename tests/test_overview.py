"""The admin overview (概览): what the audit rows of the last days add up to, and who may see it."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from sidebar import overview
from sidebar.models import ClientFailureReport, Lookup
from sidebar.replies.models import Send

pytestmark = pytest.mark.django_db

PAGE = "/admin/overview/"


def at(days_ago: int, hour: int = 10) -> datetime:
    """A local time `days_ago` days before today."""
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def lookup(days_ago, outcome="ok", *, staff="zhangsan", staff_name="张三", target="wmA", **more):
    return Lookup(
        created_at=at(days_ago, more.pop("hour", 10)),
        staff_userid=staff,
        staff_name=staff_name,
        entry=more.pop("entry", "single_chat_tools"),
        target_id=target,
        target_name=more.pop("target_name", "陈小明" if outcome == "ok" else ""),
        outcome=outcome,
        duration_ms=10,
        **more,
    )


@pytest.fixture
def rows():
    Lookup.objects.bulk_create(
        [
            lookup(0),
            lookup(0, hour=0),  # local midnight belongs to today, whatever UTC says
            lookup(0, "denied", staff="lisi", staff_name="李四", target="wmB"),
            lookup(1, "denied", staff="lisi", staff_name="李四", target="wmC"),
            lookup(1, "denied", staff="wangwu", staff_name="", target="wmC"),
            lookup(2, target="wrGroup1", entry="group_chat_tools", target_name="华东客户群"),
            lookup(2, target="wrGroup1", entry="group_chat_tools", target_name="华东客户群"),
            lookup(2, target="wrGroup1", entry="group_chat_tools", target_name="华东客户群"),
            lookup(3, "upstream_error", errcode=60020),
            lookup(3, target="x", entry="normal"),  # shows nobody: not among the busiest
            lookup(40),  # before the 30 days
        ]
    )
    for error in ("agentConfig:fail, invalid signature", "getContext:fail, invalid signature"):
        ClientFailureReport.objects.create(
            staff_userid="zhangsan",
            error=error,
            signed_url="https://a.example/sidebar/",
            page_url="https://a.example/sidebar/",
        )
    ClientFailureReport.objects.create(staff_userid="lisi", error="getContext:fail no permission")
    for outcome in ("sent", "sent", "cancelled"):
        Send.objects.create(
            staff_userid="zhangsan",
            entry="single_chat_tools",
            reply_title="价格表",
            kind="text",
            outcome=outcome,
        )
    Send.objects.create(
        staff_userid="lisi",
        entry="single_chat_tools",
        reply_title="问候",
        kind="text",
        outcome="sent",
    )


def test_the_figures_add_up(rows):
    figures = overview.build(30)
    assert len(figures.per_day) == 30 and figures.per_day[-1][0] == timezone.localdate()
    assert figures.lookups == 10  # the one from 40 days ago is outside
    today, yesterday = figures.per_day[-1][1], figures.per_day[-2][1]
    assert today == {"ok": 2, "denied": 1} and yesterday == {"denied": 2}
    assert figures.day_rows()[0] == (timezone.localdate(), [2, 1, 0, 0, 0])

    assert [(b.label, b.count, b.key) for b in figures.refusals] == [
        ("李四", 2, "lisi"),
        ("wangwu", 1, ""),  # no name kept: the userid, once
    ]
    assert [(b.label, b.count, b.note) for b in figures.busiest] == [
        ("华东客户群", 3, "客户群"),
        ("陈小明", 2, "客户"),
    ]
    causes = [(b.label, b.count) for b in figures.failures]
    assert causes[0][1] == 2 and "ticket" in causes[0][0]
    assert causes[1][1] == 1 and "客户联系" in causes[1][0]
    assert [(b.label, b.count) for b in figures.replies] == [("价格表", 2), ("问候", 1)]

    week = overview.build(7)
    assert len(week.per_day) == 7 and week.lookups == 10


def test_the_page_shows_each_figure_as_a_chart_and_a_table(admin_client, rows):
    page = admin_client.get(PAGE).content.decode()
    assert "<title>概览 | 企业微信侧边栏</title>" in page
    assert "共 10 次查询" in page and 'aria-current="page">最近 30 天' in page
    for figure in ("per-day", "refusals", "busiest", "failures", "replies"):
        assert f'<canvas id="{figure}-chart" role="img"' in page
        assert (
            f'aria-describedby="{figure}-table"' in page and f'<table id="{figure}-table">' in page
        )
    assert "vendor/chartjs/chart.umd.min.js" in page  # served by us, no CDN
    assert 'href="/admin/sidebar/lookup/?q=lisi&amp;outcome__exact=denied">李四</a>' in page
    assert '<td class="number">3</td>' in page  # the group's three lookups


def test_an_empty_period_says_so_and_draws_nothing(admin_client):
    page = admin_client.get(PAGE, {"days": "7"}).content.decode()
    assert "这段时间没有查询。" in page and "这段时间没有发送过话术。" in page
    assert "<canvas" not in page


@pytest.mark.parametrize("days", ["365", "x", "-7", ""])
def test_periods_it_does_not_offer_show_the_default(admin_client, days):
    page = admin_client.get(PAGE, {"days": days}).content.decode()
    assert 'aria-current="page">最近 30 天' in page


def test_every_admin_page_links_to_it(admin_client):
    assert f'href="{PAGE}"' in admin_client.get("/admin/").content.decode()


def test_only_those_who_may_read_the_log_see_it(client, django_user_model):
    assert client.get(PAGE).status_code == 302  # to the login page
    clerk = django_user_model.objects.create_user("clerk", password="pw-clerk-12345", is_staff=True)
    client.force_login(clerk)
    assert client.get(PAGE).status_code == 403
    assert f'href="{PAGE}"' not in client.get("/admin/").content.decode()
    clerk.user_permissions.add(Permission.objects.get(codename="view_lookup"))
    assert client.get(PAGE).status_code == 200


def test_each_figure_only_for_those_who_may_read_its_log(client, django_user_model, rows):
    """An auditor who may view lookups alone sees the lookup figures, not the send log's
    most-sent replies (发送记录 itself is 403 for them) nor the failure reports' causes."""
    auditor = django_user_model.objects.create_user(
        "auditor", password="pw-aud-12345", is_staff=True
    )
    auditor.user_permissions.add(Permission.objects.get(codename="view_lookup"))
    client.force_login(auditor)
    assert client.get("/admin/replies/send/").status_code == 403
    page = client.get(PAGE).content.decode()
    assert 'id="busiest-chart"' in page and 'id="refusals-chart"' in page
    assert "价格表" not in page and "replies-chart" not in page and "发送最多的话术" not in page
    assert "failures-chart" not in page and "ticket" not in page
    auditor.user_permissions.add(Permission.objects.get(codename="view_send"))
    auditor = django_user_model.objects.get(pk=auditor.pk)  # permissions are cached per user
    client.force_login(auditor)
    page = client.get(PAGE).content.decode()
    assert 'id="replies-chart"' in page and "价格表" in page and "failures-chart" not in page


def test_it_only_answers_reads(admin_client):
    assert admin_client.post(PAGE).status_code == 405
