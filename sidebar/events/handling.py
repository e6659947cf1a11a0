"""What each change event does, quickly enough to answer WeCom within its 5 s: it is recorded
once (a retried delivery is the same message; sidebar.events.recording), and then

- a customer's change (change_external_contact) drops every cached copy of that customer;
  when the customer deleted a staff member or a staff member deleted the customer, that staff
  member's access ends at once (sidebar.events.follows), until WeCom says they added the
  customer again;
- a group's change (change_external_chat) drops the group's cached panel;
- a tag change (change_external_tag) drops the cached tag library;
- the customer's or group's record section shows it on the timeline (its version changes).
"""

import hashlib
import logging
from datetime import UTC, datetime

from django.core.cache import caches
from django.utils import timezone

from sidebar import services
from sidebar.events import recording
from sidebar.events.models import ChangeEvent
from sidebar.records import tags, versions

logger = logging.getLogger(__name__)

CONTACT, CHAT, TAG = recording.CONTACT, "change_external_chat", "change_external_tag"
# The event fields kept as its detail (the ids have columns of their own).
DETAIL = ("Source", "FailReason", "UpdateDetail", "State", "TagType", "StrategyId",
          "JoinScene", "QuitScene", "MemChangeCnt", "MemChangeList")  # fmt: skip


def handle(*, client, message: bytes, fields: dict[str, str]) -> ChangeEvent | None:
    """Record the event and do what it asks: its row, or None when it was handled before."""
    event = fields.get("Event", "")
    row = ChangeEvent(
        happened_at=_moment(fields.get("CreateTime", "")),
        event=event[:32],
        change_type=fields.get("ChangeType", "")[:32],
        user_id=fields.get("UserID", "")[:64],
        external_userid=fields.get("ExternalUserID", "")[:128],
        chat_id=fields.get("ChatId", "")[:128],
        tag_id=fields.get("Id", "")[:128] if event == TAG else "",
        detail={name: fields[name] for name in DETAIL if fields.get(name)},
        digest=hashlib.sha256(message).hexdigest(),
    )
    row.target_id = row.external_userid or row.chat_id
    if not recording.record(row):
        return None  # WeCom delivered it again
    _forget(client, row)
    return row


def _forget(client, row: ChangeEvent) -> None:
    """Drop what the caches hold about what changed, in one round trip to the shared cache
    (this process's copies go at once; other processes' short copies end within seconds),
    and with it the record's version."""
    keys = []
    if row.target_id:
        keys += services.cached_lookup_keys(client=client, target_ids=[row.target_id])
        keys.append(versions.key_to_drop(row.target_id))
    if row.event == CONTACT and row.user_id:
        # The staff member's list of the customers they added (their name stays cached).
        keys.append(services.followed_key(client=client, userid=row.user_id))
    if keys:
        caches["default"].delete_many(keys)
    if row.target_id:
        versions.dropped([row.target_id])
    if row.event == TAG:
        tags.forget_library(client=client)


def _moment(create_time: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(create_time), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return timezone.now()
