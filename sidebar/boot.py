"""What every sidebar page hands its script (the `sidebar-boot` JSON), whatever its host."""

import functools

from django.conf import settings
from django.middleware.csrf import get_token
from django.urls import get_script_prefix, reverse

from sidebar.forms import WECOM_ID
from sidebar.replies import rules
from sidebar.useragent import client_of


def page_boot(request, *, host: str, **extra) -> dict:
    return {
        "host": host,
        "csrfCookie": csrf_cookie(request),
        "endpoints": _endpoints(get_script_prefix()),
        # Where this client can send replies from (the library tab shows there).
        "sendEntries": rules.send_entries(client_of(request)),
        # A customer or group to show when the page is not opened from its chat (a reminder's
        # link: ?record=kind:id); the lookup checks, as always, that the staff member may.
        "open": opened_record(request.GET.get("record", "")),
        **extra,
    }


def csrf_cookie(request) -> str:
    """The name of the CSRF cookie, which the page's script reads its token from; set now
    when the browser has none (or none valid). A token in the page would be masked afresh
    for every request (Django's get_token, against BREACH): a fifth of the page's own work,
    and the one secret its HTML held (docs/speed.md)."""
    if "CSRF_COOKIE" not in request.META:
        get_token(request)
    return settings.CSRF_COOKIE_NAME


# ?record= kind -> the lookup that shows it and the field it posts the id in
RECORD_LOOKUPS = {
    "contact": ("contact", "external_userid"),
    "group": ("group", "chat_id"),
    "kf": ("kf", "external_userid"),
}


def opened_record(value: str) -> dict | None:
    kind, _, target = value[:200].partition(":")
    if kind not in RECORD_LOOKUPS or len(target) > 128 or not WECOM_ID.match(target):
        return None
    lookup, field = RECORD_LOOKUPS[kind]
    return {"kind": lookup, "id": target, "fields": {field: target}}


@functools.cache
def _endpoints(script_prefix: str) -> dict:
    """The URLs the script calls; they change only with the prefix the site is served under."""
    return {
        "lookup": reverse("sidebar:lookup", args=["KIND"]),
        "home": reverse("sidebar:home"),
        "signatures": reverse("sidebar:signatures"),
        "reports": reverse("sidebar:reports"),
        "library": reverse("sidebar:replies:library"),
        "mine": reverse("sidebar:replies:mine"),
    }
