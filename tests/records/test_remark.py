"""Editing the staff member's own remark entry through externalcontact/remark."""

import pytest

from sidebar.records.models import Edit
from sidebar.wecom import get_client
from tests.records.conftest import CUSTOMER, REMARK, look_up, record_url

pytestmark = pytest.mark.django_db

URL = record_url("remark/")


def follower(corp, userid, external_userid=CUSTOMER):
    return next(f for f in corp.contacts[external_userid]["follow_user"] if f["userid"] == userid)


def test_the_form_shows_the_entry_as_wecom_has_it(staff_client):
    body = staff_client.get(URL).content.decode()
    assert 'value="陈先生（老客户）"' in body and "关注企业版续费" in body
    assert 'value="小明贸易"' in body and 'value="13800000001"' in body


def test_a_follower_edits_all_four_fields_in_one_call(staff_client, corp, signed_in):
    look_up(staff_client)  # the profile is cached now
    response = staff_client.post(
        URL,
        {
            "remark": "陈总",
            "description": "下月续费",
            "company": "小明国际贸易",
            "mobile": ["13900000002", "021-55550000"],
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "陈总" in body and "下月续费" in body and "小明国际贸易" in body
    assert 'href="tel:021-55550000"' in body and 'data-copy="13900000002"' in body
    (call,) = corp.calls_to(REMARK)
    assert call.body == {
        "userid": "zhangsan",
        "external_userid": CUSTOMER,
        "remark": "陈总",
        "description": "下月续费",
        "remark_company": "小明国际贸易",
        "remark_mobiles": ["13900000002", "021-55550000"],
    }
    # The cached profile was dropped: the next lookup asks WeCom and shows the new entry.
    again = look_up(staff_client).content.decode()
    assert "陈总" in again and "021-55550000" in again
    # A colleague who follows the same customer still sees their own remark.
    colleague = look_up(signed_in("lisi")).content.decode()
    assert "小明" in colleague and "陈总" not in colleague
    edit = Edit.objects.get(action=Edit.Action.REMARK)
    assert edit.outcome == Edit.Outcome.SAVED and edit.staff_userid == "zhangsan"
    assert edit.before["remark"] == "陈先生（老客户）" and edit.after["remark"] == "陈总"
    assert edit.before["mobiles"] == ["13800000001"]
    assert edit.after["mobiles"] == ["13900000002", "021-55550000"]


def test_only_what_changed_is_sent_and_cleared_mobiles_go_as_one_empty_string(staff_client, corp):
    staff_client.post(
        URL,
        {"remark": "陈先生（老客户）", "description": "", "company": "小明贸易", "mobile": [""]},
    )
    (call,) = corp.calls_to(REMARK)
    assert call.body == {
        "userid": "zhangsan",
        "external_userid": CUSTOMER,
        "description": "",
        "remark_mobiles": [""],
    }
    entry = follower(corp, "zhangsan")
    assert entry["remark_mobiles"] == [] and entry["description"] == ""
    assert entry["remark"] == "陈先生（老客户）"


def test_nothing_changed_sends_nothing(staff_client, corp):
    response = staff_client.post(
        URL,
        {
            "remark": "陈先生（老客户）",
            "description": "关注企业版续费",
            "company": "小明贸易",
            "mobile": ["13800000001"],
        },
    )
    assert response.status_code == 200
    assert corp.count(REMARK) == 0 and not Edit.objects.exists()


def test_the_company_is_not_offered_or_sent_for_a_wecom_customer(staff_client, corp):
    url = record_url("remark/", target="woZhouJianGuo0002")
    assert 'name="company"' not in staff_client.get(url).content.decode()
    staff_client.post(url, {"remark": "周部长", "description": "对接采购事务", "company": "X"})
    assert corp.count(REMARK) == 0


def test_a_non_follower_is_refused_and_wecom_hears_nothing(signed_in, corp):
    wangwu = signed_in("wangwu")
    response = wangwu.post(URL, {"remark": "抢来的客户"})
    assert response.status_code == 403
    assert "你未添加该客户" in response.content.decode()
    assert "陈先生" not in response.content.decode()
    assert corp.count(REMARK) == 0
    edit = Edit.objects.get()
    assert (edit.outcome, edit.staff_userid, edit.target_id) == (
        Edit.Outcome.DENIED,
        "wangwu",
        CUSTOMER,
    )
    assert wangwu.get(URL).status_code == 403


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"remark": "备" * 21}, "20"),
        ({"description": "述" * 151}, "150"),
        ({"company": "公" * 21}, "20"),
        ({"mobile": [f"1390000{n:04d}" for n in range(11)]}, "10"),
        ({"mobile": ["call me"]}, "call me"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_sent(staff_client, corp, fields, words):
    response = staff_client.post(URL, {"remark": "陈先生（老客户）", **fields})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="form-error"' in body and words in body
    assert corp.count(REMARK) == 0
    assert Edit.objects.get().outcome == Edit.Outcome.INVALID


def test_a_wecom_refusal_is_said_on_the_form_and_recorded(staff_client, corp):
    corp.inject(REMARK, errcode=84061)
    response = staff_client.post(URL, {"remark": "陈总"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-problem="84061"' in body and 'value="陈总"' in body  # what was typed stays
    edit = Edit.objects.get()
    assert (edit.outcome, edit.errcode) == (Edit.Outcome.FAILED, 84061)


def test_a_full_edit_bound_says_try_again_and_sends_nothing(staff_client, corp):
    slots = get_client().write_slots
    slots.wait = 0.3
    held = [
        slots.cache.add(f"{slots.prefix}:slot:{n}", "someone else", timeout=60)
        for n in range(slots.limit)
    ]
    assert all(held)
    response = staff_client.post(URL, {"remark": "陈总"})
    body = response.content.decode()
    assert response.status_code == 200 and "稍后再试" in body
    assert corp.count(REMARK) == 0
    assert Edit.objects.get().outcome == Edit.Outcome.BUSY


def test_a_field_left_out_of_the_request_stays_as_it_is(staff_client, corp):
    staff_client.post(URL, {"remark": "陈总"})
    (call,) = corp.calls_to(REMARK)
    assert call.body == {"userid": "zhangsan", "external_userid": CUSTOMER, "remark": "陈总"}
    assert follower(corp, "zhangsan")["remark_mobiles"] == ["13800000001"]
