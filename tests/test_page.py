"""GET /sidebar/, the re-sign endpoint, /healthz, headers, and the system checks."""

import json

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client

from sidebar.middleware import CONTENT_SECURITY_POLICY
from sidebar.wecom import get_client
from sidebar.wecom.credentials import CORP_TICKET
from tests.conftest import redis_caches, walk_sign_in
from tests.pages import boot_of
from tests.servers import free_port

pytestmark = pytest.mark.django_db


def boot_data(response) -> dict:
    return boot_of(response.content.decode())


def verify(corp, signed: dict, url: str) -> tuple[str, str]:
    config = {"corpid": corp.corp_id, **signed["config"]}
    agent = {"corpid": corp.corp_id, "agentid": corp.agent_id, **signed["agentConfig"]}
    return (
        corp.verify_signature(kind="corp", params=config, url=url),
        corp.verify_signature(kind="agent", params=agent, url=url),
    )


def test_page_inlines_both_signatures_for_its_own_url(staff_client, corp):
    response = staff_client.get("/sidebar/?from=toolbar&x=%E4%B8%AD")
    assert response.status_code == 200
    boot = boot_data(response)
    url = "http://testserver/sidebar/?from=toolbar&x=%E4%B8%AD"
    assert boot["url"] == url
    assert (boot["corpId"], boot["agentId"]) == (corp.corp_id, corp.agent_id)
    assert "getCurExternalContact" in boot["jsApiList"]
    assert verify(corp, boot, url) == ("ok", "ok")
    assert boot["config"]["signature"] != boot["agentConfig"]["signature"]


def test_a_page_opened_again_within_the_minute_is_signed_as_before(staff_client, corp, monkeypatch):
    """Signatures are made once per URL, tickets and minute; another URL, another minute or
    a replaced ticket is signed afresh, and each is what the client accepts."""
    from sidebar import signing

    clock = [1_800_000_000.0]
    monkeypatch.setattr(signing.time, "time", lambda: clock[0])
    first = boot_data(staff_client.get("/sidebar/?a=1"))
    clock[0] += 30
    again = boot_data(staff_client.get("/sidebar/?a=1"))
    other = boot_data(staff_client.get("/sidebar/?a=2"))
    clock[0] += 31
    later = boot_data(staff_client.get("/sidebar/?a=1"))
    assert again["config"] == first["config"] and again["agentConfig"] == first["agentConfig"]
    assert other["config"]["signature"] != first["config"]["signature"]
    assert later["config"]["timestamp"] == first["config"]["timestamp"] + 61
    for boot in (first, other, later):
        assert verify(corp, boot, boot["url"]) == ("ok", "ok")
    client = get_client()  # another ticket (a heal): the page is signed with it
    assert client.replace_ticket(CORP_TICKET, client.corp_ticket()) is not None
    fresh = boot_data(staff_client.get("/sidebar/?a=1"))
    assert fresh["config"]["signature"] != later["config"]["signature"]
    assert verify(corp, fresh, fresh["url"]) == ("ok", "ok")


def test_the_page_is_made_once_per_url_client_and_signatures(staff_client, monkeypatch):
    """Opened again within the minute, the same page is served as it was made; another URL,
    another client or a new minute is another page."""
    from sidebar import signing, views

    clock = [1_800_000_000.0]
    monkeypatch.setattr(signing.time, "time", lambda: clock[0])
    made = []
    real = views.page_boot
    monkeypatch.setattr(views, "page_boot", lambda *a, **k: made.append(1) or real(*a, **k))
    pages = [staff_client.get("/sidebar/?p=1").content for _ in range(3)]
    assert pages[0] == pages[1] == pages[2] and len(made) == 1
    staff_client.get("/sidebar/?p=2")
    staff_client.get("/sidebar/?p=1", HTTP_USER_AGENT="Mozilla/5.0 wxwork/3.0.16 MicroMessenger")
    assert len(made) == 3
    clock[0] += 60
    staff_client.get("/sidebar/?p=1")
    assert len(made) == 4


def test_the_page_holds_no_csrf_token_its_script_reads_the_cookie(standin, corp):
    """The token is not in the page (a secret in a compressed body, and a masking per
    request); the cookie is set when the browser has none, and not sent again when it has."""
    browser = Client()
    walk_sign_in(browser, corp)
    browser.cookies.pop("csrftoken", None)
    first = browser.get("/sidebar/")
    assert boot_data(first)["csrfCookie"] == "csrftoken" and "csrfToken" not in boot_data(first)
    secret = first.cookies["csrftoken"].value
    assert secret and secret not in first.content.decode()
    again = browser.get("/sidebar/")
    assert "csrftoken" not in again.cookies
    assert browser.cookies["csrftoken"].value == secret


def test_page_never_contains_tokens_tickets_or_the_secret(staff_client, corp):
    body = staff_client.get("/sidebar/").content.decode()
    secrets = [corp.secret, *corp.tokens, *corp.tickets["corp"], *corp.tickets["agent"]]
    assert len(secrets) == 4
    for secret in secrets:
        assert secret not in body


def test_page_behind_a_tls_proxy_signs_the_public_url(standin, corp, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.USE_X_FORWARDED_HOST = True
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "sidebar.example.com"]
    browser = Client(HTTP_X_FORWARDED_PROTO="https", HTTP_X_FORWARDED_HOST="sidebar.example.com")
    first = browser.get("/sidebar/")
    assert (
        "redirect_uri=https%3A%2F%2Fsidebar.example.com%2Fsidebar%2Foauth%2Fcallback"
        in (first["Location"])
    )
    walk_sign_in(browser, corp)
    boot = boot_data(browser.get("/sidebar/"))
    assert boot["url"] == "https://sidebar.example.com/sidebar/"
    assert verify(corp, boot, "https://sidebar.example.com/sidebar/") == ("ok", "ok")


def test_html_is_not_cached_and_has_a_csp(staff_client):
    response = staff_client.get("/sidebar/")
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY


def test_page_names_missing_settings(client, settings):
    settings.WECOM_CORP_ID = ""
    settings.WECOM_AGENT_ID = "not-a-number"
    settings.WECOM_AGENT_SECRET = "x"
    response = client.get("/sidebar/")
    assert response.status_code == 503
    body = response.content.decode()
    assert "本页面尚未配置完成" in body
    assert "WECOM_CORP_ID, WECOM_AGENT_ID" in body
    assert response["Cache-Control"] == "no-store"


def test_page_explains_wecom_failure_while_signing(staff_client, corp):
    caches["wecom"].clear()  # the next page load must fetch tickets again
    corp.inject("/cgi-bin/ticket/get", errcode=60020, errmsg="not allow to access from your ip")
    response = staff_client.get("/sidebar/")
    assert response.status_code == 503
    assert "企业可信IP" in response.content.decode()


def test_expired_token_twice_on_a_ticket_fetch_fails_one_page_load_only(staff_client, corp):
    caches["wecom"].clear()
    corp.inject("/cgi-bin/get_jsapi_ticket", errcode=42001, errmsg="expired", times=2)
    assert staff_client.get("/sidebar/").status_code == 502
    # WeCom is healthy again: the very next page load asks it and succeeds.
    response = staff_client.get("/sidebar/")
    assert response.status_code == 200
    assert verify(corp, boot_data(response), "http://testserver/sidebar/") == ("ok", "ok")


def test_english_is_available(staff_client):
    response = staff_client.get("/sidebar/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Looking at the current chat" in response.content.decode()


# The re-sign endpoint ----------------------------------------------------------------------

SIGN = "/sidebar/signatures/"


def resign(client, payload, **extra):
    return client.post(SIGN, json.dumps(payload), content_type="application/json", **extra)


def test_resign_signs_a_changed_url_of_this_site(staff_client, corp):
    response = resign(staff_client, {"url": "http://testserver/sidebar/?after=route#/x"})
    assert response.status_code == 200
    signed = response.json()
    assert signed["url"] == "http://testserver/sidebar/?after=route"
    assert verify(corp, signed, signed["url"]) == ("ok", "ok")
    assert set(signed) == {"url", "config", "agentConfig"}


@pytest.mark.parametrize(
    "payload",
    [
        {"url": "https://evil.example/sidebar/"},
        {"url": "javascript:alert(1)"},
        {"url": "http://user:pw@testserver/sidebar/"},
        {"url": "ftp://testserver/sidebar/"},
        {"url": "http://testserver.evil.example/"},
        {"url": "https://testserver/sidebar/"},  # https for an http site
        {"url": "http://testserver:8443/sidebar/"},  # another port
        {"url": "http://testserver:80/sidebar/"},  # the default port spelled out
        {"url": "http://testserver./sidebar/"},  # a trailing dot
        {"url": "http://TESTSERVER/sidebar/"},  # upper case
        {"url": "http://localhost/sidebar/"},  # allowed, but not the host this is served as
        {"url": "http://testserver/admin/"},  # not the sidebar
        {"url": "http://testserver/sidebar/\r\nX: 1"},
        {"url": "http://testserver/sidebar/?a=1\tb"},
        {"url": "http://testserver/sidebar/?a=b c"},
        {"url": "http://testserver/sidebar/?中文"},
        {"url": "http://[::1/sidebar/"},
        {"url": "x" * 3000},
        {"nothing": 1},
        ["http://testserver/"],
    ],
)
def test_resign_refuses_other_urls(staff_client, corp, payload):
    tickets_before = corp.count("/cgi-bin/ticket/get")
    response = resign(staff_client, payload)
    assert response.status_code == 400
    assert response.json()["error"]
    assert corp.count("/cgi-bin/ticket/get") == tickets_before


def test_resign_refuses_bad_json(staff_client):
    response = staff_client.post(SIGN, "{not json", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", '{"url": "http://testserver/sidebar/"}'),
        ("application/x-www-form-urlencoded", "url=http://testserver/sidebar/"),
        ("application/json; charset=utf-16", '{"url": "http://testserver/sidebar/"}'),
    ],
)
def test_resign_wants_utf8_json(staff_client, content_type, body):
    response = staff_client.post(SIGN, body, content_type=content_type)
    assert response.status_code == 415
    said = response.content.decode()
    assert "JSON" in said or "UTF-8" in said


def test_resign_with_a_multipart_body_is_refused_not_crashed(staff_client):
    response = staff_client.post(SIGN, {"url": "http://testserver/sidebar/"})  # multipart
    assert response.status_code == 415


def test_resign_is_for_signed_in_staff_only(client, standin):
    response = resign(client, {"url": "http://testserver/sidebar/"})
    assert response.status_code == 401
    assert response.json()["error"]


def test_resign_enforces_csrf(standin, corp):
    browser = Client(enforce_csrf_checks=True)
    walk_sign_in(browser, corp)
    assert boot_of(browser.get("/sidebar/").content.decode())["csrfCookie"] == "csrftoken"
    token = browser.cookies["csrftoken"].value
    assert resign(browser, {"url": "http://testserver/sidebar/"}).status_code == 403
    ok = resign(browser, {"url": "http://testserver/sidebar/"}, HTTP_X_CSRFTOKEN=token)
    assert ok.status_code == 200


# /healthz -----------------------------------------------------------------------------------


def test_healthz_ok(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_healthz_ok_with_redis(client, redis_settings):
    assert client.get("/healthz").status_code == 200


def test_healthz_reports_an_unreachable_cache(client, settings):
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{free_port()}/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "cache": "unavailable"}


def test_healthz_shows_no_secrets(client, standin, corp):
    assert corp.secret not in client.get("/healthz").content.decode()


# System checks ------------------------------------------------------------------------------


def test_checks_name_each_missing_setting(settings, capsys):
    settings.WECOM_CORP_ID = ""
    settings.WECOM_AGENT_ID = "abc"
    settings.WECOM_AGENT_SECRET = ""
    settings.WECOM_API_BASE_URL = "qyapi.weixin.qq.com"
    settings.WECOM_OAUTH_AUTHORIZE_URL = ""
    call_command("check", "--deploy")
    err = capsys.readouterr().err
    for check_id, name in [
        ("W001", "WECOM_CORP_ID"),
        ("W002", "WECOM_AGENT_ID"),
        ("W003", "WECOM_AGENT_SECRET"),
        ("W004", "WECOM_API_BASE_URL"),
        ("W005", "WECOM_OAUTH_AUTHORIZE_URL"),
    ]:
        assert f"(sidebar.{check_id}) {name} is not set or not valid." in err


def test_checks_pass_when_configured(standin, capsys):
    call_command("check", "--deploy")
    assert "sidebar.W00" not in capsys.readouterr().err


def test_a_clone_without_wecom_settings_runs_commands_without_warnings(settings, capsys):
    settings.WECOM_CORP_ID = settings.WECOM_AGENT_SECRET = ""
    call_command("check")
    assert "sidebar.W00" not in capsys.readouterr().err


def test_deploy_check_warns_without_shared_cache(standin, settings, capsys):
    settings.REDIS_URL = ""
    call_command("check", "--deploy")
    assert "sidebar.W010" in capsys.readouterr().err


# The trusted-domain ownership file -------------------------------------------------------------


def test_verification_file_is_served_at_the_root(client, settings, tmp_path):
    verify = tmp_path / "WW_verify_AbC123xyz.txt"
    verify.write_text("AbC123xyz")
    settings.WECOM_VERIFY_FILE = str(verify)
    response = client.get("/WW_verify_AbC123xyz.txt")
    assert response.status_code == 200
    assert response.content == b"AbC123xyz"
    assert response["Content-Type"].startswith("text/plain")
    assert client.get("/WW_verify_Other1.txt").status_code == 404
    assert client.post("/WW_verify_AbC123xyz.txt").status_code == 405


def test_no_verification_file_unless_configured(client, settings):
    settings.WECOM_VERIFY_FILE = ""
    assert client.get("/WW_verify_AbC123xyz.txt").status_code == 404


def test_check_names_a_missing_verification_file(settings, capsys, tmp_path):
    settings.WECOM_VERIFY_FILE = str(tmp_path / "WW_verify_missing.txt")
    call_command("check", "--deploy")
    assert "sidebar.W006" in capsys.readouterr().err


# Requests the app cannot read -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/healthz", "/sidebar/", "/sidebar/lookup/contact/", "/nowhere"])
@pytest.mark.parametrize("charset", ["utf-16", "latin-1", "gbk", "no-such-charset"])
def test_a_form_in_another_charset_is_refused_everywhere(staff_client, path, charset):
    staff_client.cookies["csrftoken"] = "x" * 32
    body = "entry=single_chat_tools".encode("utf-16" if charset == "utf-16" else "latin-1")
    content_type = f"application/x-www-form-urlencoded; charset={charset}"
    response = staff_client.generic("POST", path, body, content_type=content_type)
    assert response.status_code == 415
    assert "UTF-8" in response.content.decode()


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"--x\r\n"),  # no boundary
        ("multipart/form-data; boundary=x", b"--\r"),  # three bytes
        ("multipart/form-data; boundary=" + "b" * 300, b"--b\r\n"),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="\xff"\r\n\r\n1\r\n--x--',
        ),
        ("application/x-www-form-urlencoded", b"&".join(b"k%d=v" % i for i in range(1500))),
    ],
)
@pytest.mark.parametrize("host", ["testserver", "evil.example"])
@pytest.mark.parametrize("path", ["/nowhere", "/sidebar/reports/", "/sidebar/signatures/", "/"])
def test_malformed_bodies_are_a_4xx_wherever_they_end(staff_client, content_type, body, host, path):
    response = staff_client.generic("POST", path, body, content_type=content_type, HTTP_HOST=host)
    assert 400 <= response.status_code < 500, response.content


def test_an_oversized_form_is_a_413(staff_client):
    body = b"a=" + b"b" * (3 * 1024 * 1024)
    response = staff_client.post(
        "/sidebar/lookup/contact/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
