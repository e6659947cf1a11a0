"""GET /sidebar/, the re-sign endpoint, /healthz, headers, and the system checks."""

import json

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client

from sidebar.middleware import CONTENT_SECURITY_POLICY
from tests.conftest import free_port, redis_caches, walk_sign_in

pytestmark = pytest.mark.django_db


def boot_data(response) -> dict:
    body = response.content.decode()
    marker = '<script id="sidebar-boot" type="application/json">'
    start = body.index(marker) + len(marker)
    return json.loads(body[start : body.index("</script>", start)])


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


def test_resign_is_for_signed_in_staff_only(client, standin):
    response = resign(client, {"url": "http://testserver/sidebar/"})
    assert response.status_code == 401
    assert response.json()["error"]


def test_resign_enforces_csrf(standin, corp):
    browser = Client(enforce_csrf_checks=True)
    walk_sign_in(browser, corp)
    token = browser.get("/sidebar/").context["boot"]["csrfToken"]
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
    call_command("check")
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
    call_command("check")
    assert "sidebar." not in capsys.readouterr().err


def test_deploy_check_warns_without_shared_cache(standin, settings, capsys):
    settings.REDIS_URL = ""
    call_command("check", "--deploy")
    assert "sidebar.W010" in capsys.readouterr().err
