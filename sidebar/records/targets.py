"""Whose record a staff member may read and write: exactly who may see the customer or group
in the panel (sidebar.services), decided on the server from the session's staff member.

- a customer: staff who follow them (their own follow_user entry is what they edit);
- a customer group: its owner, admins and staff members;
- a WeChat customer-service customer: any signed-in member (as the lookup: WeCom shows that
  toolbar to the servicer, and its API has no per-servicer check).
"""

from dataclasses import dataclass, field

from sidebar import profiles, services
from sidebar.exceptions import WeComError
from sidebar.explanations import DENIED, GROUP_DENIED
from sidebar.records.models import TargetKind
from sidebar.services import Refused


@dataclass(frozen=True)
class Target:
    kind: str  # a TargetKind value
    id: str
    name: str = ""  # what WeCom calls them ('' when unknown)
    # A customer: the viewer's own follow_user entry, and whether they are a WeChat user.
    follower: dict = field(default_factory=dict)
    is_wechat_user: bool = False


def resolve(*, client, viewer: str, kind: str, target_id: str) -> Target:
    """The record `viewer` may open. Raises Refused (with the words the lookup uses) when
    they may not, WeComError when WeCom cannot say."""
    if kind == TargetKind.CONTACT:
        seen = services.cached_contact(client=client, external_userid=target_id, viewer=viewer)
        contact = seen.external_contact
        if seen.follower is None:
            raise Refused(DENIED)
        return Target(
            kind=kind,
            id=target_id,
            name=str(contact.get("name") or ""),
            follower=seen.follower,
            is_wechat_user=contact.get("type") == profiles.WECHAT_USER,
        )
    if kind == TargetKind.GROUP:
        group = services.cached_group(client=client, chat_id=target_id)
        if not profiles.may_see_group(group, viewer):
            raise Refused(GROUP_DENIED)
        return Target(kind=kind, id=target_id, name=str(group.get("name") or ""))
    if kind == TargetKind.KF:
        try:
            customer = services.cached_kf_customer(client=client, external_userid=target_id)
        except WeComError:
            customer = None  # the record is ours; only its name comes from WeCom
        return Target(kind=kind, id=target_id, name=str((customer or {}).get("nickname") or ""))
    raise ValueError(f"unknown record kind {kind!r}")
