"""Files reach WeCom before anyone sends them: when an admin saves a reply, and from
`manage.py refresh_media` (hourly) before a media_id ages out. Both upload off the request,
once per file however many runners, and a send then finds the media_id waiting."""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from sidebar.replies import media, samples
from sidebar.replies.models import MediaUpload, Reply
from sidebar.wecom import get_client
from tests.replies import factories
from tests.replies.test_admin import ADD, form

pytestmark = pytest.mark.django_db(transaction=True)

UPLOAD = "/cgi-bin/media/upload"


def refresh() -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("refresh_media", stdout=out, stderr=err)
    except SystemExit as exit:
        return int(exit.code), out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def test_an_admin_saving_a_picture_sends_it_to_wecom_off_the_request(admin_client, standin, corp):
    corp.inject(UPLOAD, hold=True)  # however slow WeCom is, the save answers at once
    try:
        data = form(
            factories.category(),
            "image",
            upload=SimpleUploadedFile("新品.png", samples.png(), content_type="image/png"),
        )
        assert admin_client.post(ADD, data).status_code == 302
        assert corp.count(UPLOAD) in (0, 1)  # queued or under way, not waited for
    finally:
        corp.clear_faults()
    assert media.uploads_idle(timeout=60)
    reply = Reply.objects.get()
    row = MediaUpload.objects.get()
    assert media.media_id(client=get_client(), reply=reply, wait=0) == row.media_id
    assert corp.count(UPLOAD) == 1


def test_saving_without_a_wecom_app_configured_uploads_nothing(admin_client):
    data = form(
        factories.category(),
        "image",
        upload=SimpleUploadedFile("新品.png", samples.png(), content_type="image/png"),
    )
    assert admin_client.post(ADD, data).status_code == 302
    assert media.uploads_idle(timeout=60)
    assert not MediaUpload.objects.exists()


def test_refresh_media_uploads_what_is_missing_or_old_and_nothing_else(standin, corp):
    client = get_client()
    fresh = factories.reply("image", title="新", upload=samples.png(), filename="a.png")
    missing = factories.reply("video", title="无", upload=samples.mp4(), filename="b.mp4")
    old = factories.reply("file", title="旧", upload=samples.pdf(), filename="c.pdf")
    off = factories.reply("image", title="停", upload=samples.jpeg(), filename="d.jpg")
    Reply.objects.filter(pk=off.pk).update(enabled=False)
    factories.reply("text", title="文字", text="您好")
    for reply in (fresh, old):
        media.upload_soon(client=client, reply=reply)
    assert media.uploads_idle(timeout=60) and corp.count(UPLOAD) == 2
    # Two and a half days later for the old one: past three quarters of its life.
    MediaUpload.objects.filter(filename="c.pdf").update(
        uploaded_at=timezone.now() - timedelta(days=2, hours=12)
    )
    caches["wecom"].clear()  # what the cache kept said the same, and has expired since
    status, said = refresh()
    assert status == 0, said
    assert said.startswith("3 files: 1 fresh, 2 uploaded"), said
    assert corp.count(UPLOAD) == 4
    assert {call.query["type"] for call in corp.calls_to(UPLOAD)[2:]} == {"video", "file"}
    assert media.has_fresh(client=client, reply=missing) and media.has_fresh(
        client=client, reply=old
    )
    # Run again at once: nothing is due.
    status, said = refresh()
    assert status == 0 and said.startswith("3 files: 3 fresh, 0 uploaded"), said
    assert corp.count(UPLOAD) == 4


def test_two_runners_at_once_upload_each_file_once(standin, corp):
    for number in range(4):
        factories.reply(
            "image", title=f"图{number}", upload=samples.png(10 + number), filename="p.png"
        )
    corp.inject(UPLOAD, delay=0.3, times=None)
    barrier, results = threading.Barrier(2), []

    def run():
        barrier.wait()
        results.append(refresh())

    runners = [threading.Thread(target=run) for _ in range(2)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join(timeout=120)
    assert [status for status, _said in results] == [0, 0], results
    assert corp.count(UPLOAD) == 4


def test_a_refused_upload_makes_refresh_media_fail(standin, corp):
    factories.reply("image", title="图", upload=samples.png(), filename="p.png")
    corp.inject(UPLOAD, errcode=40004, errmsg="invalid media type")
    status, said = refresh()
    assert status == 1 and "1 refused or failed" in said and "not uploaded" in said
