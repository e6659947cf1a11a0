"""What the panel shows of a record: the section under a customer or group (stage, the latest
notes, the latest timeline events), and the cards an edit re-renders (remark, tags).

The section sits below the lookup's cached panel. It reads a bounded number of rows off
indexes (SHOWN_NOTES notes, timeline.SHOWN events of each source), and once rendered it is
kept per record version, viewer, language and minute (sidebar.records.versions), so a
customer with a long record costs a lookup what one without does (bench/records.py).
"""

import time
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language

from sidebar import in_process, profiles, staff_names
from sidebar.exceptions import ConfigurationError
from sidebar.records import forms, notes, remarks, tags, timeline, versions
from sidebar.records.models import Note, TargetKind
from sidebar.records.targets import Target
from sidebar.services import Viewer
from sidebar.wecom import get_client

# Kinds a stage is kept for: customers (a group is not a customer of the funnel).
STAGED = (TargetKind.CONTACT, TargetKind.KF)


@dataclass(frozen=True)
class NoteView:
    note: Note
    mine: bool
    changeable: bool
    due_passed: bool


def section_context(viewer: Viewer, target: Target, *, note_form=None, stage_form=None) -> dict:
    now = timezone.now()
    shown = notes.notes_on(target, limit=notes.SHOWN_NOTES + 1)
    more_notes = len(shown) > notes.SHOWN_NOTES
    shown = shown[: notes.SHOWN_NOTES]
    events, more = timeline.events(
        target, viewer=viewer.userid, limit=timeline.SHOWN, names=staff_names_of
    )
    context = {
        "target": target,
        "notes": [
            NoteView(
                note=note,
                mine=note.author_userid == viewer.userid,
                changeable=notes.may_change(note, viewer, now=now),
                due_passed=bool(note.due_at and note.due_at <= now),
            )
            for note in shown
        ],
        "more_notes": more_notes,
        "note_form": note_form or forms.NoteForm(),
        "events": events,
        "events_before": more,
        "staged": target.kind in STAGED,
    }
    if context["staged"]:
        current = notes.stage_of(target)
        context.update(
            stage=current,
            stages=notes.offered_stages(),
            stage_form=stage_form,
        )
    return context


# Record sections kept per process (a section is a few KB).
LIMIT = 2000
_rendered = in_process.Bounded(LIMIT)


def staff_names_of(userids: list[str]) -> dict[str, str]:
    """{userid: name} for staff WeCom's events name (cached; a few asked of WeCom at most)."""
    try:
        return staff_names.shown(get_client(), userids)
    except ConfigurationError:
        return {}


def section_html(request, viewer: Viewer, target: Target) -> str:
    """The record section for the lookup's answer (below the cached panel): rendered once per
    record version (sidebar.records.versions), viewer, language and minute (what a note may
    still be changed, what is overdue, move with the clock)."""
    version = versions.current(target.id)
    if version is None:
        return _render(request, viewer, target)
    key = (target.kind, target.id, viewer.userid, version, int(time.time() // 60), get_language())
    html = _rendered.get(key)
    if html is None:
        html = _render(request, viewer, target)
        _rendered.put(key, html)
    return html


def _render(request, viewer: Viewer, target: Target) -> str:
    return render_to_string(
        "sidebar/records/section.html", section_context(viewer, target), request
    )


def mine_context(target: Target, remark: remarks.Remark) -> dict:
    """The "my remark" card, as contact.html shows it from the profile."""
    return {
        "mine": {
            "external_userid": target.id,
            "is_wechat_user": target.is_wechat_user,
            "remark": remark.remark,
            "description": remark.description,
            "remark_corp_name": remark.company,
            "remark_mobiles": list(remark.mobiles),
        }
    }


def tags_context(target: Target, held: list[tags.HeldTag]) -> dict:
    """The tags card, as contact.html shows it from the profile."""
    raw = [
        {
            "group_name": tag.group,
            "tag_name": tag.name,
            "tag_id": tag.id,
            "type": 1 if tag.id else 2,
        }
        for tag in held
    ]
    return {"external_userid": target.id, "tag_groups": profiles.tag_groups(raw)}
