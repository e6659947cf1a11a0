"""The record in Django admin: every edit with names and words, before → after, filterable
and downloadable like 查询记录 and 发送记录; stages edited there; the overview's funnel."""

import csv
import io

import pytest

from sidebar import overview
from sidebar.records.models import CustomerStage, Edit, Stage
from tests.records.conftest import record_url

pytestmark = pytest.mark.django_db

EDITS = "/admin/records/edit/"


@pytest.fixture
def edits(staff_client, corp):
    """Real edits made through the panel: a remark, a refused remark, a note, a stage."""
    staff_client.post(record_url("remark/"), {"remark": "陈总", "mobile": ["13900000002"]})
    staff_client.post(record_url("remark/"), {"remark": "备" * 21})
    staff_client.post(record_url("notes/"), {"text": "约了周五见面"})
    staff_client.post(record_url("stage/"), {"stage": Stage.objects.get(name="跟进中").pk})
    return list(Edit.objects.order_by("id"))


def test_the_list_reads_in_words_with_before_and_after(admin_client, edits):
    body = admin_client.get(EDITS).content.decode()
    assert "张三" in body and "陈小明" in body
    assert "修改了备注" in body and "备注：陈先生（老客户） → 陈总" in body
    assert "电话：13800000001 → 13900000002" in body
    assert "输入无效" in body and "20" in body  # the refused edit and why
    assert "写了跟进记录" in body and "约了周五见面" in body
    assert "客户阶段：— → 跟进中" in body
    # Read-only: nothing to add, change or delete.
    assert admin_client.get(EDITS + "add/").status_code == 403
    assert admin_client.post(
        EDITS, {"action": "delete_selected", "_selected_action": [edits[0].pk]}
    ).status_code in (200, 302)
    assert Edit.objects.count() == len(edits)


def test_the_list_filters_by_outcome_and_change(admin_client, edits):
    body = admin_client.get(EDITS, {"action__exact": "remark", "outcome__exact": "saved"})
    text = body.content.decode()
    assert "陈总" in text and "约了周五见面" not in text


def test_the_download_is_in_words(admin_client, edits):
    response = admin_client.get(EDITS + "export/")
    assert response["Content-Disposition"].startswith('attachment; filename="record-edits-')
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode()[1:])))
    header, *rows = table
    assert header[0].startswith("时间") and header[1:3] == ["成员", "成员 userid"]
    remark = next(
        row
        for row in rows
        if row[header.index("修改")] == "修改了备注" and row[header.index("结果")] == "已保存"
    )
    assert remark[header.index("修改前")] == "备注：陈先生（老客户）；电话：13800000001"
    assert remark[header.index("修改后")] == "备注：陈总；电话：13900000002"
    assert remark[header.index("客户或客户群")] == "陈小明"


def test_admins_define_the_stages_and_the_overview_counts_them(admin_client, edits):
    response = admin_client.get("/admin/records/stage/")
    body = response.content.decode()
    assert body.index("待跟进") < body.index("跟进中") < body.index("已成交")
    figures = overview.build(shown=frozenset({"funnel"}))
    assert [(bar.label, bar.count) for bar in figures.funnel][:3] == [
        ("待跟进", 0),
        ("跟进中", 1),
        ("已成交", 0),
    ]
    page = admin_client.get("/admin/overview/").content.decode()
    assert 'id="funnel-chart"' in page and "各阶段客户数" in page
    assert CustomerStage.objects.get().target_name == "陈小明"


def test_a_stage_customers_are_at_cannot_be_deleted(admin_client, edits):
    stage = Stage.objects.get(name="跟进中")
    response = admin_client.post(f"/admin/records/stage/{stage.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403 and Stage.objects.filter(pk=stage.pk).exists()
