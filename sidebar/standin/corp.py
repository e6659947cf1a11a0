"""The state of a stand-in WeCom corp: its app, staff, customers, and what it has issued.

It answers in WeCom's documented wire format (FACTS.md): errcode inside HTTP-200 bodies,
tokens and tickets that expire, OAuth codes that are single use and die after five minutes.
Every call is counted. Tests (and later the emulator) can queue canned bodies and inject faults
per endpoint. Nothing here imports the app: it is the other side of the wire.
"""

import copy
import hashlib
import secrets
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field

CODE_LIFETIME = 300


@dataclass
class Fault:
    errcode: int | None = None
    errmsg: str = ""
    delay: float = 0.0
    http_status: int | None = None
    times: int | None = 1  # None: until cleared


@dataclass
class Call:
    method: str
    path: str
    query: dict
    body: dict | None


class WireError(Exception):
    """An error answer: errcode/errmsg in an HTTP-200 body."""

    def __init__(self, errcode: int, errmsg: str):
        self.errcode, self.errmsg = errcode, errmsg
        super().__init__(f"{errcode} {errmsg}")


@dataclass
class StandinCorp:
    corp_id: str = "wwstandin00000001"
    agent_id: str = "1000002"
    secret: str = "standin-agent-secret"
    corp_name: str = "示例科技"
    token_lifetime: int = 7200
    ticket_lifetime: int = 7200
    page_size: int = 500
    staff: dict = field(default_factory=dict)
    contacts: dict = field(default_factory=dict)
    # Who the authorize endpoint signs in: a staff userid, or ("openid", "...") for a visitor.
    signin_as: object = None
    # Set by the server: avatars given as "/avatar/..." are served by the stand-in itself.
    base_url: str = ""

    def __post_init__(self):
        self._lock = threading.RLock()
        self.tokens: dict[str, float] = {}
        self.tickets: dict[str, dict[str, float]] = {"corp": {}, "agent": {}}
        self.codes: dict[str, tuple[object, float]] = {}
        self.calls: Counter = Counter()
        self.log: list[Call] = []
        self.queued: dict[str, deque] = defaultdict(deque)
        self.faults: dict[str, Fault] = {}

    # Test and emulator controls ----------------------------------------------------------

    def count(self, path: str) -> int:
        with self._lock:
            return self.calls[path]

    def calls_to(self, path: str) -> list[Call]:
        with self._lock:
            return [c for c in self.log if c.path == path]

    def queue(self, path: str, body: dict) -> None:
        """Answer the next call to `path` with `body`, verbatim."""
        with self._lock:
            self.queued[path].append(body)

    def inject(self, path: str, **fault) -> None:
        with self._lock:
            self.faults[path] = Fault(**fault)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()
            self.queued.clear()

    def expire_tokens(self) -> None:
        """Every access_token issued so far now answers 42001."""
        with self._lock:
            for token in self.tokens:
                self.tokens[token] = 0.0

    def reset_counters(self) -> None:
        with self._lock:
            self.calls.clear()
            self.log.clear()

    # Dispatch (called by the HTTP server) ------------------------------------------------

    def take_fault(self, path: str) -> Fault | None:
        with self._lock:
            fault = self.faults.get(path)
            if fault and fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self.faults[path]
            return fault

    def record(self, call: Call) -> dict | None:
        """Count the call; return a queued canned answer for it, if any."""
        with self._lock:
            self.calls[call.path] += 1
            self.log.append(call)
            if self.queued[call.path]:
                return self.queued[call.path].popleft()
            return None

    # Endpoints ---------------------------------------------------------------------------

    def gettoken(self, query: dict) -> dict:
        if query.get("corpid") != self.corp_id:
            raise WireError(40013, "invalid corpid")
        if query.get("corpsecret") != self.secret:
            raise WireError(40001, "invalid credential, access_token is invalid or not latest")
        token = "stand-in-token-" + secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = time.time() + self.token_lifetime
        return {"access_token": token, "expires_in": self.token_lifetime}

    def check_token(self, query: dict) -> None:
        token = query.get("access_token")
        if not token:
            raise WireError(41001, "access_token missing")
        with self._lock:
            expires_at = self.tokens.get(token)
        if expires_at is None:
            raise WireError(40014, "invalid access_token")
        if expires_at <= time.time():
            raise WireError(42001, "access_token expired")

    def _ticket(self, kind: str) -> dict:
        ticket = f"stand-in-{kind}-ticket-" + secrets.token_urlsafe(24)
        with self._lock:
            self.tickets[kind][ticket] = time.time() + self.ticket_lifetime
        return {"ticket": ticket, "expires_in": self.ticket_lifetime}

    def get_jsapi_ticket(self, query: dict) -> dict:
        return self._ticket("corp")

    def get_agent_ticket(self, query: dict) -> dict:
        if query.get("type") != "agent_config":
            raise WireError(40058, "invalid parameter: type")
        return self._ticket("agent")

    def issue_code(self) -> str:
        """What the authorize endpoint does: a code for whoever `signin_as` names."""
        identity = self.signin_as if self.signin_as is not None else next(iter(self.staff))
        code = secrets.token_urlsafe(32)
        with self._lock:
            self.codes[code] = (identity, time.time())
        return code

    def getuserinfo(self, query: dict) -> dict:
        with self._lock:
            identity, issued_at = self.codes.pop(query.get("code", ""), (None, 0.0))
        if identity is None or time.time() - issued_at > CODE_LIFETIME:
            raise WireError(40029, "invalid code")
        if isinstance(identity, tuple):
            return {"openid": identity[1]}
        return {"userid": identity, "user_ticket": "stand-in-user-ticket"}

    def externalcontact_get(self, query: dict) -> dict:
        external_userid = query.get("external_userid", "")
        if not external_userid:
            raise WireError(41035, "missing external_userid")
        contact = self.contacts.get(external_userid)
        if contact is None:
            if external_userid.startswith(("wm", "wo")):
                raise WireError(84061, "not external contact")
            raise WireError(40096, "invalid external userid")
        start = int(query.get("cursor") or 0)
        followers = contact["follow_user"][start : start + self.page_size]
        external_contact = copy.deepcopy(contact["external_contact"])
        if str(external_contact.get("avatar", "")).startswith("/avatar/"):
            external_contact["avatar"] = self.base_url + external_contact["avatar"]
        answer = {
            "external_contact": external_contact,
            "follow_user": copy.deepcopy(followers),
        }
        if start + self.page_size < len(contact["follow_user"]):
            answer["next_cursor"] = str(start + self.page_size)
        return answer

    # The client side: what WeCom checks when the page calls config / agentConfig ---------

    def verify_signature(self, *, kind: str, params: dict, url: str) -> str:
        """'ok', or the error keyword the client reports ('invalid signature', ...)."""
        if params.get("corpid") != self.corp_id:
            return "invalid corpId"
        if kind == "agent" and str(params.get("agentid")) != self.agent_id:
            return "invalid agentid"
        plain_url = url.split("#", 1)[0]
        now = time.time()
        with self._lock:
            live = [t for t, exp in self.tickets[kind].items() if exp > now]
        for ticket in live:
            plain = (
                f"jsapi_ticket={ticket}&noncestr={params.get('nonceStr')}"
                f"&timestamp={params.get('timestamp')}&url={plain_url}"
            )
            if hashlib.sha1(plain.encode(), usedforsecurity=False).hexdigest() == params.get(
                "signature"
            ):
                return "ok"
        return "invalid signature"
