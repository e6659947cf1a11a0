"""Staff sign-in through WeCom OAuth (snsapi_base), kept in the server session.

The staff member's identity comes from WeCom's answer to `auth/getuserinfo` only, never from
the request. `state` is random, single use, bound to the session and expires with the code's
lifetime; the page to return to is stored with it on the server.
"""

import secrets
import time
from collections.abc import Callable
from urllib.parse import quote, urlencode

from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from sidebar import hosts
from sidebar.hosts import Operator
from sidebar.wecom.config import WeComApp

SESSION_STAFF = "sidebar.staff"
SESSION_PENDING = "sidebar.oauth_pending"
SESSION_RETRIED = "sidebar.oauth_retried"
STATE_LIFETIME = 600
MAX_PENDING = 5


class SignInError(Exception):
    """Base class of the sign-in failures a view turns into a page."""


class StateMismatch(SignInError):
    """The callback's state is unknown, used or expired (or the cookie was lost)."""


class NotAMember(SignInError):
    """WeCom identified a visitor (openid), not a member of the corp."""


class OtherCorp(SignInError):
    """A host vouched for an account of another corp than ours."""


def current_staff(request, *, app: WeComApp) -> str | None:
    staff = _signed_in(request)
    if staff.get("corp_id") == app.corp_id:
        return staff.get("userid") or None
    return None


def current_staff_name(request) -> str:
    """What to call the signed-in staff member: their WeCom name as it was at sign-in, else
    their userid ('' when nobody signed in)."""
    staff = _signed_in(request)
    name = staff.get("name")
    return name if isinstance(name, str) and name else str(staff.get("userid") or "")


def complete_name(request, *, name_of: Callable[[str], str]) -> None:
    """Learn the signed-in member's name if the sign-in could not (WeCom was busy or failing
    then, or refused user/get): asked again on each page load until it is known, never on
    a lookup, so a nine o'clock rush does not leave a member shown as their userid all day."""
    staff = _signed_in(request)
    userid = staff.get("userid")
    if not userid or staff.get("name"):
        return
    name = name_of(userid)
    if name:
        request.session[SESSION_STAFF] = {**staff, "name": name}


def _signed_in(request) -> dict:
    """What the session keeps about who signed in ({} when nobody did)."""
    staff = request.session.get(SESSION_STAFF)
    return staff if isinstance(staff, dict) else {}


def safe_next(request, candidate: str | None) -> str:
    """`candidate` if it is a path on this site, else the sidebar page."""
    if (
        candidate
        and candidate.startswith("/")
        and not candidate.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()})
    ):
        return candidate
    return reverse("sidebar:page")


def authorization_url(request, *, app: WeComApp, next_path: str) -> str:
    params = {
        "appid": app.corp_id,
        "redirect_uri": request.build_absolute_uri(reverse("sidebar:oauth-callback")),
        "response_type": "code",
        "scope": "snsapi_base",
        "state": new_state(request, next_path=next_path),
        "agentid": app.agent_id,
    }
    return f"{app.oauth_authorize_url}?{urlencode(params, quote_via=quote)}#wechat_redirect"


def new_state(request, *, next_path: str) -> str:
    """A fresh single-use state for a sign-in that returns to `next_path` (hex: it suits
    WeCom's and Juzi's OAuth alike)."""
    state = secrets.token_hex(16)
    now = time.time()
    pending = {
        key: value
        for key, value in request.session.get(SESSION_PENDING, {}).items()
        if now - value["at"] < STATE_LIFETIME
    }
    pending[state] = {"next": safe_next(request, next_path), "at": now}
    # Keep the newest few: several tabs may sign in at once, but the list stays small.
    newest = sorted(pending.items(), key=lambda item: item[1]["at"])[-MAX_PENDING:]
    request.session[SESSION_PENDING] = dict(newest)
    return state


def take_state(request, state: str) -> str:
    """Consume `state`; return the page it was issued for. Raises StateMismatch."""
    pending = request.session.get(SESSION_PENDING, {})
    record = pending.pop(state, None) if state else None
    request.session[SESSION_PENDING] = pending
    if not record or time.time() - record["at"] >= STATE_LIFETIME:
        raise StateMismatch
    return record["next"]


def callback_code(request) -> str:
    """The sign-in code an OAuth callback brought ('' when it is missing or cannot be one):
    printable ASCII, at most 512 characters, for WeCom's and Juzi's callbacks alike."""
    code = request.GET.get("code", "")
    if len(code) > 512 or not code.isascii() or not code.isprintable():
        return ""
    return code


def sign_in(request, *, app: WeComApp, user_info: dict, name_of: Callable[[str], str]) -> None:
    """Start the staff session from WeCom's getuserinfo answer, with the name `name_of`
    gives the member ('' when it cannot be learnt now; see complete_name). Raises
    NotAMember."""
    userid = user_info.get("userid")
    if not userid:
        raise NotAMember
    _start(request, {"userid": userid, "corp_id": app.corp_id, "name": name_of(userid)})


def sign_in_hosted(
    request,
    *,
    app: WeComApp,
    userid: str,
    corp_id: str,
    account: str,
    operator: Operator,
    name_of: Callable[[str], str],
):
    """Start the staff session for a hosted account a host vouched for (docs/hosts.md): the
    staff member is the account's WeCom userid, accepted only in our own corp; `account` is
    the host's id of the hosted account. Raises OtherCorp."""
    if corp_id != app.corp_id:
        raise OtherCorp
    _start(
        request,
        {
            "userid": userid,
            "corp_id": app.corp_id,
            "name": name_of(userid),
            "host": operator.host,
            "account": account,
            "operator": {"uid": operator.uid, "name": operator.name},
        },
    )


def _start(request, staff: dict) -> None:
    request.session.cycle_key()  # a new session key: no fixation across the sign-in
    request.session[SESSION_STAFF] = {**staff, "at": time.time()}
    request.session.pop(SESSION_RETRIED, None)


def host_of(request) -> str:
    """The host this session was signed in through: hosts.WECOM unless a host vouched."""
    host = _signed_in(request).get("host")
    return host if isinstance(host, str) and host else hosts.WECOM


def hosted_account(request) -> str:
    """The host's id of the signed-in hosted account ('' in WeCom)."""
    account = _signed_in(request).get("account")
    return account if isinstance(account, str) else ""


def current_operator(request) -> Operator | None:
    """Who operates the signed-in hosted account in its host's console; None in WeCom."""
    found = _signed_in(request).get("operator")
    if not isinstance(found, dict):
        return None
    return Operator(
        host=host_of(request), uid=str(found.get("uid", "")), name=str(found.get("name", ""))
    )


def may_retry(request) -> bool:
    """True the first time a rejected code restarts sign-in; False after that."""
    if request.session.get(SESSION_RETRIED):
        return False
    request.session[SESSION_RETRIED] = True
    return True
