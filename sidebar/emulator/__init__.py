"""The WeCom emulator: the whole toolbar flow in an ordinary browser, for development.

It runs only with DEBUG on and WECOM_EMULATOR on (a system check refuses the combination
with DEBUG off, and every emulator route answers 404 unless both are on). Its scripts are
served by its own views, never collected into the production static files. The app's own
code paths stay the production ones: it reaches the stand-in only through the WECOM_* URLs.
"""

from django.conf import settings


def enabled() -> bool:
    return bool(settings.DEBUG and settings.WECOM_EMULATOR)
