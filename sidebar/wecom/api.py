"""The one door to the WeCom server API: the only module that imports `requests`.

It knows URLs and the wire format and returns plain data. Every call has a timeout; transport
failures and non-zero `errcode` become our own exceptions (sidebar.exceptions). The
access_token travels in the query string, so no URL ever goes into an exception or log line.
"""

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import requests

from sidebar import metrics
from sidebar.exceptions import (
    WeComBusy,
    WeComOverloaded,
    WeComTimeout,
    WeComTransportError,
    api_error,
)
from sidebar.outbound import json_object, pooled_session

# errcode -1 ("system busy"): WeCom advises a retry later, at most three times.
BUSY_ATTEMPTS = 3
BUSY_BACKOFF_SECONDS = 0.2
# WeCom keeps temporary media for three days.
MEDIA_LIFETIME_SECONDS = 3 * 24 * 3600
# How long a call waits for a free slot (CallSlots) before it is refused unsent, and the call
# duration beyond which WeCom counts as slow (then nobody waits for a slot).
SLOT_WAIT_SECONDS = 2.0
SLOW_CALL_SECONDS = 1.0


@dataclass(frozen=True)
class Grant:
    """A credential WeCom handed out: an access_token or a jsapi ticket."""

    value: str
    expires_in: int

    def __repr__(self) -> str:  # never print the value
        return f"Grant(expires_in={self.expires_in})"


class CallSlots:
    """A bound on the WeCom calls this process has in flight, so a slow or hanging WeCom holds
    at most `limit` threads and the rest keep serving pages and /healthz.

    A third of the slots are kept for priority calls (tokens, tickets, sign-in), so a crowd of
    lookups cannot lock staff out of the page. A call that finds every slot it may use taken:

    - while WeCom answers quickly, waits up to `wait` seconds for a slot (a burst against a
      healthy WeCom, forty staff signing in at nine o'clock, is absorbed in milliseconds);
    - while WeCom is slow (at least half the calls in flight have been waiting on it for
      longer than `slow`, or recent calls took that long on average), is refused at once,
      unsent, and the panel says WeCom is slow. Waiting then would only hold more threads for
      nothing.

    One call out of several running long is not "WeCom is slow": on a busy host a single
    answer can be late for reasons of our own (CPU, scheduling), and refusing a whole burst
    of sign-ins for it would lock staff out while WeCom is healthy. A WeCom that hangs holds
    every call in flight, so it is still recognised within `slow` seconds.
    """

    def __init__(
        self,
        limit: int,
        *,
        name: str = "calls",
        wait: float = SLOT_WAIT_SECONDS,
        slow: float = SLOW_CALL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limit = max(1, limit)
        self.name = name  # the metrics' label
        self.reserved = self.limit // 3
        self.wait = wait
        self.slow = slow
        self._clock = clock
        self._started: dict[int, float] = {}  # in-flight calls: ticket -> when they began
        self._tickets = itertools.count()
        self._recent = 0.0  # moving average of call durations, seconds
        self._freed = threading.Condition(threading.Lock())

    @contextmanager
    def slot(self, *, priority: bool, path: str) -> Iterator[None]:
        allowed = self.limit if priority else self.limit - self.reserved
        with self._freed:
            give_up_at = self._clock() + self.wait
            while len(self._started) >= allowed:
                left = give_up_at - self._clock()
                slow = left > 0 and self._wecom_is_slow()  # asked only while it may wait
                if left <= 0 or slow:
                    reason = "slow" if slow else "busy"
                    metrics.WECOM_REFUSED.labels(slots=self.name, reason=reason).inc()
                    raise WeComOverloaded(
                        f"{len(self._started)} calls already in flight", path=path
                    )
                self._freed.wait(timeout=min(left, 0.1))
            ticket = next(self._tickets)
            self._started[ticket] = self._clock()
        in_flight = metrics.WECOM_IN_FLIGHT.labels(slots=self.name)
        in_flight.inc()
        try:
            yield
        finally:
            in_flight.dec()
            with self._freed:
                took = self._clock() - self._started.pop(ticket)
                self._recent += (took - self._recent) * 0.2
                self._freed.notify_all()

    def _wecom_is_slow(self) -> bool:
        if self._recent > self.slow:
            return True
        now = self._clock()
        late = sum(1 for began in self._started.values() if now - began > self.slow)
        return late > 0 and 2 * late >= len(self._started)


class WeComAPI:
    def __init__(
        self,
        *,
        base_url: str,
        timeout: float,
        max_concurrent_calls: int = 6,
        max_concurrent_uploads: int = 2,
        upload_timeout: float = 120.0,
        session: requests.Session | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.slots = CallSlots(max_concurrent_calls)
        # Uploads have slots of their own: however long they take, they never hold one a
        # lookup or a sign-in could use, and a slow upload is no sign of a slow WeCom.
        self.upload_slots = CallSlots(
            max_concurrent_uploads, name="uploads", wait=upload_timeout, slow=float("inf")
        )
        self.session = session or pooled_session()
        # The Date header of WeCom's latest answer and our clock when it came (clock_offset).
        self._last_date: tuple[str, float] | None = None

    def clock_offset(self) -> float | None:
        """Seconds WeCom's clock is ahead of this server's (negative: behind), from the Date
        header of its latest answer (HTTP's, to the second); None until an answer had one."""
        if self._last_date is None:
            return None
        header, seen_at = self._last_date
        try:
            return parsedate_to_datetime(header).timestamp() - seen_at
        except (TypeError, ValueError):
            return None

    def request(
        self,
        method: str,
        path: str,
        *,
        params=None,
        body=None,
        files=None,
        priority=False,
        timeout: float | None = None,
        upload: bool = False,
    ) -> dict:
        """Call WeCom and return the decoded body of a successful (errcode 0) answer.

        `body` goes as JSON, `files` as multipart/form-data. `priority` calls (credentials,
        sign-in) may use the slots kept for them; `upload` calls use the upload slots.
        `timeout` replaces the default for calls that carry more than a few bytes."""
        slots = self.upload_slots if upload else self.slots
        for attempt in range(1, BUSY_ATTEMPTS + 1):
            with (
                slots.slot(priority=priority or upload, path=path),
                metrics.WECOM_CALLS.labels(api=path).time(),
            ):
                try:
                    data = self._send(
                        method,
                        path,
                        params=params,
                        body=body,
                        files=files,
                        timeout=timeout or self.timeout,
                    )
                except WeComTransportError as exc:  # no errcode: what kept the answer away
                    failure = "timeout" if isinstance(exc, WeComTimeout) else "unreachable"
                    metrics.WECOM_ERRORS.labels(api=path, errcode=failure).inc()
                    raise
            errcode = data.get("errcode", 0)
            if errcode == 0:
                return data
            metrics.WECOM_ERRORS.labels(api=path, errcode=str(_as_int(errcode))).inc()
            error = api_error(
                errcode=_as_int(errcode), errmsg=str(data.get("errmsg", "")), path=path
            )
            if isinstance(error, WeComBusy) and attempt < BUSY_ATTEMPTS:
                time.sleep(BUSY_BACKOFF_SECONDS * attempt)
                continue
            raise error
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, path: str, *, params, body, files, timeout: float) -> dict:
        def call() -> requests.Response:
            response = self.session.request(
                method, self.base_url + path, params=params, json=body, files=files,
                timeout=timeout,
            )  # fmt: skip
            if "Date" in response.headers:
                self._last_date = (response.headers["Date"], time.time())
            return response

        return json_object(
            call,
            path=path,
            timeout=timeout,
            transport_error=WeComTransportError,
            timeout_error=WeComTimeout,
        )

    # Credentials -------------------------------------------------------------------------

    def get_token(self, *, corp_id: str, secret: str) -> Grant:
        path = "/cgi-bin/gettoken"
        params = {"corpid": corp_id, "corpsecret": secret}
        return _grant(self.request("GET", path, params=params, priority=True), "access_token", path)

    def get_corp_ticket(self, access_token: str) -> Grant:
        """The corp jsapi_ticket: signs wx.config / getConfigSignature."""
        path = "/cgi-bin/get_jsapi_ticket"
        data = self.request("GET", path, params={"access_token": access_token}, priority=True)
        return _grant(data, "ticket", path)

    def get_agent_ticket(self, access_token: str) -> Grant:
        """The app jsapi_ticket: signs wx.agentConfig / getAgentConfigSignature."""
        path = "/cgi-bin/ticket/get"
        params = {"access_token": access_token, "type": "agent_config"}
        return _grant(self.request("GET", path, params=params, priority=True), "ticket", path)

    # Staff sign-in -----------------------------------------------------------------------

    def get_user_info(self, access_token: str, *, code: str) -> dict:
        """Exchange an OAuth code. Returns {"userid"} for a corp member, {"openid", ...} else.

        The legacy endpoint spelled the fields UserId / OpenId; both spellings are accepted.
        """
        path = "/cgi-bin/auth/getuserinfo"
        params = {"access_token": access_token, "code": code}
        data = self.request("GET", path, params=params, priority=True)
        return {
            "userid": data.get("userid") or data.get("UserId") or "",
            "openid": data.get("openid") or data.get("OpenId") or "",
            "external_userid": data.get("external_userid") or "",
        }

    # Customer contact --------------------------------------------------------------------

    def get_external_contact(
        self, access_token: str, *, external_userid: str, cursor: str = ""
    ) -> dict:
        """One page of externalcontact/get (WeCom pages follow_user past 500 followers)."""
        path = "/cgi-bin/externalcontact/get"
        params = {"access_token": access_token, "external_userid": external_userid}
        if cursor:
            params["cursor"] = cursor
        data = self.request("GET", path, params=params)
        if not isinstance(data.get("external_contact"), dict):
            raise WeComTransportError("the answer has no external_contact", path=path)
        return data

    def get_followed_customers(self, access_token: str, *, userid: str) -> list[str]:
        """externalcontact/list: the external_userids of the customers a staff member added
        (docs/wecom.md, "Opening a chat")."""
        path = "/cgi-bin/externalcontact/list"
        data = self.request("GET", path, params={"access_token": access_token, "userid": userid})
        found = data.get("external_userid", [])
        if not isinstance(found, list):
            raise WeComTransportError("the answer's external_userid is not a list", path=path)
        return [item for item in found if isinstance(item, str)]

    def get_group_chat(self, access_token: str, *, chat_id: str) -> dict:
        """externalcontact/groupchat/get with member names (need_name=1)."""
        path = "/cgi-bin/externalcontact/groupchat/get"
        body = {"chat_id": chat_id, "need_name": 1}
        data = self.request("POST", path, params={"access_token": access_token}, body=body)
        if not isinstance(data.get("group_chat"), dict):
            raise WeComTransportError("the answer has no group_chat", path=path)
        return data["group_chat"]

    # The customer record (docs/wecom.md, "Editing a customer") -----------------------------

    def remark_contact(self, access_token: str, *, userid: str, external_userid: str, **fields):
        """externalcontact/remark: the staff member's own remark entry on the customer.
        `fields` are only those that change (remark, description, remark_company,
        remark_mobiles): a field sent as "" is cleared, one left out is kept."""
        path = "/cgi-bin/externalcontact/remark"
        body = {"userid": userid, "external_userid": external_userid, **fields}
        self.request("POST", path, params={"access_token": access_token}, body=body)

    def mark_tag(
        self,
        access_token: str,
        *,
        userid: str,
        external_userid: str,
        add_tag: list[str],
        remove_tag: list[str],
    ) -> None:
        """externalcontact/mark_tag: corp tags added to and removed from the customer, as
        `userid` has them (add_tag and remove_tag may not both be empty)."""
        path = "/cgi-bin/externalcontact/mark_tag"
        body = {"userid": userid, "external_userid": external_userid}
        if add_tag:
            body["add_tag"] = list(add_tag)
        if remove_tag:
            body["remove_tag"] = list(remove_tag)
        self.request("POST", path, params={"access_token": access_token}, body=body)

    def get_corp_tag_list(self, access_token: str) -> list[dict]:
        """externalcontact/get_corp_tag_list: every corp tag group with its tags."""
        path = "/cgi-bin/externalcontact/get_corp_tag_list"
        data = self.request("POST", path, params={"access_token": access_token}, body={})
        groups = data.get("tag_group", [])
        if not isinstance(groups, list):
            raise WeComTransportError("the answer's tag_group is not a list", path=path)
        return [group for group in groups if isinstance(group, dict)]

    # App messages ------------------------------------------------------------------------

    def send_app_message(self, access_token: str, *, message: dict) -> dict:
        """message/send: an app message (`message` carries touser, msgtype, agentid and the
        msgtype's object). Returns WeCom's lists of recipients it could not reach."""
        path = "/cgi-bin/message/send"
        data = self.request("POST", path, params={"access_token": access_token}, body=message)
        return {
            name: str(data.get(name) or "")
            for name in ("invaliduser", "invalidparty", "invalidtag", "unlicenseduser", "msgid")
        }

    # 微信客服 ---------------------------------------------------------------------------

    def get_kf_customers(self, access_token: str, *, external_userids: list[str]) -> dict:
        """kf/customer/batchget for at most 100 ids, with the session context."""
        path = "/cgi-bin/kf/customer/batchget"
        body = {"external_userid_list": external_userids, "need_enter_session_context": 1}
        data = self.request("POST", path, params={"access_token": access_token}, body=body)
        return {
            "customer_list": list(data.get("customer_list") or []),
            "invalid_external_userid": list(data.get("invalid_external_userid") or []),
        }

    # Staff -------------------------------------------------------------------------------

    def get_user(self, access_token: str, *, userid: str) -> dict:
        """user/get: a member of the corp inside the app's visible range."""
        path = "/cgi-bin/user/get"
        return self.request("GET", path, params={"access_token": access_token, "userid": userid})

    # The app's own configuration (the configuration doctor) --------------------------------

    def get_agent(self, access_token: str, *, agent_id: str) -> dict:
        """agent/get: the app as the admin console has it (trusted domain, visible range)."""
        path = "/cgi-bin/agent/get"
        return self.request("GET", path, params={"access_token": access_token, "agentid": agent_id})

    def get_follow_user_list(self, access_token: str) -> list[str]:
        """externalcontact/get_follow_user_list: the members with customer contact enabled
        (only those in the app's visible range)."""
        path = "/cgi-bin/externalcontact/get_follow_user_list"
        data = self.request("GET", path, params={"access_token": access_token})
        return [str(u) for u in data.get("follow_user") or []]

    # Temporary media ---------------------------------------------------------------------

    def upload_media(
        self,
        access_token: str,
        *,
        media_type: str,
        filename: str,
        content: bytes,
        content_type: str,
        timeout: float,
    ) -> Grant:
        """media/upload: a file WeCom keeps for three days, as a Grant of its media_id (the
        lifetime is WeCom's documented three days; the answer carries only created_at)."""
        path = "/cgi-bin/media/upload"
        params = {"access_token": access_token, "type": media_type}
        files = {"media": (filename, content, content_type)}
        data = self.request("POST", path, params=params, files=files, timeout=timeout, upload=True)
        media_id = data.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            raise WeComTransportError("the answer has no media_id", path=path)
        return Grant(value=media_id, expires_in=MEDIA_LIFETIME_SECONDS)

    # 上下游 ------------------------------------------------------------------------------

    def get_downstream_token(self, access_token: str, *, corp_id: str, agent_id: int) -> Grant:
        """corpgroup/corp/gettoken: a token for a downstream corp this app is shared with
        (its agentid there from list_app_share_info), for that corp's read-only contacts."""
        path = "/cgi-bin/corpgroup/corp/gettoken"
        body = {"corpid": corp_id, "business_type": 1, "agentid": agent_id}
        data = self.request("POST", path, params={"access_token": access_token}, body=body)
        return _grant(data, "access_token", path)

    def list_app_share_info(
        self, access_token: str, *, agent_id: str, corp_id: str = "", cursor: str = ""
    ) -> dict:
        """One page of corpgroup/corp/list_app_share_info for 上下游 (business_type 1)."""
        path = "/cgi-bin/corpgroup/corp/list_app_share_info"
        body = {"agentid": int(agent_id), "business_type": 1, "limit": 100}
        if corp_id:
            body["corpid"] = corp_id
        if cursor:
            body["cursor"] = cursor
        data = self.request("POST", path, params={"access_token": access_token}, body=body)
        return {
            "corp_list": list(data.get("corp_list") or []),
            "ending": data.get("ending", 1),
            "next_cursor": data.get("next_cursor") or "",
        }


def _as_int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -999


def _grant(data: dict, field: str, path: str) -> Grant:
    value = data.get(field)
    try:
        expires_in = int(data.get("expires_in", 0))
    except (TypeError, ValueError):
        expires_in = 0
    if not isinstance(value, str) or not value or expires_in <= 0:
        raise WeComTransportError(f"the answer has no usable {field}", path=path)
    return Grant(value=value, expires_in=expires_in)
