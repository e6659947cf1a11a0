"""What the WeCom client tells about itself in its user agent: its version (`wxwork/4.1.30`,
the pattern the official SDK itself reads) and the platform it runs on. Both decide which
toolbar features the client has (docs/wecom.md, "Sending into the chat")."""

import functools
import re
from dataclasses import dataclass, replace

from sidebar.signin import host_of

_VERSION = re.compile(r"wxwork/([\d.]+)", re.IGNORECASE)

IOS, ANDROID, WINDOWS, MAC, OTHER = "ios", "android", "windows", "mac", "other"
MOBILE = (IOS, ANDROID)


@dataclass(frozen=True)
class WeComClient:
    version: tuple[int, ...] | None  # None: not the WeCom client
    platform: str
    # The host the page runs in: "wecom" (the client itself) or a hosted sidebar such as
    # "juzi" (docs/hosts.md), whose features do not depend on a WeCom version.
    host: str = "wecom"

    @property
    def is_hosted(self) -> bool:
        return self.host != "wecom"

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version)) if self.version else ""

    def at_least(self, version: str) -> bool:
        return self.version is not None and self.version >= parse_version(version)

    @property
    def is_mobile(self) -> bool:
        return self.platform in MOBILE


def parse_version(text: str) -> tuple[int, ...]:
    parts = [int(p) for p in text.split(".") if p.isdigit()]
    while parts and parts[-1] == 0:  # 3.1 and 3.1.0 are the same version
        parts.pop()
    return tuple(parts)


@functools.lru_cache(maxsize=512)
def wecom_client(user_agent: str) -> WeComClient:
    """The client a User-Agent names (remembered: every request of a webview sends the
    same one)."""
    found = _VERSION.search(user_agent or "")
    version = parse_version(found.group(1)) if found else None
    return WeComClient(version=version or None, platform=_platform(user_agent or ""))


def client_of(request) -> WeComClient:
    """The client that sent `request`: its User-Agent header, and the host its session was
    signed in through (a hosted sidebar's page runs in an ordinary browser)."""
    # META, not request.headers: that builds a dict of every header (a page's only use of it).
    client = wecom_client(request.META.get("HTTP_USER_AGENT", ""))
    host = host_of(request) if hasattr(request, "session") else "wecom"
    return client if host == "wecom" else replace(client, host=host)


def wecom_version(user_agent: str) -> str:
    """The version exactly as the client wrote it ('' when there is none)."""
    found = _VERSION.search(user_agent or "")
    return found.group(1)[:32] if found else ""


def _platform(user_agent: str) -> str:
    # iPhones say "like Mac OS X", so the phones are recognised first.
    if re.search(r"iPhone|iPad|iPod", user_agent):
        return IOS
    if "Android" in user_agent:
        return ANDROID
    if "Windows" in user_agent:
        return WINDOWS
    if "Macintosh" in user_agent or "Mac OS X" in user_agent:
        return MAC
    return OTHER
