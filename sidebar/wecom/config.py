"""The self-built WeCom app this deployment serves, read from settings in one place.

Both the system checks and the runtime use `setting_problems()`, so `manage.py check` and the
page name the same missing variable.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.signals import setting_changed

from sidebar.exceptions import ConfigurationError
from sidebar.wecom.callback_crypto import AES_KEY, TOKEN, CallbackCrypto


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# (setting, check id, is it acceptable?, what to set)
_RULES = [
    ("WECOM_CORP_ID", "sidebar.W001", bool, "the corp ID (企业ID) from 我的企业 → 企业信息"),
    (
        "WECOM_AGENT_ID",
        "sidebar.W002",
        lambda v: v.isdigit(),
        "the AgentId of the self-built app (a number, from 应用管理 → the app)",
    ),
    ("WECOM_AGENT_SECRET", "sidebar.W003", bool, "the Secret of the same self-built app"),
    (
        "WECOM_API_BASE_URL",
        "sidebar.W004",
        _is_http_url,
        "scheme and host of the WeCom API, e.g. https://qyapi.weixin.qq.com",
    ),
    (
        "WECOM_OAUTH_AUTHORIZE_URL",
        "sidebar.W005",
        _is_http_url,
        "the OAuth authorize URL, e.g. https://open.weixin.qq.com/connect/oauth2/authorize",
    ),
]


@dataclass(frozen=True)
class SettingProblem:
    setting: str
    check_id: str
    hint: str


def setting_problems() -> list[SettingProblem]:
    """The WeCom settings that are missing or malformed, in a stable order."""
    problems = []
    for name, check_id, acceptable, hint in _RULES:
        value = str(getattr(settings, name, "") or "").strip()
        if not acceptable(value):
            problems.append(SettingProblem(setting=name, check_id=check_id, hint=hint))
    return problems


@dataclass(frozen=True)
class WeComApp:
    corp_id: str
    agent_id: str
    secret: str = field(repr=False)
    api_base_url: str
    oauth_authorize_url: str
    timeout: float
    max_concurrent_calls: int = 6
    upload_timeout: float = 120.0
    max_concurrent_uploads: int = 2

    @property
    def scope(self) -> str:
        """What cache keys are namespaced by: two apps in one corp never share a ticket."""
        return f"{self.corp_id}:{self.agent_id}"


_configured: WeComApp | None = None


def get_app() -> WeComApp:
    """The configured app; raises ConfigurationError naming what is missing.

    Read from settings once and kept until a WECOM_ setting changes: every staff request asks
    for it, and building it (the checks included) cost a lookup 20 µs twice over."""
    global _configured
    app = _configured
    if app is None:
        app = _configured = _read_app()
    return app


def _read_app() -> WeComApp:
    problems = setting_problems()
    if problems:
        raise ConfigurationError([p.setting for p in problems])
    return WeComApp(
        corp_id=settings.WECOM_CORP_ID.strip(),
        agent_id=settings.WECOM_AGENT_ID.strip(),
        secret=settings.WECOM_AGENT_SECRET.strip(),
        api_base_url=settings.WECOM_API_BASE_URL.strip().rstrip("/"),
        oauth_authorize_url=settings.WECOM_OAUTH_AUTHORIZE_URL.strip(),
        timeout=float(settings.WECOM_TIMEOUT),
        max_concurrent_calls=int(settings.WECOM_MAX_CONCURRENT_CALLS),
        upload_timeout=float(settings.WECOM_UPLOAD_TIMEOUT),
        max_concurrent_uploads=int(settings.WECOM_MAX_CONCURRENT_UPLOADS),
    )


def _forget_app(*, setting, **kwargs) -> None:
    global _configured, _callback
    if setting.startswith("WECOM_"):
        _configured = None
        _callback = _UNREAD


setting_changed.connect(_forget_app)


# What the admin console names the domain-ownership file: WW_verify_ and a code. The URL
# pattern that serves it (sidebar/urls.py) is built from this too.
VERIFY_FILE_PATTERN = r"WW_verify_[A-Za-z0-9]+\.txt"
VERIFY_FILE_NAME = re.compile(rf"\A{VERIFY_FILE_PATTERN}\Z")


def verification_file() -> Path | None:
    """WECOM_VERIFY_FILE when it is set and named as the admin console names it, else None."""
    value = str(getattr(settings, "WECOM_VERIFY_FILE", "") or "").strip()
    if not value:
        return None
    path = Path(value)
    return path if VERIFY_FILE_NAME.match(path.name) else None


_UNREAD = object()
_callback = _UNREAD


def callback_crypto() -> CallbackCrypto | None:
    """The CallbackCrypto of the app's callback, or None when WECOM_CALLBACK_TOKEN and
    WECOM_CALLBACK_AES_KEY are not (both, validly) set (sidebar.W007 says which). Read from
    settings once, until a WECOM_ setting changes: every lookup asks (services)."""
    global _callback
    found = _callback
    if found is _UNREAD:
        found = _callback = _read_callback()
    return found


def _read_callback() -> CallbackCrypto | None:
    if callback_problem() is not None or not settings.WECOM_CALLBACK_TOKEN:
        return None
    return CallbackCrypto(
        token=settings.WECOM_CALLBACK_TOKEN.strip(),
        encoding_aes_key=settings.WECOM_CALLBACK_AES_KEY.strip(),
        receive_id=str(settings.WECOM_CORP_ID).strip(),
    )


def callback_problem() -> str | None:
    """What is wrong with the callback settings, in a sentence; None when both are valid or
    both are empty (no callback)."""
    token = str(settings.WECOM_CALLBACK_TOKEN or "").strip()
    key = str(settings.WECOM_CALLBACK_AES_KEY or "").strip()
    if not token and not key:
        return None
    if not token or not key:
        missing = "WECOM_CALLBACK_TOKEN" if not token else "WECOM_CALLBACK_AES_KEY"
        return f"{missing} is not set, though the other callback setting is."
    if not TOKEN.match(token):
        return "WECOM_CALLBACK_TOKEN is not 1 to 32 letters and digits."
    if not AES_KEY.match(key):
        return f"WECOM_CALLBACK_AES_KEY is not 43 letters and digits ({len(key)} characters)."
    return None
