"""What a person is told when something goes wrong: what happened, and who can fix it how.

One place turns our errors into words, so the page, the lookup panel and the sign-in pages say
the same thing about the same errcode. No token, ticket or secret is ever part of a message.
"""

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sidebar.exceptions import (
    ConfigurationError,
    WeComAPIError,
    WeComError,
    WeComOverloaded,
    WeComTimeout,
    WeComTransportError,
    WeComWritesBusy,
)


@dataclass(frozen=True)
class Explanation:
    title: str | Promise
    detail: str | Promise
    action: str | Promise = ""  # for the person reading it: what to do, or whom to ask
    errcode: int | None = None
    http_status: int = 502
    # For whoever fixes it (setting names, codes): shown folded under 技术细节. Marked with
    # the "technical" context so tests/test_voice.py knows staff do not read it unfolded.
    technical: str | Promise = ""


_SECRET_REJECTED = (
    _("The app's secret was rejected by WeCom"),
    _("Tell the administrator: WeCom does not accept the sidebar app's secret."),
    503,
    pgettext_lazy(
        "technical", "Check WECOM_AGENT_SECRET (the Secret of this app) and WECOM_CORP_ID."
    ),
)

_MEDIA_SIZE = (
    _("The file is too large or too small for WeCom"),
    _(
        "Administrator: pictures and videos may be at most 10 MB, files 20 MB, and none 5 bytes "
        "or less; replace the file in the reply library."
    ),
    502,
)

# errcode -> (title, what to do, HTTP status for a full page[, technical details])
_BY_ERRCODE = {
    60020: (
        _("This server's IP address is not trusted by the WeCom app"),
        _(
            "WeCom admin: add the server's outbound IP to the app's trusted IPs (企业可信IP). "
            "It takes about a minute to apply."
        ),
        503,
    ),
    48002: (
        _("The app may not read customer data"),
        _(
            "WeCom admin: in 客户与上下游 (older consoles: 客户联系) → 客户 → API, add this "
            "self-built app to the apps that may call the API (可调用接口的应用)."
        ),
        503,
    ),
    45009: (
        _("WeCom's rate limit was reached"),
        _("Wait a minute, then refresh. If it keeps happening, tell the administrator."),
        503,
    ),
    40068: (
        _("WeCom does not know one of these tags"),
        _("The tag may have just been deleted in the admin console. Refresh and try again."),
        409,
    ),
    45033: (
        _("WeCom is handling too many requests from this app at once"),
        _("Wait a moment, then refresh."),
        503,
    ),
    84061: (
        _("This person is not your customer in WeCom"),
        _(
            "There is no customer relationship for this chat: the customer may have removed "
            "you, or the chat is not with an added customer."
        ),
        404,
    ),
    40096: (
        _("WeCom does not recognise this customer"),
        _("Reopen the page from the chat. If it persists, tell the administrator."),
        404,
    ),
    90501: (
        _("This is not a customer group"),
        _("Open the page from the toolbar of a customer group to see it here."),
        404,
    ),
    90509: (
        _("This group is not one of this company's customer groups"),
        _("Only customer groups of this company can be shown here."),
        404,
    ),
    49008: (
        _("This group has been dissolved"),
        _("There is nothing left to show for it."),
        404,
    ),
    670001: (
        _("The app is not shared with this partner company"),
        _(
            "WeCom admin: share this app with the upstream/downstream company "
            "(上下游 → 共享应用) and make sure it accepted."
        ),
        503,
    ),
    60011: (
        _("The app cannot see this member or customer"),
        _("WeCom admin: check that you are within the app's visible range (可见范围)."),
        403,
    ),
    40001: _SECRET_REJECTED,
    40091: _SECRET_REJECTED,
    40013: (
        _("The corp ID was rejected by WeCom"),
        _("Tell the administrator: WeCom does not accept the company the sidebar is set up for."),
        503,
        pgettext_lazy("technical", "Check WECOM_CORP_ID (我的企业 → 企业信息 → 企业ID)."),
    ),
    40004: (
        _("WeCom does not accept this file's format"),
        _(
            "Administrator: pictures must be JPG or PNG and videos MP4; replace the file in the "
            "reply library."
        ),
        502,
    ),
    40006: _MEDIA_SIZE,
    40009: _MEDIA_SIZE,
    40011: _MEDIA_SIZE,
    44001: (
        _("WeCom received an empty file"),
        _("Administrator: upload the reply's file again in the reply library."),
        502,
    ),
    60111: (
        _("WeCom does not know this member"),
        _("Sign in again. If it persists, tell the administrator."),
        404,
    ),
    50001: (
        _("The sign-in address is not on the app's trusted domain"),
        _("WeCom admin: set the app's trusted domain (可信域名) to this site's host."),
        503,
    ),
}

_FROM_IP = re.compile(r"from ip:\s*([0-9a-fA-F.:]+)")


def explain(exc: Exception) -> Explanation:
    if isinstance(exc, ConfigurationError):
        return Explanation(
            title=_("This page is not set up yet"),
            detail=_("The server is missing some of its settings."),
            action=_("Tell the administrator."),
            http_status=503,
            technical=pgettext_lazy(
                "technical",
                "Missing or invalid settings: %(names)s. Set them (see README) and restart.",
            )
            % {"names": ", ".join(exc.missing)},
        )
    if isinstance(exc, WeComWritesBusy):
        return Explanation(
            title=_("Other customer edits are being saved right now"),
            detail=_("WeCom takes only a few edits of customers at once; nothing was changed."),
            action=_("Try again shortly."),
            http_status=503,
        )
    if isinstance(exc, WeComOverloaded):
        return Explanation(
            title=_("WeCom is answering slowly right now"),
            detail=_("Too many requests from this server are already waiting for WeCom."),
            action=_("Try again in a moment."),
            http_status=503,
        )
    if isinstance(exc, WeComTimeout):
        return Explanation(
            title=_("WeCom did not answer in time"),
            detail=_("The request to WeCom took too long."),
            action=_("Refresh to try again."),
            http_status=504,
        )
    if isinstance(exc, WeComTransportError):
        detail = _("The server could not get a readable answer from WeCom.")
        if exc.status_code:  # an HTTP status, never to be mistaken for a WeCom errcode
            detail = _("WeCom answered with HTTP status %(status)s instead of data.") % {
                "status": exc.status_code
            }
        return Explanation(
            title=_("Could not reach WeCom"),
            detail=detail,
            action=_("Refresh to try again. Administrator: check the server's outbound network."),
            http_status=502,
        )
    if isinstance(exc, WeComAPIError):
        known = _BY_ERRCODE.get(exc.errcode)
        if known:
            title, action, status, *technical = known
            detail = _("WeCom error code %(errcode)s.") % {"errcode": exc.errcode}
            ip = _FROM_IP.search(exc.errmsg or "")
            if exc.errcode == 60020 and ip:
                detail = _("WeCom error code %(errcode)s; WeCom saw the request from %(ip)s.") % {
                    "errcode": exc.errcode,
                    "ip": ip.group(1),
                }
            return Explanation(
                title,
                detail,
                action,
                errcode=exc.errcode,
                http_status=status,
                technical=technical[0] if technical else "",
            )
        return Explanation(
            title=_("WeCom refused the request"),
            detail=_("WeCom error code %(errcode)s.") % {"errcode": exc.errcode},
            action=_("Refresh to try again. If it persists, tell the administrator this code."),
            errcode=exc.errcode,
        )
    if isinstance(exc, WeComError):  # pragma: no cover - every subclass is handled above
        return Explanation(_("WeCom failed"), str(exc))
    raise exc


DENIED = Explanation(
    title=_("You do not follow this customer"),
    detail=_("Only staff members who have added this customer can see their profile here."),
    action=_("Ask a colleague who follows the customer, or add the customer yourself."),
    http_status=403,
)

GROUP_DENIED = Explanation(
    title=_("You are not in this customer group"),
    detail=_("Only the group's owner, its admins and its staff members can see it here."),
    action=_("Ask the group owner to add you to the group."),
    http_status=403,
)

KF_UNRESOLVED = Explanation(
    title=_("WeCom has no details of this customer right now"),
    detail=_(
        "WeChat customer service only shares a customer who wrote or entered the chat in "
        "the last 48 hours."
    ),
    action=_("The details appear once the customer writes again."),
    http_status=404,
)

INVALID_REQUEST = Explanation(
    title=_("This request could not be understood"),
    detail=_("The customer id or entry sent by the page is not valid."),
    action=_("Reopen the page from the chat toolbar."),
    http_status=400,
)

SESSION_EXPIRED = Explanation(
    title=_("Your sign-in has expired"),
    detail=_("The page needs to sign you in again."),
    action=_("Reload the page."),
    http_status=401,
)

RECORD_NOT_RECORDED = Explanation(
    title=_("This change could not be recorded, so it was not made"),
    detail=_(
        "Every change to a customer record is written to the audit log first, and the "
        "database did not answer just now."
    ),
    action=_("Try again in a moment. If it keeps happening, tell the administrator."),
    http_status=503,
)

LOOKUP_NOT_RECORDED = Explanation(
    title=_("This lookup could not be recorded, so it is not shown"),
    detail=_(
        "Every look at a customer or group is written to the audit log first, and the "
        "database did not answer just now."
    ),
    action=_("Tap Refresh in a moment. If it keeps happening, tell the administrator."),
    http_status=503,
)

SEND_NOT_RECORDED = Explanation(
    title=_("Not sent: the send could not be recorded"),
    detail=_(
        "Every send is written to the send log first, and the database did not answer just now."
    ),
    action=_("Try again in a moment. If it keeps happening, tell the administrator."),
    http_status=503,
)

DATABASE_DOWN = Explanation(
    title=_("The service is briefly unavailable"),
    detail=_("The database did not answer just now; nothing was lost."),
    action=_("Try again in a moment. If it keeps happening, tell the administrator."),
    http_status=503,
)

SERVER_FAULT = Explanation(
    title=_("Something went wrong on the server"),
    detail=_("The error has been logged for the administrator."),
    action=_("Try again. If it keeps happening, tell the administrator."),
    http_status=500,
)
