"""How the timeline says what an edit changed: one line per field, "before → after"."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from sidebar.records.models import Edit

register = template.Library()

FIELDS = {
    "remark": _("Remark"),
    "description": _("Description"),
    "company": _("Company"),
    "mobiles": _("Mobile"),
    "tags": _("Tags"),
    "stage": _("Stage"),
    "text": _("Note"),
    "due_at": _("Follow up next"),
}
NOTE_ACTIONS = {Edit.Action.NOTE_ADDED, Edit.Action.NOTE_CHANGED, Edit.Action.NOTE_DONE}


def words(value) -> str:
    if value in (None, "", [], ()):
        return "—"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value) or "—"
    if isinstance(value, str) and (moment := _moment(value)) is not None:
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    return str(value)


def _moment(value: str) -> datetime | None:
    if len(value) < 16 or value[4:5] != "-" or "T" not in value:
        return None
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    return moment if moment is not None and timezone.is_aware(moment) else None


def change_lines(kind: str, before: dict, after: dict) -> list[str]:
    """What changed, in words. A note shows what it says now (a deleted note shows nothing:
    its text is gone from the record)."""
    if kind in NOTE_ACTIONS:
        return [words(after.get("text"))] if after.get("text") else []
    if kind not in {a.value for a in Edit.Action}:
        return []
    lines = []
    for name in dict.fromkeys([*before, *after]):
        label = FIELDS.get(name, name)
        lines.append(f"{label}：{words(before.get(name))} → {words(after.get(name))}")
    return lines


def field_words(values: dict | None) -> str:
    """{field: value} as "备注：陈总；电话：…" (for the admin and its CSV)."""
    return "；".join(f"{FIELDS.get(k, k)}：{words(v)}" for k, v in (values or {}).items())


@register.simple_tag
def changed(event) -> list[str]:
    return change_lines(event.kind, event.before, event.after)
