"""客户轨迹: one list per customer or group, newest first, of what happened with them: the
replies sent (sidebar.replies' send log), the saved record edits (notes, stage, remark, tags),
and what WeCom's change events said (sidebar.events). Each page reads at most `limit` rows of
each source off its (target, time) index, so a customer with thousands of events costs what
one with a few does.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from sidebar.events.models import ChangeEvent
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


def events(
    target: Target,
    *,
    viewer: str,
    before: datetime | None = None,
    limit: int = PAGE,
    names: Callable[[list[str]], dict[str, str]] = lambda userids: {},
):
    """(up to `limit` events older than `before` as `viewer` may see them, the time to ask for
    the next page from, or None when there is no more). `names` names the staff WeCom's events
    give by userid."""
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
    changes = ChangeEvent.objects.filter(target_id=target.id)
    if before is not None:
        changes = changes.filter(happened_at__lt=before)
    changes = list(changes.order_by("-happened_at", "-id")[: limit + 1])
    named = names(sorted({c.user_id for c in changes if c.user_id})) if changes else {}
    found += [_change_event(c, named) for c in changes]
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


# What WeCom's events said, in words (change_external_contact, change_external_chat).
CHANGES = {
    "add_external_contact": _("added the customer"),
    "add_half_external_contact": _("was added by the customer (not yet accepted)"),
    "edit_external_contact": _("changed their remark or tags in WeCom"),
    "del_external_contact": _("deleted the customer"),
    "del_follow_user": _("was deleted by the customer"),
    "transfer_fail": _("could not take over the customer"),
    "create": _("The group was created"),
    "dismiss": _("The group was dismissed"),
}
GROUP_UPDATES = {
    "add_member": _("members joined the group"),
    "del_member": _("members left the group"),
    "change_owner": _("the group has a new owner"),
    "change_name": _("the group was renamed"),
    "change_notice": _("the group notice changed"),
}
FAIL_REASONS = {
    "customer_refused": _("the customer refused"),
    "customer_limit_exceed": _("the receiver has too many customers"),
}


def _change_event(change: ChangeEvent, names: dict[str, str]) -> Event:
    words = CHANGES.get(change.change_type)
    detail = change.detail or {}
    if change.change_type == "update":
        what = GROUP_UPDATES.get(detail.get("UpdateDetail", ""), _("the group changed"))
        words = _("In WeCom: %(what)s") % {"what": what}
    elif (
        change.change_type == "del_external_contact"
        and detail.get("Source") == "DELETE_BY_TRANSFER"
    ):
        words = _("handed the customer over to a colleague")
    elif change.change_type == "transfer_fail" and detail.get("FailReason") in FAIL_REASONS:
        words = f"{words}: {FAIL_REASONS[detail['FailReason']]}"
    return Event(
        at=change.happened_at,
        kind="wecom",
        staff=names.get(change.user_id) or change.user_id,
        words=str(words or f"{change.event}/{change.change_type}"),
        before={},
        after={},
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
