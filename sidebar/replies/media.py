"""WeCom media_ids for the files of picture, video and file replies (docs/files.md, "Reaching
WeCom").

WeCom sends a reply's file by the media_id of a temporary upload (media/upload), which lives
three days. The media_id and its upload time are kept in the shared cache and in the database
(MediaUpload), per app and per file content and name, so every process, and the next
deployment, reuses it until it nears the end of its life.

Uploads never run on a request thread, however slow WeCom is. They run on this process's upload
threads (sidebar.background: WECOM_MAX_CONCURRENT_UPLOADS of them, with their own WeCom call
slots, apart from the lookups'), started:

- when an admin saves a reply with a file (`upload_soon`), so a send normally finds a live
  media_id waiting;
- by `manage.py refresh_media`, which the deployment runs every hour, before one ages out;
- by a send that finds none (`media_id`). That send waits up to UPLOAD_WAIT seconds for it, as
  do at most MAX_WAITERS senders of the same file across processes; the others, and those whose
  wait runs out, are told at once that the file is on its way (UploadPending), and the page asks
  again a few seconds later.

Exactly one upload of a file runs at a time across all processes: the lock in the shared cache
lives as long as an upload may take (WECOM_UPLOAD_TIMEOUT and a margin). A refusal is
remembered for WECOM_ERROR_COOLDOWN seconds and answered without asking WeCom again: 45009
(the app's rate limit) for every file of the app, anything else for that file. While the shared
cache is down, each process uploads a file once at a time and the database still shares
results.
"""

import contextlib
import functools
import hashlib
import logging
import mimetypes
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from sidebar import background
from sidebar.exceptions import WeComError, recalled, remembered
from sidebar.replies import filetypes, kinds, serving
from sidebar.replies.models import MediaUpload, Reply
from sidebar.wecom.single_flight import SharedCacheError, release_lock, take_lock

logger = logging.getLogger(__name__)

# A media_id is replaced when less than this share of its life is left (at most 6 hours):
# never one that could expire between the page asking and the client sending.
REFRESH_SHARE = 0.1
REFRESH_MARGIN_MAX = 6 * 3600
# refresh_media replaces a media_id once this share of its life has passed: long before a
# send would (above), so sends keep finding one.
RENEW_SHARE = 0.75
# How long a send waits on its request thread for an upload, how many senders of one file
# may wait at once (across processes), and when the page asks again.
UPLOAD_WAIT = 2.0
MAX_WAITERS = 3
RETRY_AFTER = 3
POLL_SECONDS = 0.1
# Errcodes that refuse every upload of the app, not just this file's.
APP_WIDE_ERRCODES = frozenset({45009, 45033, 60020, 48002})
# Uploads queued in one process beyond those running (distinct files): a full queue says
# "uploading" and the page asks again.
BACKLOG = 64


class UploadPending(Exception):
    """The file is on its way to WeCom: nothing to send yet; ask again in `retry_after`
    seconds."""

    retry_after = RETRY_AFTER


def lifetime() -> float:
    """How long WeCom keeps temporary media (WECOM_MEDIA_LIFETIME, three days)."""
    return float(settings.WECOM_MEDIA_LIFETIME)


def usable_for() -> float:
    """How long after its upload a media_id is still handed out."""
    life = lifetime()
    return life - min(life * REFRESH_SHARE, REFRESH_MARGIN_MAX)


# Sending -------------------------------------------------------------------------------------


def media_id(*, client, reply: Reply, wait: float = UPLOAD_WAIT) -> str:
    """The media_id to send `reply`'s file by. When there is none, its upload is started (or
    is under way) and this waits at most `wait` seconds for it. Raises UploadPending when it
    is not there yet, and the WeComError of an upload WeCom refused (remembered for a while:
    the next sends are answered the same without asking)."""
    key = _key(client, reply)
    found = _read(key, client, reply)
    if found:
        return found
    _raise_remembered(client, key)
    _start(client, reply, key, renew_after=usable_for())
    return _wait(client, reply, key, wait)


def forget(*, client, reply: Reply, stale: str) -> None:
    """The client could not send `stale` (expired early, or unknown to WeCom): drop it, unless
    another worker has already replaced it, so the next send uploads again. It is also marked
    dead, so a send that read it from the database a moment ago cannot put it back."""
    key = _key(client, reply)
    try:
        cache = caches["wecom"]
        cache.set(key + ":dead", stale, timeout=int(lifetime()))
        cached = cache.get(key)
        if cached and cached["media_id"] == stale:
            cache.delete(key)
    except Exception:
        logger.warning("Shared cache unreachable; dropping the media_id from the database only")
    _rows(client, reply).filter(media_id=stale).delete()


# Uploading ahead of the sends ----------------------------------------------------------------


def upload_soon(*, client, reply: Reply) -> bool:
    """Start uploading `reply`'s file now, off this thread, unless it has a fresh media_id
    (an admin just saved it: the first send should find it ready). True when started."""
    if reply.kind not in kinds.MEDIA or not reply.upload or not reply.enabled:
        return False
    key = _key(client, reply)
    if _read(key, client, reply) or _remembered(client, key):
        return False
    return _start(client, reply, key, renew_after=usable_for())


def renew(*, client, reply: Reply) -> str:
    """For refresh_media: start uploading `reply`'s file if it has no media_id or one past
    RENEW_SHARE of its life. Answers what it found: 'fresh', 'started', 'uploading' (someone
    already is) or 'refused' (a remembered refusal)."""
    key = _key(client, reply)
    row = _rows(client, reply).first()
    if row is not None and not _older_than(row.uploaded_at, lifetime() * RENEW_SHARE):
        return "fresh"
    if _remembered(client, key):
        return "refused"
    started = _start(client, reply, key, renew_after=lifetime() * RENEW_SHARE)
    return "started" if started else "uploading"


def has_fresh(*, client, reply: Reply) -> bool:
    """Whether `reply`'s file has a media_id that refresh_media would leave alone."""
    return _read(_key(client, reply), client, reply, within=lifetime() * RENEW_SHARE) is not None


def uploads_idle(timeout: float) -> bool:
    """Wait until this process has no upload queued or running (commands and tests)."""
    return _workers().idle(timeout)


# ---------------------------------------------------------------------------------------------


def _key(client, reply: Reply) -> str:
    name = hashlib.sha256(reply.upload_name.encode()).hexdigest()[:16]
    return f"media:{client.app.scope}:{reply.media_type}:{reply.upload_sha256}:{name}"


def _app_key(client) -> str:
    return f"media:{client.app.scope}"


def _rows(client, reply: Reply):
    return MediaUpload.objects.filter(
        scope=client.app.scope,
        sha256=reply.upload_sha256,
        media_type=reply.media_type,
        filename=reply.upload_name,
    )


def _older_than(uploaded_at, seconds: float) -> bool:
    return uploaded_at + timedelta(seconds=seconds) <= timezone.now()


def _read(key: str, client, reply: Reply, *, within: float | None = None) -> str | None:
    """A media_id uploaded less than `within` seconds ago (default usable_for())."""
    within = usable_for() if within is None else within
    try:
        found = caches["wecom"].get_many([key, key + ":dead"])
    except Exception:
        found = {}
    cached, dead = found.get(key), found.get(key + ":dead")
    if cached and cached["media_id"] != dead and not _older_than(cached["uploaded_at"], within):
        return cached["media_id"]
    row = _rows(client, reply).first()
    if row is None or row.media_id == dead or _older_than(row.uploaded_at, within):
        return None
    _remember(key, row.media_id, row.uploaded_at)
    return row.media_id


def _workers() -> background.Workers:
    global _upload_workers
    with _workers_lock:
        if _upload_workers is None:
            _upload_workers = background.Workers(
                "wecom-upload", threads=settings.WECOM_MAX_CONCURRENT_UPLOADS, backlog=BACKLOG
            )
        return _upload_workers


_upload_workers: background.Workers | None = None
_workers_lock = threading.Lock()


def _start(client, reply: Reply, key: str, *, renew_after: float) -> bool:
    """Queue the upload of `reply`'s file on this process's upload threads, holding the
    file's lock across processes while it runs. False when another upload of it is under
    way (here or elsewhere) or the queue is full."""
    workers = _workers()
    if workers.busy(key):
        return False
    release = _lock(client, key)
    if release is None:
        return False
    job = functools.partial(_upload_job, client, reply.pk, key, renew_after, release)
    if not workers.submit(key, job):
        release()
        return False
    return True


def _lock(client, key: str):
    """Take the file's upload lock; its release function, or None when it is taken. Without
    the shared cache the process's own upload threads are the only lock (one each)."""
    cache, lock_key = caches["wecom"], key + ":lock"
    try:
        owner = take_lock(cache, lock_key, timeout=int(client.app.upload_timeout) + 60)
    except SharedCacheError:
        logger.warning("Shared cache unreachable; uploads of this file are per process")
        return lambda: None
    if owner is None:
        return None
    return functools.partial(release_lock, cache, lock_key, owner)


def _upload_job(client, reply_id: int, key: str, renew_after: float, release) -> None:
    """On an upload thread: upload the file the key names, unless it is done already or
    refused; remember a refusal; release the lock."""
    try:
        reply = Reply.objects.filter(pk=reply_id).first()
        if reply is None or not reply.upload or _key(client, reply) != key:
            return  # removed or replaced since: a send of the new file starts its own
        if _read(key, client, reply, within=renew_after) or _remembered(client, key):
            return
        try:
            _upload(key, client, reply)
        except WeComError as exc:
            _remember_failure(client, key, exc)
            logger.warning(
                "Upload of reply %s to WeCom failed: %s (not retried for %d s)",
                reply_id,
                exc,
                settings.WECOM_ERROR_COOLDOWN,
            )
    finally:
        release()


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
    _remember(key, grant.value, uploaded_at)  # first: the senders waiting read it here
    try:
        _store(client, reply, grant.value, uploaded_at)
    except DatabaseError:
        logger.warning("The media_id of reply %s is kept in the shared cache only", reply.pk)
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


# Waiting -------------------------------------------------------------------------------------


def _wait(client, reply: Reply, key: str, wait: float) -> str:
    if wait <= 0 or not _join_waiters(key, wait):
        raise UploadPending
    try:
        give_up_at = time.monotonic() + wait
        while True:
            found = _read(key, client, reply)
            if found:
                return found
            _raise_remembered(client, key)
            if time.monotonic() >= give_up_at:
                raise UploadPending
            time.sleep(POLL_SECONDS)
    finally:
        _leave_waiters(key)


_local_waiters: dict[str, int] = {}
_local_waiters_lock = threading.Lock()


def _join_waiters(key: str, wait: float) -> bool:
    """Count this sender among the file's waiters; False when MAX_WAITERS already wait."""
    cache, counter = caches["wecom"], key + ":waiters"
    try:
        cache.add(counter, 0, timeout=int(wait) + 30)
        waiting = cache.incr(counter)
    except Exception:  # no shared cache (or the counter just expired): count in this process
        with _local_waiters_lock:
            waiting = _local_waiters[key] = _local_waiters.get(key, 0) + 1
        if waiting > MAX_WAITERS:
            _leave_local(key)
        return waiting <= MAX_WAITERS
    if waiting > MAX_WAITERS:
        _leave_waiters(key)
        return False
    return True


def _leave_waiters(key: str) -> None:
    with _local_waiters_lock:
        local = key in _local_waiters
    if local:
        _leave_local(key)
        return
    with contextlib.suppress(Exception):  # gone or unreachable: it expires on its own
        caches["wecom"].decr(key + ":waiters")


def _leave_local(key: str) -> None:
    with _local_waiters_lock:
        left = _local_waiters.get(key, 1) - 1
        if left <= 0:
            _local_waiters.pop(key, None)
        else:
            _local_waiters[key] = left


# Refusals, remembered --------------------------------------------------------------------------


def _remember_failure(client, key: str, exc: WeComError) -> None:
    where = _app_key(client) if exc.errcode in APP_WIDE_ERRCODES else key
    try:
        caches["wecom"].set(
            where + ":refused", remembered(exc), timeout=settings.WECOM_ERROR_COOLDOWN
        )
    except Exception:
        logger.warning("Shared cache unreachable; an upload refusal is not remembered")


def _remembered(client, key: str) -> dict | None:
    try:
        found = caches["wecom"].get_many([_app_key(client) + ":refused", key + ":refused"])
    except Exception:
        return None
    return next(iter(found.values()), None)


def _raise_remembered(client, key: str) -> None:
    failure = _remembered(client, key)
    if failure is not None:
        raise recalled(failure)


def _content_type(reply: Reply) -> str:
    """What the upload says the file is: its shape for a picture or video (read from its
    bytes); for a file, what its name suggests, as WeCom shows it in the chat."""
    if reply.kind != "file":
        return filetypes.served_type(serving.shape(reply))
    return mimetypes.guess_type(reply.upload_name)[0] or filetypes.DOWNLOAD
