"""What every sidebar page hands its script (the `sidebar-boot` JSON), whatever its host."""

import functools

from django.middleware.csrf import get_token
from django.urls import get_script_prefix, reverse

from sidebar.replies import rules
from sidebar.useragent import client_of


def page_boot(request, *, host: str, **extra) -> dict:
    return {
        "host": host,
        "csrfToken": get_token(request),
        "endpoints": _endpoints(get_script_prefix()),
        # Where this client can send replies from (the library tab shows there).
        "sendEntries": rules.send_entries(client_of(request)),
        **extra,
    }


@functools.cache
def _endpoints(script_prefix: str) -> dict:
    """The URLs the script calls; they change only with the prefix the site is served under."""
    return {
        "lookup": reverse("sidebar:lookup", args=["KIND"]),
        "home": reverse("sidebar:home"),
        "signatures": reverse("sidebar:signatures"),
        "reports": reverse("sidebar:reports"),
        "library": reverse("sidebar:replies:library"),
    }
