"""No corp secret, access_token or ticket reaches a log line, an exception or the admin."""

import logging

import pytest

from sidebar.exceptions import WeComTransportError
from sidebar.log_filters import RedactSecretsFilter, redact
from sidebar.models import Lookup
from sidebar.wecom import get_client

pytestmark = pytest.mark.django_db


def secrets_of(corp) -> list[str]:
    return [corp.secret, *corp.tokens, *corp.tickets["corp"], *corp.tickets["agent"]]


def test_nothing_secret_in_logs_across_a_whole_session(staff_client, corp, caplog, settings):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    try:
        staff_client.get("/sidebar/")
        staff_client.post(
            "/sidebar/lookup/contact/",
            {"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"},
        )
        corp.expire_tokens()
        corp.inject("/cgi-bin/externalcontact/get", delay=3)
        settings.WECOM_TIMEOUT = 0.3
        staff_client.post(
            "/sidebar/lookup/contact/",
            {"entry": "single_chat_tools", "external_userid": "woZhouJianGuo0002"},
        )
    finally:
        logging.getLogger("urllib3").setLevel(logging.WARNING)
    handler_filter = RedactSecretsFilter()
    lines = []
    for record in caplog.records:
        handler_filter.filter(record)
        lines.append(logging.Formatter().format(record))
    text = "\n".join(lines)
    assert "gettoken" in text or "refreshed" in text  # the logs did capture the traffic
    assert len(secrets_of(corp)) >= 4
    for secret in secrets_of(corp):
        assert secret not in text


def test_client_errors_never_carry_the_token(standin, corp):
    client = get_client()
    token = client.access_token()
    corp.inject("/cgi-bin/externalcontact/get", http_status=500)
    with pytest.raises(WeComTransportError) as info:
        client.get_external_contact("wmChenXiaoMing0001")
    assert token not in str(info.value) and token not in repr(info.value)


def test_admin_shows_no_secret(admin_client, staff_client, corp):
    staff_client.post(
        "/sidebar/lookup/contact/",
        {"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"},
    )
    row = Lookup.objects.get()
    for path in ("/admin/sidebar/lookup/", f"/admin/sidebar/lookup/{row.pk}/change/"):
        body = admin_client.get(path).content.decode()
        for secret in secrets_of(corp):
            assert secret not in body


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (
            "GET /cgi-bin/x?access_token=abc123&code=1 HTTP/1.1",
            "GET /cgi-bin/x?access_token=[redacted]&code=[redacted] HTTP/1.1",
        ),
        ("corpsecret=s3cret&corpid=ww1", "corpsecret=[redacted]&corpid=ww1"),
        ("url: /x?jsapi_ticket=T&ticket=U", "url: /x?jsapi_ticket=[redacted]&ticket=[redacted]"),
    ],
)
def test_redaction(raw, clean):
    assert redact(raw) == clean
