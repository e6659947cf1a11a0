"""The emulated client's user agent, for the server as well as the page.

A real WeCom webview sends `wxwork/<version>` and its platform in every request's User-Agent,
and the server decides from it what the client can do (which replies to offer, whether
enterChat works). The emulator runs in an ordinary browser, whose requests carry the browser's
own user agent, so its panel keeps the one it plays in a cookie and this middleware puts it
where the app reads it. It does nothing unless the emulator is on (never in production).
"""

from urllib.parse import unquote

from sidebar import emulator

COOKIE = "sidebar-emulator-ua"


class EmulatedUserAgentMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        played = request.COOKIES.get(COOKIE)
        if played and emulator.enabled():
            request.META["HTTP_USER_AGENT"] = unquote(played)[:512]  # the panel URL-encodes it
        return self.get_response(request)
