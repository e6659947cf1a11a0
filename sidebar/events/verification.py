"""When WeCom last verified the callback URL (the admin console's 保存 sends a signed GET):
kept in the shared cache for the configuration doctor (sidebar.doctor)."""

import time

from django.core.cache import caches

KEY = "wecom:callback-verified-at"


def record() -> None:
    caches["default"].set(KEY, time.time(), timeout=None)


def last() -> float | None:
    """The time of the last verification, or None when none is known."""
    return caches["default"].get(KEY)
