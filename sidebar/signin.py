"""Staff sign-in through WeCom OAuth (snsapi_base), kept in the server session.

The staff member's identity comes from WeCom's answer to `auth/getuserinfo` only, never from
the request. `state` is random, single use, bound to the session and expires with the code's
lifetime; the page to return to is stored with it on the server.
"""

import secrets
import time
from urllib.parse import quote, urlencode

from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

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


def current_staff(request, *, app: WeComApp) -> str | None:
    staff = request.session.get(SESSION_STAFF)
    if isinstance(staff, dict) and staff.get("corp_id") == app.corp_id:
        return staff.get("userid") or None
    return None


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
    params = {
        "appid": app.corp_id,
        "redirect_uri": request.build_absolute_uri(reverse("sidebar:oauth-callback")),
        "response_type": "code",
        "scope": "snsapi_base",
        "state": state,
        "agentid": app.agent_id,
    }
    return f"{app.oauth_authorize_url}?{urlencode(params, quote_via=quote)}#wechat_redirect"


def take_state(request, state: str) -> str:
    """Consume `state`; return the page it was issued for. Raises StateMismatch."""
    pending = request.session.get(SESSION_PENDING, {})
    record = pending.pop(state, None) if state else None
    request.session[SESSION_PENDING] = pending
    if not record or time.time() - record["at"] >= STATE_LIFETIME:
        raise StateMismatch
    return record["next"]


def sign_in(request, *, app: WeComApp, user_info: dict) -> None:
    """Start the staff session from WeCom's getuserinfo answer. Raises NotAMember."""
    userid = user_info.get("userid")
    if not userid:
        raise NotAMember
    request.session.cycle_key()  # a new session key: no fixation across the sign-in
    request.session[SESSION_STAFF] = {"userid": userid, "corp_id": app.corp_id, "at": time.time()}
    request.session.pop(SESSION_RETRIED, None)


def may_retry(request) -> bool:
    """True the first time a rejected code restarts sign-in; False after that."""
    if request.session.get(SESSION_RETRIED):
        return False
    request.session[SESSION_RETRIED] = True
    return True
