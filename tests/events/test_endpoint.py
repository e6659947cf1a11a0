"""/wecom/events/: WeCom's URL verification with the official sample, events checked,
decrypted, recorded once and acted on, and everything else refused with a 4xx."""

import base64
import time

import pytest
from django.test import Client

from sidebar.events.models import ChangeEvent, EndedFollow
from tests.conftest import walk_sign_in
from tests.events import vectors
from tests.events.conftest import URL

pytestmark = pytest.mark.django_db

CUSTOMER = "wmChenXiaoMing0001"
GET_CONTACT = "/cgi-bin/externalcontact/get"


def look_up(client):
    return client.post(
        "/sidebar/lookup/contact/", {"entry": "single_chat_tools", "external_userid": CUSTOMER}
    )


def test_the_official_sample_verifies_the_url(client, settings):
    settings.WECOM_CORP_ID = vectors.CORP_ID
    settings.WECOM_CALLBACK_TOKEN = vectors.TOKEN
    settings.WECOM_CALLBACK_AES_KEY = vectors.AES_KEY
    response = client.get(URL, vectors.VERIFY)
    assert response.status_code == 200
    assert response.content == vectors.VERIFY_ANSWER.encode()  # as is: no quotes, no newline
    wrong = client.get(URL, {**vectors.VERIFY, "nonce": "1"})
    assert wrong.status_code == 403 and wrong.content == b"bad signature"


def test_without_the_settings_the_endpoint_is_not_there(client):
    assert client.get(URL, vectors.VERIFY).status_code == 404


def test_an_event_is_recorded_once_however_often_wecom_delivers_it(callbacks):
    message = callbacks.event(
        "change_external_contact",
        "edit_external_contact",
        UserID="zhangsan",
        ExternalUserID=CUSTOMER,
    )
    answers = [callbacks.post(message) for _ in range(4)]
    assert [(a.status_code, a.content) for a in answers] == [(200, b"")] * 4
    event = ChangeEvent.objects.get()
    assert (event.event, event.change_type, event.user_id, event.target_id) == (
        "change_external_contact",
        "edit_external_contact",
        "zhangsan",
        CUSTOMER,
    )


def test_an_edit_in_wecom_drops_the_cached_customer(callbacks, staff_client, corp):
    look_up(staff_client)
    look_up(staff_client)
    assert corp.count(GET_CONTACT) == 1
    corp.contacts[CUSTOMER]["follow_user"][0]["remark"] = "在企业微信里改的"
    callbacks.post(
        callbacks.event(
            "change_external_contact",
            "edit_external_contact",
            UserID="zhangsan",
            ExternalUserID=CUSTOMER,
        )
    )
    assert "在企业微信里改的" in look_up(staff_client).content.decode()
    assert corp.count(GET_CONTACT) == 2


def test_a_customer_who_deleted_the_staff_member_is_refused_at_once(callbacks, staff_client, corp):
    assert look_up(staff_client)["X-Sidebar-Outcome"] == "ok"
    callbacks.post(
        callbacks.event(
            "change_external_contact",
            "del_follow_user",
            UserID="zhangsan",
            ExternalUserID=CUSTOMER,
        )
    )
    # WeCom still lists zhangsan (a one-way relation); the event ended the access.
    refused = look_up(staff_client)
    assert refused["X-Sidebar-Outcome"] == "denied" and "陈先生" not in refused.content.decode()
    assert EndedFollow.objects.filter(userid="zhangsan", external_userid=CUSTOMER).exists()
    callbacks.post(
        callbacks.event(
            "change_external_contact",
            "add_external_contact",
            UserID="zhangsan",
            ExternalUserID=CUSTOMER,
        )
    )
    assert look_up(staff_client)["X-Sidebar-Outcome"] == "ok"


def test_a_tag_change_drops_the_tag_library(callbacks, staff_client, corp):
    tags_url = f"/sidebar/record/contact/{CUSTOMER}/tags/"
    staff_client.get(tags_url)
    callbacks.post(callbacks.event("change_external_tag", "create", Id="etNew", TagType="tag"))
    staff_client.get(tags_url)
    assert corp.count("/cgi-bin/externalcontact/get_corp_tag_list") == 2


XXE = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<xml><Encrypt>&e;</Encrypt></xml>"""
LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<xml><Encrypt>&c;</Encrypt></xml>"""


@pytest.mark.parametrize(
    ("kind", "status", "reason"),
    [
        ("bad signature", 403, b"bad signature"),
        ("stale", 403, b"stale timestamp"),
        ("xxe", 400, b"not plain XML"),
        ("laughs", 400, b"not plain XML"),
        ("not xml", 400, b"not plain XML"),
        ("huge", 413, b"body too large"),
        ("not base64", 400, b"not base64"),
    ],
)
def test_what_is_not_a_good_event_is_refused_in_a_word(callbacks, kind, status, reason):
    message = callbacks.event("change_external_contact", "edit_external_contact")
    if kind == "bad signature":
        response = callbacks.post(message, signature="0" * 40)
    elif kind == "stale":
        response = callbacks.post(message, timestamp=int(time.time()) - 3600)
    else:
        body = {
            "xxe": XXE,
            "laughs": LAUGHS,
            "not xml": b"\xff\xfe not xml",
            "huge": b"<xml>" + b"a" * 10_000_000 + b"</xml>",
            "not base64": b"<xml><Encrypt>!!!</Encrypt></xml>",
        }[kind]
        response = callbacks.post(message, body=body)
        if kind == "not base64":  # signed as WeCom would sign that Encrypt
            timestamp = str(int(time.time()))
            signed = callbacks.crypto.sign(timestamp, "7", "!!!")
            response = callbacks.client.post(
                f"{URL}?msg_signature={signed}&timestamp={timestamp}&nonce=7",
                data=body,
                content_type="text/xml",
            )
    assert (response.status_code, response.content) == (status, reason)
    assert not ChangeEvent.objects.exists()


def test_a_message_for_another_corp_is_refused(callbacks, corp):
    from tests.events.conftest import WeComCallbacks

    other = WeComCallbacks(Client(), "wwAnotherCorp000")
    response = other.post(other.event("change_external_contact", "edit_external_contact"))
    assert (response.status_code, response.content) == (403, b"another receive id")


def test_a_text_message_is_answered_and_not_recorded(callbacks):
    text = b"<xml><MsgType>text</MsgType><Content>hi</Content></xml>"
    assert callbacks.post(text).status_code == 200
    assert not ChangeEvent.objects.exists()


def test_broken_ciphertexts_are_refused(callbacks):
    for encrypted in (base64.b64encode(b"x" * 17).decode(), base64.b64encode(bytes(64)).decode()):
        timestamp = str(int(time.time()))
        signed = callbacks.crypto.sign(timestamp, "9", encrypted)
        response = callbacks.client.post(
            f"{URL}?msg_signature={signed}&timestamp={timestamp}&nonce=9",
            data=f"<xml><Encrypt>{encrypted}</Encrypt></xml>".encode(),
            content_type="text/xml",
        )
        assert response.status_code == 400


@pytest.fixture
def staff_client(client, standin, corp):
    walk_sign_in(client, corp)
    return client


def test_events_land_on_the_timeline_in_words(callbacks, staff_client, corp):
    from tests.records.conftest import default_stages

    default_stages()
    for change_type, extra in [
        ("edit_external_contact", {}),
        ("del_external_contact", {"Source": "DELETE_BY_TRANSFER"}),
    ]:
        callbacks.post(
            callbacks.event(
                "change_external_contact",
                change_type,
                UserID="lisi",
                ExternalUserID=CUSTOMER,
                **extra,
            )
        )
    body = look_up(staff_client).content.decode()
    events = body[body.index('class="events"') :]
    assert "李四" in events
    assert events.index("将客户交接给了同事") < events.index("在企业微信中修改了备注或标签")


def test_admins_read_the_events_that_arrived(callbacks, admin_client):
    callbacks.post(
        callbacks.event(
            "change_external_chat", "update", ChatId="wrSalesGroup00001", UpdateDetail="change_name"
        )
    )
    body = admin_client.get("/admin/events/changeevent/").content.decode()
    assert "wrSalesGroup00001" in body and "change_name" not in body  # detail on its own page
    assert admin_client.get("/admin/events/changeevent/add/").status_code == 403


def test_with_the_callback_configured_customers_are_kept_for_hours(settings, callbacks):
    from sidebar import services

    assert services.evented_lifetime() == 6 * 3600
    settings.WECOM_CALLBACK_TOKEN = settings.WECOM_CALLBACK_AES_KEY = ""
    assert services.evented_lifetime() == settings.WECOM_CONTACT_CACHE_SECONDS == 60
    settings.WECOM_CONTACT_CACHE_SECONDS = 0
    assert services.evented_lifetime() == 0


def test_a_dismissed_group_says_so_at_once(callbacks, staff_client, corp):
    def open_group():
        return staff_client.post(
            "/sidebar/lookup/group/", {"entry": "group_chat_tools", "chat_id": "wrDismissed00001"}
        )

    corp.groups["wrDismissed00001"] = {
        "chat_id": "wrDismissed00001",
        "name": "要解散的群",
        "owner": "zhangsan",
        "member_list": [{"userid": "zhangsan", "type": 1}],
        "admin_list": [],
    }
    assert "要解散的群" in open_group().content.decode()
    corp.groups["wrDismissed00001"]["dismissed"] = True
    callbacks.post(callbacks.event("change_external_chat", "dismiss", ChatId="wrDismissed00001"))
    answer = open_group()
    assert answer["X-Sidebar-Outcome"] == "not_found"
    assert 'data-problem="49008"' in answer.content.decode()
