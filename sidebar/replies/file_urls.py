"""Addresses of reply files that a hosted sidebar fetches to send them (docs/hosts.md,
"Sending"): signed, expiring and unguessable, one per send, served by our own view. There is no
listing and no public bucket; a URL names one file, as it was when the URL was made, until it
expires (JUZI_FILE_URL_SECONDS).

The token is Django's HMAC signature (SECRET_KEY, its own salt) over the reply's id, a prefix of
the file's SHA-256 (a replaced file invalidates older URLs) and the expiry time.
"""

import time
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.urls import reverse

from sidebar.replies.models import Reply

SALT = "sidebar.replies.file-url"


class Unusable(Exception):
    """The token is forged, for another file, or expired."""


def _now() -> float:
    return time.time()


def signed_path(reply) -> str:
    """The path of a URL for `reply`'s file that works for JUZI_FILE_URL_SECONDS."""
    token = signing.dumps(
        {"r": reply.pk, "h": reply.upload_sha256[:16], "e": int(_now()) + lifetime()},
        salt=SALT,
        compress=False,
    )
    name = quote(reply.upload_name or "file", safe="")
    return reverse("sidebar:replies:shared-file", args=[token, name])


def lifetime() -> int:
    return max(1, settings.JUZI_FILE_URL_SECONDS)


def reply_for(token: str):
    """The reply whose file a live token names, as the file still is; raises Unusable."""
    try:
        claims = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise Unusable from None
    if not isinstance(claims, dict) or not isinstance(claims.get("e"), int):
        raise Unusable
    if _now() > claims["e"] or not isinstance(claims.get("r"), int):
        raise Unusable
    reply = Reply.objects.filter(pk=claims["r"]).first()
    if reply is None or not reply.upload_sha256 or reply.upload_sha256[:16] != claims.get("h"):
        raise Unusable
    return reply
