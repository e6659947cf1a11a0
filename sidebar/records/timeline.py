"""客户轨迹: one list per customer or group, newest first, of what staff did with them: the
replies sent (sidebar.replies' send log) and the saved record edits (notes, stage, remark,
tags). Each page reads at most `limit` rows of each source off its (target, time) index, so
a customer with thousands of events costs what one with a few does.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from sidebar.records.models import Edit
from sidebar.records.targets import Target
from sidebar.replies.models import Send

PAGE = 20
SHOWN = 5  # what the panel shows before "more"
# What a staff member writes into their own follow_user entry in WeCom (remark, tags) is theirs:
# colleagues see that it changed, not what it says (as the panel shows only one's own entry).
PRIVATE = {Edit.Action.REMARK, Edit.Action.TAGS}


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # "send" or an Edit.Action value
    staff: str  # who (their name then, else their userid)
    words: str  # what happened, in words
    before: dict
    after: dict


def events(target: Target, *, viewer: str, before: datetime | None = None, limit: int = PAGE):
    """(up to `limit` events older than `before` as `viewer` may see them, the time to ask for
    the next page from, or None when there is no more)."""
    edits = Edit.objects.filter(
        target_kind=target.kind, target_id=target.id, outcome=Edit.Outcome.SAVED
    )
    sends = Send.objects.filter(target_id=target.id, outcome=Send.Outcome.SENT)
    if before is not None:
        edits, sends = edits.filter(created_at__lt=before), sends.filter(created_at__lt=before)
    found = [_edit_event(e, viewer) for e in edits.order_by("-created_at", "-id")[: limit + 1]]
    found += [
        _send_event(s)
        for s in sends.order_by("-created_at", "-id").only(
            "created_at", "staff_userid", "staff_name", "reply_title", "kind"
        )[: limit + 1]
    ]
    found.sort(key=lambda event: event.at, reverse=True)
    page = found[:limit]
    more = len(found) > limit
    return page, (page[-1].at if more and page else None)


def _edit_event(edit: Edit, viewer: str) -> Event:
    private = edit.action in PRIVATE and edit.staff_userid != viewer
    return Event(
        at=edit.created_at,
        kind=edit.action,
        staff=edit.staff_name or edit.staff_userid,
        words=str(edit.get_action_display()),
        before={} if private else edit.before or {},
        after={} if private else edit.after or {},
    )


def _send_event(send: Send) -> Event:
    return Event(
        at=send.created_at,
        kind="send",
        staff=send.staff_name or send.staff_userid,
        words=str(_("Sent a reply: %(title)s") % {"title": send.reply_title}),
        before={},
        after={},
    )
