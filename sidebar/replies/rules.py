"""Where each kind of reply may be sent: entry × kind × client version and platform, as
WeCom documents sendChatMessage (docs/wecom.md, "Sending into the chat"). The one place that
knows; the library, the send endpoint and the page's enterChat switch all ask here.

Version floors are the first client version with the feature; `None` means never on that
platform. A platform the user agent does not name (OTHER) gets the strictest floor of the
platforms that have the feature, so nothing is offered that some client would refuse.
"""

from django.utils.translation import gettext_lazy as _

from sidebar.useragent import ANDROID, IOS, MAC, OTHER, WINDOWS, WeComClient, parse_version

ALL = (IOS, ANDROID, WINDOWS, MAC)

# The entries whose chat sendChatMessage sends into, and the first client version of each.
ENTRY_SINCE = {
    "single_chat_tools": "2.8.10",
    "group_chat_tools": "2.8.10",
    "chat_attachment": "3.1.6",
    "single_kf_tools": "3.1.10",
    "chain_single_chat_tools": "4.0.8",
    "chain_group_chat_tools": "4.0.8",
}
SEND_ENTRIES = tuple(ENTRY_SINCE)
# The chat attachment bar cannot send on Mac.
ENTRY_NOT_ON = {"chat_attachment": {MAC}}
KF_ONLY = ("single_kf_tools",)


def _floors(default: str | None, **platforms: str | None) -> dict[str, str | None]:
    floors = {platform: default for platform in ALL}
    floors.update(platforms)
    return floors


# kind -> (entries it may be sent from, or None for every send entry; version floor per platform)
KIND_RULES = {
    "text": (None, _floors("0")),
    "image": (None, _floors("0")),
    "video": (None, _floors("0")),
    "file": (None, _floors("0")),
    "news": (None, _floors("0")),
    "miniprogram": (None, _floors("3.1.0", mac="4.1.26")),
    "msgmenu": (KF_ONLY, _floors("3.1.12", windows="3.1.20", mac=None)),
    "channels_shop_product": (KF_ONLY, _floors("4.1.6")),
}
# Jump into the chat after sending: phones only.
ENTER_CHAT_FLOORS = _floors(None, ios="3.1.10", android="3.1.10")

# A hosted sidebar (docs/hosts.md) sends into its single and group chats the kinds its helper
# documents, whatever browser it runs in; pictures, videos and files go by URL.
HOSTED_ENTRIES = ("single_chat_tools", "group_chat_tools")
HOSTED_KINDS = frozenset({"text", "image", "video", "file", "news", "miniprogram"})


def _floor(floors: dict[str, str | None], platform: str) -> str | None:
    if platform != OTHER:
        return floors[platform]
    known = [f for f in floors.values() if f is not None]
    return max(known, key=parse_version) if known else None


def refusal(*, entry: str, kind: str, client: WeComClient):
    """Why a reply of `kind` cannot be sent from `entry` by this client, or None if it can."""
    if entry not in ENTRY_SINCE:
        return _("Replies can be sent only from the toolbar of a chat or the chat attachment bar.")
    if not sends_from(entry, client):
        return _("Your WeCom app cannot send messages from here.")
    if client.is_hosted:
        if kind not in HOSTED_KINDS:
            return _("The hosted sidebar cannot send this kind of message.")
        return None
    entries, floors = KIND_RULES[kind]
    if entries is not None and entry not in entries:
        return _("This kind of message can be sent only in WeChat customer service chats.")
    floor = _floor(floors, client.platform)
    if floor is None:
        return _("WeCom on this device cannot send this kind of message.")
    if not client.at_least(floor):
        return _("This kind of message needs WeCom %(version)s or later.") % {"version": floor}
    return None


def sends_from(entry: str, client: WeComClient) -> bool:
    """Whether this client has sendChatMessage in `entry` at all."""
    if client.is_hosted:
        return entry in HOSTED_ENTRIES
    return (
        entry in ENTRY_SINCE
        and client.at_least(ENTRY_SINCE[entry])
        and client.platform not in ENTRY_NOT_ON.get(entry, ())
    )


def send_entries(client: WeComClient) -> list[str]:
    """The entries this client sends from: where the page offers the library."""
    return [entry for entry in SEND_ENTRIES if sends_from(entry, client)]


def sendable_kinds(*, entry: str, client: WeComClient) -> set[str]:
    return {kind for kind, reason in refusals(entry=entry, client=client).items() if reason is None}


def refusals(*, entry: str, client: WeComClient) -> dict[str, str | None]:
    """Every kind -> why this client cannot send it from `entry` (None: it can)."""
    return {kind: refusal(entry=entry, kind=kind, client=client) for kind in KIND_RULES}


def may_enter_chat(client: WeComClient) -> bool:
    if client.is_hosted:
        return False
    floor = _floor(ENTER_CHAT_FLOORS, client.platform)
    return floor is not None and client.at_least(floor)
