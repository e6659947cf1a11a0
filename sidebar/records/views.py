"""The record's endpoints. Each resolves whose record it is (the session's staff member must be
allowed to see the customer or group exactly as for the lookup), calls one service and renders
the part of the panel it changed. Bad input is a 400 with the form and its message, before
anything is sent to WeCom; a WeCom failure is said on the form, which keeps what was typed.
"""

import functools

from django.http import Http404
from django.shortcuts import render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sidebar import services, signin
from sidebar.access import staff_required
from sidebar.exceptions import WeComError
from sidebar.explanations import LOOKUP_NOT_RECORDED, RECORD_NOT_RECORDED, explain
from sidebar.forms import WECOM_ID
from sidebar.problems import problem_fragment
from sidebar.records import audit, forms, notes, panel, remarks, tags, targets, timeline
from sidebar.records.models import Edit, Note, TargetKind
from sidebar.services import AuditUnavailable, Refused, Viewer
from sidebar.wecom import get_client

SECTION = "sidebar/records/section.html"


def record_view(*, action: str | None = None, kinds=tuple(TargetKind.values)):
    """Pass `viewer` and `target` (sidebar.records.targets) to the view. A staff member who
    may not see the customer or group is refused in words (403) before the view reads
    anything of the record. Every change is recorded as an Edit row (a refused one as
    `action`); every read, allowed or not, as a row of the lookup log, without which nothing
    is shown."""

    def decorator(view):
        @functools.wraps(view)
        @staff_required(problem_fragment)
        def wrapper(request, kind, target_id, *args, staff, **kwargs):
            if kind not in kinds or len(target_id) > 128 or not WECOM_ID.match(target_id):
                raise Http404
            viewer = Viewer(
                userid=staff,
                name=signin.current_staff_name(request),
                operator=signin.current_operator(request),
            )
            reading = request.method != "POST"
            try:
                try:
                    target = targets.resolve(
                        client=get_client(), viewer=staff, kind=kind, target_id=target_id
                    )
                except (Refused, WeComError) as exc:
                    if reading:
                        services.audit_record_read(viewer=viewer, target_id=target_id, failure=exc)
                    elif isinstance(exc, Refused) and action:
                        audit.refusal(
                            viewer,
                            kind=kind,
                            target_id=target_id,
                            action=action,
                            outcome=Edit.Outcome.DENIED,
                        )
                    if isinstance(exc, Refused):
                        return problem_fragment(request, exc.explanation)
                    return problem_fragment(request, explain(exc), status=200)
                if reading:
                    services.audit_record_read(
                        viewer=viewer, target_id=target.id, target_name=target.name
                    )
            except AuditUnavailable:
                return problem_fragment(request, LOOKUP_NOT_RECORDED)
            try:
                return view(request, *args, viewer=viewer, target=target, **kwargs)
            except Refused as exc:
                return problem_fragment(request, exc.explanation)
            except AuditUnavailable:
                return problem_fragment(request, RECORD_NOT_RECORDED)

        return wrapper

    return decorator


def _invalid(request, viewer, target, action: str, form, template: str, context: dict):
    """Bad input: recorded, and the form again with its message (400); nothing was sent."""
    audit.refusal(
        viewer,
        kind=target.kind,
        target_id=target.id,
        target_name=target.name,
        action=action,
        outcome=Edit.Outcome.INVALID,
        after={"error": forms.first_error(form)[:200]},
    )
    return render(request, template, context, status=400)


# Remark ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@record_view(action=Edit.Action.REMARK, kinds=(TargetKind.CONTACT,))
def remark(request, *, viewer, target):
    now = remarks.current(target)
    if request.method == "GET":
        form = forms.RemarkForm(
            initial={"remark": now.remark, "description": now.description, "company": now.company},
            initial_mobiles=now.mobiles,
        )
        return _remark_form(request, target, form)
    form = forms.RemarkForm(request.POST)
    if not form.is_valid():
        context = _remark_form_context(target, form)
        template = "sidebar/records/remark_form.html"
        return _invalid(request, viewer, target, Edit.Action.REMARK, form, template, context)
    try:
        saved = remarks.change(
            client=get_client(), viewer=viewer, target=target, wanted=form.wanted(now)
        )
    except WeComError as exc:
        return _remark_form(request, target, form, problem=explain(exc))
    return render(request, "sidebar/records/mine.html", panel.mine_context(target, saved))


def _remark_form_context(target, form, problem=None) -> dict:
    mobiles = list(form.mobile_values)
    return {
        "target": target,
        "form": form,
        "mobiles": mobiles + [""] * (2 if len(mobiles) < remarks.MOBILES_MAX else 0),
        "mobiles_max": remarks.MOBILES_MAX,
        "problem": problem,
    }


def _remark_form(request, target, form, problem=None):
    context = _remark_form_context(target, form, problem)
    return render(request, "sidebar/records/remark_form.html", context)


# Tags --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@record_view(action=Edit.Action.TAGS, kinds=(TargetKind.CONTACT,))
def tag_editor(request, *, viewer, target):
    client = get_client()
    try:
        library = tags.library(client=client)
    except WeComError as exc:
        return problem_fragment(request, explain(exc), status=200)
    held = tags.held(target)
    if request.method == "GET":
        return _tags_form(request, target, library, held)
    form = forms.TagsForm(request.POST, known=tags.ids(library, held))
    if not form.is_valid():
        context = _tags_form_context(target, library, held, error=forms.first_error(form))
        return _invalid(
            request,
            viewer,
            target,
            Edit.Action.TAGS,
            form,
            "sidebar/records/tags_form.html",
            context,
        )
    change = form.cleaned_data
    try:
        now = tags.change(
            client=client,
            viewer=viewer,
            target=target,
            groups=library,
            add=change["add"],
            remove=change["remove"],
        )
    except WeComError as exc:
        return _tags_form(request, target, library, held, problem=explain(exc))
    return render(request, "sidebar/records/tags.html", panel.tags_context(target, now))


def _tags_form_context(target, library, held, *, problem=None, error="") -> dict:
    holding = {tag.id for tag in held if tag.id}
    return {
        "target": target,
        "library": library,
        "holding": holding,
        "personal": [tag for tag in held if not tag.id],
        "problem": problem,
        "error": error,
    }


def _tags_form(request, target, library, held, *, problem=None):
    context = _tags_form_context(target, library, held, problem=problem)
    return render(request, "sidebar/records/tags_form.html", context)


# Notes and stage -----------------------------------------------------------------------------


@require_GET
@record_view()
def section(request, *, viewer, target):
    return _section(request, viewer, target)


def _section(request, viewer, target):
    return render(request, SECTION, panel.section_context(viewer, target))


def _invalid_section(request, viewer, target, action: str, form, **forms_shown):
    """The section again, the refused form showing its message (400)."""
    context = panel.section_context(viewer, target, **forms_shown)
    return _invalid(request, viewer, target, action, form, SECTION, context)


@require_POST
@record_view(action=Edit.Action.NOTE_ADDED)
def add_note(request, *, viewer, target):
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        return _invalid_section(
            request, viewer, target, Edit.Action.NOTE_ADDED, form, note_form=form
        )
    data = form.cleaned_data
    notes.add(viewer=viewer, target=target, text=data["text"], due_at=data["due_at"])
    return _section(request, viewer, target)


def _note(target, note_id: int) -> Note:
    note = Note.objects.filter(pk=note_id, target_kind=target.kind, target_id=target.id).first()
    if note is None:
        raise Refused(notes.NO_SUCH_NOTE)
    return note


@require_http_methods(["GET", "POST"])
@record_view(action=Edit.Action.NOTE_CHANGED)
def note(request, note_id: int, *, viewer, target):
    found = _note(target, note_id)
    if request.method == "GET":
        notes.check_changeable(found, viewer)
        form = forms.NoteForm(initial={"text": found.text, "due_at": found.due_at})
        context = {"target": target, "note": found, "form": form}
        return render(request, "sidebar/records/note_form.html", context)
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        context = {"target": target, "note": found, "form": form}
        return _invalid(
            request,
            viewer,
            target,
            Edit.Action.NOTE_CHANGED,
            form,
            "sidebar/records/note_form.html",
            context,
        )
    data = form.cleaned_data
    notes.change(viewer=viewer, target=target, note=found, text=data["text"], due_at=data["due_at"])
    return _section(request, viewer, target)


@require_POST
@record_view(action=Edit.Action.NOTE_DELETED)
def delete_note(request, note_id: int, *, viewer, target):
    notes.delete(viewer=viewer, target=target, note=_note(target, note_id))
    return _section(request, viewer, target)


@require_POST
@record_view(action=Edit.Action.NOTE_DONE)
def note_done(request, note_id: int, *, viewer, target):
    notes.mark_done(viewer=viewer, target=target, note=_note(target, note_id))
    return _section(request, viewer, target)


@require_POST
@record_view(action=Edit.Action.STAGE, kinds=panel.STAGED)
def stage(request, *, viewer, target):
    form = forms.StageForm(request.POST)
    if not form.is_valid():
        return _invalid_section(request, viewer, target, Edit.Action.STAGE, form, stage_form=form)
    notes.set_stage(viewer=viewer, target=target, stage=form.cleaned_data["stage"])
    return _section(request, viewer, target)


@require_GET
@record_view()
def events(request, *, viewer, target):
    """A further page of the timeline, older than `before`."""
    try:
        before = parse_datetime(request.GET.get("before", "")[:40])
    except ValueError:
        before = None
    if before is None:
        raise Http404
    page, more = timeline.events(
        target, viewer=viewer.userid, before=before, names=panel.staff_names_of
    )
    context = {"target": target, "events": page, "events_before": more}
    return render(request, "sidebar/records/events.html", context)
