"""The lookups behind every toolbar entry, over the view, against the demo corp."""

import json
import re

import pytest

from sidebar import profiles, services
from sidebar.models import ClientFailureReport, KfScene, Lookup
from sidebar.standin.seed import demo_corp, grow_group
from sidebar.wecom import get_client
from tests.conftest import redis_caches, walk_sign_in
from tests.servers import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def corp():
    return demo_corp()


def look_up(client, kind, **fields):
    return client.post(f"/sidebar/lookup/{kind}/", fields)


# Customer groups ---------------------------------------------------------------------------


def test_group_panel_for_its_owner(staff_client, corp):
    response = look_up(staff_client, "group", entry="group_chat_tools", chat_id="wrSalesGroup00001")
    assert response["X-Sidebar-Outcome"] == "ok"
    body = response.content.decode()
    assert "销售客服群" in body and "文明沟通，拒绝脏话" in body
    assert "2 customers, 2 staff" in body or "2 位客户" in body
    # Customers first, with how they joined and who invited them.
    members = body[body.index('id="group-members"') :]
    assert members.index("陈小明") < members.index("周建国") < members.index("member-staff")
    assert '<dd class="admins">李四</dd>' in body
    # Staff by name: the owner, admins, inviters and staff members.
    assert "直接邀请" in body and "邀请人 张三" in body and "群主 张三" in body
    assert "zhangsan" not in body.replace('data-open-user="zhangsan"', "")
    (call,) = corp.calls_to("/cgi-bin/externalcontact/groupchat/get")
    assert call.method == "POST" and call.body == {"chat_id": "wrSalesGroup00001", "need_name": 1}
    row = Lookup.objects.get()
    assert (row.entry, row.target_id, row.target_name, row.outcome) == (
        "group_chat_tools",
        "wrSalesGroup00001",
        "销售客服群",
        "ok",
    )
    assert (row.staff_userid, row.staff_name) == ("zhangsan", "张三")


def test_group_staff_whom_the_member_list_does_not_name_are_named_by_user_get(staff_client, corp):
    group = corp.groups["wrSalesGroup00001"]
    group["owner"] = "wangwu"  # not a member: the list does not name them
    response = look_up(staff_client, "group", entry="group_chat_tools", chat_id="wrSalesGroup00001")
    assert "群主 王五" in response.content.decode()
    assert [c.query["userid"] for c in corp.calls_to("/cgi-bin/user/get")] == ["zhangsan", "wangwu"]
    # Named once: the next panel reads the name from the cache.
    look_up(staff_client, "group", entry="group_chat_tools", chat_id="wrSalesGroup00001")
    assert len(corp.calls_to("/cgi-bin/user/get")) == 2


def test_group_staff_outside_the_apps_range_show_their_userid(staff_client, corp):
    corp.groups["wrSalesGroup00001"]["owner"] = "outsider"
    corp.inject("/cgi-bin/user/get", errcode=60011)
    response = look_up(staff_client, "group", entry="group_chat_tools", chat_id="wrSalesGroup00001")
    assert response["X-Sidebar-Outcome"] == "ok"
    assert "群主 outsider" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "chat_id"),
    [
        ("lisi", "wrSalesGroup00001"),  # admin + staff
        ("chenjing", "wrVipGroup0000002"),
    ],
)  # staff member
def test_group_panel_for_admins_and_staff_members(client, standin, corp, who, chat_id):
    walk_sign_in(client, corp, as_user=who)
    response = look_up(client, "group", entry="group_chat_tools", chat_id=chat_id)
    assert response["X-Sidebar-Outcome"] == "ok"


def test_group_refused_for_staff_outside_it(staff_client, corp):
    response = look_up(staff_client, "group", entry="group_chat_tools", chat_id="wrVipGroup0000002")
    assert response["X-Sidebar-Outcome"] == "denied"
    body = response.content.decode()
    assert "你不在这个客户群中" in body
    for secret in ("VIP", "每周五", "赵女士", "chenjing"):
        assert secret not in body
    assert Lookup.objects.get().outcome == "denied"


@pytest.mark.parametrize(("errcode", "words"), [(90501, "这不是客户群"), (49008, "该群已解散")])
def test_group_errors(staff_client, corp, errcode, words):
    corp.inject("/cgi-bin/externalcontact/groupchat/get", errcode=errcode)
    response = look_up(staff_client, "group", entry="group_chat_tools", chat_id="wrSalesGroup00001")
    assert response["X-Sidebar-Outcome"] == "not_found"
    assert words in response.content.decode()


# 微信客服 ----------------------------------------------------------------------------------


def test_kf_customer_panel(staff_client, corp):
    response = look_up(
        staff_client, "kf", entry="single_kf_tools", external_userid="wmKfCustomer00002"
    )
    assert response["X-Sidebar-Outcome"] == "ok"
    body = response.content.decode()
    assert "售后用户" in body and "女" in body and "示例视频号" in body and "视频号主页" in body
    (call,) = corp.calls_to("/cgi-bin/kf/customer/batchget")
    assert call.body == {
        "external_userid_list": ["wmKfCustomer00002"],
        "need_enter_session_context": 1,
    }


def test_kf_scene_parameter_is_decoded(staff_client):
    body = look_up(
        staff_client, "kf", entry="single_kf_tools", external_userid="wmKfCustomer00001"
    ).content.decode()
    assert "from=pricing" in body


def test_kf_scenes_read_as_the_admins_named_them(staff_client):
    def came_from():
        body = look_up(
            staff_client, "kf", entry="single_kf_tools", external_userid="wmKfCustomer00001"
        ).content.decode()
        return re.search(r'<dd class="scene">(.*?)</dd>', body).group(1)

    assert came_from() == "标记为“website”的链接"  # not named yet: the value, said as one
    KfScene.objects.create(scene="website", name="官网价格页")
    assert came_from() == "官网价格页"


def test_kf_customer_outside_48_hours(staff_client, corp):
    response = look_up(staff_client, "kf", entry="single_kf_tools", external_userid="wmUnknown01")
    assert response["X-Sidebar-Outcome"] == "not_found"
    assert "48 小时" in response.content.decode()


# 上下游 -------------------------------------------------------------------------------------


def chain_contact(client, *, corp_id="wwDownstream00001", user_id="wangjingli"):
    return look_up(
        client, "chain-contact", entry="chain_single_chat_tools", corp_id=corp_id, user_id=user_id
    )


def test_chain_contact_shows_ids_and_partner_corp_name(staff_client, corp):
    response = chain_contact(staff_client)
    body = response.content.decode()
    assert response["X-Sidebar-Outcome"] == "ok"
    assert "华东经销商" in body and "wangjingli" in body and "wwDownstream00001" in body
    (call,) = corp.calls_to("/cgi-bin/corpgroup/corp/list_app_share_info")
    assert call.body["business_type"] == 1 and call.body["corpid"] == "wwDownstream00001"
    chain_contact(staff_client, user_id="zhoukuaiji")
    assert corp.count("/cgi-bin/corpgroup/corp/list_app_share_info") == 1  # cached
    assert Lookup.objects.filter(entry="chain_single_chat_tools").count() == 2


def test_chain_contact_is_named_with_the_downstream_corps_token(staff_client, corp):
    body = chain_contact(staff_client).content.decode()
    assert re.search(r'<span class="name-text">王经理</span>', body)
    assert '<dd class="user-name">王经理</dd>' in body
    (token_call,) = corp.calls_to("/cgi-bin/corpgroup/corp/gettoken")
    assert token_call.body == {
        "corpid": "wwDownstream00001",
        "business_type": 1,
        "agentid": 1000101,
    }
    (named,) = [
        call
        for call in corp.calls_to("/cgi-bin/user/get")
        if call.query["access_token"] in corp.downstream_tokens  # not the upstream token
    ]
    assert named.query["userid"] == "wangjingli"
    assert Lookup.objects.get().target_name == "王经理（华东经销商）"
    chain_contact(staff_client, user_id="zhoukuaiji")
    assert corp.count("/cgi-bin/corpgroup/corp/gettoken") == 1  # the corp's token is kept


@pytest.mark.parametrize(
    "fault",
    [
        {"errcode": 60011, "errmsg": "no privilege to access/modify contact/party/agent"},
        {"errcode": 670001, "errmsg": "app not in share scope"},
        {"http_status": 502},
    ],
)
def test_a_downstream_name_wecom_withholds_leaves_the_ids(staff_client, corp, fault):
    path = (
        "/cgi-bin/user/get" if fault.get("errcode") == 60011 else "/cgi-bin/corpgroup/corp/gettoken"
    )
    corp.inject(path, **fault)
    response = chain_contact(staff_client)
    body = response.content.decode()
    assert response["X-Sidebar-Outcome"] == "ok"
    assert '<span class="name-text">华东经销商</span>' in body and "wangjingli" in body
    assert "user-name" not in body


def test_chain_contact_of_a_corp_the_app_is_not_shared_with(staff_client, corp):
    body = chain_contact(staff_client, corp_id="wwOtherCorp", user_id="x").content.decode()
    assert "未与本应用共享" in body


@pytest.mark.parametrize(
    ("fault", "says", "errcode"),
    [
        ({"errcode": 48002, "errmsg": "api forbidden"}, "应用没有读取客户数据的权限", 48002),
        ({"http_status": 404}, "HTTP 状态码 404", None),
    ],
)
def test_chain_contact_degrades_when_the_partner_corp_cannot_be_read(
    staff_client, corp, fault, says, errcode
):
    corp.inject("/cgi-bin/corpgroup/corp/list_app_share_info", **fault)
    response = chain_contact(staff_client)
    body = response.content.decode()
    assert response.status_code == 200 and response["X-Sidebar-Outcome"] == "ok"
    assert "wwDownstream00001" in body and "wangjingli" in body  # what is known stays shown
    assert "未能读取合作企业的名称" in body and says in body
    assert "未与本应用共享" not in body  # not mistaken for "not shared"
    assert "错误码 404" not in body  # an HTTP status is never a WeCom errcode
    assert Lookup.objects.get().errcode == errcode
    # Not cached: with WeCom healthy again, the name is there.
    assert "华东经销商" in chain_contact(staff_client).content.decode()


def test_chain_chat_shows_its_id(staff_client, corp):
    response = look_up(
        staff_client, "chain-chat", entry="chain_group_chat_tools", chat_id="wrChainGroup00001"
    )
    assert response["X-Sidebar-Outcome"] == "ok"
    assert "wrChainGroup00001" in response.content.decode()
    assert Lookup.objects.get().entry == "chain_group_chat_tools"


def test_unknown_kind_is_404(staff_client):
    assert look_up(staff_client, "nope", entry="normal").status_code == 404


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("group", {"entry": "single_chat_tools", "chat_id": "wrSalesGroup00001"}),
        ("kf", {"entry": "single_kf_tools", "external_userid": "<b>"}),
        ("chain-contact", {"entry": "chain_single_chat_tools", "corp_id": "ww", "user_id": ""}),
    ],
)
def test_invalid_lookups_are_400(staff_client, corp, kind, fields):
    assert look_up(staff_client, kind, **fields).status_code == 400
    assert Lookup.objects.get().outcome == "invalid"


# The home panel ----------------------------------------------------------------------------


def test_home_panel_shows_who_and_recent_lookups(staff_client, corp):
    look_up(
        staff_client, "contact", entry="single_chat_tools", external_userid="wmChenXiaoMing0001"
    )
    body = staff_client.get("/sidebar/home/", {"entry": "normal"}).content.decode()
    assert "你好，张三" in body
    text = re.sub(r"<[^>]*>", "", body)  # what a person reads (the avatar's URL has the id)
    assert "陈小明" in text and "wmChenXiaoMing0001" not in text
    assert "打开入口：在应用其他位置打开" in body
    unknown = staff_client.get("/sidebar/home/", {"entry": "<i>new</i>"}).content.decode()
    assert "&lt;i&gt;new&lt;/i&gt;" in unknown


def test_a_recent_chat_without_a_name_is_not_named_by_its_id(staff_client, corp):
    """Upstream/downstream groups may have no name WeCom gives: the list says so in words."""
    Lookup.objects.create(
        staff_userid="zhangsan",
        entry="chain_group_chat_tools",
        target_id="wrChainGroup00001",
        target_name="",
        outcome=Lookup.Outcome.OK,
        duration_ms=5,
    )
    body = staff_client.get("/sidebar/home/", {"entry": "normal"}).content.decode()
    text = re.sub(r"<[^>]*>", "", body)
    assert "未命名" in text and "wrChainGroup00001" not in text


def test_home_panel_lists_each_customer_and_group_once_newest_first(staff_client, corp):
    opens = [
        ("contact", {"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"}),
        ("group", {"entry": "group_chat_tools", "chat_id": "wrSalesGroup00001"}),
        ("contact", {"entry": "contact_profile", "external_userid": "wmChenXiaoMing0001"}),
        ("contact", {"entry": "single_chat_tools", "external_userid": "woZhouJianGuo0002"}),
        ("contact", {"entry": "single_chat_tools", "external_userid": "woZhouJianGuo0002"}),
        # Neither a refusal nor bad input is something the staff member saw.
        ("group", {"entry": "group_chat_tools", "chat_id": "wrVipGroup0000002"}),
        ("contact", {"entry": "single_chat_tools", "external_userid": "<b>"}),
    ]
    for kind, fields in opens:
        look_up(staff_client, kind, **fields)
    recent = services.recent_targets(staff_userid="zhangsan")
    assert [(t.kind, t.target_id, t.times) for t in recent] == [
        ("customer", "woZhouJianGuo0002", 2),
        ("customer", "wmChenXiaoMing0001", 2),
        ("group", "wrSalesGroup00001", 1),
    ]
    assert [t.avatar_url for t in recent] == [
        f"{corp.base_url}/avatar/woZhouJianGuo0002.svg",
        f"{corp.base_url}/avatar/wmChenXiaoMing0001.svg",
        "",  # WeCom gives groups no avatar
    ]
    body = staff_client.get("/sidebar/home/").content.decode()
    assert body.count('class="recent-item"') == 3
    assert body.count('<img class="avatar avatar-small"') == 2
    assert f'src="{corp.base_url}/avatar/woZhouJianGuo0002.svg"' in body
    assert body.index("陈小明") < body.index("销售客服群")
    assert 'data-target-kind="group"' in body


@pytest.mark.parametrize(
    ("avatar", "kept"),
    [
        ("javascript:alert(1)", ""),
        ("https://wx.qlogo.cn/" + "a" * 600, ""),  # cut to fit, it would point elsewhere
        ("https://wx.qlogo.cn/mmhead/abc/0", "https://wx.qlogo.cn/mmhead/abc/0"),
    ],
)
def test_only_a_whole_web_address_is_kept_as_the_avatar(staff_client, corp, avatar, kept):
    corp.contacts["wmChenXiaoMing0001"]["external_contact"]["avatar"] = avatar
    look_up(
        staff_client, "contact", entry="single_chat_tools", external_userid="wmChenXiaoMing0001"
    )
    assert Lookup.objects.get().target_avatar == kept
    assert services.recent_targets(staff_userid="zhangsan")[0].avatar_url == kept


def test_home_panel_needs_a_session(client, standin):
    assert client.get("/sidebar/home/").status_code == 401


# Client failure reports ---------------------------------------------------------------------

REPORT = {
    "error": "agentConfig:invalid signature",
    "signed_url": "http://testserver/sidebar/",
    "page_url": "http://testserver/sidebar/",
    "entry": "",
}
UA = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 wxwork/4.1.30 MicroMessenger/7.0.1"


def report(client, payload=REPORT, **extra):
    return client.post(
        "/sidebar/reports/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_USER_AGENT=UA,
        **extra,
    )


def test_report_is_stored_with_the_client_version(staff_client):
    assert report(staff_client).status_code == 201
    row = ClientFailureReport.objects.get()
    assert (row.staff_userid, row.error, row.wecom_version) == (
        "zhangsan",
        "agentConfig:invalid signature",
        "4.1.30",
    )


def test_report_prefers_the_user_agent_the_page_saw(staff_client):
    report(staff_client, {**REPORT, "user_agent": "Mozilla/5.0 wxwork/3.0.16"})
    assert ClientFailureReport.objects.get().wecom_version == "3.0.16"


def test_report_needs_a_session(client, standin):
    assert report(client).status_code == 401
    assert not ClientFailureReport.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [{**REPORT, "error": "x" * 501}, {**REPORT, "page_url": "u" * 2049}, {"error": ""}, []],
)
def test_report_sizes_are_bounded(staff_client, payload):
    assert report(staff_client, payload).status_code == 400
    assert not ClientFailureReport.objects.exists()


def test_report_body_is_bounded(staff_client):
    big = {**REPORT, "padding": "p" * 9000}
    assert report(staff_client, big).status_code == 413


def test_reports_are_rate_limited_per_staff_member(staff_client, client, standin, corp):
    statuses = [report(staff_client).status_code for _ in range(22)]
    assert statuses.count(201) == 20 and statuses[-1] == 429
    other = type(staff_client)()
    walk_sign_in(other, corp, as_user="lisi")
    assert report(other).status_code == 201


def test_reports_are_stored_and_limited_while_the_cache_is_down(staff_client, settings):
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    services._local_report_counts.clear()
    statuses = [report(staff_client).status_code for _ in range(21)]
    assert statuses.count(201) == 20 and statuses[-1] == 429
    assert ClientFailureReport.objects.count() == 20


@pytest.mark.parametrize(
    ("content_type", "status"),
    [("text/plain", 415), ("application/json; charset=latin-1", 415), ("multipart/form-data", 415)],
)
def test_report_wants_json(staff_client, content_type, status):
    body = json.dumps(REPORT)
    if content_type.startswith("multipart"):
        response = staff_client.post("/sidebar/reports/", REPORT)
    else:
        response = staff_client.post("/sidebar/reports/", body, content_type=content_type)
    assert response.status_code == status
    assert not ClientFailureReport.objects.exists()


def test_report_admin_shows_the_diagnosis(admin_client, staff_client):
    report(staff_client, {**REPORT, "page_url": "https://testserver/sidebar/", "entry": "normal"})
    body = admin_client.get("/admin/sidebar/clientfailurereport/").content.decode()
    assert "agentConfig:invalid signature" in body
    assert "DJANGO_SECURE_PROXY_SSL_HEADER" in body
    # Who, by name over their userid, and where, in words
    assert "张三<br><small>" in body and "zhangsan" in body
    assert "在应用其他位置打开" in body
    assert ClientFailureReport.objects.get().staff_name == "张三"


def test_a_group_panel_is_rendered_once_per_content_and_viewer(staff_client, corp, panel_renders):
    """A group of 2,000 members costs its render once: again and again it is the same panel.
    A change WeCom reports (a nickname) or another viewer is another panel."""
    grow_group(corp, "wrSalesGroup00001", 2000)
    group = corp.groups["wrSalesGroup00001"]
    customer = next(m for m in group["member_list"] if m["type"] == 2)
    form = {"entry": "group_chat_tools", "chat_id": "wrSalesGroup00001"}
    first = staff_client.post("/sidebar/lookup/group/", form).content.decode()
    again = staff_client.post("/sidebar/lookup/group/", form).content.decode()
    assert first == again and first.count('class="member ') == profiles.FIRST_MEMBERS
    assert panel_renders == ["sidebar/fragments/group.html"]
    customer["group_nickname"] = "改了群昵称"
    services.forget_cached_lookups(client=get_client(), target_ids=["wrSalesGroup00001"])
    assert "改了群昵称" in staff_client.post("/sidebar/lookup/group/", form).content.decode()
    assert len(panel_renders) == 2


def more_members(client, start, chat_id="wrSalesGroup00001", entry="group_chat_tools"):
    form = {"entry": entry, "chat_id": chat_id, "start": str(start)}
    return client.post("/sidebar/lookup/group-members/", form)


def member_names_in(html: str) -> list[str]:
    return re.findall(r'<span class="member-name">([^<]*)</span>', html)


def test_a_big_group_panel_lists_its_first_members_and_the_rest_come_a_page_at_a_time(
    staff_client, corp
):
    """A 2,000-member group: the panel names the first FIRST_MEMBERS and says how many more;
    each further page (MEMBERS_PAGE) is a lookup of its own, checked and audited, and the
    pages together list every member once, in the panel's order."""
    grow_group(corp, "wrSalesGroup00001", 2000)
    panel = look_up(staff_client, "group", entry="group_chat_tools", chat_id="wrSalesGroup00001")
    html = panel.content.decode()
    names = member_names_in(html)
    assert len(names) == profiles.FIRST_MEMBERS
    starts = [int(s) for s in re.findall(r'data-members-from="(\d+)"', html)]
    assert starts == [profiles.FIRST_MEMBERS]
    assert f"还有 {2000 - profiles.FIRST_MEMBERS} 位" in html
    pages = 0
    while starts:
        answer = more_members(staff_client, starts[0])
        assert answer.status_code == 200 and answer["X-Sidebar-Outcome"] == "ok"
        page = answer.content.decode()
        assert "<article" not in page  # members only, for the list they extend
        names += member_names_in(page)
        starts = [int(s) for s in re.findall(r'data-members-from="(\d+)"', page)]
        pages += 1
    assert pages == -(-(2000 - profiles.FIRST_MEMBERS) // profiles.MEMBERS_PAGE)
    group = corp.groups["wrSalesGroup00001"]
    staff = services._group_staff_names(get_client(), group)
    view = profiles.build_group(group, names=staff)
    assert names == [m.display_name for m in view.members] and len(names) == 2000
    rows = list(Lookup.objects.order_by("id").values_list("entry", "target_id", "outcome"))
    assert (
        rows
        == [("group_chat_tools", "wrSalesGroup00001", "ok")]
        + [("group_members", "wrSalesGroup00001", "ok")] * pages
    )


def test_more_members_of_a_group_are_refused_to_staff_it_does_not_include(staff_client, corp):
    grow_group(corp, "wrVipGroup0000002", 300)
    answer = more_members(staff_client, profiles.FIRST_MEMBERS, chat_id="wrVipGroup0000002")
    assert answer["X-Sidebar-Outcome"] == "denied"
    assert "member-name" not in answer.content.decode()
    row = Lookup.objects.get()
    assert (row.entry, row.target_id) == ("group_members", "wrVipGroup0000002")
    assert row.outcome == "denied"


@pytest.mark.parametrize("start", ["0", "-1", "x", "1e3", "١٢", "9999999", ""])
def test_a_members_page_that_starts_nowhere_is_a_bad_request(staff_client, corp, start):
    form = {"entry": "group_chat_tools", "chat_id": "wrSalesGroup00001", "start": start}
    answer = staff_client.post("/sidebar/lookup/group-members/", form)
    assert answer.status_code == 400 and answer["X-Sidebar-Outcome"] == "invalid"
    assert corp.calls_to("/cgi-bin/externalcontact/groupchat/get") == []
    row = Lookup.objects.get()
    assert (row.target_id, row.outcome) == ("wrSalesGroup00001", "invalid")


def test_a_members_page_past_the_end_is_empty(staff_client, corp):
    answer = more_members(staff_client, 5000)
    assert answer["X-Sidebar-Outcome"] == "ok"
    assert "member-name" not in answer.content.decode()
    assert "data-members-from" not in answer.content.decode()
