"""Every change to a customer record is an Edit row, written before anything changes.

A change WeCom makes (remark, tags) is recorded as PENDING before the call and given its
outcome after it: no edit reaches WeCom that the log does not hold (AuditUnavailable, and
nothing is sent, when the row cannot be written). A change kept in our database (notes, stage)
is written in the same transaction as its row. Refusals (bad input, not a follower) are
recorded too, best effort: nothing changed, so nothing is lost when that row is missing.
"""

import logging
from contextlib import contextmanager

from django.db import DatabaseError

from sidebar import hosts
from sidebar.exceptions import WeComError, WeComWritesBusy
from sidebar.records import versions
from sidebar.records.models import Edit
from sidebar.services import AuditUnavailable, Viewer
from sidebar.sqlite_writes import one_writer

logger = logging.getLogger(__name__)


def row(viewer: Viewer, *, kind: str, target_id: str, target_name: str = "", **fields) -> Edit:
    """An unsaved Edit row by `viewer` on the target."""
    return Edit(
        staff_userid=viewer.userid[:64],
        staff_name=viewer.name[:64],
        **hosts.audit_fields(viewer.operator),
        target_kind=kind,
        target_id=target_id[:128],
        target_name=target_name[:128],
        **fields,
    )


def on(viewer: Viewer, target, action: str, before: dict, after: dict, **fields) -> Edit:
    """An unsaved row of `viewer`'s change to the record of `target` (a records Target);
    saved (outcome SAVED) unless `fields` say otherwise."""
    return row(
        viewer,
        kind=target.kind,
        target_id=target.id,
        target_name=target.name,
        action=action,
        before=before,
        after=after,
        **{"outcome": Edit.Outcome.SAVED, **fields},
    )


def begin(viewer: Viewer, target, *, action: str, before: dict, after: dict) -> Edit:
    """The PENDING row of a change about to be sent to WeCom. Raises AuditUnavailable."""
    edit = on(viewer, target, action, before, after, outcome=Edit.Outcome.PENDING)
    try:
        with one_writer():
            edit.save(force_insert=True)
    except DatabaseError as exc:
        logger.error(
            "Edit row not written, edit not sent: staff=%s target=%s action=%s",
            viewer.userid,
            target.id,
            action,
        )
        raise AuditUnavailable from exc
    return edit


@contextmanager
def sent_to_wecom(viewer: Viewer, target, *, action: str, before: dict, after: dict):
    """The change made in the block (one WeCom call) with its row: PENDING before the call,
    then BUSY (not sent: the edit bound was full), FAILED (with WeCom's errcode) or SAVED.
    Raises AuditUnavailable, and sends nothing, when the row cannot be written."""
    edit = begin(viewer, target, action=action, before=before, after=after)
    try:
        yield
    except WeComWritesBusy:
        finish(edit, Edit.Outcome.BUSY)
        raise
    except WeComError as exc:
        finish(edit, Edit.Outcome.FAILED, errcode=exc.errcode)
        raise
    finish(edit, Edit.Outcome.SAVED)


def finish(edit: Edit, outcome: str, *, errcode: int | None = None) -> None:
    """Give a PENDING row its outcome. WeCom has already answered, so a database failure
    here is logged: the row stays PENDING ("no answer from WeCom"), never missing."""
    try:
        with one_writer():
            Edit.objects.filter(pk=edit.pk).update(outcome=outcome, errcode=errcode)
        if outcome == Edit.Outcome.SAVED:
            versions.changed(edit.target_id)  # the timeline shows it now
    except DatabaseError:
        logger.error("Edit %s stays pending: its outcome %s was not written", edit.pk, outcome)


def refusal(viewer: Viewer, *, kind: str, target_id: str, action: str, outcome: str, **fields):
    """Record an edit that was refused before anything changed (best effort)."""
    try:
        with one_writer():
            row(
                viewer, kind=kind, target_id=target_id, action=action, outcome=outcome, **fields
            ).save(force_insert=True)
    except DatabaseError:
        logger.error(
            "Refused edit not recorded: staff=%s target=%s action=%s outcome=%s",
            viewer.userid,
            target_id,
            action,
            outcome,
        )
