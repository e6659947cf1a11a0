import time
from html import escape

import pytest

from sidebar.standin.callbacks import event_xml
from sidebar.wecom.callback_crypto import CallbackCrypto
from tests.events import vectors

URL = "/wecom/events/"


class WeComCallbacks:
    """What WeCom does with the app's callback: posts events, encrypted and signed with the
    app's Token and EncodingAESKey, for the corp."""

    def __init__(self, client, corp_id: str):
        self.client = client
        self.crypto = CallbackCrypto(
            token=vectors.TOKEN, encoding_aes_key=vectors.AES_KEY, receive_id=corp_id
        )
        self.corp_id = corp_id
        self.nonce = 1000

    def event(self, event: str, change_type: str, *, created=None, **fields) -> bytes:
        """The plaintext XML of an event, as WeCom writes it."""
        return event_xml(self.corp_id, event, change_type, fields, created=created)

    def post(self, message: bytes, *, timestamp=None, signature=None, body=None):
        """POST `message` as WeCom does (encrypted afresh each time, as its retries are)."""
        self.nonce += 1
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        encrypted = self.crypto.encrypt(message)
        signed = signature or self.crypto.sign(timestamp, str(self.nonce), encrypted)
        body = (
            body
            if body is not None
            else (
                f"<xml><ToUserName><![CDATA[{escape(self.corp_id)}]]></ToUserName>"
                f"<AgentID><![CDATA[1000002]]></AgentID><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            ).encode()
        )
        query = f"msg_signature={signed}&timestamp={timestamp}&nonce={self.nonce}"
        return self.client.post(f"{URL}?{query}", data=body, content_type="text/xml")


@pytest.fixture
def callbacks(settings, standin, corp, client):
    settings.WECOM_CALLBACK_TOKEN = vectors.TOKEN
    settings.WECOM_CALLBACK_AES_KEY = vectors.AES_KEY
    return WeComCallbacks(client, corp.corp_id)


def connect_callback(corp, settings, app_url: str) -> None:
    """The app's callback configured with the sample's Token and key, and the stand-in
    posting its events to the app at `app_url` (the URL verified first)."""
    settings.WECOM_CALLBACK_TOKEN = vectors.TOKEN
    settings.WECOM_CALLBACK_AES_KEY = vectors.AES_KEY
    assert corp.connect_callback(url=app_url + URL, token=vectors.TOKEN, aes_key=vectors.AES_KEY), (
        "the app did not verify its callback URL"
    )
