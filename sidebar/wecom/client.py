"""What the app asks of WeCom, with credentials handled: callers never see a token.

Calls that carry an access_token recover from WeCom rejecting it (40014 invalid, 42001
expired, 41001 missing): the stale token is dropped, a new one fetched, the call retried once.
"""

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import caches

from sidebar.exceptions import WeComTokenInvalid
from sidebar.wecom.api import WeComAPI
from sidebar.wecom.config import WeComApp
from sidebar.wecom.credentials import ACCESS_TOKEN, AGENT_TICKET, CORP_TICKET, CredentialStore
from sidebar.wecom.write_slots import WriteSlots

T = TypeVar("T")

# Bounds a runaway cursor (a customer's followers come 500 a page; shared corps 100 a page).
MAX_PAGES = 40
# A ticket the client refused is replaced at most this often per kind: 12 an hour, well
# inside WeCom's 100 ticket fetches per app per hour, whatever the cause of the refusals.
TICKET_REPLACE_SECONDS = 300


class WeComClient:
    def __init__(
        self,
        app: WeComApp,
        *,
        api: WeComAPI,
        credentials: CredentialStore,
        write_slots: WriteSlots | None = None,
    ):
        self.app = app
        self.api = api
        self.credentials = credentials
        # Customer edits are bounded per corp across processes (sidebar.wecom.write_slots).
        self.write_slots = write_slots or WriteSlots(
            caches["wecom"], corp_id=app.corp_id, lease=max(30.0, 4 * app.timeout)
        )

    @classmethod
    def for_app(cls, app: WeComApp, *, safety_margin: int, error_cooldown: int) -> "WeComClient":
        api = WeComAPI(
            base_url=app.api_base_url,
            timeout=app.timeout,
            max_concurrent_calls=app.max_concurrent_calls,
            max_concurrent_uploads=app.max_concurrent_uploads,
            upload_timeout=app.upload_timeout,
        )
        credentials = CredentialStore(
            scope=app.scope,
            cache=caches["wecom"],
            safety_margin=safety_margin,
            error_cooldown=error_cooldown,
            # A holder may spend up to three busy-retried calls; keep waiters that long.
            lock_timeout=max(10.0, 4 * app.timeout),
        )
        return cls(app, api=api, credentials=credentials)

    # Credentials -------------------------------------------------------------------------

    def access_token(self) -> str:
        return self.credentials.get(
            ACCESS_TOKEN,
            lambda: self.api.get_token(corp_id=self.app.corp_id, secret=self.app.secret),
        )

    def corp_ticket(self, *, trust_local: bool = True) -> str:
        return self.ticket(CORP_TICKET, trust_local=trust_local)

    def agent_ticket(self, *, trust_local: bool = True) -> str:
        return self.ticket(AGENT_TICKET, trust_local=trust_local)

    def ticket(self, kind: str, *, trust_local: bool = True) -> str:
        """The corp (CORP_TICKET) or app (AGENT_TICKET) jsapi_ticket; `trust_local=False`
        reads past this process's short-lived copy (CredentialStore.get)."""
        return self.credentials.get(kind, self._ticket_fetch(kind), trust_local=trust_local)

    def replace_ticket(self, kind: str, stale: str) -> str | None:
        """The client refused `stale`, the ticket we hold: fetch a fresh one, at most once per
        TICKET_REPLACE_SECONDS per kind (docs/wecom.md, "JS-SDK signatures"). None when
        that bound says no."""
        return self.credentials.replace(
            kind, stale, self._ticket_fetch(kind), interval=TICKET_REPLACE_SECONDS
        )

    def _ticket_fetch(self, kind: str):
        call = {CORP_TICKET: self.api.get_corp_ticket, AGENT_TICKET: self.api.get_agent_ticket}
        return lambda: self._with_token(call[kind])

    def _with_token(self, call: Callable[[str], T]) -> T:
        token = self.access_token()
        try:
            return call(token)
        except WeComTokenInvalid:
            self.credentials.drop(ACCESS_TOKEN, token)
            return call(self.access_token())

    # Endpoints ---------------------------------------------------------------------------

    def get_user_info(self, code: str) -> dict:
        return self._with_token(lambda token: self.api.get_user_info(token, code=code))

    def get_external_contact(self, external_userid: str) -> dict:
        """The customer with the complete follower list (every `next_cursor` page followed)."""

        def page(cursor: str) -> dict:
            return self._with_token(
                lambda token: self.api.get_external_contact(
                    token, external_userid=external_userid, cursor=cursor
                )
            )

        first = page("")
        followers = list(first.get("follow_user") or [])
        cursor = first.get("next_cursor") or ""
        for _ in range(MAX_PAGES - 1):
            if not cursor:
                break
            more = page(cursor)
            followers.extend(more.get("follow_user") or [])
            cursor = more.get("next_cursor") or ""
        return {"external_contact": first["external_contact"], "follow_user": followers}

    def get_group_chat(self, chat_id: str) -> dict:
        return self._with_token(lambda token: self.api.get_group_chat(token, chat_id=chat_id))

    def get_followed_customers(self, userid: str) -> list[str]:
        """The external_userids of every customer the staff member added."""
        return self._with_token(lambda token: self.api.get_followed_customers(token, userid=userid))

    def get_kf_customer(self, external_userid: str) -> dict | None:
        """The 微信客服 customer, or None when WeCom cannot resolve the id (for instance the
        48-hour rule: only customers active in the last 48 hours resolve)."""
        answer = self._with_token(
            lambda token: self.api.get_kf_customers(token, external_userids=[external_userid])
        )
        for customer in answer["customer_list"]:
            if customer.get("external_userid") == external_userid:
                return customer
        return None

    def get_agent(self) -> dict:
        return self._with_token(lambda token: self.api.get_agent(token, agent_id=self.app.agent_id))

    def get_follow_user_list(self) -> list[str]:
        return self._with_token(self.api.get_follow_user_list)

    def get_user(self, userid: str) -> dict:
        """The staff member as user/get answers (name, alias, department, ...)."""
        return self._with_token(lambda token: self.api.get_user(token, userid=userid))

    def upload_media(self, *, media_type: str, filename: str, content: bytes, content_type: str):
        """Upload a file as WeCom temporary media; a Grant of its media_id."""
        return self._with_token(
            lambda token: self.api.upload_media(
                token,
                media_type=media_type,
                filename=filename,
                content=content,
                content_type=content_type,
                timeout=self.app.upload_timeout,
            )
        )

    # The customer record -------------------------------------------------------------------

    def remark_contact(self, *, userid: str, external_userid: str, **fields) -> None:
        """Change `userid`'s remark entry on the customer: only the `fields` given (remark,
        description, remark_company, remark_mobiles). Raises WeComWritesBusy, unsent, when
        the corp's edit bound is full."""
        path = "/cgi-bin/externalcontact/remark"
        with self.write_slots.slot(userid=userid, external_userid=external_userid, path=path):
            self._with_token(
                lambda token: self.api.remark_contact(
                    token, userid=userid, external_userid=external_userid, **fields
                )
            )

    def mark_tag(
        self, *, userid: str, external_userid: str, add_tag: list[str], remove_tag: list[str]
    ) -> None:
        """Add and remove corp tags on the customer as `userid` has them, in one call."""
        path = "/cgi-bin/externalcontact/mark_tag"
        with self.write_slots.slot(userid=userid, external_userid=external_userid, path=path):
            self._with_token(
                lambda token: self.api.mark_tag(
                    token,
                    userid=userid,
                    external_userid=external_userid,
                    add_tag=add_tag,
                    remove_tag=remove_tag,
                )
            )

    def get_corp_tag_list(self) -> list[dict]:
        return self._with_token(self.api.get_corp_tag_list)

    def send_app_message(self, message: dict) -> dict:
        """message/send from this app (`message` without agentid: it is this app's)."""
        body = {**message, "agentid": int(self.app.agent_id)}
        return self._with_token(lambda token: self.api.send_app_message(token, message=body))

    def get_downstream_user(self, *, corp: dict, userid: str) -> dict:
        """A downstream corp's member as user/get answers with that corp's token (`corp`: its
        entry from list_app_share_info). The token is cached per downstream corp and app, and
        renewed once when WeCom rejects it."""
        kind = f"downstream-token:{corp['corpid']}:{corp['agentid']}"

        def fetch():
            return self._with_token(
                lambda token: self.api.get_downstream_token(
                    token, corp_id=corp["corpid"], agent_id=int(corp["agentid"])
                )
            )

        token = self.credentials.get(kind, fetch)
        try:
            return self.api.get_user(token, userid=userid)
        except WeComTokenInvalid:
            self.credentials.drop(kind, token)
            return self.api.get_user(self.credentials.get(kind, fetch), userid=userid)

    def get_shared_corp(self, corp_id: str) -> dict | None:
        """The downstream corp this app is shared with, as list_app_share_info names it."""
        cursor = ""
        for _ in range(MAX_PAGES):
            page = self._with_token(
                lambda token, cursor=cursor: self.api.list_app_share_info(
                    token, agent_id=self.app.agent_id, corp_id=corp_id, cursor=cursor
                )
            )
            for corp in page["corp_list"]:
                if corp.get("corpid") == corp_id:
                    return corp
            cursor = page["next_cursor"]
            if page["ending"] or not cursor:
                return None
        return None
