"""配置体检 against the WeCom stand-in: each setup mistake named with its fix, and a clean bill
on the right configuration; the command's exit status; the admin page; no secret printed."""

import re

import pytest
from django.core.management import call_command

from sidebar import doctor
from sidebar.events import verification
from sidebar.models import Lookup
from tests.events import vectors

pytestmark = pytest.mark.django_db

HOST = "sidebar.example.com"


@pytest.fixture
def configured(standin, corp, settings):
    """The right configuration: the app trusts the host the sidebar is served at."""
    corp.redirect_domain = HOST
    settings.SIDEBAR_PUBLIC_URL = f"https://{HOST}"
    settings.ALLOWED_HOSTS = [HOST]
    return corp


def failures(findings=None) -> dict[str, tuple[str, str]]:
    findings = doctor.examine() if findings is None else findings
    return {f.check: (f.said, f.fix) for f in findings if not f.ok}


def used_by(*userids):
    for userid in userids:
        Lookup.objects.create(
            staff_userid=userid, entry="single_chat_tools", outcome="ok", duration_ms=1
        )


def test_the_right_configuration_passes_every_check(configured, corp):
    used_by("zhangsan", "lisi")
    findings = doctor.examine()
    assert failures(findings) == {}
    checks = {f.check for f in findings}
    assert {"企业 ID 和 Secret", "JS-SDK 票据", "可信域名", "客户联系"} <= checks
    # gettoken, agent/get, get_follow_user_list and the two tickets: a handful of calls.
    wecom_calls = sum(corp.calls.values())
    assert wecom_calls <= 6


@pytest.mark.parametrize(("offset", "words"), [(-600, "超前"), (900, "落后")])
def test_a_clock_apart_from_wecoms_is_named(configured, corp, offset, words):
    """WeCom's clock, from the Date of its answers, 10 minutes behind / 15 ahead of ours."""
    corp.clock_offset = offset
    said, fix = failures()["时钟"]
    seconds = int(re.search(r"(\d+) 秒", said).group(1))
    assert abs(seconds - abs(offset)) <= 2 and words in said  # a Date header has whole seconds
    assert "NTP" in fix and "5 分钟" in fix


def test_a_clock_within_a_minute_passes(configured, corp):
    corp.clock_offset = 30
    (clock,) = [f for f in doctor.examine() if f.check == "时钟"]
    assert clock.ok and re.search(r"相差 (29|30|31) 秒", clock.said)


def test_a_wrong_secret_is_named(configured, settings):
    settings.WECOM_AGENT_SECRET = "not-the-secret"
    said, fix = failures()["企业 ID 和 Secret"]
    assert "40001" in said and "Secret" in said
    assert "WECOM_AGENT_SECRET" in fix  # the setting to correct, for whoever runs the check
    assert "not-the-secret" not in said + fix


def test_an_untrusted_server_ip_is_named_with_the_ip_wecom_saw(configured, corp):
    corp.inject(
        "/cgi-bin/gettoken",
        errcode=60020,
        errmsg="not allow to access from your ip, hint: [x], from ip: 203.0.113.7",
    )
    said, fix = failures()["企业 ID 和 Secret"]
    assert "60020" in said and "203.0.113.7" in said
    assert "企业可信IP" in fix


def test_an_app_without_customer_contact_permission_is_named(configured, corp):
    corp.inject(
        "/cgi-bin/externalcontact/get_follow_user_list", errcode=48002, errmsg="api forbidden"
    )
    said, fix = failures()["客户联系"]
    assert "48002" in said and "可调用接口的应用" in fix


def test_staff_outside_the_visible_range_are_named(configured, corp):
    corp.visible_staff = ["zhangsan", "lisi"]
    used_by("zhangsan", "wangwu")
    found = failures()
    said, fix = found["可见范围"]
    assert "wangwu" in said and "zhangsan" not in said and "可见范围" in fix
    assert "成员的客户联系" not in found  # wangwu's problem is the range, said once


def test_staff_without_customer_contact_are_named(configured, corp):
    corp.customer_contact_staff = ["zhangsan"]
    used_by("zhangsan", "lisi")
    said, fix = failures()["成员的客户联系"]
    assert "lisi" in said and "zhangsan" not in said and "权限配置" in fix


def test_a_trusted_domain_other_than_the_host_is_named(configured, corp):
    corp.redirect_domain = "old.example.com"
    said, fix = failures()["可信域名"]
    assert "old.example.com" in said and HOST in said and HOST in fix


def test_a_callback_wecom_never_verified_is_named(configured, settings):
    settings.WECOM_CALLBACK_TOKEN = vectors.TOKEN
    settings.WECOM_CALLBACK_AES_KEY = vectors.AES_KEY
    said, fix = failures()["变更事件"]
    assert "从未验证" in said and "接收消息" in fix
    verification.record()  # WeCom's signed GET, as the console sends it on 保存
    assert "变更事件" not in failures()


def test_the_callback_verification_is_recorded_when_wecom_verifies(client, settings):
    settings.WECOM_CORP_ID = vectors.CORP_ID  # the official sample's
    settings.WECOM_CALLBACK_TOKEN = vectors.TOKEN
    settings.WECOM_CALLBACK_AES_KEY = vectors.AES_KEY
    assert verification.last() is None
    assert client.get("/wecom/events/", vectors.VERIFY).content.decode() == vectors.VERIFY_ANSWER
    assert verification.last() is not None


def test_the_command_exits_1_on_a_failure_and_prints_no_secret(configured, settings, capsys):
    call_command("wecom_doctor")
    out = capsys.readouterr().out
    assert "✗" not in out and "✓ 可信域名" in out
    settings.WECOM_AGENT_SECRET = "another-wrong-secret"
    with pytest.raises(SystemExit) as exited:
        call_command("wecom_doctor")
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert "✗ 企业 ID 和 Secret" in out and "    → " in out
    assert "another-wrong-secret" not in out and "stand-in-token" not in out


def test_the_admin_page_is_for_superusers(configured, client, django_user_model):
    django_user_model.objects.create_user("auditor", password="pw", is_staff=True)
    client.login(username="auditor", password="pw")
    assert client.get("/admin/doctor/", HTTP_HOST=HOST).status_code == 403
    django_user_model.objects.create_superuser("root", password="pw")
    client.login(username="root", password="pw")
    page = client.get("/admin/doctor/", HTTP_HOST=HOST).content.decode()
    assert "配置体检" in page and "可信域名" in page
