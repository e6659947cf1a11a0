"""Corp tags (企业标签) on a customer: the corp's tag library, and adding and removing tags
through externalcontact/mark_tag (docs/wecom.md, "Editing a customer").

The library is read with get_corp_tag_list and kept in the shared cache for LIBRARY_SECONDS
(one process fetches it, the others wait for that answer). Tags a staff member made up in the
client (personal tags, type 2) carry no tag id: WeCom's API cannot change them, so they are
shown and never offered.
"""

from dataclasses import dataclass

from django.core.cache import caches

from sidebar import in_process, services
from sidebar.exceptions import WeComError
from sidebar.records import audit
from sidebar.records.models import Edit
from sidebar.records.targets import Target
from sidebar.services import Viewer

LIBRARY_SECONDS = 600
CORP_TAG = 1  # follow_user.tags[].type: 1 corp, 2 personal, 3 rule group


@dataclass(frozen=True)
class Tag:
    id: str
    name: str
    group: str


@dataclass(frozen=True)
class TagGroup:
    id: str
    name: str
    tags: tuple[Tag, ...]


def _library_key(client) -> str:
    return f"tag-library:{client.app.scope}"


def library(*, client) -> list[TagGroup]:
    """The corp's tag groups with their tags, in the admin console's order (a larger
    `order` first). Raises WeComError when it is not cached and WeCom cannot say."""
    cache = caches["default"]
    key = _library_key(client)
    found = cache.get(key)
    if found is None:
        with in_process.held(key):
            found = cache.get(key)
            if found is None:
                found = _groups(client.get_corp_tag_list())
                cache.set(key, found, timeout=LIBRARY_SECONDS)
    return found


def forget_library(*, client) -> None:
    caches["default"].delete(_library_key(client))


def _order(item: dict) -> int:
    try:
        return -int(item.get("order") or 0)
    except (TypeError, ValueError):
        return 0


def _groups(answer: list[dict]) -> list[TagGroup]:
    groups = []
    for group in sorted(answer, key=_order):  # sorted() keeps WeCom's order among equals
        if group.get("deleted"):
            continue
        name = str(group.get("group_name") or "")
        tags = tuple(
            Tag(id=str(tag["id"]), name=str(tag.get("name") or ""), group=name)
            for tag in sorted(group.get("tag") or [], key=_order)
            if isinstance(tag, dict) and tag.get("id") and not tag.get("deleted")
        )
        groups.append(TagGroup(id=str(group.get("group_id") or ""), name=name, tags=tags))
    return groups


@dataclass(frozen=True)
class HeldTag:
    """A tag the customer has for the viewer; `id` is '' for a personal tag."""

    id: str
    name: str
    group: str

    @property
    def editable(self) -> bool:
        return bool(self.id)


def held(target: Target) -> list[HeldTag]:
    """The tags the viewer gave the customer, as WeCom listed them."""
    found = []
    for tag in target.follower.get("tags") or []:
        if not isinstance(tag, dict) or not tag.get("tag_name"):
            continue
        editable = tag.get("type") == CORP_TAG and tag.get("tag_id")
        found.append(
            HeldTag(
                id=str(tag["tag_id"]) if editable else "",
                name=str(tag["tag_name"]),
                group=str(tag.get("group_name") or ""),
            )
        )
    return found


def ids(groups: list[TagGroup], holding: list[HeldTag]) -> set[str]:
    """The tag ids an edit may name: the library's, and those the customer has."""
    return {tag.id for group in groups for tag in group.tags} | {t.id for t in holding if t.id}


def change(
    *,
    client,
    viewer: Viewer,
    target: Target,
    groups: list[TagGroup],
    add: set[str],
    remove: set[str],
):
    """Add and remove corp tags in one mark_tag call; the tags the customer now has. The ids
    are the caller's to check against `ids` (the library, `groups`, and what is held).
    Raises AuditUnavailable, WeComWritesBusy, WeComError."""
    add, remove = set(add) - set(remove), set(remove) - set(add)
    known = {tag.id: tag for group in groups for tag in group.tags}
    now = held(target)
    holding = {tag.id: tag for tag in now if tag.id}
    add -= holding.keys()
    remove &= holding.keys()
    if not add and not remove:
        return now
    result = [tag for tag in now if tag.id not in remove] + [
        HeldTag(id=i, name=known[i].name, group=known[i].group)
        if i in known
        else HeldTag(id=i, name=i, group="")
        for i in sorted(add)
    ]
    with audit.sent_to_wecom(
        viewer,
        target,
        action=Edit.Action.TAGS,
        before={"tags": [tag.name for tag in now]},
        after={"tags": [tag.name for tag in result]},
    ):
        try:
            client.mark_tag(
                userid=viewer.userid,
                external_userid=target.id,
                add_tag=sorted(add),
                remove_tag=sorted(remove),
            )
        except WeComError as exc:
            if exc.errcode == 40068:  # the library changed under us: read it afresh next time
                forget_library(client=client)
            raise
    services.forget_cached_lookups(client=client, target_ids=[target.id])
    return result
