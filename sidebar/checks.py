"""System checks, shown by `manage.py check`.

Stable ids: sidebar.W001 … W005 (the WeCom app settings), sidebar.W010 (no shared cache).

Missing WeCom settings are warnings, not errors: the app must still start, migrate and serve
its page, which names the missing variable to whoever opens it."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

from sidebar.wecom.config import setting_problems


@register(Tags.compatibility)
def check_wecom_settings(app_configs, **kwargs):
    return [
        Warning(
            f"{problem.setting} is not set or not valid.",
            hint=f"Set {problem.setting} in the environment or .env: {problem.hint}.",
            id=problem.check_id,
        )
        for problem in setting_problems()
    ]


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    if settings.REDIS_URL:
        return []
    return [
        Warning(
            "REDIS_URL is not set: tokens, tickets and lookups are cached per process.",
            hint="With several worker processes, set REDIS_URL so they share one access_token "
            "and one pair of tickets (WeCom allows 100 ticket fetches per app per hour).",
            id="sidebar.W010",
        )
    ]
