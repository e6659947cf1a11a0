"""The WeCom API client. `get_client()` returns the process-wide client for the configured app."""

import threading

from django.conf import settings
from django.core.signals import setting_changed

from sidebar.wecom.client import WeComClient
from sidebar.wecom.config import WeComApp, get_app

_lock = threading.Lock()
_clients: dict[tuple, WeComClient] = {}


def get_client() -> WeComClient:
    """The client for the configured app; raises ConfigurationError if settings are missing.

    One per configuration, so its pooled HTTP session and in-process credential copies live as
    long as the process.
    """
    app: WeComApp = get_app()
    key = (app, settings.WECOM_TOKEN_SAFETY_MARGIN, settings.WECOM_ERROR_COOLDOWN)
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = WeComClient.for_app(
                app,
                safety_margin=settings.WECOM_TOKEN_SAFETY_MARGIN,
                error_cooldown=settings.WECOM_ERROR_COOLDOWN,
            )
            _clients.clear()
            _clients[key] = client
        return client


def _forget_clients(**kwargs) -> None:
    if kwargs["setting"].startswith("WECOM_") or kwargs["setting"] == "CACHES":
        with _lock:
            _clients.clear()


setting_changed.connect(_forget_clients)
