"""The state of a stand-in WeCom corp: its app, staff, customers, and what it has issued.

It answers in WeCom's documented wire format (docs/wecom.md): errcode inside HTTP-200 bodies,
tokens and tickets that expire, OAuth codes that are single use and die after five minutes.
Every call is counted. Tests and the emulator can queue canned bodies and inject faults per
endpoint. Nothing here imports the app: it is the other side of the wire.
"""

import copy
import hashlib
import json
import secrets
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field

CODE_LIFETIME = 300
MEDIA_LIFETIME = 3 * 24 * 3600  # WeCom keeps temporary media for three days
MB = 1024 * 1024
# media/upload: type -> (largest file, errcode when larger, the shapes the file may have)
MEDIA_RULES = {
    "image": (10 * MB, 40009, {"jpeg", "png"}),
    "voice": (2 * MB, 40006, {"amr"}),
    "video": (10 * MB, 40011, {"mp4"}),
    "file": (20 * MB, 40006, None),
}


# Customer edits WeCom runs at most CONCURRENT_WRITES of at once per corp (45033 beyond).
WRITE_PATHS = frozenset({"/cgi-bin/externalcontact/remark", "/cgi-bin/externalcontact/mark_tag"})
CONCURRENT_WRITES = 5
WRITES = "writes"  # the in_flight counter of WRITE_PATHS together
# externalcontact/remark: the longest value of each text field, in characters.
REMARK_LIMITS = {"remark": 20, "description": 150, "remark_company": 20}
# message/send textcard: the longest title and description WeCom keeps, in bytes.
TEXTCARD_LIMITS = {"title": 128, "description": 512, "url": 2048}


def _shape(head: bytes) -> str:
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"#!AMR"):
        return "amr"
    if head[4:8] == b"ftyp":
        return "mp4"
    return ""


def _truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes, on a character boundary."""
    return text.encode()[:limit].decode("utf-8", "ignore")


@dataclass
class Fault:
    errcode: int | None = None
    errmsg: str = ""
    delay: float = 0.0
    http_status: int | None = None
    times: int | None = 1  # None: until cleared
    # Hold the answer until the faults are cleared (or HOLD_LIMIT passes): a WeCom that hangs
    # for exactly as long as a test needs, with no sleep to outlast.
    hold: bool = False


HOLD_LIMIT = 120.0


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
    # externalcontact/groupchat/get answers, by chat_id
    groups: dict = field(default_factory=dict)
    # 微信客服 customers (kf/customer/batchget), by external_userid
    kf_customers: dict = field(default_factory=dict)
    # 上下游: downstream corps sharing this app, with their contacts and shared groups
    chain_corps: list = field(default_factory=list)
    # Who the authorize endpoint signs in: a staff userid, or ("openid", "...") for a visitor.
    # None: the first staff member, or a page to choose from when `choose_staff` is on.
    signin_as: object = None
    choose_staff: bool = False
    # Set by the server: avatars given as "/avatar/..." are served by the stand-in itself.
    base_url: str = ""
    # How long a media_id from media/upload stays valid.
    media_lifetime: float = MEDIA_LIFETIME
    # The corp tag library (get_corp_tag_list's tag_group list).
    tag_groups: list = field(default_factory=list)
    # The app as the admin console has it (agent/get): its trusted domain, home page, and the
    # staff in its visible range (None: every staff member).
    redirect_domain: str = "127.0.0.1"
    home_url: str = ""
    visible_staff: list | None = None
    # Who has customer contact (客户联系) enabled (get_follow_user_list; None: every staff
    # member in the visible range).
    customer_contact_staff: list | None = None
    # How far WeCom's clock is ahead of ours (seconds; negative: behind), as the Date header
    # of its answers shows it.
    clock_offset: float = 0.0

    def __post_init__(self):
        self._lock = threading.RLock()
        self.tokens: dict[str, float] = {}
        # Tokens for a downstream corp (corpgroup/corp/gettoken): token -> its corpid.
        self.downstream_tokens: dict[str, str] = {}
        self.tickets: dict[str, dict[str, float]] = {"corp": {}, "agent": {}}
        self.codes: dict[str, tuple[object, float]] = {}
        self.calls: Counter = Counter()
        # Calls being answered now, and the most there ever were at once, per path.
        self.in_flight: Counter = Counter()
        self.max_in_flight: Counter = Counter()
        self.log: list[Call] = []
        self.queued: dict[str, deque] = defaultdict(deque)
        self.faults: dict[str, Fault] = {}
        self._released = threading.Event()
        # media/upload: media_id -> {type, filename, content_type, content, expires_at}
        self.media: dict[str, dict] = {}
        # The app's callback (connect_callback), when it has one.
        self.callbacks = None
        self.callback_verified = False
        # message/send: what each staff member received, oldest first.
        self.app_messages: list[dict] = []
        self._message_digests: dict[str, float] = {}  # enable_duplicate_check

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
            if self.faults[path].hold:
                self._released.clear()

    def clear_faults(self) -> None:
        """Remove every fault and canned answer; answers being held go out now."""
        with self._lock:
            self.faults.clear()
            self.queued.clear()
        self.release()

    def release(self) -> None:
        """Answers being held go out now."""
        self._released.set()

    def hold(self) -> None:
        """Called by the server for a `hold` fault: wait until the faults are cleared."""
        self._released.wait(HOLD_LIMIT)

    def expire_tokens(self) -> None:
        """Every access_token issued so far now answers 42001."""
        with self._lock:
            for token in self.tokens:
                self.tokens[token] = 0.0

    def rotate_tickets(self) -> None:
        """WeCom stops honouring every ticket issued so far (signatures made with them fail)."""
        with self._lock:
            for tickets in self.tickets.values():
                tickets.clear()

    def expire_media(self) -> None:
        """Every media_id issued so far is past its lifetime (sending one now fails)."""
        with self._lock:
            for item in self.media.values():
                item["expires_at"] = 0.0

    def check_media(self, media_id: str, media_type: str) -> str:
        """What the client finds when it sends `media_id` as `media_type`: 'ok', 'expired',
        'unknown' or 'wrong type'."""
        with self._lock:
            item = self.media.get(media_id)
        if item is None:
            return "unknown"
        if item["expires_at"] <= time.time():
            return "expired"
        return "ok" if item["type"] == media_type else "wrong type"

    def media_info(self, media_id: str) -> dict | None:
        """What is known about an uploaded file, without its bytes (None: never issued)."""
        with self._lock:
            item = self.media.get(media_id)
            if item is None:
                return None
            return {
                "type": item["type"],
                "filename": item["filename"],
                "size": len(item["content"]),
                "expired": item["expires_at"] <= time.time(),
            }

    def reset_counters(self) -> None:
        with self._lock:
            self.calls.clear()
            self.log.clear()
            self.max_in_flight = Counter(self.in_flight)

    def started(self, path: str) -> bool:
        """Count a call in flight; False when it is a customer edit beyond the five WeCom
        runs at once (it is answered 45033)."""
        with self._lock:
            for counter in (path, WRITES) if path in WRITE_PATHS else (path,):
                self.in_flight[counter] += 1
                self.max_in_flight[counter] = max(
                    self.max_in_flight[counter], self.in_flight[counter]
                )
            return path not in WRITE_PATHS or self.in_flight[WRITES] <= CONCURRENT_WRITES

    def finished(self, path: str) -> None:
        with self._lock:
            for counter in (path, WRITES) if path in WRITE_PATHS else (path,):
                self.in_flight[counter] -= 1

    def messages_to(self, userid: str) -> list[dict]:
        """The app messages `userid` received, oldest first."""
        with self._lock:
            return [dict(m) for m in self.app_messages if m["userid"] == userid]

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

    def gettoken(self, query: dict, body: dict | None = None) -> dict:
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

    def get_jsapi_ticket(self, query: dict, body: dict | None = None) -> dict:
        return self._ticket("corp")

    def get_agent_ticket(self, query: dict, body: dict | None = None) -> dict:
        if query.get("type") != "agent_config":
            raise WireError(40058, "invalid parameter: type")
        return self._ticket("agent")

    def identity_to_sign_in(self):
        """Who signs in now: `signin_as`, else the first staff member (None: let them choose)."""
        if self.signin_as is not None:
            return self.signin_as
        return None if self.choose_staff else next(iter(self.staff))

    def issue_code(self, identity) -> str:
        """What the authorize endpoint does once it knows who is signing in."""
        code = secrets.token_urlsafe(32)
        with self._lock:
            self.codes[code] = (identity, time.time())
        return code

    def getuserinfo(self, query: dict, body: dict | None = None) -> dict:
        with self._lock:
            identity, issued_at = self.codes.pop(query.get("code", ""), (None, 0.0))
        if identity is None or time.time() - issued_at > CODE_LIFETIME:
            raise WireError(40029, "invalid code")
        if isinstance(identity, tuple):
            return {"openid": identity[1]}
        return {"userid": identity, "user_ticket": "stand-in-user-ticket"}

    def externalcontact_get(self, query: dict, body: dict | None = None) -> dict:
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

    def externalcontact_list(self, query: dict, body: dict | None = None) -> dict:
        userid = query.get("userid", "")
        if userid not in self.staff:
            raise WireError(60111, "userid not found")
        followed = [
            external_userid
            for external_userid, contact in self.contacts.items()
            if any(f.get("userid") == userid for f in contact["follow_user"])
        ]
        return {"external_userid": followed}

    def groupchat_get(self, query: dict, body: dict | None = None) -> dict:
        body = body or {}
        chat_id = body.get("chat_id")
        if not chat_id:
            raise WireError(40058, "invalid parameter: chat_id")
        group = self.groups.get(chat_id)
        if group is None:
            raise WireError(90501, "chat is not external group chat")
        if group.get("dismissed"):
            raise WireError(49008, "chat has been dismissed")
        answer = copy.deepcopy({k: v for k, v in group.items() if k != "dismissed"})
        for member in answer.get("member_list", []):
            if not body.get("need_name"):
                member.pop("name", None)
            elif "name" not in member:
                # As WeCom: a staff member's name from the directory, a customer's WeChat name.
                member["name"] = self._member_name(member)
        return {"group_chat": answer}

    def _member_name(self, member: dict) -> str:
        userid = member.get("userid", "")
        if member.get("type") == 1:
            return self.staff.get(userid, {}).get("name", "")
        contact = self.contacts.get(userid, {}).get("external_contact", {})
        return contact.get("name", "")

    def kf_customer_batchget(self, query: dict, body: dict | None = None) -> dict:
        body = body or {}
        ids = body.get("external_userid_list")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise WireError(40058, "invalid parameter: external_userid_list")
        found, invalid = [], []
        for external_userid in ids:
            customer = self.kf_customers.get(external_userid)
            if customer is None:
                invalid.append(external_userid)
                continue
            customer = copy.deepcopy(customer)
            if not body.get("need_enter_session_context"):
                customer.pop("enter_session_context", None)
            found.append(customer)
        return {"customer_list": found, "invalid_external_userid": invalid}

    def user_get(self, query: dict, body: dict | None = None) -> dict:
        userid = query.get("userid", "")
        downstream = self.downstream_tokens.get(query.get("access_token", ""))
        if downstream is not None:
            return self._downstream_user(downstream, userid)
        member = self.staff.get(userid)
        if member is None:
            raise WireError(60111, "userid not found")
        return {
            "userid": userid,
            "name": member.get("name", ""),
            "alias": member.get("alias", ""),
            "department": member.get("department", [1]),
            "position": member.get("position", ""),
            "status": 1,
        }

    def media_upload(self, query: dict, body: dict | None = None) -> dict:
        """media/upload: `body` is the parsed multipart form ({"files": {name: (filename,
        content_type, bytes)}})."""
        media_type = query.get("type", "")
        if media_type not in MEDIA_RULES:
            raise WireError(40005, "invalid type")
        found = (body or {}).get("files", {}).get("media")
        if found is None:
            raise WireError(44001, "empty media data")
        filename, content_type, content = found
        largest, too_large, shapes = MEDIA_RULES[media_type]
        if len(content) <= 5:
            raise WireError(40006, "invalid file size")
        if len(content) > largest:
            raise WireError(too_large, f"invalid {media_type} size")
        if shapes is not None and _shape(content[:16]) not in shapes:
            raise WireError(40004, "invalid media type")
        media_id = "3" + secrets.token_urlsafe(30)
        now = time.time()
        with self._lock:
            self.media[media_id] = {
                "type": media_type,
                "filename": filename,
                "content_type": content_type,
                "content": content,
                "expires_at": now + self.media_lifetime,
            }
        return {"type": media_type, "media_id": media_id, "created_at": str(int(now))}

    # The customer record ---------------------------------------------------------------

    def _follow_entry(self, body: dict) -> tuple[dict, dict]:
        """(the customer, the follow_user entry of body's userid) for an edit, or WireError."""
        userid, external_userid = body.get("userid"), body.get("external_userid")
        if not userid:
            raise WireError(41040, "missing userid")
        if not external_userid:
            raise WireError(41035, "missing external_userid")
        if userid not in self.staff:
            raise WireError(60111, "userid not found")
        contact = self.contacts.get(external_userid)
        if contact is None:
            raise WireError(40096, "invalid external userid")
        for follower in contact["follow_user"]:
            if follower.get("userid") == userid:
                return contact, follower
        raise WireError(84061, "not external contact")

    def externalcontact_remark(self, query: dict, body: dict | None = None) -> dict:
        body = body or {}
        fields = ("remark", "description", "remark_company", "remark_mobiles", "remark_pic_mediaid")
        if not any(name in body for name in fields):
            raise WireError(40058, "invalid parameter: nothing to change")
        for name, limit in REMARK_LIMITS.items():
            value = body.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                raise WireError(40058, f"invalid parameter: {name}")
        mobiles = body.get("remark_mobiles")
        if mobiles is not None and (
            not isinstance(mobiles, list) or not all(isinstance(m, str) for m in mobiles)
        ):
            raise WireError(40058, "invalid parameter: remark_mobiles")
        with self._lock:
            contact, follower = self._follow_entry(body)
            for name in ("remark", "description"):
                if name in body:
                    follower[name] = body[name]
            if "remark_company" in body and contact["external_contact"].get("type") == 1:
                follower["remark_corp_name"] = body["remark_company"]
            if mobiles is not None:
                follower["remark_mobiles"] = [m for m in mobiles if m]
        return {}

    def _corp_tag(self, tag_id: str) -> tuple[dict, dict] | None:
        for group in self.tag_groups:
            for tag in group.get("tag", []):
                if tag.get("id") == tag_id and not tag.get("deleted"):
                    return group, tag
        return None

    def externalcontact_mark_tag(self, query: dict, body: dict | None = None) -> dict:
        body = body or {}
        add, remove = body.get("add_tag") or [], body.get("remove_tag") or []
        if not isinstance(add, list) or not isinstance(remove, list):
            raise WireError(40058, "invalid parameter: add_tag or remove_tag")
        if not add and not remove:
            raise WireError(40058, "invalid parameter: add_tag and remove_tag are both empty")
        with self._lock:
            _contact, follower = self._follow_entry(body)
            found = {}
            for tag_id in [*add, *remove]:
                known = self._corp_tag(tag_id) if isinstance(tag_id, str) else None
                if known is None:
                    raise WireError(40068, "invalid tagid")
                found[tag_id] = known
            tags = [t for t in follower.get("tags", []) if t.get("tag_id") not in remove]
            held = {t.get("tag_id") for t in tags}
            for tag_id in add:
                if tag_id not in held:
                    group, tag = found[tag_id]
                    tags.append(
                        {
                            "group_name": group["group_name"],
                            "tag_name": tag["name"],
                            "tag_id": tag_id,
                            "type": 1,
                        }
                    )
                    held.add(tag_id)
            follower["tags"] = tags
        return {}

    def get_corp_tag_list(self, query: dict, body: dict | None = None) -> dict:
        body = body or {}
        with self._lock:
            groups = copy.deepcopy(self.tag_groups)
        group_ids, tag_ids = body.get("group_id") or [], body.get("tag_id") or []
        if group_ids:
            groups = [g for g in groups if g["group_id"] in group_ids]
        elif tag_ids:
            for group in groups:
                group["tag"] = [t for t in group["tag"] if t["id"] in tag_ids]
            groups = [g for g in groups if g["tag"]]
        else:  # `deleted` is answered only for queries by id
            groups = [g for g in groups if not g.get("deleted")]
            for group in groups:
                group.pop("deleted", None)
                group["tag"] = [t for t in group["tag"] if not t.pop("deleted", False)]
        return {"tag_group": groups}

    # App messages ----------------------------------------------------------------------

    def message_send(self, query: dict, body: dict | None = None) -> dict:
        body = body or {}
        if "agentid" not in body:
            raise WireError(41011, "missing agentid")
        if str(body.get("agentid")) != self.agent_id:
            raise WireError(40056, "invalid agentid")
        if not body.get("touser"):
            raise WireError(82001, "All touser & toparty & totag invalid")
        if body.get("msgtype") != "textcard":
            raise WireError(40008, "invalid message type")
        card = body.get("textcard") or {}
        if not card.get("description"):
            raise WireError(41033, "missing description")
        if not card.get("title"):
            raise WireError(41032, "missing title")
        if not card.get("url") or len(card["url"].encode()) > TEXTCARD_LIMITS["url"]:
            raise WireError(40058, "invalid parameter: url")
        recipients = str(body["touser"]).split("|")
        valid = [u for u in recipients if u in self.staff]
        invalid = [u.lower() for u in recipients if u not in self.staff]
        if not valid:
            raise WireError(81013, "user & party & tag all invalid")
        digest = hashlib.sha256(
            json.dumps(body, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        msgid = secrets.token_urlsafe(16)
        now = time.time()
        with self._lock:
            interval = int(body.get("duplicate_check_interval") or 1800)
            if body.get("enable_duplicate_check") and self._message_digests.get(digest, 0) > now:
                return {"invaliduser": "|".join(invalid), "msgid": msgid}
            self._message_digests[digest] = now + interval
            for userid in valid:
                self.app_messages.append(
                    {
                        "userid": userid,
                        "msgid": msgid,
                        "at": now,
                        # WeCom truncates what is longer than its limits.
                        "title": _truncate(card["title"], TEXTCARD_LIMITS["title"]),
                        "description": _truncate(
                            card["description"], TEXTCARD_LIMITS["description"]
                        ),
                        "url": card["url"],
                        "btntxt": str(card.get("btntxt") or "详情")[:4],
                    }
                )
        return {
            "invaliduser": "|".join(invalid),
            "invalidparty": "",
            "invalidtag": "",
            "unlicenseduser": "",
            "msgid": msgid,
        }

    def _visible(self) -> list[str]:
        return list(self.staff) if self.visible_staff is None else list(self.visible_staff)

    def agent_get(self, query: dict, body: dict | None = None) -> dict:
        if query.get("agentid") != self.agent_id:
            raise WireError(301002, "access_token and agentid mismatch")
        return {
            "agentid": int(self.agent_id),
            "name": "侧边栏",
            "allow_userinfos": {"user": [{"userid": u} for u in self._visible()]},
            "allow_partys": {"partyid": []},
            "allow_tags": {"tagid": []},
            "close": 0,
            "redirect_domain": self.redirect_domain,
            "report_location_flag": 0,
            "isreportenter": 0,
            "home_url": self.home_url,
        }

    def get_follow_user_list(self, query: dict, body: dict | None = None) -> dict:
        # WeCom answers only members inside the app's visible range.
        enabled = (
            self._visible() if self.customer_contact_staff is None else self.customer_contact_staff
        )
        return {"follow_user": [u for u in enabled if u in self._visible()]}

    def _downstream_user(self, corp_id: str, userid: str) -> dict:
        """user/get with a downstream corp's token: its contact, with what an upstream corp
        may read (no mobile, position, avatar...; docs/wecom.md, "上下游")."""
        corp = next(c for c in self.chain_corps if c["corpid"] == corp_id)
        contact = next((c for c in corp.get("contacts", []) if c["userid"] == userid), None)
        if contact is None:
            raise WireError(60111, "userid not found")
        if contact.get("hidden"):
            raise WireError(60011, "no privilege to access/modify contact/party/agent")
        return {"userid": userid, "name": contact.get("name", ""), "gender": "0", "status": 1}

    def corpgroup_gettoken(self, query: dict, body: dict | None = None) -> dict:
        body = body or {}
        corp = next((c for c in self.chain_corps if c["corpid"] == body.get("corpid")), None)
        if body.get("business_type") != 1 or corp is None or body.get("agentid") != corp["agentid"]:
            raise WireError(670001, "app not in share scope")
        token = "stand-in-downstream-token-" + secrets.token_urlsafe(24)
        with self._lock:
            self.tokens[token] = time.time() + self.token_lifetime
            self.downstream_tokens[token] = corp["corpid"]
        return {"access_token": token, "expires_in": self.token_lifetime}

    def list_app_share_info(self, query: dict, body: dict | None = None) -> dict:
        body = body or {}
        if str(body.get("agentid")) != self.agent_id:
            raise WireError(670001, "app not in share scope")
        if body.get("business_type") != 1:
            return {"ending": 1, "corp_list": [], "next_cursor": ""}  # not 上下游
        corps = [
            {"corpid": c["corpid"], "corp_name": c["corp_name"], "agentid": c["agentid"]}
            for c in self.chain_corps
            if not body.get("corpid") or c["corpid"] == body["corpid"]
        ]
        limit = int(body.get("limit") or 0) or len(corps) or 1
        start = int(body.get("cursor") or 0)
        page = corps[start : start + limit]
        more = start + limit < len(corps)
        return {
            "ending": 0 if more else 1,
            "corp_list": page,
            "next_cursor": str(start + limit) if more else "",
        }

    # Changes made "in WeCom" (the client or the admin console), told to the app's callback ---

    def connect_callback(self, *, url: str, token: str, aes_key: str) -> bool:
        """Send change events to the app's callback at `url` from now on; True when the URL
        verifies, as the admin console checks it on saving."""
        from sidebar.standin.callbacks import CallbackSender

        self.callbacks = CallbackSender(
            url=url, token=token, aes_key=aes_key, corp_id=self.corp_id, agent_id=self.agent_id
        )
        self.callback_verified = self.callbacks.verify()
        return self.callback_verified

    def change_in_wecom(self, action: str, **params) -> None:
        """A change a staff member or admin makes in WeCom itself, and the event WeCom sends:
        'remark' (userid, external_userid, remark), 'tag' (userid, external_userid, tag_id),
        'customer-deletes-staff' and 'staff-deletes-customer' (userid, external_userid),
        'rename-group' (chat_id, name). Raises WireError for what the corp does not have."""
        contact = "change_external_contact"
        with self._lock:
            if action == "rename-group":
                group = self.groups.get(params.get("chat_id", ""))
                if group is None:
                    raise WireError(90501, "no such group")
                group["name"] = str(params.get("name") or "")[:64]
                event = ("change_external_chat", "update",
                         {"ChatId": group["chat_id"], "UpdateDetail": "change_name"})  # fmt: skip
            else:
                body = {
                    "userid": params.get("userid"),
                    "external_userid": params.get("external_userid"),
                }
                customer, follower = self._follow_entry(body)
                ids = {"UserID": follower["userid"], "ExternalUserID": body["external_userid"]}
                if action == "remark":
                    follower["remark"] = str(params.get("remark") or "")[:20]
                    event = (contact, "edit_external_contact", ids)
                elif action == "tag":
                    found = self._corp_tag(str(params.get("tag_id") or ""))
                    if found is None:
                        raise WireError(40068, "invalid tagid")
                    group, tag = found
                    follower.setdefault("tags", []).append(
                        {"group_name": group["group_name"], "tag_name": tag["name"],
                         "tag_id": tag["id"], "type": 1}
                    )  # fmt: skip
                    event = (contact, "edit_external_contact", ids)
                elif action == "customer-deletes-staff":
                    # WeCom keeps a one-way relation: externalcontact/get still lists them.
                    event = (contact, "del_follow_user", ids)
                elif action == "staff-deletes-customer":
                    customer["follow_user"].remove(follower)
                    event = (contact, "del_external_contact", ids)
                else:
                    raise WireError(40058, f"unknown change: {action}")
        if self.callbacks is not None:
            self.callbacks.send(event[0], event[1], **event[2])

    def describe(self) -> dict:
        """What the emulator's control panel shows: who and what is in this corp."""
        with self._lock:
            calls = dict(self.calls)
            faults = {path: vars(f).copy() for path, f in self.faults.items()}
        return {
            "corp": {"corp_id": self.corp_id, "agent_id": self.agent_id, "name": self.corp_name},
            "staff": [{"userid": u, "name": s.get("name", u)} for u, s in self.staff.items()],
            "customers": [
                {
                    "id": cid,
                    "name": c["external_contact"].get("name", ""),
                    "type": c["external_contact"].get("type"),
                    "followers": [f["userid"] for f in c["follow_user"]],
                }
                for cid, c in self.contacts.items()
            ],
            "groups": [
                {"id": gid, "name": g.get("name", ""), "owner": g.get("owner", "")}
                for gid, g in self.groups.items()
            ],
            "kf_customers": [
                {"id": kid, "name": k.get("nickname", "")} for kid, k in self.kf_customers.items()
            ],
            "chain_corps": copy.deepcopy(self.chain_corps),
            "calls": calls,
            "faults": faults,
            "token_lifetime": self.token_lifetime,
            "media": len(self.media),
            # The newest app messages staff received (message/send), newest first.
            "app_messages": [dict(m) for m in reversed(self.app_messages[-20:])],
            "callback": {
                "connected": self.callbacks is not None,
                "verified": self.callback_verified,
                "deliveries": list(self.callbacks.deliveries[-20:]) if self.callbacks else [],
            },
        }

    # The client side: what WeCom checks when the page calls config / agentConfig ---------

    def verify_signature(self, *, kind: str, params: dict, url: str) -> str:
        """'ok', or the error keyword the client reports ('invalid signature', ...)."""
        if params.get("corpid") != self.corp_id:
            return "invalid corpId"
        if kind == "agent" and str(params.get("agentid")) != self.agent_id:
            # The client checks the signature with the ticket of the app it was told about;
            # another app's id cannot match a ticket this app was issued.
            return "invalid signature"
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
