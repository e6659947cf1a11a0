"""Turn WeCom's answers into what the panels show one staff member.

For a customer, only the viewer's own `follow_user` entry is used (their remark, tags, how
they added the customer); of the other followers the panel shows only how many there are.
"""

import hashlib
import pickle
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from django.utils.translation import gettext_lazy as _

from sidebar.customers import ViewerContact

# add_way values (docs/wecom.md, "Customers").
ADD_WAYS = {
    0: _("unknown source"),
    1: _("scanned a QR code"),
    2: _("searched a mobile number"),
    3: _("shared business card"),
    4: _("from a group chat"),
    5: _("from phone contacts"),
    6: _("from WeChat contacts"),
    8: _("service staff added when a third-party app was installed"),
    9: _("searched an email address"),
    10: _("from a WeChat Channels homepage"),
    201: _("shared by a colleague"),
    202: _("assigned by an admin or owner"),
}
GENDERS = {1: _("male"), 2: _("female")}
WECHAT_USER, WECOM_USER = 1, 2


def safe_url(value) -> str:
    """`value` if it is an http(s) URL, else "": WeCom data never picks a link's scheme."""
    if not isinstance(value, str):
        return ""
    parts = urlsplit(value.strip())
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else ""


def _text(value) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


@dataclass(frozen=True)
class Attribute:
    name: str
    kind: str  # "text" | "web" | "miniprogram"
    value: str
    url: str = ""


@dataclass(frozen=True)
class ShownTag:
    name: str
    # A tag the staff member made up in the client (type 2): WeCom's API cannot change it.
    personal: bool = False


@dataclass(frozen=True)
class TagGroup:
    name: str
    tags: list[ShownTag]


@dataclass(frozen=True)
class ContactProfile:
    external_userid: str
    name: str
    avatar_url: str
    is_wechat_user: bool
    corp_name: str
    corp_full_name: str
    gender: str
    position: str
    attributes: list[Attribute]
    remark: str
    description: str
    remark_corp_name: str
    remark_mobiles: list[str]
    tag_groups: list[TagGroup]
    added_at: datetime | None
    add_way: str
    state: str
    other_followers: int


def build_profile(seen: ViewerContact) -> ContactProfile:
    """The profile `seen.follower` (who must follow the customer) is shown."""
    contact, follower = seen.external_contact, seen.follower or {}
    return ContactProfile(
        external_userid=_text(contact.get("external_userid")),
        name=_text(contact.get("name")),
        avatar_url=safe_url(contact.get("avatar")),
        is_wechat_user=contact.get("type") == WECHAT_USER,
        corp_name=_text(contact.get("corp_name")),
        corp_full_name=_text(contact.get("corp_full_name")),
        gender=GENDERS.get(contact.get("gender"), ""),
        position=_text(contact.get("position")),
        attributes=_attributes(contact.get("external_profile") or {}),
        remark=_text(follower.get("remark")),
        description=_text(follower.get("description")),
        remark_corp_name=_text(follower.get("remark_corp_name")),
        remark_mobiles=[_text(m) for m in follower.get("remark_mobiles") or [] if m],
        tag_groups=tag_groups(follower.get("tags") or []),
        added_at=_timestamp(follower.get("createtime")),
        add_way=ADD_WAYS.get(follower.get("add_way"), ADD_WAYS[0]),
        state=_text(follower.get("state")),
        other_followers=max(0, seen.follower_count - 1),
    )


def _attributes(external_profile: dict) -> list[Attribute]:
    attributes = []
    for item in external_profile.get("external_attr") or []:
        if not isinstance(item, dict):
            continue
        name = _text(item.get("name"))
        if item.get("type") == 0:
            value = _text((item.get("text") or {}).get("value"))
            attributes.append(Attribute(name=name, kind="text", value=value))
        elif item.get("type") == 1:
            web = item.get("web") or {}
            title = _text(web.get("title")) or _text(web.get("url"))
            attributes.append(
                Attribute(name=name, kind="web", value=title, url=safe_url(web.get("url")))
            )
        elif item.get("type") == 2:
            title = _text((item.get("miniprogram") or {}).get("title"))
            attributes.append(Attribute(name=name, kind="miniprogram", value=title))
    return attributes


def tag_groups(tags: list) -> list[TagGroup]:
    """follow_user.tags by group name, in WeCom's order; personal tags marked as such."""
    groups: dict[str, list[ShownTag]] = {}
    for tag in tags:
        if isinstance(tag, dict) and tag.get("tag_name"):
            shown = ShownTag(name=_text(tag["tag_name"]), personal=tag.get("type") == 2)
            groups.setdefault(_text(tag.get("group_name")), []).append(shown)
    return [TagGroup(name=name, tags=names) for name, names in groups.items()]


def _timestamp(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC) if value else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None


# Customer groups (externalcontact/groupchat/get) ---------------------------------------------

JOIN_SCENES = {
    1: _("invited directly"),
    2: _("joined through an invite link"),
    3: _("scanned the group QR code"),
}
STAFF_MEMBER, CUSTOMER_MEMBER = 1, 2


@dataclass(frozen=True)
class GroupMember:
    userid: str
    is_customer: bool
    display_name: str
    joined_at: datetime | None
    join_scene: str
    invitor: str


@dataclass(frozen=True)
class GroupView:
    chat_id: str
    name: str
    owner: str  # the owner's name (their userid when WeCom gave none), as are admins
    notice: str
    created_at: datetime | None
    staff_count: int
    customer_count: int
    members: list[GroupMember]  # the run of them shown, from the `members_from`th
    admins: list[str]
    members_from: int = 0

    @property
    def more_from(self) -> int | None:
        """Where the next run of members starts; None when this run is the last."""
        end = self.members_from + len(self.members)
        return end if end < self.staff_count + self.customer_count else None

    @property
    def more_count(self) -> int:
        """How many members come after this run."""
        return self.staff_count + self.customer_count - self.members_from - len(self.members)


# A group panel lists its first members (a few screens of them); the rest come a run at a
# time as staff scroll to them (docs/speed.md, "A 2,000-member group").
FIRST_MEMBERS = 40
MEMBERS_PAGE = 200


def may_see_group(group: dict, userid: str) -> bool:
    """The owner, an admin, or a staff member of the group."""
    if group.get("owner") == userid:
        return True
    if any(a.get("userid") == userid for a in group.get("admin_list") or [] if isinstance(a, dict)):
        return True
    return any(
        isinstance(m, dict) and m.get("type") == STAFF_MEMBER and m.get("userid") == userid
        for m in group.get("member_list") or []
    )


def _members(group: dict) -> list[dict]:
    return [m for m in group.get("member_list") or [] if isinstance(m, dict)]


def customer_ids(group: dict) -> set[str]:
    return {_text(m.get("userid")) for m in _members(group) if m.get("type") == CUSTOMER_MEMBER}


def group_digest(group: dict, names: dict[str, str]) -> str:
    """What a group panel shows of `group` and the staff `names`, in a few bytes: a panel is
    rendered once per digest (sidebar.fragments, in this process only). The whole answer
    goes in, not member_version alone: WeCom does not say that a nickname, the notice or
    the name moves member_version. Pickled, not JSON: 1 ms for 2,000 members, not 7. Equal
    answers may pickle apart (a string shared or not), which costs a render, never a stale
    panel: different answers never pickle alike."""
    shown = pickle.dumps([group, sorted(names.items())], protocol=5)
    return hashlib.blake2b(shown, digest_size=16).hexdigest()


def member_names(group: dict) -> dict[str, str]:
    """{userid: name} of the group's staff members WeCom named (need_name)."""
    return {
        _text(m.get("userid")): _text(m.get("name"))
        for m in _members(group)
        if m.get("type") == STAFF_MEMBER and m.get("userid") and _text(m.get("name"))
    }


def staff_named_by(group: dict) -> list[str]:
    """The userids of the staff a group panel names: owner, admins, inviters, members."""
    userids = [_text(group.get("owner"))]
    userids += [
        _text(a.get("userid")) for a in group.get("admin_list") or [] if isinstance(a, dict)
    ]
    for m in _members(group):
        userids.append(_text((m.get("invitor") or {}).get("userid")))
        if m.get("type") == STAFF_MEMBER:
            userids.append(_text(m.get("userid")))
    return [u for u in dict.fromkeys(userids) if u]


def build_group(
    group: dict, *, names: dict[str, str] | None = None, start: int = 0, size: int | None = None
) -> GroupView:
    """The group as its panel shows it, with the run of `size` members from the `start`th
    (customers first, otherwise in WeCom's order; all of them when `size` is None); `names`:
    {userid: name} for the staff it names (owner, admins, inviters, staff members), who
    otherwise show as their userid. Only the members shown are built: a group has 2,000."""
    names = names or {}

    def staff(userid) -> str:
        userid = _text(userid)
        return names.get(userid) or userid

    listed = sorted(_members(group), key=lambda m: m.get("type") != CUSTOMER_MEMBER)
    customers = sum(1 for m in listed if m.get("type") == CUSTOMER_MEMBER)
    run = listed[start:] if size is None else listed[start : start + size]
    members = [
        GroupMember(
            userid=_text(m.get("userid")),
            is_customer=m.get("type") == CUSTOMER_MEMBER,
            display_name=_text(m.get("group_nickname") or m.get("name"))
            or (
                _text(m.get("userid"))
                if m.get("type") == CUSTOMER_MEMBER
                else staff(m.get("userid"))
            ),
            joined_at=_timestamp(m.get("join_time")),
            join_scene=JOIN_SCENES.get(m.get("join_scene"), ""),
            invitor=staff((m.get("invitor") or {}).get("userid")),
        )
        for m in run
    ]
    return GroupView(
        chat_id=_text(group.get("chat_id")),
        name=_text(group.get("name")),
        owner=staff(group.get("owner")),
        notice=_text(group.get("notice")),
        created_at=_timestamp(group.get("create_time")),
        staff_count=len(listed) - customers,
        customer_count=customers,
        members=members,
        admins=[
            staff(a.get("userid")) for a in group.get("admin_list") or [] if isinstance(a, dict)
        ],
        members_from=min(start, len(listed)),
    )


# 微信客服 customers (kf/customer/batchget) ------------------------------------------------

CHANNELS_SCENES = {
    1: _("WeChat Channels homepage"),
    2: _("live-stream product list"),
    3: _("product showcase"),
    4: _("shop product page"),
    5: _("shop order page"),
}


@dataclass(frozen=True)
class KfCustomerView:
    external_userid: str
    nickname: str
    avatar_url: str
    gender: str
    scene: str
    scene_param: str
    channels_nickname: str
    channels_scene: str


def build_kf_customer(customer: dict) -> KfCustomerView:
    context = customer.get("enter_session_context") or {}
    channels = context.get("wechat_channels") or {}
    return KfCustomerView(
        external_userid=_text(customer.get("external_userid")),
        nickname=_text(customer.get("nickname")),
        avatar_url=safe_url(customer.get("avatar")),
        gender=GENDERS.get(customer.get("gender"), ""),
        scene=_text(context.get("scene")),
        scene_param=unquote(_text(context.get("scene_param"))),
        channels_nickname=_text(channels.get("nickname")),
        channels_scene=CHANNELS_SCENES.get(channels.get("scene"), ""),
    )


# 上下游 (upstream/downstream) -----------------------------------------------------------------


@dataclass(frozen=True)
class ChainView:
    corp_id: str = ""
    corp_name: str = ""
    user_id: str = ""
    user_name: str = ""  # the contact's name in their corp, where WeCom gives it
    chat_id: str = ""
    # True when WeCom could not be asked for the partner corp (as opposed to: not shared).
    corp_unknown: bool = False

    @property
    def display_name(self) -> str:
        """Who the chat is with, as the audit log keeps it: the person, at their company."""
        if self.user_name and self.corp_name:
            return f"{self.user_name}（{self.corp_name}）"
        return self.user_name or self.corp_name


def build_chain(
    *,
    corp_id: str = "",
    corp: dict | None = None,
    user_id="",
    user_name="",
    chat_id="",
    corp_unknown=False,
) -> ChainView:
    return ChainView(
        corp_id=corp_id,
        corp_name=_text((corp or {}).get("corp_name")),
        user_id=user_id,
        user_name=_text(user_name),
        chat_id=chat_id,
        corp_unknown=corp_unknown,
    )
