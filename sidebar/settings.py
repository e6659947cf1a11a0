"""Project settings, read from the environment (a `.env` file is read when present;
real environment variables win). Every variable is listed in README.md and .env.example."""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="insecure-debug-only-key")
else:
    # No default: a production deployment without a secret key must not start.
    SECRET_KEY = env.str("DJANGO_SECRET_KEY")

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# Behind a TLS-terminating proxy the page must sign the URL the client sees (https, public
# host). Turn these on only when the proxy sets the headers and strips client-sent copies.
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
USE_X_FORWARDED_HOST = env.bool("DJANGO_USE_X_FORWARDED_HOST", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "sidebar.apps.SidebarConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sidebar.middleware.ResponseHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "sidebar.urls"
WSGI_APPLICATION = "sidebar.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several workers share the embedded database: take the write lock up front and wait for
    # it, rather than failing with "database is locked" under concurrent sign-ins.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Caches. "default" holds sessions and contact lookups and shrugs off a Redis outage (a miss);
# "wecom" holds tokens and tickets and reports outages, so the credential store can fall back
# to its in-process copy instead of treating an outage as an empty cache.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:

    def _redis_cache(*, ignore_exceptions):
        return {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "sidebar",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 1.0,
                "IGNORE_EXCEPTIONS": ignore_exceptions,
            },
        }

    CACHES = {
        "default": _redis_cache(ignore_exceptions=True),
        "wecom": _redis_cache(ignore_exceptions=False),
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "d"},
        "wecom": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "w"},
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_SECONDS", default=8 * 3600)
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "sidebar" / "locale"]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # The official JS-SDK, installed by npm from package-lock.json and served by us.
    ("vendor/wecom-jssdk", BASE_DIR / "node_modules" / "@wecom" / "jssdk" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names, so WhiteNoise can serve them with a year-long, immutable cache lifetime.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

X_FRAME_OPTIONS = "SAMEORIGIN"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# WeCom: the self-built app whose chat toolbar opens the page.
WECOM_CORP_ID = env.str("WECOM_CORP_ID", default="")
WECOM_AGENT_ID = env.str("WECOM_AGENT_ID", default="")
WECOM_AGENT_SECRET = env.str("WECOM_AGENT_SECRET", default="")
WECOM_API_BASE_URL = env.str("WECOM_API_BASE_URL", default="https://qyapi.weixin.qq.com")
WECOM_OAUTH_AUTHORIZE_URL = env.str(
    "WECOM_OAUTH_AUTHORIZE_URL", default="https://open.weixin.qq.com/connect/oauth2/authorize"
)
WECOM_TIMEOUT = env.float("WECOM_TIMEOUT", default=5.0)
# Tokens and tickets are cached for expires_in minus this margin.
WECOM_TOKEN_SAFETY_MARGIN = env.int("WECOM_TOKEN_SAFETY_MARGIN", default=300)
# After WeCom rejects our credentials (bad secret, untrusted IP, rate limit), nobody asks
# again for this long: repeated bad-secret calls get the server's IP blocked for an hour.
WECOM_ERROR_COOLDOWN = env.int("WECOM_ERROR_COOLDOWN", default=60)
WECOM_CONTACT_CACHE_SECONDS = env.int("WECOM_CONTACT_CACHE_SECONDS", default=60)
# Development only (requires DEBUG): the WeCom emulator at /emulator/ (see `manage.py emulate`).
WECOM_EMULATOR = env.bool("WECOM_EMULATOR", default=False)

# Audit log rows older than this are deleted by `manage.py prune_lookups`.
DJANGO_AUDIT_RETENTION_DAYS = env.int("DJANGO_AUDIT_RETENTION_DAYS", default=180)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "sidebar.log_filters.RedactSecretsFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # urllib3 logs full request lines (with access_token) at DEBUG; keep it quiet.
        "urllib3": {"level": "WARNING"},
    },
}
