"""The callback crypto against WeCom's official sample (tests/events/vectors.py)."""

import base64

import pytest

from sidebar.wecom.callback_crypto import CallbackCrypto, CallbackRejected
from tests.events import vectors as v


@pytest.fixture
def crypto():
    return CallbackCrypto(token=v.TOKEN, encoding_aes_key=v.AES_KEY, receive_id=v.CORP_ID)


def test_the_official_url_verification(crypto):
    crypto.check(
        msg_signature=v.VERIFY["msg_signature"],
        timestamp=v.VERIFY["timestamp"],
        nonce=v.VERIFY["nonce"],
        encrypted=v.VERIFY["echostr"],
    )
    assert crypto.decrypt(v.VERIFY["echostr"]) == v.VERIFY_ANSWER.encode()


def test_the_official_message_decrypts_and_encrypts_back(crypto):
    crypto.check(encrypted=v.ENCRYPTED, **v.MESSAGE)
    assert crypto.decrypt(v.ENCRYPTED).decode() == v.PLAINTEXT
    again = crypto.encrypt(v.PLAINTEXT.encode(), random_prefix=v.RANDOM_PREFIX)
    assert again == v.ENCRYPTED


def test_what_we_encrypt_decrypts(crypto):
    for message in (b"", b"x", "事件".encode() * 100, bytes(range(256))):
        assert crypto.decrypt(crypto.encrypt(message)) == message


@pytest.mark.parametrize(
    ("encrypted", "reason"),
    [
        ("not base64!", "not base64"),
        (base64.b64encode(b"short").decode(), "not whole AES blocks"),
        (base64.b64encode(bytes(32)).decode(), "bad padding"),
        (v.ENCRYPTED[:-24] + "=" * (v.ENCRYPTED.count("=")), None),
    ],
)
def test_broken_messages_are_rejected_with_a_reason(crypto, encrypted, reason):
    with pytest.raises(CallbackRejected) as info:
        crypto.decrypt(encrypted)
    if reason:
        assert info.value.reason == reason


def test_a_message_for_another_corp_is_rejected(crypto):
    other = CallbackCrypto(token=v.TOKEN, encoding_aes_key=v.AES_KEY, receive_id="wwOther")
    with pytest.raises(CallbackRejected, match="another receive id"):
        crypto.decrypt(other.encrypt(b"<xml/>"))


def test_a_wrong_signature_is_rejected(crypto):
    with pytest.raises(CallbackRejected, match="bad signature"):
        crypto.check(encrypted=v.ENCRYPTED, **{**v.MESSAGE, "nonce": "1597212915"})


def test_settings_of_the_wrong_form_are_refused():
    with pytest.raises(ValueError):
        CallbackCrypto(token="t", encoding_aes_key="short", receive_id="ww")
