"""Corp tags on a customer: the library from get_corp_tag_list, changes through mark_tag."""

import pytest

from sidebar.records.models import Edit
from sidebar.standin.seed import tag_id
from tests.records.conftest import CUSTOMER, MARK_TAG, TAG_LIST, look_up, record_url

pytestmark = pytest.mark.django_db

URL = record_url("tags/")
IMPORTANT, RENEWAL = tag_id("客户等级", "重要客户"), tag_id("客户等级", "续费意向")
FAIR, WEBSITE, PRO = tag_id("来源", "展会"), tag_id("来源", "官网"), tag_id("意向产品", "专业版")


def held(corp, userid="zhangsan"):
    entry = next(f for f in corp.contacts[CUSTOMER]["follow_user"] if f["userid"] == userid)
    return [t["tag_name"] for t in entry["tags"]]


def test_the_form_offers_the_library_by_group_and_not_personal_tags(staff_client, corp):
    body = staff_client.get(URL).content.decode()
    assert body.index("客户等级") < body.index("来源") < body.index("意向产品")
    assert f'value="{IMPORTANT}" checked' in body and f'value="{PRO}">' in body
    assert f'name="shown" value="{FAIR}"' in body
    assert "爱喝茶" in body and 'value="爱喝茶"' not in body  # shown, not offered
    # The library is read once and kept.
    staff_client.get(URL)
    assert corp.count(TAG_LIST) == 1


def test_the_panel_shows_personal_tags_apart(staff_client):
    body = look_up(staff_client).content.decode()
    assert 'class="tag tag-personal"' in body and "爱喝茶" in body


def test_two_added_and_one_removed_go_in_one_mark_tag(staff_client, corp):
    look_up(staff_client)
    response = staff_client.post(
        URL,
        {"shown": [IMPORTANT, RENEWAL, FAIR], "tag": [IMPORTANT, RENEWAL, WEBSITE, PRO]},
    )
    assert response.status_code == 200
    (call,) = corp.calls_to(MARK_TAG)
    assert call.body == {
        "userid": "zhangsan",
        "external_userid": CUSTOMER,
        "add_tag": sorted([WEBSITE, PRO]),
        "remove_tag": [FAIR],
    }
    body = response.content.decode()
    assert "官网" in body and "专业版" in body and ">展会<" not in body and "爱喝茶" in body
    assert held(corp) == ["重要客户", "续费意向", "爱喝茶", "官网", "专业版"]
    # The next lookup asks WeCom again and shows the tags WeCom now holds.
    assert "专业版" in look_up(staff_client).content.decode()
    edit = Edit.objects.get()
    assert edit.outcome == Edit.Outcome.SAVED
    assert edit.before == {"tags": ["重要客户", "续费意向", "展会", "爱喝茶"]}
    assert edit.after == {"tags": ["重要客户", "续费意向", "爱喝茶", "官网", "专业版"]}


def test_an_unknown_tag_id_is_refused_before_wecom(staff_client, corp):
    response = staff_client.post(URL, {"shown": [], "tag": ["etNoSuchTag000000"]})
    assert response.status_code == 400
    assert 'class="form-error"' in response.content.decode()
    assert corp.count(MARK_TAG) == 0
    assert Edit.objects.get().outcome == Edit.Outcome.INVALID


def test_ids_that_are_not_ids_are_refused(staff_client, corp):
    response = staff_client.post(URL, {"shown": [], "tag": ["<script>"]})
    assert response.status_code == 400 and corp.count(MARK_TAG) == 0


def test_no_change_sends_nothing(staff_client, corp):
    response = staff_client.post(URL, {"shown": [FAIR], "tag": [FAIR]})
    assert response.status_code == 200 and corp.count(MARK_TAG) == 0


def test_a_tag_deleted_meanwhile_is_explained_and_the_library_read_again(staff_client, corp):
    staff_client.get(URL)
    corp.inject(MARK_TAG, errcode=40068)
    response = staff_client.post(URL, {"shown": [], "tag": [PRO]})
    assert 'data-problem="40068"' in response.content.decode()
    assert Edit.objects.get().errcode == 40068
    staff_client.get(URL)
    assert corp.count(TAG_LIST) == 2


def test_a_non_follower_cannot_see_or_change_tags(signed_in, corp):
    wangwu = signed_in("wangwu")
    assert wangwu.get(URL).status_code == 403
    assert wangwu.post(URL, {"shown": [], "tag": [PRO]}).status_code == 403
    assert corp.count(MARK_TAG) == 0 and corp.count(TAG_LIST) == 0
