"""The one door to Juzi's OAuth (docs/hosts.md, "Juzi"): the authorize URL staff are sent to,
and the exchange of the code it returns for who signed in. It knows URLs and the wire format
and returns plain data; every call has a timeout; failures are sidebar.hosts.juzi.errors.

Juzi documents one region host per deployment (JUZI_OAUTH_BASE_URL) and no credential
besides the code for getUserInfo.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

import requests

from sidebar.hosts.juzi.errors import JuziTimeout, JuziTransportError, api_error
from sidebar.outbound import json_object, pooled_session

AUTHORIZE_PATH = "/oauth/connect/authorize"
USER_INFO_PATH = "/api/v1/oauth/getUserInfo"


@dataclass(frozen=True)
class JuziIdentity:
    """Who signed in: the hosted WeCom account (corp_id, user_id; plain, not open ids) and the
    Juzi user operating it (uid, name, email)."""

    user_id: str
    corp_id: str
    bot_id: str
    org_id: str
    uid: str
    name: str = ""
    email: str = ""


class JuziOAuth:
    def __init__(self, *, base_url: str, timeout: float, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or pooled_session(pool_maxsize=8)

    def authorize_url(self, *, redirect_uri: str, state: str) -> str:
        """Where to send the staff member's browser. `state` is [a-zA-Z0-9], at most 128 bytes."""
        if not state.isascii() or not state.isalnum() or len(state) > 128:
            raise ValueError("Juzi's state is [a-zA-Z0-9], at most 128 bytes")
        query = urlencode({"redirect_uri": redirect_uri, "state": state})
        return f"{self.base_url}{AUTHORIZE_PATH}?{query}"

    def user_info(self, code: str) -> JuziIdentity:
        """Exchange a sign-in code (single-use, five minutes) for who signed in."""
        data = self._get(USER_INFO_PATH, params={"code": code})
        found = data.get("data")
        if not isinstance(found, dict):
            raise JuziTransportError("the answer has no data object", path=USER_INFO_PATH)
        fields = {}
        for ours, theirs in (
            ("user_id", "userId"),
            ("corp_id", "corpId"),
            ("bot_id", "botId"),
            ("org_id", "orgId"),
            ("uid", "uid"),
        ):
            value = found.get(theirs)
            if not isinstance(value, str) or not value:
                raise JuziTransportError(f"the answer lacks data.{theirs}", path=USER_INFO_PATH)
            fields[ours] = value
        for ours in ("name", "email"):
            value = found.get(ours)
            fields[ours] = value if isinstance(value, str) else ""
        return JuziIdentity(**fields)

    def _get(self, path: str, *, params: dict) -> dict:
        data = json_object(
            lambda: self.session.get(self.base_url + path, params=params, timeout=self.timeout),
            path=path,
            timeout=self.timeout,
            transport_error=JuziTransportError,
            timeout_error=JuziTimeout,
        )
        errcode = data.get("errcode", 0)
        if errcode != 0:
            if not isinstance(errcode, int):
                raise JuziTransportError("the answer's errcode is not a number", path=path)
            raise api_error(errcode=errcode, errmsg=str(data.get("errmsg", "")), path=path)
        return data
