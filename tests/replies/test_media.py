"""WeCom media for picture, video and file replies: uploaded once when first needed, shared
by every worker through the shared cache and the database, uploaded again before it expires
or when the client finds it dead; a failed upload is explained and nothing is sent."""

import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import caches
from django.utils import timezone

from sidebar.exceptions import WeComAPIError
from sidebar.replies import media, samples
from sidebar.replies.models import MediaUpload, Send
from sidebar.wecom import get_client
from tests.conftest import redis_caches
from tests.replies import factories
from tests.replies.conftest import ANDROID
from tests.servers import free_port
from tests.waiting import until

pytestmark = pytest.mark.django_db(transaction=True)

UPLOAD = "/cgi-bin/media/upload"
GROUP = {"entry": "group_chat_tools", "chat_id": "wrSalesGroup00001"}


def at_once(count: int, call) -> list:
    """`call()` from `count` threads released together; their results or exceptions."""
    barrier, results, lock = threading.Barrier(count), [], threading.Lock()

    def run():
        barrier.wait()
        try:
            outcome = call()
        except Exception as exc:  # collected and asserted by the caller
            outcome = exc
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def picture():
    return factories.reply("image", title="新品图", upload=samples.png(), filename="新品.png")


def sent_media_id(client, reply) -> str:
    """What a send gets, as the page gets it: asked again while the file is uploading (the
    page waits `retry_after` seconds; here, until this process's uploads are done)."""
    try:
        return media.media_id(client=client, reply=reply)
    except media.UploadPending:
        assert media.uploads_idle(timeout=60)
        return media.media_id(client=client, reply=reply, wait=0)


def prepared(staff_client, reply, chat=GROUP, **extra) -> dict:
    """The send's answer, as the page ends up with it (asked again while uploading)."""
    path = f"/sidebar/replies/{reply.pk}/send/"
    answer = staff_client.post(path, {**chat, **extra}, HTTP_USER_AGENT=ANDROID)
    if answer.status_code == 202:
        assert answer.json()["pending"]["title"] == "正在把文件上传到企业微信…"
        assert answer["Retry-After"] == str(media.RETRY_AFTER)
        assert media.uploads_idle(timeout=60)
        answer = staff_client.post(path, {**chat, **extra}, HTTP_USER_AGENT=ANDROID)
    return answer.json()


@pytest.mark.parametrize("cache", ["in-process", "redis"])
def test_thirty_staff_sending_a_new_picture_cause_one_upload(
    request, standin, corp, picture, cache
):
    if cache == "redis":
        request.getfixturevalue("redis_settings")
    corp.inject(UPLOAD, delay=0.5)  # a WeCom that takes its time widens the race
    client = get_client()
    client.access_token()
    answers = at_once(30, lambda: media.media_id(client=client, reply=picture))
    assert media.uploads_idle(timeout=60)
    assert corp.count(UPLOAD) == 1
    ids = {a for a in answers if isinstance(a, str)}
    assert all(isinstance(a, str | media.UploadPending) for a in answers), answers
    assert len(ids) <= 1
    final = media.media_id(client=client, reply=picture, wait=0)
    assert ids <= {final} and corp.check_media(final, "image") == "ok"
    row = MediaUpload.objects.get()
    assert (row.media_id, row.filename, row.media_type) == (final, "新品.png", "image")


def test_a_held_upload_holds_no_sender_and_happens_once(standin, corp, picture):
    """WeCom holds the upload for as long as the test likes: every sender is told that the
    file is uploading (within the short wait), WeCom receives one upload, and once it answers
    every sender gets its media_id."""
    client = get_client()
    client.access_token()
    corp.inject(UPLOAD, hold=True)
    try:
        answers = at_once(30, lambda: media.media_id(client=client, reply=picture))
        assert all(isinstance(a, media.UploadPending) for a in answers), answers
        until(lambda: corp.count(UPLOAD) == 1)  # on its way, on an upload thread
        again = at_once(10, lambda: media.media_id(client=client, reply=picture))
        assert all(isinstance(a, media.UploadPending) for a in again), again
        assert corp.count(UPLOAD) == 1
    finally:
        corp.clear_faults()  # WeCom answers the held upload
    assert media.uploads_idle(timeout=60)
    ids = at_once(30, lambda: media.media_id(client=client, reply=picture))
    assert len(set(ids)) == 1 and corp.check_media(ids[0], "image") == "ok"
    assert corp.count(UPLOAD) == 1 and corp.max_in_flight[UPLOAD] == 1


def test_at_most_a_few_senders_of_one_file_wait_counted_in_the_shared_cache(
    standin, picture, redis_settings
):
    """The bound on senders waiting for one file's upload is a counter in Redis, so it holds
    across processes: MAX_WAITERS may wait, the next are told at once, and one leaving makes
    room."""
    key = media._key(get_client(), picture)
    joined = [media._join_waiters(key, media.UPLOAD_WAIT) for _ in range(media.MAX_WAITERS + 2)]
    assert joined == [True] * media.MAX_WAITERS + [False, False]
    media._leave_waiters(key)
    assert media._join_waiters(key, media.UPLOAD_WAIT) is True
    assert media._join_waiters(key, media.UPLOAD_WAIT) is False


def test_45009_on_upload_is_remembered_for_the_app_and_not_retried_per_send(
    standin, corp, picture, settings
):
    client = get_client()
    client.access_token()
    corp.inject(UPLOAD, errcode=45009, errmsg="api freq out of limit", times=None)
    other = factories.reply("video", title="视频", upload=samples.mp4(), filename="v.mp4")
    for reply in [picture] * 10 + [other] * 10:
        with pytest.raises(WeComAPIError) as refused:
            sent_media_id(client, reply)
        assert refused.value.errcode == 45009
    assert corp.count(UPLOAD) == 1  # the other file too waits out the app's cooldown
    corp.clear_faults()
    caches["wecom"].delete(f"media:{client.app.scope}:refused")  # the cooldown passes
    assert corp.check_media(sent_media_id(client, other), "video") == "ok"
    assert corp.count(UPLOAD) == 2


def test_the_media_id_outlives_the_cache_and_is_replaced_before_it_expires(standin, corp, picture):
    client = get_client()
    first = sent_media_id(client, picture)
    caches["wecom"].clear()  # a restart, or another process: the database still knows it
    assert media.media_id(client=client, reply=picture) == first
    assert corp.count(UPLOAD) == 1
    # Two days and 19 hours later: less than a tenth of its life (at most 6 h) is left.
    aged = timezone.now() - timedelta(days=2, hours=19)
    MediaUpload.objects.update(uploaded_at=aged)
    caches["wecom"].clear()
    second = sent_media_id(client, picture)
    assert second != first and corp.count(UPLOAD) == 2
    assert MediaUpload.objects.get().media_id == second


def test_a_media_id_the_client_finds_dead_is_replaced_and_sent_again(staff_client, corp, picture):
    """The stand-in expires every media_id early: the first send fails in the client, the
    server drops the dead media_id, and the page's second try carries a fresh one."""
    answer = prepared(staff_client, picture)
    dead = answer["message"]["image"]["mediaid"]
    corp.expire_media()
    assert corp.check_media(dead, "image") == "expired"
    verdict = staff_client.post(
        answer["result"],
        json.dumps({"err_msg": "sendChatMessage:fail invalid mediaid"}),
        content_type="application/json",
    ).json()
    assert (verdict["outcome"], verdict["retry"]) == ("retried", True)
    assert verdict["said"]["technical"] == "sendChatMessage:fail invalid mediaid"  # folded
    again = prepared(staff_client, picture, retry_of=answer["send"])
    fresh = again["message"]["image"]["mediaid"]
    assert fresh != dead and corp.check_media(fresh, "image") == "ok"
    assert corp.count(UPLOAD) == 2
    # A retry that fails again is not retried again: the page shows the failure.
    final = staff_client.post(
        again["result"],
        json.dumps({"err_msg": "sendChatMessage:fail invalid mediaid"}),
        content_type="application/json",
    ).json()
    assert final["retry"] is False and final["outcome"] == "failed"
    first, second = Send.objects.order_by("id")
    assert (first.outcome, second.outcome, second.retry_of_id) == ("retried", "failed", first.pk)


def test_files_may_live_in_any_storage_backend(staff_client, corp, settings):
    """Django's storage API end to end: admin's upload, the preview, the upload to WeCom."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    picture = factories.reply("image", title="内存图", upload=samples.png(), filename="m.png")
    assert not (Path(settings.MEDIA_ROOT) / picture.upload.name).exists()  # not on disk
    served = staff_client.get(f"/sidebar/replies/{picture.pk}/file")
    assert b"".join(served.streaming_content) == samples.png()
    answer = prepared(staff_client, picture)
    assert corp.media[answer["message"]["image"]["mediaid"]]["content"] == samples.png()


@pytest.mark.parametrize(
    ("fault", "title"),
    [
        (
            {"errcode": 60020, "errmsg": "not allow to access from your ip, from ip: 203.0.113.7"},
            "服务器 IP 不在应用的企业可信IP中",
        ),
        ({"errcode": 48002, "errmsg": "api forbidden"}, "应用没有读取客户数据的权限"),
        ({"errcode": 45009, "errmsg": "api freq out of limit"}, "已达到企业微信接口调用频率上限"),
        ({"errcode": 40009, "errmsg": "invalid image size"}, "文件过大或过小，企业微信不接受"),
        ({"http_status": 502}, "无法连接企业微信"),
    ],
)
def test_a_failed_upload_is_explained_and_nothing_is_sent(
    staff_client, corp, picture, fault, title
):
    corp.inject(UPLOAD, **fault)
    answer = prepared(staff_client, picture)
    assert "message" not in answer and answer["refused"]["title"] == title
    assert Send.objects.get().outcome == Send.Outcome.REFUSED
    assert not MediaUpload.objects.exists()
    corp.clear_faults()
    # Within the cooldown the refusal is answered again without asking WeCom.
    again = prepared(staff_client, picture)
    assert again["refused"]["title"] == title and corp.count(UPLOAD) == 1
    caches["wecom"].clear()  # the cooldown passes: the next send uploads, and works
    last = prepared(staff_client, picture)
    assert corp.check_media(last["message"]["image"]["mediaid"], "image") == "ok"


def test_an_upload_past_the_timeout_is_explained(staff_client, corp, picture, settings):
    settings.WECOM_UPLOAD_TIMEOUT = 0.5
    corp.inject(UPLOAD, hold=True)
    try:
        answer = prepared(staff_client, picture)
    finally:
        corp.clear_faults()
    assert answer["refused"]["title"] == "企业微信响应超时"


def test_redis_down_still_uploads_once_per_process(standin, corp, picture, settings):
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    client = get_client()
    client.access_token()
    corp.inject(UPLOAD, delay=0.3)
    answers = at_once(10, lambda: media.media_id(client=client, reply=picture))
    assert all(isinstance(a, str | media.UploadPending) for a in answers), answers
    assert media.uploads_idle(timeout=60)
    final = media.media_id(client=client, reply=picture, wait=0)
    assert corp.count(UPLOAD) == 1
    assert {a for a in answers if isinstance(a, str)} <= {final}
