"""System checks. Those about a deployment's settings run with `manage.py check --deploy`
(docs/deploying.md): in a development clone, where the emulator stands in for WeCom, they
would only repeat themselves under every command.

Stable ids: sidebar.W001 … W005 (the WeCom app settings), sidebar.W006 (the domain-ownership
file), sidebar.W007 (the callback's Token and EncodingAESKey), sidebar.W010 (no shared cache),
sidebar.E001 (emulator mode requested in production).

Missing WeCom settings are warnings, not errors: the app must still start, migrate and serve
its page, which names the missing variable to whoever opens it."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from sidebar.wecom.config import callback_problem, setting_problems, verification_file


@register(Tags.compatibility, deploy=True)
def check_wecom_settings(app_configs, **kwargs):
    return [
        Warning(
            f"{problem.setting} is not set or not valid.",
            hint=f"Set {problem.setting} in the environment or .env: {problem.hint}.",
            id=problem.check_id,
        )
        for problem in setting_problems()
    ]


@register(Tags.compatibility, deploy=True)
def check_verification_file(app_configs, **kwargs):
    value = str(settings.WECOM_VERIFY_FILE or "").strip()
    if not value:
        return []
    path = verification_file()
    if path is None or not path.is_file():
        return [
            Warning(
                f"WECOM_VERIFY_FILE ({value}) is not a readable WW_verify_*.txt file.",
                hint="Set it to the path of the file the admin console offers for download "
                "when you set the app's trusted domain (网页授权及JS-SDK → 可信域名), keeping "
                "its name; the app serves it at the site root.",
                id="sidebar.W006",
            )
        ]
    return []


@register(Tags.compatibility, deploy=True)
def check_callback_settings(app_configs, **kwargs):
    problem = callback_problem()
    if problem is None:
        return []
    return [
        Warning(
            problem,
            hint="Copy both from the app's 接收消息 → 设置API接收 in the WeCom admin console "
            "(the Token: letters and digits, at most 32; the EncodingAESKey: 43 letters and "
            "digits), or leave both empty to run without WeCom's change events.",
            id="sidebar.W007",
        )
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


@register(Tags.security)
def check_emulator_is_development_only(app_configs, **kwargs):
    if settings.WECOM_EMULATOR and not settings.DEBUG:
        return [
            Error(
                "WECOM_EMULATOR is on but DJANGO_DEBUG is off.",
                hint="The WeCom emulator is for development only and stays off in production: "
                "unset WECOM_EMULATOR, or turn DJANGO_DEBUG on for a local run.",
                id="sidebar.E001",
            )
        ]
    return []
