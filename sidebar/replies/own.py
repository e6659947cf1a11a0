"""What is a staff member's own in the library: the text replies they wrote (我的话术) and the
shared replies they starred (收藏). Both come first in their library; neither is ever shown to
anyone else (an admin reviews the written ones in Django admin and may add them to the shared
library: `promote`). Views call these with keyword arguments; nothing here knows HTTP.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext

from sidebar.replies import library_cache, placeholders
from sidebar.replies.models import Category, Reply, Star

OWN_REPLIES_MAX = 200  # per staff member: a personal list, not a second library


@dataclass(frozen=True)
class Written:
    reply: Reply
    unavailable: str  # why it cannot be sent in this chat; '' when it can


@dataclass(frozen=True)
class Mine:
    written: list[Written]  # their own replies, newest first
    starred: list[Reply]  # shared replies they starred and may send here, newest star first
    starred_ids: list[int]  # every reply they starred (the library marks them)


def visible_to(staff_userid: str) -> Q:
    """The replies a staff member may send: the shared library and their own."""
    return Q(owner_userid="") | Q(owner_userid=staff_userid)


def mine(*, staff_userid: str, kinds: set[str], no_customer: str = "") -> Mine:
    """The staff member's own replies, and their starred replies that may be sent here (of
    `kinds`). `no_customer`: why a reply naming the customer cannot be sent here ('' where
    it can)."""
    written = [
        Written(reply, no_customer if placeholders.names_customer(reply) else "")
        for reply in Reply.objects.filter(owner_userid=staff_userid, enabled=True).order_by(
            "-updated_at", "-id"
        )
    ]
    stars = list(
        Star.objects.filter(staff_userid=staff_userid, reply__enabled=True, reply__owner_userid="")
        .select_related("reply", "reply__category")
        .prefetch_related("reply__menu_items")
        .order_by("-created_at", "-id")
    )
    starred = [
        star.reply
        for star in stars
        if star.reply.kind in kinds
        and not (no_customer and placeholders.names_customer(star.reply))
    ]
    return Mine(written=written, starred=starred, starred_ids=[star.reply_id for star in stars])


def save(*, staff_userid: str, title: str, text: str, reply_id: int | None = None) -> Reply:
    """Write a new own reply, or change one of the staff member's own. Raises
    Reply.DoesNotExist for a reply that is not theirs, ValidationError for what WeCom or the
    library would refuse (as the admin's form does: sidebar.replies.kinds)."""
    if reply_id is None:
        if Reply.objects.filter(owner_userid=staff_userid).count() >= OWN_REPLIES_MAX:
            raise ValidationError(
                gettext("You have %(n)d replies of your own, the most there can be.")
                % {"n": OWN_REPLIES_MAX},
                code="too_many",
            )
        reply = Reply(owner_userid=staff_userid, kind=Reply.Kind.TEXT)
    else:
        reply = Reply.objects.get(pk=reply_id, owner_userid=staff_userid)
    reply.title, reply.text = title, text
    reply.full_clean(exclude=["category", "owner_userid"])
    reply.save()
    return reply


def delete(*, staff_userid: str, reply_id: int) -> bool:
    """Delete one of the staff member's own replies; False if they have no such reply. Its
    sends stay in the send log (with its title), as for any deleted reply."""
    deleted, _ = Reply.objects.filter(pk=reply_id, owner_userid=staff_userid).delete()
    return bool(deleted)


def star(*, staff_userid: str, reply_id: int, on: bool) -> bool:
    """Star or unstar a shared reply; False if there is no such enabled shared reply."""
    if not Reply.objects.filter(pk=reply_id, owner_userid="", enabled=True).exists():
        return False
    if on:
        Star.objects.get_or_create(staff_userid=staff_userid, reply_id=reply_id)
    else:
        Star.objects.filter(staff_userid=staff_userid, reply_id=reply_id).delete()
    return True


def promote(*, replies, category: Category) -> int:
    """Add staff members' own replies to the shared library, in `category`: everyone sees
    them from now on. The number promoted."""
    with transaction.atomic():
        count = replies.exclude(owner_userid="").update(owner_userid="", category=category)
    library_cache.changed()  # update() sends no signal
    return count
