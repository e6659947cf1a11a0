"""The customer-record calls over real HTTP: remark, mark_tag, get_corp_tag_list, message/send
(docs/wecom.md, "Editing a customer" and "App messages"), fed WeCom's documented bodies."""

import threading

import pytest

from sidebar.exceptions import WeComAPIError, WeComRateLimited, WeComWritesBusy
from sidebar.wecom import get_client
from sidebar.wecom.api import WeComAPI
from tests.conftest import load_fixture

TOKEN = "the-token-under-test"
REMARK = "/cgi-bin/externalcontact/remark"
MARK_TAG = "/cgi-bin/externalcontact/mark_tag"
TAG_LIST = "/cgi-bin/externalcontact/get_corp_tag_list"
SEND = "/cgi-bin/message/send"


@pytest.fixture
def api(standin):
    return WeComAPI(base_url=standin.url, timeout=2.0)


def test_remark_posts_only_the_fields_given(api, corp):
    corp.queue(REMARK, load_fixture("ok.json"))
    api.remark_contact(
        TOKEN, userid="zhangsan", external_userid="wmX", remark="李总", remark_mobiles=[""]
    )
    (call,) = corp.calls_to(REMARK)
    assert (call.method, call.query) == ("POST", {"access_token": TOKEN})
    assert call.body == {
        "userid": "zhangsan",
        "external_userid": "wmX",
        "remark": "李总",
        "remark_mobiles": [""],
    }


def test_concurrency_refusal_is_rate_limited(api, corp):
    corp.queue(REMARK, load_fixture("error_45033.json"))
    with pytest.raises(WeComRateLimited) as info:
        api.remark_contact(TOKEN, userid="zhangsan", external_userid="wmX", remark="x")
    assert info.value.errcode == 45033


def test_mark_tag_leaves_out_an_empty_list(api, corp):
    corp.queue(MARK_TAG, load_fixture("ok.json"))
    api.mark_tag(TOKEN, userid="zhangsan", external_userid="wmX", add_tag=["etA"], remove_tag=[])
    assert corp.calls_to(MARK_TAG)[0].body == {
        "userid": "zhangsan",
        "external_userid": "wmX",
        "add_tag": ["etA"],
    }
    corp.queue(MARK_TAG, load_fixture("error_40068.json"))
    with pytest.raises(WeComAPIError) as info:
        api.mark_tag(TOKEN, userid="zhangsan", external_userid="wmX", add_tag=[], remove_tag=["x"])
    assert info.value.errcode == 40068


def test_corp_tag_list_sample(api, corp):
    corp.queue(TAG_LIST, load_fixture("get_corp_tag_list.json"))
    (group,) = api.get_corp_tag_list(TOKEN)
    assert group["group_name"] == "GOURP_NAME" and [t["id"] for t in group["tag"]] == [
        "TAG_ID1",
        "TAG_ID2",
    ]
    assert corp.calls_to(TAG_LIST)[0].body == {}


def test_corp_tag_library_drops_deleted_tags_and_sorts_by_order(standin, corp):
    from sidebar.records import tags

    corp.queue(TAG_LIST, load_fixture("get_corp_tag_list.json"))
    (group,) = tags.library(client=get_client())
    assert [t.name for t in group.tags] == ["NAME1"]  # NAME2 is deleted
    (first, *_rest) = tags.library(client=get_client())  # cached: no second call
    assert corp.count(TAG_LIST) == 1 and first == group


def test_message_send_sample(api, corp):
    corp.queue(SEND, load_fixture("message_send.json"))
    answer = api.send_app_message(
        TOKEN, message={"touser": "userid1|userid2", "msgtype": "textcard"}
    )
    assert answer["invaliduser"] == "userid1|userid2" and answer["msgid"] == "xxxx"


def test_the_standin_refuses_a_sixth_concurrent_edit(standin, corp):
    """The stand-in as WeCom: more than five edits of one corp at once → 45033."""
    corp.inject(REMARK, delay=0.5, times=None)
    api = WeComAPI(base_url=standin.url, timeout=5.0, max_concurrent_calls=20)
    token = get_client().access_token()
    errors = []

    def edit(n):
        try:
            api.remark_contact(
                token, userid="zhangsan", external_userid="wmChenXiaoMing0001", remark=f"r{n}"
            )
        except WeComAPIError as exc:
            errors.append(exc.errcode)

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert 45033 in errors
    assert corp.max_in_flight["writes"] >= 6


def test_the_client_bounds_edits_to_five_and_waits_for_a_slot(standin, corp, settings):
    """The same eight edits through the app's client: never more than five at WeCom, and
    none refused (the bound waits for a slot instead)."""
    settings.WECOM_MAX_CONCURRENT_CALLS = 30  # only the edit bound limits them here
    corp.inject(REMARK, delay=0.2, times=None)
    client = get_client()
    client.access_token()
    errors = []

    def edit(n):
        try:
            client.remark_contact(
                userid="zhangsan", external_userid=f"wmCustomer{n}", remark=f"r{n}"
            )
        except (WeComAPIError, WeComWritesBusy) as exc:
            errors.append(exc)

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # The stand-in answers 40096 for these made-up customers, never 45033.
    assert {getattr(e, "errcode", None) for e in errors} == {40096}
    assert corp.count(REMARK) == 8
    assert corp.max_in_flight["writes"] == 5


def test_one_staff_members_entry_is_edited_one_call_at_a_time(standin, corp):
    corp.inject(REMARK, delay=0.2, times=None)
    client = get_client()
    client.access_token()
    threads = [
        threading.Thread(
            target=lambda n=n: client.remark_contact(
                userid="zhangsan", external_userid="wmChenXiaoMing0001", remark=f"r{n}"
            )
        )
        for n in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert corp.count(REMARK) == 3 and corp.max_in_flight[REMARK] == 1
