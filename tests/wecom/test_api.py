"""The transport against the stand-in over real HTTP, fed WeCom's documented bodies.

Assertions read back what went over the wire (method, path, query) from the stand-in's log.
"""

import time

import pytest

from sidebar.exceptions import (
    WeComAPIError,
    WeComBusy,
    WeComCodeInvalid,
    WeComCredentialsRejected,
    WeComRateLimited,
    WeComTimeout,
    WeComTokenInvalid,
    WeComTransportError,
)
from sidebar.wecom.api import WeComAPI
from tests.conftest import load_fixture

TOKEN = "the-token-under-test"


@pytest.fixture
def api(standin):
    return WeComAPI(base_url=standin.url, timeout=1.0)


def test_gettoken_sample(api, corp):
    corp.queue("/cgi-bin/gettoken", load_fixture("gettoken.json"))
    grant = api.get_token(corp_id="wwcorp", secret="s3cret")
    assert (grant.value, grant.expires_in) == ("accesstoken000001", 7200)
    assert "accesstoken000001" not in repr(grant)
    (call,) = corp.calls_to("/cgi-bin/gettoken")
    assert call.method == "GET"
    assert call.query == {"corpid": "wwcorp", "corpsecret": "s3cret"}


def test_gettoken_bad_secret(api, corp):
    corp.queue("/cgi-bin/gettoken", load_fixture("gettoken_40091.json"))
    with pytest.raises(WeComCredentialsRejected) as info:
        api.get_token(corp_id="wwcorp", secret="s3cret")
    assert (info.value.errcode, info.value.errmsg) == (40091, "secret is invalid")
    assert info.value.path == "/cgi-bin/gettoken"
    assert "s3cret" not in str(info.value)
    assert corp.count("/cgi-bin/gettoken") == 1  # the transport itself never retries this


def test_corp_ticket_sample(api, corp):
    corp.queue("/cgi-bin/get_jsapi_ticket", load_fixture("get_jsapi_ticket.json"))
    grant = api.get_corp_ticket(TOKEN)
    assert grant.value.startswith("bxLdikRXVbTPdHSM05e5u5sU") and grant.expires_in == 7200
    (call,) = corp.calls_to("/cgi-bin/get_jsapi_ticket")
    assert call.query == {"access_token": TOKEN}


def test_agent_ticket_sample(api, corp):
    corp.queue("/cgi-bin/ticket/get", load_fixture("ticket_get.json"))
    grant = api.get_agent_ticket(TOKEN)
    assert grant.expires_in == 7200
    (call,) = corp.calls_to("/cgi-bin/ticket/get")
    assert call.query == {"access_token": TOKEN, "type": "agent_config"}


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("auth_getuserinfo_member.json", {"userid": "USERID", "openid": "", "external_userid": ""}),
        (
            "auth_getuserinfo_visitor.json",
            {"userid": "", "openid": "OPENID", "external_userid": "EXTERNAL_USERID"},
        ),
    ],
)
def test_getuserinfo_samples(api, corp, fixture, expected):
    corp.queue("/cgi-bin/auth/getuserinfo", load_fixture(fixture))
    assert api.get_user_info(TOKEN, code="CODE") == expected
    (call,) = corp.calls_to("/cgi-bin/auth/getuserinfo")
    assert call.query == {"access_token": TOKEN, "code": "CODE"}


def test_getuserinfo_legacy_spelling(api, corp):
    corp.queue("/cgi-bin/auth/getuserinfo", {"errcode": 0, "errmsg": "ok", "UserId": "legacy"})
    assert api.get_user_info(TOKEN, code="CODE")["userid"] == "legacy"


def test_getuserinfo_invalid_code(api, corp):
    corp.queue("/cgi-bin/auth/getuserinfo", load_fixture("auth_getuserinfo_40029.json"))
    with pytest.raises(WeComCodeInvalid) as info:
        api.get_user_info(TOKEN, code="CODE")
    assert info.value.errcode == 40029


def test_external_contact_sample(api, corp):
    corp.queue("/cgi-bin/externalcontact/get", load_fixture("externalcontact_get.json"))
    data = api.get_external_contact(TOKEN, external_userid="woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA")
    assert data["external_contact"]["name"] == "李四"
    assert [f["userid"] for f in data["follow_user"]] == ["rocky", "tommy"]
    assert data["next_cursor"] == "NEXT_CURSOR"
    (call,) = corp.calls_to("/cgi-bin/externalcontact/get")
    assert call.query == {
        "access_token": TOKEN,
        "external_userid": "woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA",
    }


@pytest.mark.parametrize(
    ("fixture", "error_class", "errcode"),
    [
        ("error_84061.json", WeComAPIError, 84061),
        ("error_40096.json", WeComAPIError, 40096),
        ("error_48002.json", WeComAPIError, 48002),
        ("error_60020_with_ip.json", WeComAPIError, 60020),
        ("error_42001.json", WeComTokenInvalid, 42001),
        ("error_40014.json", WeComTokenInvalid, 40014),
        ("error_45009.json", WeComRateLimited, 45009),
    ],
)
def test_error_bodies(api, corp, fixture, error_class, errcode):
    corp.queue("/cgi-bin/externalcontact/get", load_fixture(fixture))
    with pytest.raises(error_class) as info:
        api.get_external_contact(TOKEN, external_userid="wmX")
    assert info.value.errcode == errcode
    assert info.value.path == "/cgi-bin/externalcontact/get"
    assert info.value.status_code == 200  # WeCom reports errors inside HTTP 200
    assert TOKEN not in str(info.value)


def test_system_busy_is_retried_briefly(api, corp):
    corp.inject("/cgi-bin/gettoken", errcode=-1, times=2)
    corp.queue("/cgi-bin/gettoken", load_fixture("gettoken.json"))
    corp.queue("/cgi-bin/gettoken", load_fixture("gettoken.json"))
    corp.queue("/cgi-bin/gettoken", load_fixture("gettoken.json"))
    assert api.get_token(corp_id=corp.corp_id, secret=corp.secret).value == "accesstoken000001"
    assert corp.count("/cgi-bin/gettoken") == 3


def test_system_busy_gives_up_after_three_attempts(api, corp):
    corp.inject("/cgi-bin/gettoken", errcode=-1, times=None)
    with pytest.raises(WeComBusy):
        api.get_token(corp_id=corp.corp_id, secret=corp.secret)
    assert corp.count("/cgi-bin/gettoken") == 3


def test_http_error_status(api, corp):
    corp.inject("/cgi-bin/get_jsapi_ticket", http_status=500)
    with pytest.raises(WeComTransportError) as info:
        api.get_corp_ticket(TOKEN)
    assert info.value.status_code == 500
    assert TOKEN not in str(info.value)


def test_timeout(api, corp):
    corp.inject("/cgi-bin/get_jsapi_ticket", delay=3.0)
    started = time.monotonic()
    with pytest.raises(WeComTimeout) as info:
        api.get_corp_ticket(TOKEN)
    assert time.monotonic() - started < 2.5
    assert TOKEN not in str(info.value) and info.value.__cause__ is None


def test_unreachable_host_keeps_token_out_of_the_error():
    api = WeComAPI(base_url="http://127.0.0.1:9", timeout=1.0)
    with pytest.raises(WeComTransportError) as info:
        api.get_corp_ticket(TOKEN)
    assert TOKEN not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_success_without_the_credential_is_a_transport_error(api, corp):
    corp.queue("/cgi-bin/gettoken", {"errcode": 0, "errmsg": "ok"})
    with pytest.raises(WeComTransportError, match="access_token"):
        api.get_token(corp_id="c", secret="s")
