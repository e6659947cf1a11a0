"""Events are written once each, a process's waiting events in one transaction
(sidebar.events.recording), and an event the database did not take is answered so that
WeCom delivers it again."""

import contextlib
import hashlib
import threading
import time

import pytest
from django.db import OperationalError, connection
from django.db.backends.signals import connection_created

from sidebar.events import recording
from sidebar.events.models import ChangeEvent, EndedFollow
from tests.events.test_endpoint import CUSTOMER


def event_row(n: int, change_type: str = "edit_external_contact") -> ChangeEvent:
    return ChangeEvent(
        happened_at="2026-12-03T10:00:00Z",
        event="change_external_contact",
        change_type=change_type,
        user_id="zhangsan",
        external_userid=f"wmCustomer{n:05d}",
        target_id=f"wmCustomer{n:05d}",
        digest=hashlib.sha256(f"{n}:{change_type}".encode()).hexdigest(),
    )


def failing(execute, sql, params, many, context):
    """An execute wrapper: every INSERT into the events table fails as a database that went
    away does."""
    if sql.lstrip().upper().startswith("INSERT") and "events_changeevent" in sql:
        raise OperationalError("database is gone")
    return execute(sql, params, many, context)


@contextlib.contextmanager
def new_connections_wrapped(wrapper):
    """Every database connection opened meanwhile (a new thread's) runs its statements
    through `wrapper`."""

    def wrap(sender, connection, **kwargs):
        connection.execute_wrappers.append(wrapper)

    connection_created.connect(wrap, dispatch_uid="events-test-wrapper")
    try:
        yield
    finally:
        connection_created.disconnect(dispatch_uid="events-test-wrapper")


@pytest.fixture
def batches(monkeypatch):
    """The size of each batch written together (the real writer runs)."""
    sizes = []
    write_together = recording._write_together

    def counted(batch):
        sizes.append(len(batch))
        return write_together(batch)

    monkeypatch.setattr(recording, "_write_together", counted)
    return sizes


def queued_behind_the_turn(rows: list[ChangeEvent], answers: dict) -> list[threading.Thread]:
    """A thread per row calling record() while the test holds the process's turn to write;
    they have all queued when this returns."""

    def record(index, row):
        try:
            answers[index] = recording.record(row)
        except Exception as exc:
            answers[index] = exc
        finally:
            connection.close()  # this thread's own

    threads = [threading.Thread(target=record, args=item) for item in enumerate(rows)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while True:
        with recording._queue_lock:
            if len(recording._queue) == len(rows):
                break
        assert time.monotonic() < deadline, "the threads did not queue"
        time.sleep(0.01)
    return threads


@pytest.mark.django_db
def test_a_new_event_is_written_and_a_repeated_one_is_not():
    first = event_row(1, "del_follow_user")
    assert recording.record(first) is True
    assert first.pk is not None  # the churn alert names its row
    assert recording.record(event_row(1, "del_follow_user")) is False
    assert ChangeEvent.objects.count() == 1
    assert EndedFollow.objects.filter(external_userid="wmCustomer00001").count() == 1


@pytest.mark.django_db(transaction=True)  # the threads write on connections of their own
def test_events_waiting_together_are_written_together_each_thread_told_its_outcome(batches):
    assert recording.record(event_row(100)) is True
    rows = [event_row(n) for n in range(5)] + [event_row(100), event_row(0)]  # two again
    answers = {}
    with recording._turn:
        threads = queued_behind_the_turn(rows, answers)
    for thread in threads:
        thread.join(timeout=60)
    assert batches == [1, 7]  # the first alone; then all seven waiting, in one transaction
    assert [answers[index] for index in range(1, 6)] == [True] * 4 + [False]
    # The same message twice in one batch: whichever queued first is the new one.
    assert {answers[0], answers[6]} == {True, False}

    assert ChangeEvent.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_new_events_waiting_together_are_one_insert():
    inserts = []

    def counted(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("INSERT") and "events_changeevent" in sql:
            inserts.append(sql)
        return execute(sql, params, many, context)

    answers = {}
    with new_connections_wrapped(counted):
        with recording._turn:
            threads = queued_behind_the_turn([event_row(n) for n in range(5)], answers)
        for thread in threads:
            thread.join(timeout=60)
    assert list(answers.values()) == [True] * 5
    assert len(inserts) == 1
    assert ChangeEvent.objects.count() == 5


@pytest.mark.django_db
def test_a_failed_batch_is_not_recorded_for_any_of_its_events():
    with connection.execute_wrapper(failing), pytest.raises(OperationalError):
        recording.record(event_row(1, "del_follow_user"))
    assert not ChangeEvent.objects.exists() and not EndedFollow.objects.exists()
    # Delivered again once the database answers: new, and written.
    assert recording.record(event_row(1, "del_follow_user")) is True
    assert EndedFollow.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_every_thread_of_a_failed_batch_is_told_its_event_was_not_recorded():
    answers = {}
    rows = [event_row(n) for n in range(4)]
    with new_connections_wrapped(failing):
        with recording._turn:
            threads = queued_behind_the_turn(rows, answers)
        for thread in threads:
            thread.join(timeout=60)
    outcomes = sorted(type(answer).__name__ for answer in answers.values())
    # The thread that took the turn raised the database's error; the others, NotRecorded.
    assert outcomes == ["NotRecorded"] * 3 + ["OperationalError"]
    assert not ChangeEvent.objects.exists()
    assert all(recording.record(row) is True for row in rows)  # WeCom's next deliveries


@pytest.mark.django_db
def test_the_endpoint_answers_503_in_words_when_the_event_is_not_recorded(callbacks):
    message = callbacks.event(
        "change_external_contact",
        "edit_external_contact",
        UserID="zhangsan",
        ExternalUserID=CUSTOMER,
    )
    with connection.execute_wrapper(failing):
        answer = callbacks.post(message)
    assert answer.status_code == 503
    assert b"not recorded" in answer.content
    assert not ChangeEvent.objects.exists()
    assert callbacks.post(message).status_code == 200  # WeCom's next delivery
    assert ChangeEvent.objects.count() == 1
