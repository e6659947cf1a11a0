"""How the Juzi page may be framed (docs/hosts.md, "Framing"). Juzi's console may show the page
in an iframe on its own origin, so the Juzi views allow the origins in JUZI_FRAME_ANCESTORS as
frame ancestors and load Juzi's helper script from JUZI_HELPER_URL's origin. The WeCom page
keeps its own policy (frame-ancestors 'self', X-Frame-Options DENY).

The session and CSRF cookies must reach the page inside a third-party frame too: for the Juzi
pages and every request of a session signed in through Juzi they are sent SameSite=None;
Secure; Partitioned (JuziCookiesMiddleware). Partitioned (CHIPS) keeps them to Juzi's console as
the top-level site, and is what current Chromium stores at all in a third-party frame, where
it blocks unpartitioned cookies. Browsers treat http://localhost and 127.0.0.1 as secure, so
development works over plain HTTP.
"""

from functools import wraps
from http.cookies import Morsel

from django.conf import settings
from django.views.decorators.clickjacking import xframe_options_exempt

from sidebar import hosts, signin
from sidebar.hosts.juzi import helper_origin
from sidebar.middleware import content_security_policy


def framed_by_juzi(view):
    """A Juzi view: its pages (the sidebar, sign-in problems) may be framed by Juzi's console."""

    @xframe_options_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        request.juzi_page = True  # JuziCookiesMiddleware: third-party-frame cookies
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = content_security_policy(
            script_origins=[origin for origin in [helper_origin()] if origin],
            frame_ancestors=settings.JUZI_FRAME_ANCESTORS,
        )
        return response

    return wrapper


class JuziCookiesMiddleware:
    """SameSite=None; Secure session and CSRF cookies for the Juzi pages and Juzi sessions.
    Sits before SessionMiddleware and CsrfViewMiddleware, so it sees the cookies they set."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        names = (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)
        cookies = [response.cookies[name] for name in names if name in response.cookies]
        if cookies and (getattr(request, "juzi_page", False) or _juzi_session(request)):
            for cookie in cookies:
                cookie["samesite"] = "None"
                cookie["secure"] = True
                # dict's own setter: SimpleCookie's would turn the morsel back into a plain one
                dict.__setitem__(response.cookies, cookie.key, PartitionedMorsel.of(cookie))
        return response


class PartitionedMorsel(Morsel):
    """A cookie with the Partitioned attribute, which Python's http.cookies (before 3.14)
    does not know."""

    @classmethod
    def of(cls, morsel: Morsel) -> "PartitionedMorsel":
        partitioned = cls()
        partitioned.set(morsel.key, morsel.value, morsel.coded_value)
        partitioned.update(morsel)
        return partitioned

    def OutputString(self, attrs=None):
        return super().OutputString(attrs) + "; Partitioned"


def _juzi_session(request) -> bool:
    session = getattr(request, "session", None)
    return session is not None and signin.host_of(request) == hosts.JUZI
