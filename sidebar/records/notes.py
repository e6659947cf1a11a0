"""Follow-up notes (跟进记录) and the customer's stage: kept in our database, each change
written in one transaction with its Edit row (the audit log and the timeline).

Who may read a record is decided by sidebar.records.targets; a note is further the author's
alone to change, and only for EDIT_WINDOW after it was written.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sidebar import hosts
from sidebar.explanations import Explanation
from sidebar.records import audit, reminders, versions
from sidebar.records.models import CustomerStage, Edit, Note, Stage
from sidebar.records.targets import Target
from sidebar.services import AuditUnavailable, Refused, Viewer
from sidebar.sqlite_writes import one_writer

NOTE_MAX = 1000  # characters
EDIT_WINDOW = timedelta(hours=24)
SHOWN_NOTES = 5  # the panel's latest notes; the timeline has the rest

NOT_YOURS = Explanation(
    title=_("Only its author can change this note"),
    detail=_("Notes are changed or deleted by the colleague who wrote them."),
    action=_("Write a new note instead."),
    http_status=403,
)
TOO_LATE = Explanation(
    title=_("This note can no longer be changed"),
    detail=_("A note can be changed or deleted for 24 hours after it was written."),
    action=_("Write a new note instead."),
    http_status=403,
)
NO_SUCH_NOTE = Explanation(
    title=_("This note no longer exists"),
    detail=_("It was deleted."),
    action=_("Refresh the panel."),
    http_status=404,
)


@contextmanager
def _recorded():
    """One transaction for a change and its Edit row; a database that does not take them is
    AuditUnavailable (nothing was changed: the transaction is rolled back)."""
    try:
        with one_writer(), transaction.atomic():
            yield
    except DatabaseError as exc:
        raise AuditUnavailable from exc


def _saved(edit: Edit, *changes) -> None:
    """Save `changes` (model instances) and their Edit row in one transaction."""
    with _recorded():
        for change in changes:
            change.save()
        edit.save(force_insert=True)
        versions.changed(edit.target_id)


def notes_on(target: Target, *, limit: int = SHOWN_NOTES) -> list[Note]:
    return list(
        Note.objects.filter(target_kind=target.kind, target_id=target.id).order_by(
            "-created_at", "-id"
        )[:limit]
    )


def may_change(note: Note, viewer: Viewer, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return note.author_userid == viewer.userid and now - note.created_at <= EDIT_WINDOW


def _edit(viewer: Viewer, target: Target, action: str, note: Note, before: dict, after: dict):
    return audit.on(viewer, target, action, before, after, note_id=note.pk)


def _words(note_or_fields) -> dict:
    text, due = note_or_fields
    return {"text": text, "due_at": due.isoformat() if due else None}


def add(*, viewer: Viewer, target: Target, text: str, due_at: datetime | None) -> Note:
    now = timezone.now()
    note = Note(
        target_kind=target.kind,
        target_id=target.id,
        target_name=target.name[:128],
        author_userid=viewer.userid[:64],
        author_name=viewer.name[:64],
        text=text,
        due_at=due_at,
        created_at=now,
        updated_at=now,
        **hosts.audit_fields(viewer.operator),
    )
    with _recorded():
        note.save(force_insert=True)
        _edit(viewer, target, Edit.Action.NOTE_ADDED, note, {}, _words((text, due_at))).save(
            force_insert=True
        )
        versions.changed(target.id)
    return note


def check_changeable(note: Note, viewer: Viewer) -> None:
    """Raise Refused unless `viewer` wrote the note and may still change it."""
    if note.author_userid != viewer.userid:
        raise Refused(NOT_YOURS)
    if not may_change(note, viewer):
        raise Refused(TOO_LATE)


def change(*, viewer: Viewer, target: Target, note: Note, text: str, due_at) -> Note:
    check_changeable(note, viewer)
    before = _words((note.text, note.due_at))
    if (text, due_at) == (note.text, note.due_at):
        return note
    if due_at != note.due_at:  # a new time is a new reminder
        note.remind_claimed_at = note.reminded_at = None
        note.remind_attempts, note.remind_error = 0, ""
    note.text, note.due_at, note.updated_at = text, due_at, timezone.now()
    _saved(
        _edit(viewer, target, Edit.Action.NOTE_CHANGED, note, before, _words((text, due_at))), note
    )
    return note


def delete(*, viewer: Viewer, target: Target, note: Note) -> None:
    check_changeable(note, viewer)
    edit = _edit(
        viewer, target, Edit.Action.NOTE_DELETED, note, _words((note.text, note.due_at)), {}
    )
    with _recorded():
        edit.save(force_insert=True)
        note.delete()
        versions.changed(target.id)


def mark_done(*, viewer: Viewer, target: Target, note: Note) -> Note:
    """The author followed up: the note leaves their 待跟进 list (any time after writing)."""
    if note.author_userid != viewer.userid:
        raise Refused(NOT_YOURS)
    if note.done_at is None:
        note.done_at = timezone.now()
        _saved(_edit(viewer, target, Edit.Action.NOTE_DONE, note, {}, {"text": note.text}), note)
    return note


@dataclass(frozen=True)
class Due:
    note: Note
    overdue: bool
    link: str  # the page showing the note's customer or group


def due_today(*, staff_userid: str, now: datetime | None = None) -> list[Due]:
    """待跟进: the staff member's notes to follow up by the end of today, overdue first."""
    now = now or timezone.now()
    end_of_day = timezone.localtime(now).replace(hour=23, minute=59, second=59, microsecond=0)
    return [
        Due(note=note, overdue=note.due_at <= now, link=reminders.record_link(note))
        for note in due(staff_userid=staff_userid, until=end_of_day)
    ]


def due(*, staff_userid: str, until: datetime, limit: int = 20) -> list[Note]:
    """The author's notes to follow up by `until` (overdue first), not yet done."""
    return list(
        Note.objects.filter(
            author_userid=staff_userid, due_at__isnull=False, due_at__lte=until, done_at=None
        ).order_by("due_at", "id")[:limit]
    )


# Stages ------------------------------------------------------------------------------------


def offered_stages() -> list[Stage]:
    return list(Stage.objects.filter(enabled=True))


def stage_of(target: Target) -> CustomerStage | None:
    return (
        CustomerStage.objects.select_related("stage")
        .filter(target_kind=target.kind, target_id=target.id)
        .first()
    )


def set_stage(*, viewer: Viewer, target: Target, stage: Stage) -> CustomerStage:
    current = stage_of(target)
    if current is not None and current.stage_id == stage.pk:
        return current
    before = {"stage": current.stage.name} if current else {}
    record = current or CustomerStage(target_kind=target.kind, target_id=target.id)
    record.stage = stage
    record.target_name = target.name[:128] or record.target_name
    record.set_by_userid, record.set_by_name = viewer.userid[:64], viewer.name[:64]
    record.set_at = timezone.now()
    edit = audit.on(viewer, target, Edit.Action.STAGE, before, {"stage": stage.name})
    _saved(edit, record)
    return record
