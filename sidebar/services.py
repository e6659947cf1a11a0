"""Lookups from the toolbar: fetch (cached), authorize against the viewer, record in the
audit log. One pipeline for every entry; each kind says how to fetch, who may see it, and
what the panel shows.

Views call these with keyword arguments and render what comes back; nothing here knows HTTP.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError

from sidebar import append_only, customers, entries, hosts, metrics, profiles, staff_names
from sidebar.exceptions import WeComAPIError, WeComError
from sidebar.explanations import (
    DENIED,
    GROUP_DENIED,
    INVALID_REQUEST,
    KF_UNRESOLVED,
    Explanation,
    explain,
)
from sidebar.hosts import Operator
from sidebar.models import ClientFailureReport, KfScene, Lookup
from sidebar.sqlite_writes import one_writer
from sidebar.useragent import wecom_version
from sidebar.wecom.config import callback_crypto

logger = logging.getLogger(__name__)

# Entries whose getCurExternalContact returns a customer this service can show.
CONTACT_ENTRIES = ("single_chat_tools", "contact_profile")
# errcodes that mean "there is no such thing to show", not "WeCom failed".
NOT_FOUND_ERRCODES = {84061, 40096, 90501, 90509, 49008}
# How long what WeCom says about a partner corp is kept: it hardly ever changes.
SHARED_CORP_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class Viewer:
    """Who looks: the signed-in staff member (from the server session, never the request),
    their name as it was at sign-in, and who operates a hosted account (None in WeCom)."""

    userid: str
    name: str = ""
    operator: Operator | None = None


@dataclass(frozen=True)
class LookupResult:
    outcome: str
    template: str = ""  # the fragment that shows it, when shown
    context: dict = field(default_factory=dict)
    explanation: Explanation | None = None
    # A WeCom errcode behind a panel shown without some auxiliary part, for the audit log.
    errcode: int | None = None
    # What the panel shows, when it is a cached answer: it is rendered once (sidebar.fragments).
    render_key: tuple | None = None
    # What the customer or group was called, for the audit row ('' when nothing said).
    target_name: str = ""
    # The customer's avatar URL, for the audit row and the recent list ('' when none).
    target_avatar: str = ""
    # Whose record the panel shows below it (sidebar.records): (kind, id, name), or None.
    record: tuple[str, str, str] | None = None


def shown(
    template: str,
    *,
    target_name: str = "",
    target_avatar: str = "",
    errcode: int | None = None,
    render_key: tuple | None = None,
    record: tuple[str, str, str] | None = None,
    **context,
) -> LookupResult:
    """The panel `template` shows; `target_name`: what WeCom calls the customer or group;
    `target_avatar`: the customer's avatar URL; `errcode`: WeCom's error behind a part it
    shows without; `render_key`: what identifies the panel's content, when it comes from the
    cache."""
    return LookupResult(
        outcome=Lookup.Outcome.OK,
        template=template,
        context=context,
        errcode=errcode,
        render_key=render_key,
        target_name=target_name,
        target_avatar=target_avatar,
        record=record,
    )


def refused(
    explanation: Explanation, outcome=Lookup.Outcome.DENIED, *, target_name: str = ""
) -> LookupResult:
    return LookupResult(outcome=outcome, explanation=explanation, target_name=target_name)


# The kinds of lookup -------------------------------------------------------------------------


def look_up_contact(*, client, viewer: Viewer, entry: str, external_userid: str):
    """A customer of a single chat or profile: only for staff who follow them."""

    def decide(seen):
        name = str(seen.external_contact.get("name") or "")
        if seen.follower is None:
            return refused(DENIED, target_name=name)
        # The same cached answer, seen by the same viewer, shows the same panel.
        key = (client.app.scope, external_userid, viewer.userid, seen.generation)
        profile = profiles.build_profile(seen)
        return shown(
            "sidebar/fragments/contact.html",
            target_name=name,
            target_avatar=profile.avatar_url,
            profile=profile,
            render_key=key if seen.generation else None,
            record=("contact", external_userid, name),
        )

    return _look_up(
        viewer=viewer,
        entry=entry,
        target_id=external_userid,
        fetch=_contact(client, external_userid, viewer.userid),
        decide=decide,
    )


def look_up_group(*, client, viewer: Viewer, entry: str, chat_id: str):
    """A customer group: only for its owner, its admins and its staff members. The panel
    lists the first members (profiles.FIRST_MEMBERS); the rest come on demand."""
    return _look_up(
        viewer=viewer,
        entry=entry,
        target_id=chat_id,
        fetch=_group(client, chat_id),
        decide=lambda group: _group_shown(client, viewer, chat_id, group, start=0),
    )


def look_up_group_members(*, client, viewer: Viewer, entry: str, chat_id: str, start: int):
    """A page of a group's members from the `start`th on, as staff scroll to them: checked as
    the panel is, and audited in a row of its own (MEMBERS_ENTRY) since it shows customers."""
    return _look_up(
        viewer=viewer,
        entry=MEMBERS_ENTRY,
        target_id=chat_id,
        fetch=_group(client, chat_id),
        decide=lambda group: _group_shown(client, viewer, chat_id, group, start=start),
    )


# The audit entry of a page of a group's members beyond the panel's first (not WeCom's).
MEMBERS_ENTRY = "group_members"
GROUP_PANEL = "sidebar/fragments/group.html"
GROUP_MEMBERS = "sidebar/fragments/group_members.html"


def _group_shown(client, viewer: Viewer, chat_id: str, group: dict, *, start: int):
    """The group's panel (`start` 0) or the page of its members from `start` on, for a viewer
    the group includes."""
    name = str(group.get("name") or "")
    if not profiles.may_see_group(group, viewer.userid):
        return refused(GROUP_DENIED, target_name=name)
    names = _group_staff_names(client, group)
    if start:
        template, record, size = GROUP_MEMBERS, None, profiles.MEMBERS_PAGE
    else:
        template, record, size = GROUP_PANEL, ("group", chat_id, name), profiles.FIRST_MEMBERS
    view = profiles.build_group(group, names=names, start=start, size=size)
    context = {"group": view, "viewer": viewer.userid}
    # Which customer members the viewer may open a chat with: those they added. Without it
    # the panel still shows the group, only without those buttons.
    try:
        context["followed"] = set(_followed(client, viewer.userid)()[0])
    except WeComError as exc:
        return shown(
            template,
            target_name=name,
            **context,
            followed=set(),
            errcode=exc.errcode,
            record=record,
        )
    key = (client.app.scope, chat_id, viewer.userid, profiles.group_digest(group, names))
    key += (hash(frozenset(profiles.customer_ids(group) & context["followed"])), start)
    return shown(template, target_name=name, record=record, render_key=key, **context)


def _group_staff_names(client, group: dict) -> dict[str, str]:
    """{userid: name} for the staff a group panel names: its members as WeCom listed them
    (need_name), and the owner, admins and inviters it did not name, from user/get."""
    named = profiles.member_names(group)
    wanted = [u for u in profiles.staff_named_by(group) if u not in named]
    return {**named, **staff_names.shown(client, wanted)}


def kf_scene_name(scene: str) -> str:
    """What admins call a 客服 scene value (KfScene); '' when they have not named it."""
    if not scene:
        return ""
    return KfScene.objects.filter(scene=scene).values_list("name", flat=True).first() or ""


def look_up_kf_customer(*, client, viewer: Viewer, entry: str, external_userid: str):
    """A WeChat customer-service customer: for any signed-in member of the corp (WeCom shows
    the toolbar to the staff member serving the chat; the API has no per-servicer check)."""

    def decide(customer):
        if customer is None:
            return refused(KF_UNRESOLVED, outcome=Lookup.Outcome.NOT_FOUND)
        view = profiles.build_kf_customer(customer)
        return shown(
            "sidebar/fragments/kf.html",
            target_name=view.nickname,
            target_avatar=view.avatar_url,
            customer=view,
            scene_name=kf_scene_name(view.scene),
            record=("kf", external_userid, view.nickname),
        )

    return _look_up(
        viewer=viewer,
        entry=entry,
        target_id=external_userid,
        fetch=_kf_customer(client, external_userid),
        decide=decide,
    )


def look_up_chain_contact(*, client, viewer: Viewer, entry: str, corp_id: str, user_id: str):
    """An upstream/downstream contact: their ids, their corp's name and their own where WeCom
    gives them (docs/wecom.md, "上下游"). The ids come from the client, so a failure to read
    the names degrades the panel, with a note saying why, instead of replacing it."""
    shared_corp = _shared_corp(client, corp_id)

    def fetch():
        try:
            corp, from_cache = shared_corp()
        except WeComError as exc:
            return exc, False
        return (corp, _downstream_name(client, corp, user_id)), from_cache

    def decide(found):
        failed = isinstance(found, WeComError)
        corp, user_name = (None, "") if failed else found
        chain = profiles.build_chain(
            corp_id=corp_id, corp=corp, user_id=user_id, user_name=user_name, corp_unknown=failed
        )
        if not failed:
            return shown(
                "sidebar/fragments/chain.html", target_name=chain.display_name, chain=chain
            )
        return shown(
            "sidebar/fragments/chain.html",
            chain=chain,
            note=explain(found),
            errcode=found.errcode,
        )

    return _look_up(
        viewer=viewer,
        entry=entry,
        target_id=f"{corp_id}/{user_id}",
        fetch=fetch,
        decide=decide,
    )


def look_up_chain_chat(*, client, viewer: Viewer, entry: str, chat_id: str):
    """An upstream/downstream group: WeCom has no server API that reads it (docs/wecom.md,
    "Customers"), so the panel shows its id."""
    return _look_up(
        viewer=viewer,
        entry=entry,
        target_id=chat_id,
        fetch=lambda: (None, False),
        decide=lambda _: shown(
            "sidebar/fragments/chain.html", chain=profiles.build_chain(chat_id=chat_id)
        ),
    )


def reject_invalid_lookup(*, viewer: Viewer, entry: str, target_id: str) -> LookupResult:
    """A lookup that failed validation: audited, and no WeCom call made. Raises
    AuditUnavailable when the row cannot be written."""
    result = refused(INVALID_REQUEST, outcome=Lookup.Outcome.INVALID)
    _audit(viewer, entry, target_id, result, errcode=None, from_cache=False, started=None)
    return result


# Reads of a customer record (sidebar.records) outside a lookup's panel: an edit form, the
# record section again, older timeline pages. They show what staff know about the customer, so
# each is a row of the same log, under this entry.
RECORD_ENTRY = "record"


def audit_record_read(
    *, viewer: Viewer, target_id: str, target_name: str = "", failure: Exception | None = None
) -> None:
    """Record a read of a customer's or group's record (`failure`: the Refused or WeComError
    that stopped it). Raises AuditUnavailable when the row cannot be written: then nothing of
    the record is shown."""
    errcode = None
    if failure is None:
        result = LookupResult(outcome=Lookup.Outcome.OK, target_name=target_name)
    elif isinstance(failure, Refused):
        result = refused(failure.explanation, target_name=target_name)
    else:
        errcode = failure.errcode
        missing = isinstance(failure, WeComAPIError) and errcode in NOT_FOUND_ERRCODES
        outcome = Lookup.Outcome.NOT_FOUND if missing else Lookup.Outcome.UPSTREAM_ERROR
        result = refused(explain(failure), outcome=outcome)
    _audit(viewer, RECORD_ENTRY, target_id, result, errcode=errcode, from_cache=True, started=None)


# What the home panel lists: the customers and groups last shown, each once, from a window of
# the staff member's newest rows (read newest first off the (staff, time) index).
RECENT_SHOWN = 8
RECENT_WINDOW = 200


@dataclass(frozen=True)
class RecentTarget:
    kind: str  # an entries.TARGET_KINDS value
    target_id: str
    name: str  # what WeCom called it then; '' when it said nothing
    avatar_url: str  # the customer's avatar then; '' for groups and when WeCom gave none
    shown_at: datetime
    times: int  # how often it was shown within the window

    @property
    def kind_words(self) -> str:
        return entries.kind_words(self.kind)


def recent_targets(*, staff_userid: str, limit: int = RECENT_SHOWN) -> list[RecentTarget]:
    """The customers and groups this staff member was last shown, newest first, each once."""
    rows = (
        Lookup.objects.filter(staff_userid=staff_userid)
        .values_list("outcome", "entry", "target_id", "target_name", "target_avatar", "created_at")
        .order_by("-created_at", "-id")[:RECENT_WINDOW]
    )
    found: dict[str, dict] = {}
    for outcome, entry, target_id, name, avatar_url, created_at in rows:
        if outcome != Lookup.Outcome.OK or entry not in entries.TARGET_KINDS:
            continue
        target = found.get(target_id)
        if target is None:
            found[target_id] = {
                "kind": entries.TARGET_KINDS[entry],
                "target_id": target_id,
                "name": name,
                "avatar_url": avatar_url,
                "shown_at": created_at,
                "times": 1,
            }
        else:
            target["times"] += 1
            target["name"] = target["name"] or name
            target["avatar_url"] = target["avatar_url"] or avatar_url
    return [RecentTarget(**target) for target in list(found.values())[:limit]]


# What a message may say about the chat ---------------------------------------------------


class AuditUnavailable(Exception):
    """The audit row could not be written: what was looked up must not be shown (docs/using.md:
    no customer is shown without its audit row). The DatabaseError is the cause."""


class Refused(Exception):
    """The staff member may not have what they asked for; `explanation` says why."""

    def __init__(self, explanation: Explanation):
        super().__init__(str(explanation.title))
        self.explanation = explanation


def name_last_shown(target_id: str, *, staff_userid: str = "") -> str:
    """The customer's or group's name as a lookup last showed it (to `staff_userid`, if
    given), from the audit log; '' if none did (or there is no id: the attachment bar)."""
    if not target_id:
        return ""
    rows = Lookup.objects.filter(target_id=target_id).exclude(target_name="")
    if staff_userid:
        rows = rows.filter(staff_userid=staff_userid)
    shown = rows.order_by("-created_at", "-id").values_list("target_name", flat=True).first()
    return shown or ""


def customer_name(*, client, staff_userid: str, entry: str, external_userid: str) -> str:
    """The customer of this chat as the staff member sees them: their remark, else their
    WeCom name (微信客服: their WeChat nickname). Raises Refused when the staff member may
    not see the customer, WeComError when WeCom fails."""
    if entry == "single_kf_tools":
        customer, _from_cache = _kf_customer(client, external_userid)()
        if customer is None:
            raise Refused(KF_UNRESOLVED)
        return profiles.build_kf_customer(customer).nickname
    seen, _from_cache = _contact(client, external_userid, staff_userid)()
    if seen.follower is None:
        raise Refused(DENIED)
    remark = str(seen.follower.get("remark") or "").strip()
    return remark or str(seen.external_contact.get("name") or "")


# Client failure reports ------------------------------------------------------------------------

REPORTS_PER_HOUR = 20


_local_report_counts: dict[str, int] = {}
_local_report_lock = threading.Lock()


def allow_report(*, staff_userid: str) -> bool:
    """At most REPORTS_PER_HOUR reports per staff member per clock hour. Counted in the shared
    cache; while it is unreachable, in this process (a report is still worth storing)."""
    cache = caches["default"]  # ignores outages: add() and incr() then answer None
    key = f"reports:{staff_userid}:{int(time.time() // 3600)}"
    try:
        cache.add(key, 0, timeout=3600)
        count = cache.incr(key)
    except ValueError:  # the key vanished between add() and incr()
        count = None
    if not isinstance(count, int):
        with _local_report_lock:
            if key not in _local_report_counts:
                hour = key.rsplit(":", 1)[1]
                for stale in [k for k in _local_report_counts if not k.endswith(":" + hour)]:
                    del _local_report_counts[stale]
            count = _local_report_counts[key] = _local_report_counts.get(key, 0) + 1
    return count <= REPORTS_PER_HOUR


def record_failure(*, staff_userid, user_agent, error, signed_url, page_url, entry, staff_name=""):
    return ClientFailureReport.objects.create(
        staff_userid=staff_userid[:64],
        staff_name=staff_name[:64],
        error=error,
        signed_url=signed_url,
        page_url=page_url,
        entry=entry,
        wecom_version=wecom_version(user_agent),
        user_agent=user_agent[:512],
    )


# The pipeline --------------------------------------------------------------------------------


def _look_up(*, viewer: Viewer, entry, target_id, fetch, decide) -> LookupResult:
    """Fetch, decide, record; raises AuditUnavailable when the record cannot be written, so
    nothing is shown that the audit log does not hold."""
    started = time.perf_counter()
    from_cache = False
    try:
        payload, from_cache = fetch()
    except WeComError as exc:
        is_missing = isinstance(exc, WeComAPIError) and exc.errcode in NOT_FOUND_ERRCODES
        outcome = Lookup.Outcome.NOT_FOUND if is_missing else Lookup.Outcome.UPSTREAM_ERROR
        result = refused(explain(exc), outcome=outcome)
        errcode = exc.errcode
    else:
        result = decide(payload)
        errcode = result.errcode
    _audit(
        viewer, entry, target_id, result, errcode=errcode, from_cache=from_cache, started=started
    )
    return result


_MISSING = object()
# What `_cached` keeps, per app: one key per kind and WeCom id (customers and staff names:
# sidebar.customers, sidebar.staff_names).
CACHED_KINDS = ("group", "kf", "shared-corp", "followed")


def _cache_key(kind: str, client, target_id: str) -> str:
    return f"{kind}:{client.app.scope}:{target_id}"


def forget_cached_lookups(*, client, target_ids) -> None:
    """Drop what WeCom said about these ids, so the next lookup asks WeCom again."""
    caches["default"].delete_many(cached_lookup_keys(client=client, target_ids=target_ids))


def cached_lookup_keys(*, client, target_ids) -> list[str]:
    """Drop this process's copies of what WeCom said about these ids; the shared-cache keys
    that hold the rest (for callers that delete them with other keys in one round trip)."""
    keys = [_cache_key(kind, client, target) for kind in CACHED_KINDS for target in target_ids]
    keys += customers.forget(client=client, external_userids=target_ids)
    keys += staff_names.keys(client=client, userids=target_ids)
    return keys


def followed_key(*, client, userid: str) -> str:
    """The shared-cache key of the list of the customers this staff member added
    (externalcontact/list)."""
    return _cache_key("followed", client, userid)


def _cached(key: str, call: Callable, lifetime: int | None = None) -> Callable:
    """fetch() for `_look_up`: (answer, from_cache), the answer kept for `lifetime` seconds
    (default WECOM_CONTACT_CACHE_SECONDS; 0 turns caching off)."""

    def fetch():
        seconds = settings.WECOM_CONTACT_CACHE_SECONDS if lifetime is None else lifetime
        cache = caches["default"]
        if seconds > 0:
            found = cache.get(key, _MISSING)
            if found is not _MISSING:
                return found, True
        answer = call()
        if seconds > 0:
            cache.set(key, answer, timeout=seconds)
        return answer, False

    return fetch


def evented_lifetime() -> int:
    """How long what WeCom's change events keep fresh (customers, groups, who follows whom)
    is cached: WECOM_EVENT_CACHE_SECONDS while the app receives those events (its callback
    is configured), else WECOM_CONTACT_CACHE_SECONDS (docs/events.md)."""
    if settings.WECOM_CONTACT_CACHE_SECONDS <= 0:
        return 0  # caching turned off
    if callback_crypto() is not None:
        return settings.WECOM_EVENT_CACHE_SECONDS
    return settings.WECOM_CONTACT_CACHE_SECONDS


def _contact(client, external_userid: str, viewer: str) -> Callable:
    """fetch() for `_look_up`: what `viewer` sees of the customer (sidebar.customers)."""
    return lambda: customers.viewer_contact(
        client=client,
        external_userid=external_userid,
        viewer=viewer,
        lifetime=evented_lifetime(),
    )


def cached_contact(*, client, external_userid: str, viewer: str):
    """What `viewer` sees of the customer (ViewerContact), from the cache a lookup fills."""
    return _contact(client, external_userid, viewer)()[0]


def cached_group(*, client, chat_id: str) -> dict:
    """The customer group as externalcontact/groupchat/get answered, from the lookup cache."""
    return _group(client, chat_id)()[0]


def cached_kf_customer(*, client, external_userid: str) -> dict | None:
    return _kf_customer(client, external_userid)()[0]


def _group(client, chat_id: str) -> Callable:
    return _cached(
        _cache_key("group", client, chat_id),
        lambda: client.get_group_chat(chat_id),
        lifetime=evented_lifetime(),
    )


def _followed(client, staff_userid: str) -> Callable:
    return _cached(
        followed_key(client=client, userid=staff_userid),
        lambda: client.get_followed_customers(staff_userid),
        lifetime=evented_lifetime(),
    )


def _kf_customer(client, external_userid: str) -> Callable:
    return _cached(
        _cache_key("kf", client, external_userid),
        lambda: client.get_kf_customer(external_userid),
    )


def _shared_corp(client, corp_id: str) -> Callable:
    return _cached(
        _cache_key("shared-corp", client, corp_id),
        lambda: client.get_shared_corp(corp_id),
        lifetime=SHARED_CORP_CACHE_SECONDS,
    )


def _downstream_name(client, corp: dict | None, user_id: str) -> str:
    """A downstream contact's name, read with that corp's token; '' when the app is not shared
    with the corp, the contact is outside the app's visible range there, or WeCom fails (the
    panel then shows the ids it has)."""
    if not corp or not corp.get("agentid"):
        return ""
    fetch = _cached(
        _cache_key("downstream-user", client, f"{corp['corpid']}/{user_id}"),
        lambda: client.get_downstream_user(corp=corp, userid=user_id),
        lifetime=SHARED_CORP_CACHE_SECONDS,
    )
    try:
        member, _from_cache = fetch()
    except WeComError as exc:
        logger.info("Downstream contact's name not read (errcode %s)", exc.errcode)
        return ""
    name = str(member.get("name") or "").strip()
    return "" if name == user_id else name  # a name WeCom withholds may come back as the id


def _whole_or_nothing(url: str, limit: int) -> str:
    """`url` if it fits its column, else '': a cut URL would point somewhere else."""
    return url if len(url) <= limit else ""


def _audit(viewer: Viewer, entry, target_id, result, *, errcode, from_cache, started) -> None:
    """Store the audit row of a lookup (`started`: its perf_counter start; None: it took no
    time worth counting)."""
    took = 0 if started is None else round((time.perf_counter() - started) * 1000)
    row = dict(
        staff_userid=viewer.userid[:64],
        staff_name=viewer.name[:64],
        **hosts.audit_fields(viewer.operator),
        entry=entry[:64],
        target_id=target_id[:128],
        target_name=result.target_name[:128],
        target_avatar=_whole_or_nothing(result.target_avatar, 512),
        outcome=result.outcome,
        errcode=errcode,
        duration_ms=took,
        from_cache=from_cache,
    )
    try:
        with one_writer():
            append_only.insert(Lookup, **row)
        metrics.LOOKUPS.labels(
            entry=entries.known(row["entry"]),
            outcome=row["outcome"],
            answered_from="cache" if from_cache else "wecom",
        ).inc()
    except DatabaseError as exc:
        # Nothing is shown without its row: the caller answers "not recorded" instead.
        metrics.UNRECORDED_LOOKUPS.inc()
        logger.error(
            "Audit row not written, lookup not shown: staff=%(staff_userid)s entry=%(entry)s "
            "target=%(target_id)s outcome=%(outcome)s errcode=%(errcode)s",
            row,
        )
        raise AuditUnavailable from exc
