"""The emulator's transcript and emulated client: a sent message rendered as the customer sees
it, the stand-in's files served for it, bad input refused with a 400, and the client's user
agent reaching the server only while the emulator is on."""

import json

import pytest

from sidebar.emulator.middleware import COOKIE
from sidebar.replies import rules
from sidebar.useragent import wecom_client
from tests.pages import boot_of

pytestmark = pytest.mark.django_db

MAC_3_0 = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "wxwork/3.0.36 MicroMessenger/7.0.1"
)


@pytest.fixture
def emulating(settings, standin):
    settings.DEBUG = True
    settings.WECOM_EMULATOR = True
    return standin


def bubble(client, message):
    return client.post(
        "/emulator/api/bubble", json.dumps({"message": message}), content_type="application/json"
    )


def test_a_text_message_is_shown_escaped(client, emulating):
    answer = bubble(client, {"msgtype": "text", "text": {"content": "<b>您好</b>\n再见"}})
    assert answer.status_code == 200
    html = answer.json()["html"]
    assert 'data-kind="text"' in html and "&lt;b&gt;您好&lt;/b&gt;<br>再见" in html


def test_a_file_shows_the_name_it_was_uploaded_with(client, emulating, corp):
    found = corp.media_upload(
        {"type": "file"}, {"files": {"media": ("报价单.pdf", "application/pdf", b"%PDF-1.4 x")}}
    )
    media_id = found["media_id"]
    html = bubble(client, {"msgtype": "file", "file": {"mediaid": media_id}}).json()["html"]
    assert "报价单.pdf" in html and "PDF" in html
    served = client.get(f"/emulator/media/{media_id}")
    assert served.status_code == 200 and served.content == b"%PDF-1.4 x"
    assert client.get("/emulator/media/3nothing").status_code == 404


@pytest.mark.parametrize(
    "message",
    [
        None,
        [],
        "text",
        {"msgtype": "text"},
        {"msgtype": "text", "text": "hi"},
        {"msgtype": "voice", "voice": {}},
        {"msgtype": 7, "7": {}},
    ],
)
def test_what_is_not_a_message_is_a_400(client, emulating, message):
    answer = bubble(client, message)
    assert answer.status_code == 400 and "not a message" in answer.json()["error"]


def test_a_media_id_that_is_not_one_shows_no_picture(client, emulating):
    html = bubble(client, {"msgtype": "image", "image": {"mediaid": "../../etc"}}).json()["html"]
    assert "<img" not in html


def test_the_played_user_agent_decides_what_is_offered_only_in_the_emulator(
    staff_client, settings, emulating
):
    staff_client.cookies[COOKIE] = MAC_3_0.replace(" ", "%20").replace("/", "%2F")
    page = staff_client.get("/sidebar/")
    assert _boot(page)["sendEntries"] == rules.send_entries(wecom_client(MAC_3_0))
    assert "chat_attachment" not in _boot(page)["sendEntries"]  # not on a Mac
    settings.DEBUG = False  # as in production: the cookie is ignored
    settings.WECOM_EMULATOR = False
    page = staff_client.get("/sidebar/")
    assert _boot(page)["sendEntries"] == []  # the test client is not the WeCom client


def _boot(page) -> dict:
    return boot_of(page.content.decode())
