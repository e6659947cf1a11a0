"""5,000 hostile or broken POSTs to /wecom/events/: bad signatures, ciphertexts cut short or
padded wrongly (and correctly signed), XXE and entity-expansion payloads, 10 MB bodies, another
corp's messages, random bytes. None is a 5xx, no file is read, memory stays flat, and only the
good events among them are recorded, once each."""

import base64
import gc
import logging
import random
import time
import tracemalloc

import pytest

from sidebar.events.models import ChangeEvent
from sidebar.wecom.callback_crypto import CallbackCrypto
from tests.events import vectors
from tests.events.conftest import URL

pytestmark = pytest.mark.django_db

REQUESTS = 5000
CUSTOMER = "wmChenXiaoMing0001"


def ours(snapshot):
    """What the endpoint's own code and its XML and crypto libraries hold (the test client
    keeps a weak reference per request of its own, which is not the app's)."""
    return snapshot.filter_traces(
        [
            tracemalloc.Filter(True, "*/sidebar/*"),
            tracemalloc.Filter(True, "*/defusedxml/*"),
            tracemalloc.Filter(True, "*/xml/*"),
            tracemalloc.Filter(True, "*/cryptography/*"),
        ]
    )


def test_five_thousand_hostile_posts(callbacks, corp, tmp_path, caplog):
    canary = tmp_path / "canary.txt"
    canary.write_text("CANARY-9f8e7d6c")
    logging.getLogger("sidebar.events.views").setLevel(logging.ERROR)  # 5,000 lines otherwise
    logging.getLogger("django.request").setLevel(logging.ERROR)
    rng = random.Random(20261203)
    other = CallbackCrypto(token=vectors.TOKEN, encoding_aes_key=vectors.AES_KEY, receive_id="wwX")
    good = [
        callbacks.event(
            "change_external_contact", "edit_external_contact", UserID=f"staff{n}",
            ExternalUserID=CUSTOMER,
        )
        for n in range(20)
    ]  # fmt: skip

    def signed_post(encrypted: str, body: bytes | None = None):
        timestamp, nonce = str(int(time.time())), str(rng.randrange(10**9))
        query = (
            f"msg_signature={callbacks.crypto.sign(timestamp, nonce, encrypted)}"
            f"&timestamp={timestamp}&nonce={nonce}"
        )
        if body is None:
            body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
        return callbacks.client.post(f"{URL}?{query}", data=body, content_type="text/xml")

    def attack(kind: str):
        message = rng.choice(good)
        encrypted = callbacks.crypto.encrypt(message)
        raw = base64.b64decode(encrypted)
        if kind == "good":
            return callbacks.post(message)
        if kind == "bad signature":
            return callbacks.post(message, signature=f"{rng.getrandbits(160):040x}")
        if kind == "truncated":
            cut = raw[: rng.randrange(1, len(raw))]
            return signed_post(base64.b64encode(cut).decode())
        if kind == "padded":
            return signed_post(base64.b64encode(raw + bytes(rng.randrange(1, 48))).decode())
        if kind == "flipped":
            at = rng.randrange(len(raw))
            flipped = raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1 :]
            return signed_post(base64.b64encode(flipped).decode())
        if kind == "xxe":
            body = (
                f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{canary}">]>'
                "<xml><Encrypt>&e;</Encrypt></xml>"
            ).encode()
            return signed_post("x", body=body)
        if kind == "laughs":
            body = (
                b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "' + b"a" * 50 + b'">'
                + b"".join(
                    f'<!ENTITY {c} "{("&" + p + ";") * 10}">'.encode()
                    for p, c in zip("abcdefg", "bcdefgh", strict=True)
                )
                + b"]><xml><Encrypt>&h;</Encrypt></xml>"
            )  # fmt: skip
            return signed_post("x", body=body)
        if kind == "huge":
            return signed_post(encrypted, body=b"<xml>" + b"A" * 10_000_000 + b"</xml>")
        if kind == "other corp":
            other_encrypted = other.encrypt(message)
            return signed_post(other_encrypted)
        if kind == "bytes":
            return signed_post("x", body=rng.randbytes(rng.randrange(1, 4000)))
        raise AssertionError(kind)

    kinds = ["good", "bad signature", "truncated", "padded", "flipped", "xxe", "laughs",
             "other corp", "bytes"]  # fmt: skip
    statuses: dict[str, set] = {}
    tracemalloc.start()
    try:
        for n in range(REQUESTS):
            kind = "huge" if n % 1000 == 999 else rng.choice(kinds)
            response = attack(kind)
            statuses.setdefault(kind, set()).add(response.status_code)
            assert response.status_code < 500, (kind, response.content[:200])
            assert b"CANARY" not in response.content
            if n == 999:
                gc.collect()  # what is garbage is not held
                first = ours(tracemalloc.take_snapshot())
        gc.collect()
        diffs = ours(tracemalloc.take_snapshot()).compare_to(first, "filename")
        grown = sum(stat.size_diff for stat in diffs)
    finally:
        tracemalloc.stop()
    assert grown < 200_000, f"memory grew {grown} bytes over 4,000 requests"
    assert statuses["good"] == {200} and statuses["huge"] == {413}
    assert statuses["xxe"] == statuses["laughs"] == {400}
    assert statuses["bad signature"] == statuses["other corp"] == {403}
    # Each of the 20 good events once, however often it came.
    assert ChangeEvent.objects.count() == 20
    assert not ChangeEvent.objects.filter(detail__icontains="CANARY").exists()
