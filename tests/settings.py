"""Test settings: the project's own, with the WeCom URLs pointed at the stand-in by fixtures."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key")
os.environ.setdefault("DJANGO_DEBUG", "off")
# Real variables win over a developer's .env: keep the tests on SQLite and in-process caches
# (tests that need Redis start their own redis-server and point the caches at it).
# `python -m tests.on_postgres` runs them on a throwaway PostgreSQL cluster instead, which it
# names in SIDEBAR_TEST_DATABASE_URL.
os.environ["DATABASE_URL"] = os.environ.get("SIDEBAR_TEST_DATABASE_URL") or (
    "sqlite:///" + os.path.join(os.path.dirname(__file__), "test.sqlite3")
)
os.environ["REDIS_URL"] = ""

from sidebar.settings import *  # noqa: F403


def _scratch(prefix):
    """A directory for this test run only, removed when the run ends."""
    path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


# Each test gets its WeCom settings from the `standin` fixture; none leak in from a .env.
WECOM_CORP_ID = WECOM_AGENT_ID = WECOM_AGENT_SECRET = ""
# Generous: a busy CI machine must never turn a healthy stand-in answer into a timeout. Tests
# of timeouts set their own.
WECOM_TIMEOUT = 10.0
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Static files straight from the finders (no collectstatic needed to run the tests).
STATIC_ROOT = _scratch("sidebar-static-")
WHITENOISE_USE_FINDERS = True
STORAGES = {
    **STORAGES,  # noqa: F405
    # Tests render templates without running collectstatic first.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded reply files go to a scratch directory, never into the checkout.
MEDIA_ROOT = _scratch("sidebar-media-")
# The test database is a file, as in production, not Django's shared-cache in-memory default:
# tests where many threads write at once (media uploads, sign-ins) then meet SQLite's real
# locking (IMMEDIATE transactions that wait), not "table is locked" errors of shared cache.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(_scratch("sidebar-db-"), "test.sqlite3")
    }
