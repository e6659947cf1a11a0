"""Where WeCom opens the page (getContext's `entry`), in words (docs/using.md)."""

from django.utils.translation import gettext_lazy as _

ENTRIES = [
    ("single_chat_tools", _("Single chat toolbar")),
    ("contact_profile", _("Customer profile")),
    ("group_chat_tools", _("Customer group toolbar")),
    ("single_kf_tools", _("WeChat customer service toolbar")),
    ("chain_single_chat_tools", _("Upstream/downstream single chat")),
    ("chain_group_chat_tools", _("Upstream/downstream group chat")),
    ("chat_attachment", _("Chat attachment bar")),
    ("internal_group_chat_board", _("Internal group board")),
    ("normal", _("Opened elsewhere in the app")),
    # Not WeCom's: the page opened from a follow-up reminder shows that customer or group.
    ("reminder", _("From a follow-up reminder")),
    # Not WeCom's: a customer's record read in the panel (an edit form, the timeline).
    ("record", _("Customer record in the panel")),
    # Not WeCom's: more of a group's members, loaded as staff scroll past the first ones.
    ("group_members", _("More members of a customer group")),
]

_LABELS = dict(ENTRIES)


def known(entry: str) -> str:
    """`entry` if WeCom documents it (or it is one of ours), else "other": a bounded label."""
    return entry if entry in _LABELS else "other"


def label(entry: str) -> str:
    """The entry in words; an entry WeCom added since, as WeCom names it ('' stays '')."""
    return str(_LABELS.get(entry, entry))


# What each entry shows, as the kind of customer or group a list of them names (the home
# panel, the admin overview). Entries that show neither are absent.
TARGET_KINDS = {
    "single_chat_tools": "customer",
    "contact_profile": "customer",
    "single_kf_tools": "kf",
    "group_chat_tools": "group",
    "chain_single_chat_tools": "chain",
    "chain_group_chat_tools": "chain-group",
}

_KIND_WORDS = {
    "customer": _("customer"),
    "kf": _("WeChat customer service"),
    "group": _("customer group"),
    "chain": _("upstream/downstream"),
    "chain-group": _("upstream/downstream"),
}


def kind_words(kind: str) -> str:
    """A TARGET_KINDS value in words."""
    return str(_KIND_WORDS.get(kind, kind))
