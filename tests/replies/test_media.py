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

from sidebar.replies import media
from sidebar.replies.models import MediaUpload, Send
from sidebar.wecom import get_client
from tests.conftest import redis_caches
from tests.replies import factories
from tests.replies.conftest import ANDROID
from tests.servers import free_port

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
    from sidebar.replies import samples

    return factories.reply("image", title="新品图", upload=samples.png(), filename="新品.png")


@pytest.mark.parametrize("cache", ["in-process", "redis"])
def test_thirty_staff_sending_a_new_picture_cause_one_upload(
    request, standin, corp, picture, cache
):
    if cache == "redis":
        request.getfixturevalue("redis_settings")
    corp.inject(UPLOAD, delay=0.5)  # a WeCom that takes its time widens the race
    client = get_client()
    client.access_token()
    ids = at_once(30, lambda: media.media_id(client=client, reply=picture))
    assert corp.count(UPLOAD) == 1
    assert len(set(ids)) == 1 and isinstance(ids[0], str), ids
    assert corp.check_media(ids[0], "image") == "ok"
    row = MediaUpload.objects.get()
    assert (row.media_id, row.filename, row.media_type) == (ids[0], "新品.png", "image")


def test_the_media_id_outlives_the_cache_and_is_replaced_before_it_expires(standin, corp, picture):
    client = get_client()
    first = media.media_id(client=client, reply=picture)
    caches["wecom"].clear()  # a restart, or another process: the database still knows it
    assert media.media_id(client=client, reply=picture) == first
    assert corp.count(UPLOAD) == 1
    # Two days and 19 hours later: less than a tenth of its life (at most 6 h) is left.
    aged = timezone.now() - timedelta(days=2, hours=19)
    MediaUpload.objects.update(uploaded_at=aged)
    caches["wecom"].clear()
    second = media.media_id(client=client, reply=picture)
    assert second != first and corp.count(UPLOAD) == 2
    assert MediaUpload.objects.get().media_id == second


def test_a_media_id_the_client_finds_dead_is_replaced_and_sent_again(staff_client, corp, picture):
    """The stand-in expires every media_id early: the first send fails in the client, the
    server drops the dead media_id, and the page's second try carries a fresh one."""
    answer = staff_client.post(
        f"/sidebar/replies/{picture.pk}/send/", GROUP, HTTP_USER_AGENT=ANDROID
    ).json()
    dead = answer["message"]["image"]["mediaid"]
    corp.expire_media()
    assert corp.check_media(dead, "image") == "expired"
    verdict = staff_client.post(
        answer["result"],
        json.dumps({"err_msg": "sendChatMessage:fail invalid mediaid"}),
        content_type="application/json",
    ).json()
    assert verdict == {"outcome": "retried", "retry": True}
    again = staff_client.post(
        f"/sidebar/replies/{picture.pk}/send/",
        {**GROUP, "retry_of": answer["send"]},
        HTTP_USER_AGENT=ANDROID,
    ).json()
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
    from sidebar.replies import samples

    picture = factories.reply("image", title="内存图", upload=samples.png(), filename="m.png")
    assert not (Path(settings.MEDIA_ROOT) / picture.upload.name).exists()  # not on disk
    served = staff_client.get(f"/sidebar/replies/{picture.pk}/file")
    assert b"".join(served.streaming_content) == samples.png()
    answer = staff_client.post(
        f"/sidebar/replies/{picture.pk}/send/", GROUP, HTTP_USER_AGENT=ANDROID
    ).json()
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
    response = staff_client.post(
        f"/sidebar/replies/{picture.pk}/send/", GROUP, HTTP_USER_AGENT=ANDROID
    )
    assert response.status_code == 200
    answer = response.json()
    assert "message" not in answer and answer["refused"]["title"] == title
    assert Send.objects.get().outcome == Send.Outcome.REFUSED
    assert not MediaUpload.objects.exists()
    corp.clear_faults()  # and the next send works
    again = staff_client.post(
        f"/sidebar/replies/{picture.pk}/send/", GROUP, HTTP_USER_AGENT=ANDROID
    ).json()
    assert corp.check_media(again["message"]["image"]["mediaid"], "image") == "ok"


def test_an_upload_past_the_timeout_is_explained(staff_client, corp, picture, settings):
    settings.WECOM_UPLOAD_TIMEOUT = 0.5
    corp.inject(UPLOAD, hold=True)
    try:
        answer = staff_client.post(
            f"/sidebar/replies/{picture.pk}/send/", GROUP, HTTP_USER_AGENT=ANDROID
        ).json()
    finally:
        corp.clear_faults()
    assert answer["refused"]["title"] == "企业微信响应超时"


def test_redis_down_still_uploads_once_per_process(standin, corp, picture, settings):
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    client = get_client()
    client.access_token()
    corp.inject(UPLOAD, delay=0.3)
    ids = at_once(10, lambda: media.media_id(client=client, reply=picture))
    assert corp.count(UPLOAD) == 1 and len(set(ids)) == 1, ids
