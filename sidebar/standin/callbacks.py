"""The stand-in's side of WeCom's callback: it verifies the app's URL as the admin console does
on saving, and posts encrypted, signed change events to it when its data changes, retrying a
failed delivery as WeCom does (three attempts in all).

Its crypto is the app's own module (sidebar/wecom/callback_crypto.py), which is checked against
WeCom's official sample values (tests/events/test_crypto.py).
"""

import secrets
import threading
import time
from urllib.parse import urlencode

import requests

from sidebar.wecom.callback_crypto import CallbackCrypto

ATTEMPTS = 3


def event_xml(
    corp_id: str, event: str, change_type: str, fields: dict, *, created: int | None = None
) -> bytes:
    """A change event's plaintext XML, as WeCom writes it (created: its CreateTime, now by
    default)."""
    created = int(time.time()) if created is None else created
    parts = [
        f"<ToUserName><![CDATA[{corp_id}]]></ToUserName>",
        "<FromUserName><![CDATA[sys]]></FromUserName>",
        f"<CreateTime>{created}</CreateTime>",
        "<MsgType><![CDATA[event]]></MsgType>",
        f"<Event><![CDATA[{event}]]></Event>",
        f"<ChangeType><![CDATA[{change_type}]]></ChangeType>",
    ]
    parts += [f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items()]
    return ("<xml>" + "".join(parts) + "</xml>").encode()


class CallbackSender:
    def __init__(self, *, url: str, token: str, aes_key: str, corp_id: str, agent_id: str):
        self.url = url
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.crypto = CallbackCrypto(token=token, encoding_aes_key=aes_key, receive_id=corp_id)
        self.session = requests.Session()
        self.session.trust_env = False
        self.deliveries: list[dict] = []  # {change_type, status} per attempt
        self._lock = threading.Lock()
        self._pending: list[threading.Thread] = []

    def verify(self) -> bool:
        """What saving the callback in the admin console does: a GET the app must answer with
        the decrypted echostr."""
        echo = secrets.token_hex(8)
        encrypted = self.crypto.encrypt(echo.encode())
        timestamp, nonce = str(int(time.time())), secrets.token_hex(4)
        query = urlencode(
            {
                "msg_signature": self.crypto.sign(timestamp, nonce, encrypted),
                "timestamp": timestamp,
                "nonce": nonce,
                "echostr": encrypted,
            }
        )
        try:
            answer = self.session.get(f"{self.url}?{query}", timeout=10)
        except requests.RequestException:
            return False
        return answer.status_code == 200 and answer.text == echo

    def send(self, event: str, change_type: str, **fields: str) -> threading.Thread:
        """Post the event from a thread of its own (the stand-in's change answers at once)."""
        message = self.message(event, change_type, fields)
        thread = threading.Thread(target=self.deliver, args=(message, change_type), daemon=True)
        with self._lock:
            self._pending = [t for t in self._pending if t.is_alive()] + [thread]
        thread.start()
        return thread

    def wait(self, timeout: float = 30.0) -> None:
        """Until every event sent so far is delivered or given up on."""
        with self._lock:
            pending = list(self._pending)
        deadline = time.monotonic() + timeout
        for thread in pending:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    def message(self, event: str, change_type: str, fields: dict) -> bytes:
        """The event's plaintext XML, as WeCom writes it."""
        return event_xml(self.corp_id, event, change_type, fields)

    def signed(self, message: bytes) -> tuple[str, bytes]:
        """(query, body) of one delivery of `message`: encrypted afresh and signed now, as
        each of WeCom's attempts is."""
        encrypted = self.crypto.encrypt(message)
        timestamp, nonce = str(int(time.time())), secrets.token_hex(4)
        query = urlencode(
            {
                "msg_signature": self.crypto.sign(timestamp, nonce, encrypted),
                "timestamp": timestamp,
                "nonce": nonce,
            }
        )
        body = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<AgentID><![CDATA[{self.agent_id}]]></AgentID>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        )
        return query, body.encode()

    def deliver(self, message: bytes, change_type: str) -> None:
        """Post `message` until the app answers 200, ATTEMPTS times at most, each encrypted
        afresh as WeCom's retries are."""
        for attempt in range(ATTEMPTS):
            query, body = self.signed(message)
            try:
                answer = self.session.post(
                    f"{self.url}?{query}",
                    data=body,
                    headers={"Content-Type": "text/xml"},
                    timeout=5,
                )
                status = answer.status_code
            except requests.RequestException:
                status = 0
            with self._lock:
                self.deliveries.append({"change_type": change_type, "status": status})
            if status == 200:
                return
            time.sleep(0.2 * (attempt + 1))
