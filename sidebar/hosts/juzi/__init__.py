"""Juzi's (句子互动) system sidebar: its OAuth, which names the hosted WeCom account and the Juzi
user operating it, and the page Juzi frames (docs/hosts.md, "Juzi")."""

import threading
from urllib.parse import urlsplit

from django.conf import settings
from django.core.signals import setting_changed

from sidebar.exceptions import ConfigurationError
from sidebar.hosts.juzi.client import JuziOAuth

_lock = threading.Lock()
_oauth: dict[tuple, JuziOAuth] = {}


def get_oauth() -> JuziOAuth:
    """The OAuth client for JUZI_OAUTH_BASE_URL (one per configuration, so its pooled session
    lives as long as the process); raises ConfigurationError when Juzi is not configured."""
    missing = [name for name in ("JUZI_OAUTH_BASE_URL", "JUZI_HELPER_URL") if not _is_url(name)]
    if missing:
        raise ConfigurationError(missing)
    key = (settings.JUZI_OAUTH_BASE_URL, settings.JUZI_TIMEOUT)
    with _lock:
        if key not in _oauth:
            _oauth.clear()
            _oauth[key] = JuziOAuth(base_url=key[0], timeout=key[1])
        return _oauth[key]


def helper_origin() -> str:
    """The scheme and host JUZI_HELPER_URL is served from (for the page's CSP)."""
    parts = urlsplit(settings.JUZI_HELPER_URL)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _is_url(name: str) -> bool:
    parts = urlsplit(getattr(settings, name, "") or "")
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _forget(**kwargs) -> None:
    if kwargs["setting"].startswith("JUZI_"):
        with _lock:
            _oauth.clear()


setting_changed.connect(_forget)
