"""Follow-up notes, the stage and the timeline: kept in our database, read and written only
by staff who may see the customer or group."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sidebar.records.models import CustomerStage, Edit, Note, Stage
from sidebar.standin.seed import tag_id
from tests.records.conftest import CUSTOMER, look_up, record_url

pytestmark = pytest.mark.django_db

NOTES = record_url("notes/")
SECRET = "客户说预算在五十万以内"


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def write(client, text=SECRET, due=None, url=NOTES):
    data = {"text": text}
    if due is not None:
        data["due_at"] = local(due)
    return client.post(url, data)


def test_a_note_is_shown_to_its_author_and_to_colleagues_who_follow(staff_client, signed_in):
    due = timezone.now() + timedelta(minutes=1)
    response = write(staff_client, due=due)
    assert response.status_code == 200 and SECRET in response.content.decode()
    note = Note.objects.get()
    assert (note.author_userid, note.target_kind, note.target_id) == (
        "zhangsan",
        "contact",
        CUSTOMER,
    )
    assert note.due_at == due.replace(second=0, microsecond=0)
    assert note.author_name == "张三" and note.target_name == "陈小明"
    # In the lookup's panel, for the author and for lisi, who follows the customer too.
    assert SECRET in look_up(staff_client).content.decode()
    lisi = signed_in("lisi")
    body = look_up(lisi).content.decode()
    assert SECRET in body and "张三" in body
    assert record_url(f"notes/{note.pk}/delete/") not in body  # not lisi's to delete
    edit = Edit.objects.get()
    assert (edit.action, edit.after["text"]) == (Edit.Action.NOTE_ADDED, SECRET)


def test_a_third_staff_member_gets_403_and_no_text_anywhere(staff_client, signed_in):
    write(staff_client, due=timezone.now() + timedelta(minutes=1))
    note = Note.objects.get()
    wangwu = signed_in("wangwu")
    answers = [
        look_up(wangwu),
        wangwu.get(record_url()),
        wangwu.get(record_url("timeline/") + "?before=2099-01-01T00:00:00%2B00:00"),
        wangwu.get(record_url(f"notes/{note.pk}/")),
        wangwu.post(record_url(f"notes/{note.pk}/"), {"text": "改掉"}),
        wangwu.post(record_url(f"notes/{note.pk}/delete/")),
        wangwu.post(record_url(f"notes/{note.pk}/done/")),
        wangwu.post(NOTES, {"text": "我也写一条"}),
        wangwu.get("/sidebar/home/"),
    ]
    for response in answers[1:-1]:
        assert response.status_code == 403, response
    for response in answers:
        assert SECRET not in response.content.decode()
    assert Note.objects.get().text == SECRET and Note.objects.count() == 1


def test_a_note_of_ten_thousand_characters_is_refused_in_words(staff_client):
    response = write(staff_client, text="长" * 10_000)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="form-error"' in body and "1000" in body
    assert not Note.objects.exists()
    assert Edit.objects.get().outcome == Edit.Outcome.INVALID


def test_an_empty_note_or_a_past_time_is_refused(staff_client):
    assert write(staff_client, text="  ").status_code == 400
    assert write(staff_client, due=timezone.now() - timedelta(hours=2)).status_code == 400
    assert not Note.objects.exists()


def test_the_author_changes_and_deletes_their_note_within_a_day(staff_client):
    write(staff_client)
    note = Note.objects.get()
    url = record_url(f"notes/{note.pk}/")
    assert SECRET in staff_client.get(url).content.decode()
    response = staff_client.post(url, {"text": "预算已确认"})
    assert response.status_code == 200 and "预算已确认" in response.content.decode()
    staff_client.post(record_url(f"notes/{note.pk}/delete/"))
    assert not Note.objects.exists()
    actions = list(Edit.objects.order_by("id").values_list("action", flat=True))
    assert actions == [Edit.Action.NOTE_ADDED, Edit.Action.NOTE_CHANGED, Edit.Action.NOTE_DELETED]


def test_a_colleague_cannot_change_a_note_and_nobody_after_a_day(staff_client, signed_in):
    write(staff_client)
    note = Note.objects.get()
    lisi = signed_in("lisi")
    assert lisi.post(record_url(f"notes/{note.pk}/"), {"text": "x"}).status_code == 403
    assert lisi.post(record_url(f"notes/{note.pk}/delete/")).status_code == 403
    Note.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert staff_client.post(record_url(f"notes/{note.pk}/"), {"text": "x"}).status_code == 403
    assert Note.objects.get().text == SECRET


def test_notes_work_for_groups_and_customer_service_customers(staff_client, corp, signed_in):
    corp.groups["wrGroupNotes00001"] = {
        "chat_id": "wrGroupNotes00001",
        "name": "续费群",
        "owner": "zhangsan",
        "member_list": [{"userid": "zhangsan", "type": 1}],
        "admin_list": [],
    }
    corp.kf_customers["wmKfNotes00000001"] = {
        "external_userid": "wmKfNotes00000001",
        "nickname": "咨询者",
    }
    group = record_url("notes/", kind="group", target="wrGroupNotes00001")
    kf = record_url("notes/", kind="kf", target="wmKfNotes00000001")
    assert write(staff_client, text="群里的事", url=group).status_code == 200
    assert write(staff_client, text="客服的事", url=kf).status_code == 200
    names = set(Note.objects.values_list("target_kind", "target_name"))
    assert names == {("group", "续费群"), ("kf", "咨询者")}
    # Someone outside the group may not read its notes.
    assert (
        signed_in("lisi").get(record_url(kind="group", target="wrGroupNotes00001")).status_code
        == 403
    )


def test_the_home_panel_lists_what_is_due_today(staff_client):
    write(staff_client, due=timezone.now() + timedelta(minutes=1))
    Note.objects.create(
        target_kind="contact",
        target_id=CUSTOMER,
        target_name="陈小明",
        author_userid="zhangsan",
        text="昨天就该打电话",
        due_at=timezone.now() - timedelta(days=1),
    )
    body = staff_client.get("/sidebar/home/").content.decode()
    assert body.index("昨天就该打电话") < body.index(SECRET)
    assert "?record=contact%3AwmChenXiaoMing0001" in body


def test_a_stage_set_from_the_panel_is_on_the_timeline(staff_client, signed_in):
    stage = Stage.objects.get(name="跟进中")
    response = staff_client.post(record_url("stage/"), {"stage": stage.pk})
    assert response.status_code == 200
    assert CustomerStage.objects.get().stage == stage
    body = response.content.decode()
    assert 'aria-pressed="true">跟进中' in body and "客户阶段：— → 跟进中" in body
    won = Stage.objects.get(name="已成交")
    body = signed_in("lisi").post(record_url("stage/"), {"stage": won.pk}).content.decode()
    assert "客户阶段：跟进中 → 已成交" in body
    assert CustomerStage.objects.get().stage == won and CustomerStage.objects.count() == 1


def test_a_stage_that_is_not_offered_is_refused(staff_client):
    off = Stage.objects.create(name="已停用", enabled=False)
    assert staff_client.post(record_url("stage/"), {"stage": off.pk}).status_code == 400
    assert staff_client.post(record_url("stage/"), {"stage": "x"}).status_code == 400
    assert not CustomerStage.objects.exists()


def test_the_timeline_lists_everything_newest_first_and_pages(staff_client):
    from sidebar.replies.models import Send

    for n in range(8):
        write(staff_client, text=f"第{n}次跟进")
    Send.objects.create(
        staff_userid="zhangsan",
        staff_name="张三",
        entry="single_chat_tools",
        target_id=CUSTOMER,
        reply_title="续费优惠",
        kind="text",
        outcome=Send.Outcome.SENT,
    )
    staff_client.post(record_url("stage/"), {"stage": Stage.objects.first().pk})
    staff_client.post(record_url("remark/"), {"remark": "陈总"})
    staff_client.post(record_url("tags/"), {"shown": [], "tag": [tag_id("来源", "官网")]})
    body = look_up(staff_client).content.decode()
    events = body[body.index('class="events"') :]
    order = [
        "标签：重要客户、续费意向、展会、爱喝茶 → 重要客户、续费意向、展会、爱喝茶、官网",
        "备注：陈先生（老客户） → 陈总",
        "客户阶段：",
        "发送了话术：续费优惠",
        "第7次跟进",
    ]
    assert [events.index(words) for words in order] == sorted(events.index(w) for w in order)
    assert "第6次跟进" not in events  # the panel shows the latest five
    more = events[events.index("?before=") :].split('"')[0].replace("&amp;", "&")
    page = staff_client.get(record_url("timeline/") + more).content.decode()
    assert "第6次跟进" in page and "第0次跟进" in page and "第7次跟进" not in page


@pytest.mark.django_db(transaction=True)  # versions change when a change commits
def test_the_section_is_rendered_once_and_again_after_any_change(staff_client, signed_in):
    """The record section is kept per version: a colleague's note or a reply sent shows on
    the next lookup, never a copy from before them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sidebar.replies.models import Send

    look_up(staff_client)
    with CaptureQueriesContext(connection) as queries:
        look_up(staff_client)
    assert not [q for q in queries if "records_" in q["sql"]]  # the kept copy, no query
    write(signed_in("lisi"), text="李四的跟进")
    assert "李四的跟进" in look_up(staff_client).content.decode()
    Send.objects.create(
        staff_userid="lisi",
        entry="single_chat_tools",
        target_id=CUSTOMER,
        reply_title="续费优惠",
        kind="text",
        outcome=Send.Outcome.PREPARED,
    )
    from sidebar.replies import services as replies

    send = Send.objects.get()
    replies.finish(client=None, staff_userid="lisi", send_id=send.pk, err_msg="sendChatMessage:ok")
    assert "发送了话术：续费优惠" in look_up(staff_client).content.decode()


def test_every_read_of_a_record_is_a_row_of_the_lookup_log(staff_client, signed_in):
    from sidebar.models import Lookup

    staff_client.get(record_url())
    staff_client.get(record_url("remark/"))
    signed_in("wangwu").get(record_url())
    rows = list(
        Lookup.objects.filter(entry="record").order_by("id").values_list("staff_userid", "outcome")
    )
    assert rows == [("zhangsan", "ok"), ("zhangsan", "ok"), ("wangwu", "denied")]
    assert Lookup.objects.filter(entry="record", target_name="陈小明").count() == 2
