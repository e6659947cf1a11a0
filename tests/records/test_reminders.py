"""Follow-up reminders: `manage.py send_reminders` sends each due note's author one WeCom app
message, however many runners there are."""

import subprocess
import sys
import threading
from datetime import timedelta
from html import unescape
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from sidebar.records.models import Note
from tests.records.conftest import CUSTOMER, SEND, look_up
from tests.servers import PROJECT
from tests.topology import deployment_environment

PUBLIC = "https://sidebar.example.com"


def note(**fields) -> Note:
    values = dict(
        target_kind="contact",
        target_id=CUSTOMER,
        target_name="陈小明",
        author_userid="zhangsan",
        author_name="张三",
        text="问问续费<报价>",
        due_at=timezone.now() - timedelta(seconds=5),
    )
    return Note.objects.create(**{**values, **fields})


def run() -> str:
    out = StringIO()
    call_command("send_reminders", public_url=PUBLIC, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_a_due_note_sends_one_textcard_that_opens_the_customer(standin, corp):
    due = note()
    note(due_at=timezone.now() + timedelta(hours=1))  # not yet
    note(done_at=timezone.now())  # already followed up
    assert "1 reminders sent" in run()
    (call,) = corp.calls_to(SEND)
    card = call.body["textcard"]
    assert call.body["touser"] == "zhangsan" and call.body["msgtype"] == "textcard"
    assert call.body["agentid"] == int(corp.agent_id)
    assert card["title"] == "跟进提醒：陈小明"
    assert "问问续费&lt;报价&gt;" in card["description"]  # the text cannot make markup
    assert card["url"] == f"{PUBLIC}/sidebar/?record=contact%3A{CUSTOMER}"
    (received,) = corp.messages_to("zhangsan")
    assert unescape(received["description"]).count("问问续费<报价>") == 1
    due.refresh_from_db()
    assert due.reminded_at is not None and due.remind_error == ""
    run()
    assert corp.count(SEND) == 1  # sent once


@pytest.mark.django_db
def test_a_refused_reminder_is_tried_again_on_the_next_run(standin, corp):
    note()
    corp.inject(SEND, errcode=-1, times=3)  # busy three times: the call's own retries
    with pytest.raises(SystemExit):
        run()
    assert Note.objects.get().reminded_at is None
    assert "1 reminders sent" in run()
    assert len(corp.messages_to("zhangsan")) == 1


@pytest.mark.django_db
def test_the_command_says_what_to_set_without_a_public_url(standin):
    with pytest.raises(CommandError, match="SIDEBAR_PUBLIC_URL"):
        call_command("send_reminders", public_url="")


def test_long_text_fits_wecoms_byte_limits():
    from sidebar.records.reminders import DESCRIPTION_BYTES, TITLE_BYTES, message

    long = Note(
        target_kind="contact",
        target_id=CUSTOMER,
        target_name="名" * 100,
        author_userid="zhangsan",
        text="&" * 300 + "长" * 300,
        due_at=timezone.now(),
    )
    card = message(long, public_url=PUBLIC)["textcard"]
    assert len(card["title"].encode()) <= TITLE_BYTES
    assert len(card["description"].encode()) <= DESCRIPTION_BYTES
    assert card["description"].endswith("…</div>") and "&amp;" in card["description"]


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
def test_two_runners_at_once_send_exactly_one_message(standin, corp, staff_client, tmp_path):
    """A note written in the panel with a due time a minute ahead; at the due time two
    `manage.py send_reminders` processes start together on the same database."""
    due = timezone.now() + timedelta(minutes=1)
    response = staff_client.post(
        f"/sidebar/record/contact/{CUSTOMER}/notes/",
        {"text": "一分钟后打电话", "due_at": timezone.localtime(due).strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 200
    assert "一分钟后打电话" in look_up(staff_client).content.decode()
    # The due time has come (the note is moved, not the clock).
    Note.objects.update(due_at=timezone.now() - timedelta(seconds=1))
    corp.inject(SEND, delay=0.3, times=None)  # a WeCom that takes a moment: the runs overlap
    env = _command_environment(standin, corp, tmp_path)
    start = threading.Barrier(2)
    results = []

    def runner():
        start.wait(timeout=60)
        results.append(
            subprocess.run(
                [sys.executable, "manage.py", "send_reminders", "--public-url", PUBLIC],
                cwd=PROJECT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
        )

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert [r.returncode for r in results] == [0, 0], [r.stderr[-2000:] for r in results]
    assert corp.count(SEND) == 1
    assert [m["userid"] for m in corp.messages_to("zhangsan")] == ["zhangsan"]
    assert Note.objects.get().reminded_at is not None


def _command_environment(standin, corp, tmp_path) -> dict:
    """A deployment's environment, on the test's own database (a file: transaction=True)."""
    from django.db import connection

    env = deployment_environment(standin, corp, "", tmp_path)
    env["DATABASE_URL"] = f"sqlite:///{connection.settings_dict['NAME']}"
    return env
