"""WeCom's callback messages (接收消息与事件): their signature and their encryption
(docs/wecom.md, "Callbacks").

- signature: SHA-1, lower-case hex, of the token, timestamp, nonce and encrypted text sorted
  as strings and joined; compared in constant time.
- encryption: AES-256-CBC with the 32-byte key base64-decoded from the 43-character
  EncodingAESKey (plus "="), the key's first 16 bytes as IV, PKCS#7 padding to 32-byte blocks.
  The plaintext is 16 random bytes, the message's length (4 bytes, big-endian), the message,
  and the receive id (the corp id, for a self-built app's callbacks).

The AES itself is the `cryptography` library's; nothing here is hand-written cryptography.
"""

import base64
import binascii
import hashlib
import hmac
import os
import re

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32
AES_KEY = re.compile(r"\A[A-Za-z0-9]{43}\Z")
TOKEN = re.compile(r"\A[A-Za-z0-9]{1,32}\Z")


class CallbackRejected(Exception):
    """The message is not one WeCom sent us, or not readable; `reason` says which, briefly
    (never any of the message)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    joined = "".join(sorted([token, timestamp, nonce, encrypted]))
    return hashlib.sha1(joined.encode(), usedforsecurity=False).hexdigest()


class CallbackCrypto:
    def __init__(self, *, token: str, encoding_aes_key: str, receive_id: str):
        if not TOKEN.match(token) or not AES_KEY.match(encoding_aes_key):
            raise ValueError("the callback Token or EncodingAESKey is not of WeCom's form")
        self.token = token
        self.key = base64.b64decode(encoding_aes_key + "=")
        self.receive_id = receive_id.encode()

    def check(self, *, msg_signature: str, timestamp: str, nonce: str, encrypted: str) -> None:
        """Raise CallbackRejected unless `msg_signature` signs the other three."""
        expected = signature(self.token, timestamp, nonce, encrypted)
        if not hmac.compare_digest(expected.encode(), msg_signature.strip().lower().encode()):
            raise CallbackRejected("bad signature")

    def decrypt(self, encrypted: str) -> bytes:
        """The message inside `encrypted` (base64), checked to be for our receive id."""
        try:
            raw = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise CallbackRejected("not base64") from None
        if not raw or len(raw) % 16:
            raise CallbackRejected("not whole AES blocks")
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        plain = decryptor.update(raw) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise CallbackRejected("bad padding")
        body = plain[:-pad]
        if len(body) < 20:
            raise CallbackRejected("too short")
        length = int.from_bytes(body[16:20], "big")
        if 20 + length > len(body):
            raise CallbackRejected("bad length")
        if not hmac.compare_digest(body[20 + length :], self.receive_id):
            raise CallbackRejected("another receive id")
        return body[20 : 20 + length]

    def encrypt(self, message: bytes, *, random_prefix: bytes | None = None) -> str:
        """`message` encrypted as WeCom encrypts it (for replies, and for the stand-in)."""
        prefix = os.urandom(16) if random_prefix is None else random_prefix
        body = prefix + len(message).to_bytes(4, "big") + message + self.receive_id
        pad = BLOCK - len(body) % BLOCK
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        raw = encryptor.update(body + bytes([pad]) * pad) + encryptor.finalize()
        return base64.b64encode(raw).decode()

    def sign(self, timestamp: str, nonce: str, encrypted: str) -> str:
        return signature(self.token, timestamp, nonce, encrypted)
