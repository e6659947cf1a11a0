"""Project settings, read from the environment. Every variable is listed in docs/configuration.md
and .env.example.

Variables may also come from a file: DJANGO_ENV_FILE names it (a deployment sets
/etc/sidebar/sidebar.env; empty reads no file), and by default a development `.env` in the
project directory is read when present. Real environment variables always win over the file.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from sidebar import log_filters, redis_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if "DJANGO_ENV_FILE" in os.environ:
    ENV_FILE = os.environ["DJANGO_ENV_FILE"]
    if ENV_FILE and not Path(ENV_FILE).is_file():
        raise ImproperlyConfigured(f"DJANGO_ENV_FILE names {ENV_FILE}, which is not a file.")
else:
    ENV_FILE = str(BASE_DIR / ".env") if (BASE_DIR / ".env").is_file() else ""
if ENV_FILE:
    environ.Env.read_env(ENV_FILE, overwrite=False)

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
# HTTPS only: plain-HTTP requests are redirected (nginx does it first; this covers any other
# way in), except the health probe, which a local monitor makes over plain HTTP, and the
# domain-ownership file, which WeCom may fetch over plain HTTP.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$", r"^WW_verify_[A-Za-z0-9]+\.txt$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
# The site is its own host name (the app's trusted domain), so its subdomains are covered too.
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
# HSTS preloading is a decision for whoever owns the registrable domain, not for one app on
# one of its hosts: Django's reminder about it (security.W021) does not apply here.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "sidebar.apps.SidebarConfig",
    "sidebar.replies.apps.RepliesConfig",
    "sidebar.records.apps.RecordsConfig",
    "sidebar.events.apps.EventsConfig",
]

MIDDLEWARE = [
    # First: a request the app cannot read gets a plain 4xx before anything parses it again.
    "sidebar.middleware.RejectUnreadableRequestsMiddleware",
    # The emulator's client user agent (a no-op unless the emulator is on).
    "sidebar.emulator.middleware.EmulatedUserAgentMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sidebar.middleware.ResponseHeadersMiddleware",
    # Sees the session and CSRF cookies set below: third-party-frame cookies for Juzi.
    "sidebar.hosts.juzi.framing.JuziCookiesMiddleware",
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
# Connections persist across requests (opening one costs more than a whole cached lookup:
# docs/speed.md), and one that has been idle is checked before a request reuses it, so a
# database restart costs one reconnect, not an error page (sidebar/db/health.py).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "sidebar.db.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several workers and threads share the embedded database. WAL lets readers run beside
    # the one writer; synchronous=NORMAL syncs at checkpoints instead of on every commit
    # (a crash of the app loses nothing; a power cut may lose the last commits). Writers take
    # the lock up front and wait for it, rather than failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Caches. "default" holds sessions and contact lookups and shrugs off a Redis outage (a miss);
# "wecom" holds tokens and tickets and reports outages, so the credential store can fall back
# to its in-process copy instead of treating an outage as an empty cache.
# With Redis Sentinel (docs/deploying.md, "Redis with Sentinel"), REDIS_SENTINELS lists the
# sentinels and REDIS_URL names the master they watch (redis://mymaster/0); every read and
# write goes to the current master, since a replica may not yet hold a token just refreshed.
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_SENTINELS = [
    redis_config.sentinel_address(address) for address in env.list("REDIS_SENTINELS", default=[])
]
REDIS_SENTINEL_PASSWORD = env.str("REDIS_SENTINEL_PASSWORD", default="")
if REDIS_SENTINELS and not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_SENTINELS is set but REDIS_URL is not: set REDIS_URL to the master's name the "
        "sentinels watch, e.g. redis://mymaster/0."
    )
if REDIS_URL:

    def _redis_cache(*, ignore_exceptions):
        options = {
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 1.0,
            "IGNORE_EXCEPTIONS": ignore_exceptions,
        }
        if REDIS_SENTINELS:
            options.update(redis_config.sentinel_options(REDIS_SENTINELS, REDIS_SENTINEL_PASSWORD))
        return {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "sidebar",
            "OPTIONS": options,
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
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "sidebar.static_vendor.VendorFinder",
]
# Installed by npm from package-lock.json, served by us: the official JS-SDK, and Chart.js
# for the admin overview. Only these files, not the packages' whole dist/ (static_vendor.py).
NODE_MODULES = BASE_DIR / "node_modules"
VENDOR_STATIC = {
    "vendor/wecom-jssdk/wecom.global.prod.js": NODE_MODULES
    / "@wecom/jssdk/dist/wecom.global.prod.js",
    "vendor/chartjs/chart.umd.min.js": NODE_MODULES / "chart.js/dist/chart.umd.min.js",
    # The file names its source map; a reference to a missing file fails collectstatic.
    "vendor/chartjs/chart.umd.min.js.map": NODE_MODULES / "chart.js/dist/chart.umd.min.js.map",
}
# Uploaded reply files (pictures, videos, files, covers) go through Django's storage API: a
# local directory by default, any STORAGES backend in production (docs/replies.md).
# They are served by the app's own views, never from MEDIA_URL, so no bucket is ever public.
MEDIA_ROOT = env.str("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {
        "BACKEND": env.str(
            "DJANGO_FILE_STORAGE", default="django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": env.json("DJANGO_FILE_STORAGE_OPTIONS", default={}),
    },
    # Hashed names, so WhiteNoise can serve them with a year-long, immutable cache lifetime.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Nothing frames our pages. The sidebar's own CSP (frame-ancestors 'self', which browsers
# honour over this header) lets the development-only emulator frame it.
X_FRAME_OPTIONS = "DENY"
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
# Uploading a reply's file to WeCom (up to 20 MB) may take longer than an ordinary call. It
# runs on the process's own upload threads, never a request's, so the bound can be generous:
# an upload cut short may have reached WeCom anyway, and is then uploaded a second time.
WECOM_UPLOAD_TIMEOUT = env.float("WECOM_UPLOAD_TIMEOUT", default=120.0)
# Upload threads per process (each with its own WeCom call slot, apart from the lookups').
WECOM_MAX_CONCURRENT_UPLOADS = env.int("WECOM_MAX_CONCURRENT_UPLOADS", default=2)
# How long WeCom keeps an uploaded file's media_id (three days); it is replaced before then.
WECOM_MEDIA_LIFETIME = env.int("WECOM_MEDIA_LIFETIME", default=3 * 24 * 3600)
# Tokens and tickets are cached for expires_in minus this margin.
WECOM_TOKEN_SAFETY_MARGIN = env.int("WECOM_TOKEN_SAFETY_MARGIN", default=300)
# After WeCom rejects our credentials (bad secret, untrusted IP, rate limit), nobody asks
# again for this long: repeated bad-secret calls get the server's IP blocked for an hour.
WECOM_ERROR_COOLDOWN = env.int("WECOM_ERROR_COOLDOWN", default=60)
WECOM_CONTACT_CACHE_SECONDS = env.int("WECOM_CONTACT_CACHE_SECONDS", default=60)
# How many WeCom calls one process makes at once. A slow WeCom then holds at most this many
# threads; sign-in and credential calls may use all of them, lookups all but a third, and a
# call that finds no free slot waits up to 2 s while WeCom is quick, and is refused unsent
# while it is slow (docs/deploying.md).
WECOM_MAX_CONCURRENT_CALLS = env.int("WECOM_MAX_CONCURRENT_CALLS", default=6)
# The domain-ownership file from the admin console (WW_verify_*.txt), served at the site root.
WECOM_VERIFY_FILE = env.str("WECOM_VERIFY_FILE", default="")
# The app's callback (接收消息 → 设置API接收): WeCom posts customer, group and tag changes to
# /wecom/events/, signed with this Token and encrypted with this EncodingAESKey (43 characters).
WECOM_CALLBACK_TOKEN = env.str("WECOM_CALLBACK_TOKEN", default="")
WECOM_CALLBACK_AES_KEY = env.str("WECOM_CALLBACK_AES_KEY", default="")
# With the callback configured, WeCom's events keep cached customers and groups fresh: they are
# kept this long instead of WECOM_CONTACT_CACHE_SECONDS (docs/events.md).
WECOM_EVENT_CACHE_SECONDS = env.int("WECOM_EVENT_CACHE_SECONDS", default=6 * 3600)
# A staff member whom a customer deleted gets a WeCom app message naming the customer (流失提醒).
WECOM_CHURN_ALERTS = env.bool("WECOM_CHURN_ALERTS", default=True)
# Development only (requires DEBUG): the WeCom emulator at /emulator/ (see `manage.py emulate`).
WECOM_EMULATOR = env.bool("WECOM_EMULATOR", default=False)

# Juzi's (句子互动) system sidebar: the same page at /sidebar/juzi/ (docs/juzi.md).
# Juzi's OAuth host (the region's console, e.g. https://…) and its helper script's URL.
JUZI_OAUTH_BASE_URL = env.str("JUZI_OAUTH_BASE_URL", default="")
JUZI_HELPER_URL = env.str("JUZI_HELPER_URL", default="")
# The origins allowed to frame the Juzi page (Juzi's console), besides this site itself.
JUZI_FRAME_ANCESTORS = env.list("JUZI_FRAME_ANCESTORS", default=[])
JUZI_TIMEOUT = env.float("JUZI_TIMEOUT", default=5.0)
# How long the signed address of a picture, video or file sent in Juzi works.
JUZI_FILE_URL_SECONDS = env.int("JUZI_FILE_URL_SECONDS", default=3600)

# The site's public address (e.g. https://sidebar.example.com): where the follow-up reminders
# that `manage.py send_reminders` sends to staff link to.
SIDEBAR_PUBLIC_URL = env.str("SIDEBAR_PUBLIC_URL", default="")
# /metrics answers a scraper on this host (the loopback interface), or one sending this as a
# bearer token; empty: the loopback only (sidebar/metrics.py).
SIDEBAR_METRICS_TOKEN = env.str("SIDEBAR_METRICS_TOKEN", default="")

# Audit log rows older than this are deleted by `manage.py prune_lookups`.
DJANGO_AUDIT_RETENTION_DAYS = env.int("DJANGO_AUDIT_RETENTION_DAYS", default=180)
# What Django admin calls itself (its header and page titles); empty: the product's name.
DJANGO_ADMIN_TITLE = env.str("DJANGO_ADMIN_TITLE", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # One line per kind of message a minute; no secret and no raw control character.
    "filters": log_filters.FILTERS,
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": list(log_filters.FILTERS)},
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # urllib3 logs full request lines (with access_token) at DEBUG; keep it quiet.
        "urllib3": {"level": "WARNING"},
    },
}
