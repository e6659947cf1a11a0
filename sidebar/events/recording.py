"""Change events written once each, in one transaction for all that a process has waiting
(group commit).

Under a burst (WeCom delivering a tag reshuffle or a mass transfer at hundreds a second), a
transaction per event makes every request thread queue for SQLite's one writer
(sidebar.sqlite_writes), each holding the write lock while it waits its turn on its process's
interpreter lock, so the cost of an event grows with the backlog until the backlog runs away
(bench/events.py). Here a thread queues its event and waits for its process's turn to write;
whoever gets the turn writes every event then queued in one transaction: one lock, one
insert, one commit (one by one when one of them was recorded before). A backlog makes
batches larger and each event cheaper. A thread answers WeCom only once its own event's
batch has committed, so nothing acknowledged is lost; when a batch fails, every thread in it
answers that its event was not recorded, and WeCom delivers it again.
"""

import threading
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from sidebar.events.models import ChangeEvent, EndedFollow
from sidebar.sqlite_writes import one_writer

CONTACT = "change_external_contact"
ENDED = {"del_follow_user", "del_external_contact"}
ADDED = {"add_external_contact", "add_half_external_contact"}


class NotRecorded(Exception):
    """The batch that held this event failed (the failure is chained); nothing of it was
    written."""


@dataclass(eq=False)
class _Waiting:
    row: ChangeEvent
    done: bool = False
    new: bool = False
    error: BaseException | None = None


_queue: list[_Waiting] = []
_queue_lock = threading.Lock()
_turn = threading.Lock()


def record(row: ChangeEvent) -> bool:
    """Write `row` (and what it says of who follows whom) unless the same message was
    recorded before: whether it is new. Raises NotRecorded, or the failure itself in the
    thread that wrote the batch, when it could not be written."""
    waiting = _Waiting(row)
    with _queue_lock:
        _queue.append(waiting)
    with _turn:
        if not waiting.done:
            with _queue_lock:
                batch = _queue[:]
                _queue.clear()
            _write(batch, writer=waiting)
    if waiting.error is not None:
        raise waiting.error
    return waiting.new


def _write(batch: list[_Waiting], *, writer: _Waiting) -> None:
    try:
        try:
            _write_together(batch)
        except IntegrityError:
            # One of them was recorded before (WeCom delivered it again, which is rare) or
            # meanwhile by another process: each on its own, the known ones skipped.
            _write_one_by_one(batch)
    except BaseException as exc:
        for waiting in batch:
            waiting.error = exc if waiting is writer else _not_recorded(exc)
        raise
    finally:
        for waiting in batch:
            waiting.done = True


def _not_recorded(cause: BaseException) -> NotRecorded:
    error = NotRecorded(f"not recorded: {type(cause).__name__}")
    error.__cause__ = cause
    return error


def _firsts(batch: list[_Waiting]) -> list[_Waiting]:
    """The first of each message in the batch, in order of arrival (a retried delivery may
    arrive beside the first)."""
    firsts: dict[str, _Waiting] = {}
    for waiting in batch:
        firsts.setdefault(waiting.row.digest, waiting)
    return list(firsts.values())


def _write_together(batch: list[_Waiting]) -> None:
    """All of them in one insert; IntegrityError if any was recorded before."""
    firsts = _firsts(batch)
    with one_writer(), transaction.atomic():
        ChangeEvent.objects.bulk_create([waiting.row for waiting in firsts])
        for waiting in firsts:
            _follow(waiting.row)
    for waiting in firsts:
        waiting.new = True


def _write_one_by_one(batch: list[_Waiting]) -> None:
    for waiting in _firsts(batch):
        waiting.row.pk = None
        with one_writer(), transaction.atomic():
            try:
                waiting.row.save(force_insert=True)
            except IntegrityError:
                transaction.set_rollback(True)
                continue
            _follow(waiting.row)
        waiting.new = True


def _follow(row: ChangeEvent) -> None:
    """What a customer's event says of whether this staff member still follows them."""
    if row.event != CONTACT or not (row.user_id and row.external_userid):
        return
    pair = {"external_userid": row.external_userid, "userid": row.user_id}
    if row.change_type in ENDED:
        EndedFollow.objects.update_or_create(
            **pair, defaults={"change_type": row.change_type, "ended_at": row.happened_at}
        )
    elif row.change_type in ADDED:
        EndedFollow.objects.filter(**pair).delete()
