"""The audit log in Django admin: read-only, filters, search, CSV export, and pages that
stay quick at a million rows."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sidebar.audit_admin import COUNT_CAP
from sidebar.models import Lookup

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/sidebar/lookup/"


@pytest.fixture
def rows():
    now = timezone.now()
    made = [
        Lookup(
            staff_userid="zhangsan",
            staff_name="张三",
            entry="single_chat_tools",
            target_id="wmA",
            target_name="陈小明",
            from_cache=True,
            outcome=Lookup.Outcome.OK,
            duration_ms=12,
            created_at=now,
        ),
        Lookup(
            staff_userid="lisi",
            entry="contact_profile",
            target_id="wmB",
            outcome=Lookup.Outcome.DENIED,
            duration_ms=30,
            created_at=now - timedelta(days=2),
        ),
        Lookup(
            staff_userid="wangwu",
            entry="single_chat_tools",
            target_id="=HYPERLINK(1)",
            outcome=Lookup.Outcome.UPSTREAM_ERROR,
            errcode=60020,
            duration_ms=2001,
            created_at=now - timedelta(days=400),
        ),
    ]
    return Lookup.objects.bulk_create(made)


def test_changelist_lists_and_filters(admin_client, rows):
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("zhangsan", "lisi", "wangwu", "60020"):
        assert text in body
    assert "?outcome__exact=denied" in body and "?entry=contact_profile" in body
    assert "客户群工具栏" in body  # the entries WeCom has, in words, whether used or not
    assert "?created_at__gte=" in body  # time ranges instead of a date hierarchy
    assert "3 查询记录" in body


def test_rows_read_in_words_with_their_keys_at_hand(admin_client, rows):
    body = admin_client.get(CHANGELIST).content.decode()
    # Names, with the ids in tooltips or beneath; entries and outcomes in words, keys as titles.
    assert '<span title="zhangsan">张三</span>' in body
    assert '陈小明<br><small><code class="audit-id">wmA</code></small>' in body
    assert '<span title="single_chat_tools">单聊工具栏</span>' in body
    assert '<span class="outcome-ok" title="ok">已显示</span>' in body
    assert '<span class="outcome-denied" title="denied">已拒绝</span>' in body
    # From the cache is said in words, not an icon that reads as a failure.
    assert "缓存" in body and "icon-no" not in body and "icon-yes" not in body
    # Rows that kept no names show their ids.
    assert '<span title="lisi">lisi</span>' in body and '<code class="audit-id">wmB</code>' in body
    detail = admin_client.get(f"{CHANGELIST}{rows[0].pk}/change/").content.decode()
    assert "张三 → 陈小明 (已显示)" in detail


def test_admin_is_branded_and_links_to_no_dead_site(admin_client, settings):
    body = admin_client.get("/admin/").content.decode()
    assert "企业微信侧边栏" in body and "Django 管理" not in body and "Django 站点管理" not in body
    assert "查看站点" not in body


def test_changelist_reads_no_more_rows_than_it_shows(admin_client, rows):
    """What made it take seconds at a million rows: a date per row for the hierarchy, a
    DISTINCT over the table for a filter, and counts of every row."""
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(CHANGELIST, {"outcome__exact": "ok"}).status_code == 200
    lookups = [q["sql"] for q in queries if "sidebar_lookup" in q["sql"]]
    assert lookups
    for sql in lookups:
        assert "DISTINCT" not in sql.upper() and "django_datetime" not in sql
        if "COUNT(" in sql.upper():
            assert "LIMIT" in sql.upper(), sql
    assert any("COUNT(" in sql.upper() for sql in lookups)


def test_a_long_log_says_more_than_the_cap(admin_client):
    now = timezone.now()
    Lookup.objects.bulk_create(
        Lookup(
            staff_userid="zhangsan",
            entry="single_chat_tools",
            target_id=f"wm{i}",
            outcome=Lookup.Outcome.OK if i else Lookup.Outcome.DENIED,
            duration_ms=1,
            created_at=now - timedelta(seconds=i),
        )
        for i in range(COUNT_CAP + 5)
    )
    body = admin_client.get(CHANGELIST).content.decode()
    assert "超过 10,000 查询记录" in body
    narrowed = admin_client.get(CHANGELIST, {"outcome__exact": "denied"}).content.decode()
    assert "1 查询记录" in narrowed


def test_filter_and_search(admin_client, rows):
    denied = admin_client.get(CHANGELIST, {"outcome__exact": "denied"}).content.decode()
    assert "lisi" in denied and "zhangsan" not in denied
    found = admin_client.get(CHANGELIST, {"q": "wmA"}).content.decode()
    assert "zhangsan" in found and "lisi" not in found
    by_staff = admin_client.get(CHANGELIST, {"q": "wangwu"}).content.decode()
    assert "wangwu" in by_staff and "zhangsan" not in by_staff
    assert "陈小明" in admin_client.get(CHANGELIST, {"q": "小明"}).content.decode()  # by name


def test_a_whole_id_is_found_off_its_index_and_a_part_among_its_ids(admin_client, rows):
    Lookup.objects.create(
        staff_userid="zhangsan2", entry="normal", target_id="", outcome="ok", duration_ms=1
    )
    with CaptureQueriesContext(connection) as queries:
        whole = admin_client.get(CHANGELIST, {"q": " zhangsan "}).content.decode()
    assert "zhangsan2" not in whole and "陈小明" in whole  # that id, not ids containing it
    searched = [q["sql"] for q in queries if "LIKE" in q["sql"].upper()]
    assert searched == []  # no scan of the table
    part = admin_client.get(CHANGELIST, {"q": "zhang"}).content.decode()
    assert "zhangsan2" in part and "陈小明" in part
    assert "按姓名或 ID 的任意部分查找" in whole  # the box says what it finds


def test_rows_are_read_only(admin_client, rows):
    row = rows[0]
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    detail = admin_client.get(f"{CHANGELIST}{row.pk}/change/")
    assert detail.status_code == 200
    assert 'name="staff_userid"' not in detail.content.decode()
    assert (
        admin_client.post(f"{CHANGELIST}{row.pk}/change/", {"staff_userid": "x"}).status_code == 403
    )
    assert admin_client.get(f"{CHANGELIST}{row.pk}/delete/").status_code == 403
    row.refresh_from_db()
    assert row.staff_userid == "zhangsan"


def _table(response):
    assert response.status_code == 200
    assert response.streaming  # written as it is read, never held whole
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="lookups-')
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")  # spreadsheets read the Chinese as UTF-8
    return list(csv.reader(io.StringIO(body[1:])))


def test_the_filtered_list_downloads_as_csv_in_words(admin_client, rows):
    listing = admin_client.get(CHANGELIST, {"outcome__exact": "ok"}).content.decode()
    link = f'href="{CHANGELIST}export/?outcome__exact=ok"'
    assert link in listing and "下载筛选结果（CSV）" in listing

    table = _table(admin_client.get(f"{CHANGELIST}export/"))
    assert table[0] == [
        "时间（Asia/Shanghai）",
        "成员",
        "成员 userid",
        "所在平台",
        "操作人",
        "操作人 ID",
        "入口",
        "客户或客户群",
        "查询对象 ID",
        "结果",
        "企业微信错误码",
        "耗时（毫秒）",
        "来自缓存",
    ]
    newest, denied, failed = table[1:]  # every row, newest first
    local = timezone.localtime(rows[0].created_at).strftime("%Y-%m-%d %H:%M:%S")
    assert newest == [
        local,
        "张三",
        "zhangsan",
        "企业微信客户端",
        "",
        "",
        "单聊工具栏",
        "陈小明",
        "wmA",
        "已显示",
        "",
        "12",
        "是",
    ]
    assert denied[9] == "已拒绝" and denied[12] == "否"
    assert failed[8] == "'=HYPERLINK(1)"  # a formula-looking cell stays text
    assert failed[9] == "企业微信错误" and failed[10] == "60020"


def test_the_download_keeps_the_lists_filters_search_and_order(admin_client, rows):
    only_ok = _table(admin_client.get(f"{CHANGELIST}export/", {"outcome__exact": "ok"}))
    assert [r[2] for r in only_ok[1:]] == ["zhangsan"]
    searched = _table(admin_client.get(f"{CHANGELIST}export/", {"q": "lisi"}))
    assert [r[2] for r in searched[1:]] == ["lisi"]
    oldest_first = _table(admin_client.get(f"{CHANGELIST}export/", {"o": "1"}))
    assert [r[2] for r in oldest_first[1:]] == ["wangwu", "lisi", "zhangsan"]
    # A page of the list still downloads the whole list.
    assert len(_table(admin_client.get(f"{CHANGELIST}export/", {"p": "2"}))) == 4


def test_a_download_with_filters_it_does_not_know_is_a_400(admin_client, rows):
    response = admin_client.get(f"{CHANGELIST}export/", {"nonsense__gt": "1"})
    assert response.status_code == 400
    assert "筛选" in response.content.decode()


def test_only_auditors_may_download(client, rows):
    response = client.get(f"{CHANGELIST}export/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_selected_rows_download_the_same_way(admin_client, rows):
    response = admin_client.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [rows[1].pk, rows[2].pk]}
    )
    assert [r[2] for r in _table(response)[1:]] == ["lisi", "wangwu"]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        (" =1+1", "' =1+1"),
        ("\n=1+1", "'\n=1+1"),
        ("\u3000=1", "'\u3000=1"),
        ("＝1+1", "'＝1+1"),
        ("＋1", "'＋1"),
        ("－1", "'－1"),
        ("＠SUM(A1)", "'＠SUM(A1)"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("wm=a", "wm=a"),
        ("中文=1", "中文=1"),
        (-1, -1),
        (60020, 60020),
        (None, ""),
        (True, "True"),
    ],
)
def test_csv_cells_that_look_like_formulas_stay_text(value, cell):
    from sidebar.csv_export import cell as _csv_cell

    assert _csv_cell(value) == cell


def test_csv_exports_negative_errcodes_as_numbers(admin_client):
    Lookup.objects.create(
        staff_userid="zhangsan",
        entry="single_chat_tools",
        target_id="wmA",
        outcome=Lookup.Outcome.UPSTREAM_ERROR,
        errcode=-1,
        duration_ms=5,
    )
    table = _table(admin_client.get(f"{CHANGELIST}export/"))
    assert table[1][10] == "-1"


def test_anonymous_cannot_see_the_log(client, rows):
    response = client.get(CHANGELIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_prune_deletes_only_old_rows(rows, capsys):
    call_command("prune_lookups", "--days", "365", "--dry-run")
    assert "1 lookups older than 365 days would be deleted" in capsys.readouterr().out
    assert Lookup.objects.count() == 3
    call_command("prune_lookups", "--days", "365")
    assert Lookup.objects.count() == 2
    call_command("prune_lookups", "--days", "1")
    assert list(Lookup.objects.values_list("staff_userid", flat=True)) == ["zhangsan"]


def test_prune_uses_the_configured_retention(rows, settings):
    settings.DJANGO_AUDIT_RETENTION_DAYS = 180
    call_command("prune_lookups")
    assert Lookup.objects.count() == 2


def test_prune_also_deletes_old_failure_reports(rows):
    from sidebar.models import ClientFailureReport

    old = ClientFailureReport.objects.create(staff_userid="zhangsan", error="x")
    ClientFailureReport.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    ClientFailureReport.objects.create(staff_userid="lisi", error="y")
    call_command("prune_lookups", "--days", "365")
    assert list(ClientFailureReport.objects.values_list("staff_userid", flat=True)) == ["lisi"]
