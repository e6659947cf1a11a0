"""Staff sign-in through WeCom OAuth (snsapi_base), against the stand-in."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import caches

from sidebar.signin import SESSION_STAFF
from tests.conftest import follow_authorize, walk_sign_in

pytestmark = pytest.mark.django_db

GETUSERINFO = "/cgi-bin/auth/getuserinfo"
USER_GET = "/cgi-bin/user/get"


def test_page_without_session_redirects_to_wecom_oauth(client, standin, corp):
    response = client.get("/sidebar/?from=toolbar")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(standin.authorize_url + "?")
    assert location.endswith("#wechat_redirect")
    query = urlsplit(location.split("#")[0]).query
    params = parse_qs(query)
    assert params == {
        "appid": [corp.corp_id],
        "redirect_uri": ["http://testserver/sidebar/oauth/callback/"],
        "response_type": ["code"],
        "scope": ["snsapi_base"],
        "state": [params["state"][0]],
        "agentid": [corp.agent_id],
    }
    state = params["state"][0]
    assert state.isalnum() and len(state) == 32
    # The official template's order: ... scope, state, agentid.
    assert query.index("state=") < query.index("agentid=")
    assert "redirect_uri=http%3A%2F%2Ftestserver%2Fsidebar%2Foauth%2Fcallback%2F" in query


def test_sign_in_returns_to_the_original_page_with_a_new_session_key(client, standin, corp):
    first = client.get("/sidebar/?from=toolbar")
    key_before = client.session.session_key
    response = follow_authorize(client, first["Location"])
    assert response.status_code == 302
    assert response["Location"] == "/sidebar/?from=toolbar"
    assert client.session.session_key != key_before
    assert client.session[SESSION_STAFF]["userid"] == "zhangsan"
    assert corp.count(GETUSERINFO) == 1


def test_state_mismatch_is_refused_without_asking_wecom(client, standin, corp):
    response = client.get("/sidebar/")
    answer_url = response["Location"].replace("state=", "state=tampered")
    response = follow_authorize(client, answer_url)
    assert response.status_code == 400
    assert "登录链接已失效" in response.content.decode()
    assert 'href="/sidebar/signin/"' in response.content.decode()
    assert corp.count(GETUSERINFO) == 0
    assert SESSION_STAFF not in client.session


def test_state_is_single_use(client, standin, corp):
    first = client.get("/sidebar/")
    response = follow_authorize(client, first["Location"])
    assert response.status_code == 302
    other = type(client)()  # another browser replaying the same callback URL
    replay = other.get(response.wsgi_request.get_full_path())
    assert replay.status_code == 400
    assert corp.count(GETUSERINFO) == 1


def test_back_navigation_onto_a_used_callback_goes_to_the_page(staff_client, corp):
    callback = staff_client.get("/sidebar/")  # signed in: renders
    assert callback.status_code == 200
    used = corp.calls_to(GETUSERINFO)[-1]
    response = staff_client.get(f"/sidebar/oauth/callback/?code={used.query['code']}&state=x")
    assert response.status_code == 302 and response["Location"] == "/sidebar/"
    assert corp.count(GETUSERINFO) == 1


def test_reused_code_restarts_sign_in_once_then_explains(client, standin, corp):
    corp.inject(GETUSERINFO, errcode=40029, errmsg="invalid code", times=None)
    first = walk_sign_in(client, corp)
    # First rejection: a fresh sign-in, to WeCom again.
    assert first.status_code == 302
    assert first["Location"].startswith(standin.authorize_url)
    second = follow_authorize(client, first["Location"])
    # Second rejection: a page that explains, not another redirect.
    assert second.status_code == 400
    body = second.content.decode()
    assert "企业微信未接受本次登录" in body
    assert corp.count(GETUSERINFO) == 2
    assert SESSION_STAFF not in client.session


def test_sign_in_works_after_one_rejected_code(client, standin, corp):
    corp.inject(GETUSERINFO, errcode=40029, errmsg="invalid code", times=1)
    first = walk_sign_in(client, corp)
    second = follow_authorize(client, first["Location"])
    assert second.status_code == 302 and second["Location"] == "/sidebar/"
    assert client.session[SESSION_STAFF]["userid"] == "zhangsan"


def test_visitor_with_only_an_openid_gets_a_clear_page(client, standin, corp):
    response = walk_sign_in(client, corp, as_user=("openid", "oVisitor123"))
    assert response.status_code == 403
    assert "本页面仅供企业成员使用" in response.content.decode()
    assert SESSION_STAFF not in client.session
    assert client.get("/sidebar/").status_code == 302  # still not signed in


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/steal",
        "//evil.example/steal",
        "/\\evil.example/steal",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
    ],
)
def test_open_redirect_attempts_land_on_the_sidebar(client, standin, corp, target):
    start = client.get("/sidebar/signin/", {"next": target})
    assert start.status_code == 302
    response = follow_authorize(client, start["Location"])
    assert response.status_code == 302
    assert response["Location"] == "/sidebar/"


def test_sign_in_again_keeps_a_local_next(client, standin, corp):
    start = client.get("/sidebar/signin/", {"next": "/sidebar/?x=1"})
    response = follow_authorize(client, start["Location"])
    assert response["Location"] == "/sidebar/?x=1"


def test_callback_without_code(client, standin, corp):
    start = client.get("/sidebar/")
    state = parse_qs(urlsplit(start["Location"].split("#")[0]).query)["state"][0]
    response = client.get("/sidebar/oauth/callback/", {"state": state})
    assert response.status_code == 400
    assert corp.count(GETUSERINFO) == 0


def test_wecom_failure_during_sign_in_is_explained(client, standin, corp):
    corp.inject(GETUSERINFO, errcode=60020, errmsg="not allow to access from your ip")
    response = walk_sign_in(client, corp)
    assert response.status_code == 503
    assert "企业可信IP" in response.content.decode()


def test_a_name_wecom_could_not_give_at_sign_in_is_learnt_on_the_next_page_load(
    client, standin, corp
):
    """Sign-in goes on without the name (the header shows the userid), and the next page load
    asks again, keeps the name in the session and stops asking."""
    corp.inject(USER_GET, http_status=502)
    assert walk_sign_in(client, corp).status_code == 302
    assert corp.count(USER_GET) == 1
    assert client.session[SESSION_STAFF]["name"] == ""
    assert "当前成员：张三" in client.get("/sidebar/").content.decode()
    assert corp.count(USER_GET) == 2
    assert client.session[SESSION_STAFF]["name"] == "张三"
    client.get("/sidebar/")
    assert corp.count(USER_GET) == 2


def test_a_name_wecom_refused_is_asked_again_only_after_a_while(client, standin, corp):
    """60011 (outside the app's visible range) is remembered for ten minutes
    (staff_names.REFUSED_SECONDS): page loads meanwhile do not ask; the first one after it
    asks, and learns the name."""
    corp.inject(USER_GET, errcode=60011, errmsg="no privilege to access/modify contact")
    assert walk_sign_in(client, corp).status_code == 302
    for _ in range(3):
        assert "当前成员：zhangsan" in client.get("/sidebar/").content.decode()
    assert corp.count(USER_GET) == 1
    caches["default"].clear()  # ten minutes later
    assert "当前成员：张三" in client.get("/sidebar/").content.decode()
    assert corp.count(USER_GET) == 2


def test_lookups_never_ask_for_the_signed_in_members_name(client, standin, corp):
    corp.inject(USER_GET, http_status=502, times=None)
    walk_sign_in(client, corp)
    response = client.post(
        "/sidebar/lookup/contact/",
        {"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"},
    )
    assert response["X-Sidebar-Outcome"] == "ok"
    assert corp.count(USER_GET) == 1  # the sign-in's only
    assert "当前成员：zhangsan" in client.get("/sidebar/").content.decode()
