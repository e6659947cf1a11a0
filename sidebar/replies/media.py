"""WeCom media_ids for the files of picture, video and file replies.

A reply's file is uploaded to WeCom's temporary media (media/upload) when it is first sent,
and its media_id is reused until it nears the end of its three-day life. The media_id and its
upload time are kept in the shared cache and in the database (MediaUpload), per app and per
file content and name, so every process, and the next deployment, reuses it. Many staff
sending the same new picture at once cause one upload: one worker uploads under a lock in the
shared cache, the others wait for its media_id (sidebar.wecom.single_flight). While the shared
cache is down, each process serialises its own uploads and the database still shares results.
"""

import functools
import hashlib
import logging
import mimetypes
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.utils import timezone

from sidebar import in_process
from sidebar.replies import filetypes, serving
from sidebar.replies.models import MediaUpload, Reply
from sidebar.wecom.single_flight import SharedCacheError, single_flight

logger = logging.getLogger(__name__)

# A media_id is replaced when less than this share of its life is left (at most 6 hours):
# never one that could expire between the page asking and the client sending.
REFRESH_SHARE = 0.1
REFRESH_MARGIN_MAX = 6 * 3600


def lifetime() -> float:
    """How long WeCom keeps temporary media (WECOM_MEDIA_LIFETIME, three days)."""
    return float(settings.WECOM_MEDIA_LIFETIME)


def usable_for() -> float:
    """How long after its upload a media_id is still handed out."""
    life = lifetime()
    return life - min(life * REFRESH_SHARE, REFRESH_MARGIN_MAX)


def media_id(*, client, reply: Reply) -> str:
    """The media_id to send `reply`'s file by: a fresh one, uploaded now if need be."""
    key = _key(client, reply)
    read = functools.partial(_read, key, client, reply)
    produce = functools.partial(_upload, key, client, reply)
    try:
        return single_flight(
            caches["wecom"],
            key + ":lock",
            read=read,
            produce=produce,
            lock_timeout=client.app.upload_timeout + 10,
        )
    except SharedCacheError:
        logger.warning("Shared cache unreachable; uploads of this file are per process")
    with in_process.held(key):
        return read() or produce()


def forget(*, client, reply: Reply, stale: str) -> None:
    """The client could not send `stale` (expired early, or unknown to WeCom): drop it, unless
    another worker has already replaced it, so the next send uploads again."""
    key = _key(client, reply)
    try:
        cached = caches["wecom"].get(key)
        if cached and cached["media_id"] == stale:
            caches["wecom"].delete(key)
    except Exception:
        logger.warning("Shared cache unreachable; dropping the media_id from the database only")
    _rows(client, reply).filter(media_id=stale).delete()


# ---------------------------------------------------------------------------------------------


def _key(client, reply: Reply) -> str:
    name = hashlib.sha256(reply.upload_name.encode()).hexdigest()[:16]
    return f"media:{client.app.scope}:{reply.media_type}:{reply.upload_sha256}:{name}"


def _rows(client, reply: Reply):
    return MediaUpload.objects.filter(
        scope=client.app.scope,
        sha256=reply.upload_sha256,
        media_type=reply.media_type,
        filename=reply.upload_name,
    )


def _fresh(uploaded_at) -> bool:
    return uploaded_at + timedelta(seconds=usable_for()) > timezone.now()


def _read(key: str, client, reply: Reply) -> str | None:
    try:
        cached = caches["wecom"].get(key)
    except Exception:
        cached = None
    if cached and _fresh(cached["uploaded_at"]):
        return cached["media_id"]
    row = _rows(client, reply).first()
    if row is not None and _fresh(row.uploaded_at):
        _remember(key, row.media_id, row.uploaded_at)
        return row.media_id
    return None


def _upload(key: str, client, reply: Reply) -> str:
    with reply.upload.open("rb") as file:
        content = file.read()
    grant = client.upload_media(
        media_type=reply.media_type,
        filename=reply.upload_name,
        content=content,
        content_type=_content_type(reply),
    )
    uploaded_at = timezone.now()
    _store(client, reply, grant.value, uploaded_at)
    _remember(key, grant.value, uploaded_at)
    logger.info("Uploaded %s of reply %s to WeCom (%d bytes)", reply.kind, reply.pk, len(content))
    return grant.value


def _store(client, reply: Reply, value: str, uploaded_at) -> None:
    fields = {"media_id": value, "uploaded_at": uploaded_at}
    try:
        with transaction.atomic():
            _rows(client, reply).update_or_create(
                defaults=fields,
                scope=client.app.scope,
                sha256=reply.upload_sha256,
                media_type=reply.media_type,
                filename=reply.upload_name,
            )
    except IntegrityError:  # another process stored one at the same moment: keep ours too
        _rows(client, reply).update(**fields)


def _remember(key: str, value: str, uploaded_at) -> None:
    left = (uploaded_at + timedelta(seconds=usable_for()) - timezone.now()).total_seconds()
    if left <= 0:
        return
    try:
        caches["wecom"].set(
            key, {"media_id": value, "uploaded_at": uploaded_at}, timeout=int(left) or 1
        )
    except Exception:
        logger.warning("Shared cache unreachable; the media_id is kept in the database only")


def _content_type(reply: Reply) -> str:
    """What the upload says the file is: its shape for a picture or video (read from its
    bytes); for a file, what its name suggests, as WeCom shows it in the chat."""
    if reply.kind != "file":
        return filetypes.served_type(serving.shape(reply))
    return mimetypes.guess_type(reply.upload_name)[0] or filetypes.DOWNLOAD
