"""POST /sidebar/lookup/contact/: validation, authorization, rendering, errors and audit."""

import html

import pytest
from django.test import Client

from sidebar.models import Lookup
from tests.conftest import only_call_slot_held, redis_caches, walk_sign_in
from tests.contacts import HOSTILE, HOSTILE_ID, SAMPLE_ID
from tests.servers import free_port

pytestmark = pytest.mark.django_db

URL = "/sidebar/lookup/contact/"
GET_CONTACT = "/cgi-bin/externalcontact/get"


def look_up(client, external_userid, entry="single_chat_tools"):
    return client.post(URL, {"entry": entry, "external_userid": external_userid})


def test_profile_shows_name_remark_tags_and_how_they_were_added(staff_client, corp):
    response = look_up(staff_client, "wmChenXiaoMing0001")
    assert response.status_code == 200
    assert response["X-Sidebar-Outcome"] == "ok"
    body = response.content.decode()
    assert "陈小明" in body
    assert "@微信" in body
    assert "陈先生（老客户）" in body  # zhangsan's own remark
    assert "小明" in body and "关注企业版续费" in body and "13800000001" in body
    assert "小明贸易" in body
    # Tags grouped by group_name, in WeCom's order.
    assert body.index("客户等级") < body.index("重要客户") < body.index("续费意向")
    assert body.index("续费意向") < body.index("来源") < body.index("展会</li>")
    assert "扫描二维码" in body and "展会二维码" in body  # add_way 1 in words, and state
    assert "2024-01-01 08:00" in body  # createtime 1704067200 in Asia/Shanghai
    assert "另有 1 位同事添加了该客户" in body
    assert "男" in body
    # Nothing of the colleague's own entry.
    assert "2024-02-01" not in body


def test_a_customer_no_colleague_follows_says_so_in_words(staff_client, corp):
    contact = corp.contacts["wmChenXiaoMing0001"]
    contact["follow_user"] = [f for f in contact["follow_user"] if f["userid"] == "zhangsan"]
    body = look_up(staff_client, "wmChenXiaoMing0001").content.decode()
    assert "只有你添加了该客户" in body
    assert "另有 0" not in body


def test_wecom_user_shows_corp_position_and_profile_attributes(staff_client, corp):
    """WeCom's own sample answer (tests/contacts.py), shown whole."""
    body = look_up(staff_client, SAMPLE_ID).content.decode()
    assert "@腾讯" in body and "Manager" in body and "腾讯科技有限公司" in body
    assert "文本名称" in body and "文本" in body
    assert 'href="http://www.test.com"' in body and "标题" in body
    assert "my miniprogram" in body
    assert "李部长" in body and "扫描二维码" in body  # the sample's add_way 1
    assert "李总" not in body  # wangwu's remark stays private


def test_lookup_is_audited_and_cached(staff_client, corp):
    look_up(staff_client, "wmChenXiaoMing0001")
    look_up(staff_client, "wmChenXiaoMing0001")
    assert corp.count(GET_CONTACT) == 1
    second, first = Lookup.objects.all()
    assert (first.staff_userid, first.entry, first.target_id) == (
        "zhangsan",
        "single_chat_tools",
        "wmChenXiaoMing0001",
    )
    assert first.outcome == second.outcome == Lookup.Outcome.OK
    assert (first.from_cache, second.from_cache) == (False, True)
    assert first.errcode is None and first.duration_ms >= 0


def test_lookups_are_answered_and_audited_while_redis_does_not_answer(staff_client, corp, settings):
    """A Redis that is down (or failing over) is a cache miss: lookup after lookup answers.
    Before: from the second on, 500 (the record section's version read django-redis's shared
    answer to a failed get_many, which the first lookup had filled)."""
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    for _ in range(3):
        response = look_up(staff_client, "wmChenXiaoMing0001")
        assert (response.status_code, response["X-Sidebar-Outcome"]) == (200, "ok")
    assert Lookup.objects.filter(outcome=Lookup.Outcome.OK).count() == 3


def test_contact_cache_can_be_turned_off(staff_client, corp, settings):
    settings.WECOM_CONTACT_CACHE_SECONDS = 0
    look_up(staff_client, "wmChenXiaoMing0001")
    look_up(staff_client, "wmChenXiaoMing0001")
    assert corp.count(GET_CONTACT) == 2


def test_customer_the_staff_member_does_not_follow_is_refused(staff_client, corp):
    response = look_up(staff_client, "wmOnlyLiSiFollows03")
    assert response.status_code == 200
    assert response["X-Sidebar-Outcome"] == "denied"
    body = response.content.decode()
    assert "你未添加该客户" in body
    for secret in ("赵六", "赵女士", "转介绍", "lisi"):
        assert secret not in body
    row = Lookup.objects.get()
    assert row.outcome == Lookup.Outcome.DENIED


def test_follower_found_on_a_later_page(staff_client, corp):
    corp.page_size = 1
    corp.contacts["wmChenXiaoMing0001"]["follow_user"].reverse()  # zhangsan now second
    assert look_up(staff_client, "wmChenXiaoMing0001").status_code == 200
    assert corp.count(GET_CONTACT) == 2


@pytest.mark.parametrize(
    ("entry", "external_userid"),
    [
        ("single_chat_tools", ""),
        ("single_chat_tools", "<script>alert(1)</script>"),
        ("single_chat_tools", "wm" + "x" * 200),
        ("single_chat_tools", "wm Chen"),
        ("single_chat_tools", "wm陈"),
        ("group_chat_tools", "wmChenXiaoMing0001"),
        ("", "wmChenXiaoMing0001"),
    ],
)
def test_invalid_input_is_400_and_costs_no_wecom_call(staff_client, corp, entry, external_userid):
    response = look_up(staff_client, external_userid, entry=entry)
    assert response.status_code == 400
    assert response["X-Sidebar-Outcome"] == "invalid"
    assert "无法识别此请求" in response.content.decode()
    assert corp.count(GET_CONTACT) == 0
    assert corp.count("/cgi-bin/gettoken") == 1  # the sign-in's, nothing more
    row = Lookup.objects.get()
    assert row.outcome == Lookup.Outcome.INVALID
    assert row.target_id == external_userid[:128]


def test_ids_are_read_as_a_form_would_read_them(staff_client, corp):
    # Surrounding whitespace is stripped; 128 characters is the longest id accepted.
    response = look_up(staff_client, " wmChenXiaoMing0001\n")
    assert response["X-Sidebar-Outcome"] == "ok"
    assert look_up(staff_client, "wm" + "x" * 126)["X-Sidebar-Outcome"] == "not_found"
    assert list(Lookup.objects.values_list("target_id", flat=True).order_by("id")) == [
        "wmChenXiaoMing0001",
        "wm" + "x" * 126,
    ]


def test_not_signed_in_is_401(client, standin, corp):
    response = look_up(client, "wmChenXiaoMing0001")
    assert response.status_code == 401
    assert "登录已过期" in response.content.decode()
    assert corp.count(GET_CONTACT) == 0
    assert not Lookup.objects.exists()


def test_get_is_not_allowed(staff_client):
    assert staff_client.get(URL).status_code == 405


def test_csrf_is_enforced(standin, corp):
    browser = Client(enforce_csrf_checks=True)
    walk_sign_in(browser, corp)
    page = browser.get("/sidebar/")
    assert page.status_code == 200
    refused = look_up(browser, "wmChenXiaoMing0001")
    assert refused.status_code == 403
    assert corp.count(GET_CONTACT) == 0
    token = browser.cookies["csrftoken"].value  # what the page's script reads
    accepted = browser.post(
        URL,
        {"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert accepted.status_code == 200


def test_markup_in_every_wecom_field_is_rendered_as_text(staff_client, corp):
    response = look_up(staff_client, HOSTILE_ID)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script" not in body
    assert "<img src=x" not in body
    assert 'src="javascript:' not in body and 'href="javascript:' not in body
    escaped = html.escape(HOSTILE)
    # name, position, corp names, attribute name/value/title, remark, description,
    # remark company, mobile, tag group, tag, state: each shows the markup as text.
    assert body.count(escaped) >= 13, body


@pytest.mark.parametrize(
    ("errcode", "errmsg", "words", "outcome"),
    [
        (84061, "not external contact", "不是企业微信中的客户", Lookup.Outcome.NOT_FOUND),
        (40096, "invalid external userid", "无法识别该客户", Lookup.Outcome.NOT_FOUND),
        (48002, "api forbidden", "可调用接口的应用", Lookup.Outcome.UPSTREAM_ERROR),
        (
            60020,
            "not allow to access from your ip, hint: [x], from ip: 203.0.113.7, more info at "
            "https://open.work.weixin.qq.com/devtool/query?e=60020",
            "203.0.113.7",
            Lookup.Outcome.UPSTREAM_ERROR,
        ),
        (45009, "api freq out of limit", "调用频率上限", Lookup.Outcome.UPSTREAM_ERROR),
        (12345, "something new", "企业微信错误码 12345", Lookup.Outcome.UPSTREAM_ERROR),
    ],
)
def test_wecom_errors_become_clear_messages(staff_client, corp, errcode, errmsg, words, outcome):
    corp.inject(GET_CONTACT, errcode=errcode, errmsg=errmsg)
    response = look_up(staff_client, "wmChenXiaoMing0001")
    assert response.status_code == 200
    assert response["X-Sidebar-Outcome"] == outcome
    assert words in response.content.decode()
    row = Lookup.objects.get()
    assert (row.outcome, row.errcode) == (outcome, errcode)


def test_timeout_is_a_clear_message(staff_client, corp, settings):
    settings.WECOM_TIMEOUT = 0.5
    corp.inject(GET_CONTACT, delay=1.5)
    response = look_up(staff_client, "wmChenXiaoMing0001")
    assert response["X-Sidebar-Outcome"] == "upstream_error"
    assert "企业微信响应超时" in response.content.decode()
    assert Lookup.objects.get().outcome == Lookup.Outcome.UPSTREAM_ERROR


def test_http_failure_is_a_clear_message(staff_client, corp):
    corp.inject(GET_CONTACT, http_status=502)
    response = look_up(staff_client, "wmChenXiaoMing0001")
    assert response["X-Sidebar-Outcome"] == "upstream_error"
    assert "无法连接企业微信" in response.content.decode()


def test_other_staff_sees_their_own_notes(client, standin, corp):
    walk_sign_in(client, corp, as_user="lisi")
    body = look_up(client, "wmChenXiaoMing0001").content.decode()
    assert "名片分享" in body and "陈先生（老客户）" not in body
    assert look_up(client, "wmOnlyLiSiFollows03").status_code == 200


def test_a_lookup_finding_every_slot_taken_says_so_unsent(staff_client, corp, settings):
    with only_call_slot_held(corp, settings, GET_CONTACT):
        response = look_up(staff_client, "wmChenXiaoMing0001")
        assert response["X-Sidebar-Outcome"] == "upstream_error"
        assert "企业微信当前响应缓慢" in response.content.decode()
        assert corp.count(GET_CONTACT) == 1  # refused without asking WeCom
        assert Lookup.objects.get().outcome == Lookup.Outcome.UPSTREAM_ERROR
