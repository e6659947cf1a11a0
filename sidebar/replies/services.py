"""Quick replies: what the library offers in a chat, preparing a send, and recording what the
client answered. Views call these with keyword arguments; nothing here knows HTTP.

A send has two halves. `prepare` checks that the reply may be sent from this entry by this
client, fills its placeholders, makes sure its file has a live WeCom media_id, records the send
and returns the exact sendChatMessage object. The page hands that to the client and reports
the answer to `finish`. A send whose media the client could not use (a media_id that died
early) is recorded as retried: its media_id is dropped and the page prepares it once more.
"""

import contextlib
import functools
import logging
from dataclasses import dataclass

from django.db import DatabaseError
from django.utils.translation import gettext_lazy as _

from sidebar import hosts, metrics, staff_names
from sidebar import services as lookups
from sidebar.exceptions import WeComError
from sidebar.explanations import SEND_NOT_RECORDED, Explanation, explain
from sidebar.hosts import Operator
from sidebar.records import versions as record_versions
from sidebar.replies import kinds, media, own, placeholders, rules
from sidebar.replies.models import Category, Reply, Send
from sidebar.useragent import WeComClient

logger = logging.getLogger(__name__)

# Entries with one customer whose name {客户称呼} can be.
CUSTOMER_ENTRIES = ("single_chat_tools", "single_kf_tools")
# What the client says when the send failed for a reason that is not the media.
NOT_MEDIA_FAILURES = (
    "no permission",
    "permission denied",
    "without context",
    "not in allow list",
    "unsupported msgtype",
    "function not exist",
)

NOT_IN_LIBRARY = Explanation(
    title=_("This reply is no longer in the library"),
    detail=_("It was removed or switched off by an administrator."),
    action=_("Refresh the library."),
    http_status=404,
)
NO_CUSTOMER_HERE = Explanation(
    title=_("This reply names the customer, and this chat has no single customer"),
    detail=_("It names the customer, which only a chat with one customer has."),
    action=_("Pick another reply."),
    http_status=403,
)
NO_STAFF_NAME = Explanation(
    title=_("WeCom did not give your name"),
    detail=_("This reply signs with your name, and WeCom returned none."),
    action=_("Ask the administrator to check your name in the WeCom contacts."),
    http_status=502,
)


class SendRefused(Exception):
    """Not sent. `forced`: the sending rules forbid this reply here, so the page, which
    offers only what may be sent, was bypassed. `unrecorded`: the send could not be written
    to the send log, so it was not prepared (nothing goes out that the log does not hold)."""

    def __init__(self, explanation: Explanation, *, forced: bool = False, unrecorded=False):
        super().__init__(str(explanation.title))
        self.explanation = explanation
        self.forced = forced
        self.unrecorded = unrecorded
        self.send: Send | None = None


# Raised by `prepare` when the reply's file is still on its way to WeCom: nothing is sent or
# recorded yet, and the page asks again (sidebar.replies.media).
UploadPending = media.UploadPending


class ResultUnrecorded(Exception):
    """The client's answer could not be written to the send log (the DatabaseError is the
    cause); the page keeps it and reports it again."""


@dataclass(frozen=True)
class Prepared:
    send: Send
    message: dict


@dataclass(frozen=True)
class Section:
    category: Category
    replies: list[Reply]


@dataclass(frozen=True)
class Unavailable:
    reply: Reply
    reason: str


@dataclass(frozen=True)
class Library:
    sections: list[Section]  # what may be sent here, by category
    unavailable: list[Unavailable]  # the rest, each with why it cannot be sent here


# The library -------------------------------------------------------------------------------


def library(*, entry: str, refusals: dict[str, str | None]) -> Library:
    """The shared library's enabled replies, by category, for a chat opened from `entry`:
    those that may be sent here and, apart, those that may not, with the reason
    (`refusals`: kind -> why this client cannot send it here, rules.refusals)."""
    replies = (
        Reply.objects.filter(enabled=True, owner_userid="")
        .select_related("category")
        .prefetch_related("menu_items")
    )
    sections: dict[int, Section] = {}
    unavailable = []
    for reply in replies:
        reason = refusals.get(reply.kind)
        if reason is None and placeholders.names_customer(reply):
            reason = no_customer_here(entry) or None
        if reason is not None:
            unavailable.append(Unavailable(reply, str(reason)))
            continue
        section = sections.setdefault(reply.category_id, Section(reply.category, []))
        section.replies.append(reply)
    return Library(list(sections.values()), unavailable)


def no_customer_here(entry: str) -> str:
    """Why a reply naming the customer cannot be sent from `entry`; '' where it can."""
    return "" if entry in CUSTOMER_ENTRIES else str(NO_CUSTOMER_HERE.detail)


def preview_values(*, client, staff_userid: str, entry: str, target: dict[str, str]) -> dict:
    """The placeholders' values in this chat, as a send fills them, for the library's previews:
    the staff member's name, and the customer's once this staff member's panel has shown them
    (so its lookup is in the audit log). What cannot be known is left out."""
    values = {}
    with contextlib.suppress(WeComError):
        values[placeholders.STAFF] = staff_names.name(client, staff_userid)
    target_id = "/".join(target.values())
    if entry in CUSTOMER_ENTRIES and lookups.name_last_shown(target_id, staff_userid=staff_userid):
        with contextlib.suppress(WeComError, lookups.Refused):
            values[placeholders.CUSTOMER] = _customer_name(client, staff_userid, entry, target)
    return {name: value for name, value in values.items() if value}


# Sending -----------------------------------------------------------------------------------


def _recorded_or_refused(prepare):
    """Nothing is prepared that the send log does not hold: a DatabaseError anywhere in
    `prepare` becomes a refusal that says the send could not be recorded."""

    @functools.wraps(prepare)
    def wrapper(**kwargs):
        try:
            return prepare(**kwargs)
        except DatabaseError as exc:
            logger.error(
                "Send log not written, nothing prepared: staff=%s reply=%s",
                kwargs.get("staff_userid"),
                kwargs.get("reply_id"),
            )
            raise SendRefused(SEND_NOT_RECORDED, unrecorded=True) from exc

    return wrapper


@_recorded_or_refused
def prepare(
    *,
    client,
    staff_userid: str,
    entry: str,
    target: dict[str, str],
    reply_id: int,
    staff_name: str = "",
    operator: Operator | None = None,
    wecom: WeComClient,
    enter_chat: bool = False,
    cover_url=None,
    file_url=None,
    retry_of: int | None = None,
) -> Prepared:
    """Check, fill and record a send; the sendChatMessage object to hand to the client.
    Raises SendRefused (recorded as refused) when it must not or cannot be sent, SendRefused
    with `unrecorded` when the send log cannot be written (_recorded_or_refused), and
    UploadPending (nothing recorded) while its file is on its way to WeCom."""
    reply = Reply.objects.filter(own.visible_to(staff_userid), pk=reply_id, enabled=True).first()
    if reply is None:
        raise SendRefused(NOT_IN_LIBRARY)
    target_id = "/".join(target.values())[:160]
    row = Send(
        staff_userid=staff_userid[:64],
        staff_name=staff_name[:64],
        **hosts.audit_fields(operator),
        entry=entry,
        target_id=target_id,
        # The name the staff member's panel showed, so the send log reads without WeCom.
        target_name=lookups.name_last_shown(target_id, staff_userid=staff_userid),
        reply=reply,
        reply_title=reply.title[:64],
        kind=reply.kind,
        outcome=Send.Outcome.PREPARED,
        wecom_version=wecom.version_text[:32],
        retry_of=_own_failed_send(staff_userid, retry_of),
    )
    try:
        message = _message(client, row, staff_userid, target, wecom, cover_url, file_url)
    except SendRefused as refusal:
        row.outcome = Send.Outcome.REFUSED
        row.err_msg = _said(refusal.explanation)
        row.save()
        metrics.SENDS.labels(kind=row.kind, outcome=row.outcome).inc()
        refusal.send = row
        raise
    if enter_chat and rules.may_enter_chat(wecom):
        message["enterChat"] = True
    row.save()
    metrics.SENDS.labels(kind=row.kind, outcome=row.outcome).inc()
    return Prepared(send=row, message=message)


def _message(client, row: Send, staff_userid, target, wecom, cover_url, file_url) -> dict:
    reply, entry = row.reply, row.entry
    reason = rules.refusal(entry=entry, kind=reply.kind, client=wecom)
    if reason is not None:
        raise SendRefused(
            Explanation(
                title=_("This reply cannot be sent here"),
                detail=reason,
                action=_("Pick another reply."),
                http_status=403,
            ),
            forced=True,
        )
    try:
        if reply.kind == "text":
            return kinds.message(reply, text=_filled(client, reply, staff_userid, entry, target))
        if reply.kind in kinds.MEDIA and wecom.is_hosted:
            # The host fetches the file itself: a signed URL that expires, no media_id.
            return kinds.message(reply, file_url=file_url(reply))
        if reply.kind in kinds.MEDIA:
            row.media_id = media.media_id(client=client, reply=reply)
            return kinds.message(reply, media_id=row.media_id)
        if reply.kind == "news" and reply.upload and not reply.image_url:
            return kinds.message(reply, cover_url=cover_url(reply) if cover_url else "")
        return kinds.message(reply)
    except WeComError as exc:
        raise SendRefused(explain(exc)) from None
    except lookups.Refused as exc:
        raise SendRefused(exc.explanation) from None


def _filled(client, reply, staff_userid, entry, target) -> str:
    used = placeholders.used(reply.text)
    values = {}
    if placeholders.CUSTOMER in used:
        if entry not in CUSTOMER_ENTRIES:
            raise SendRefused(NO_CUSTOMER_HERE)
        values[placeholders.CUSTOMER] = _customer_name(client, staff_userid, entry, target)
    if placeholders.STAFF in used:
        values[placeholders.STAFF] = staff_names.name(client, staff_userid)
        if not values[placeholders.STAFF]:
            raise SendRefused(NO_STAFF_NAME)
    return placeholders.fill(reply.text, values)


def _customer_name(client, staff_userid, entry, target) -> str:
    return lookups.customer_name(
        client=client,
        staff_userid=staff_userid,
        entry=entry,
        external_userid=target["external_userid"],
    )


def _own_failed_send(staff_userid: str, send_id: int | None) -> Send | None:
    if send_id is None:
        return None
    return Send.objects.filter(
        pk=send_id, staff_userid=staff_userid, outcome=Send.Outcome.RETRIED
    ).first()


def _said(explanation: Explanation) -> str:
    text = str(explanation.title)
    if explanation.errcode is not None:
        text += f" (errcode {explanation.errcode})"
    return text[:500]


# What the client answered --------------------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    send: Send
    retry: bool  # prepare it once more: its media was dropped and will be uploaded anew


def finish(*, client, staff_userid: str, send_id: int, err_msg: str, duration_ms=None):
    """Record the client's answer to a prepared send of this staff member; None if there is
    no such send waiting for one. Raises ResultUnrecorded when the log cannot be written."""
    try:
        return _finish(client, staff_userid, send_id, err_msg, duration_ms)
    except DatabaseError as exc:
        logger.error("Send result not written yet: staff=%s send=%s", staff_userid, send_id)
        raise ResultUnrecorded from exc


def _finish(client, staff_userid: str, send_id: int, err_msg: str, duration_ms) -> Finished | None:
    row = Send.objects.filter(
        pk=send_id, staff_userid=staff_userid, outcome=Send.Outcome.PREPARED
    ).first()
    if row is None:
        return None
    row.err_msg = err_msg[:500]
    row.duration_ms = duration_ms
    row.outcome = _outcome(err_msg)
    retry = False
    if row.outcome == Send.Outcome.FAILED and _media_may_be_stale(row, err_msg):
        if row.reply is not None and row.media_id:
            media.forget(client=client, reply=row.reply, stale=row.media_id)
        row.outcome = Send.Outcome.RETRIED
        retry = True
    row.save(update_fields=["err_msg", "duration_ms", "outcome"])
    metrics.SENDS.labels(kind=row.kind, outcome=row.outcome).inc()
    if row.outcome == Send.Outcome.SENT and row.target_id:
        record_versions.changed(row.target_id)  # the customer's timeline lists it
    return Finished(send=row, retry=retry)


def _outcome(err_msg: str) -> str:
    verdict = err_msg.split(":", 1)[-1].strip().lower()
    if verdict == "ok":
        return Send.Outcome.SENT
    if verdict.startswith("cancel"):
        return Send.Outcome.CANCELLED
    return Send.Outcome.FAILED


def _media_may_be_stale(row: Send, err_msg: str) -> bool:
    said = err_msg.lower()
    return (
        row.kind in kinds.MEDIA
        and row.retry_of_id is None
        and not any(word in said for word in NOT_MEDIA_FAILURES)
    )


# What the client said, in words ----------------------------------------------------------------

SENT = Explanation(title=_("Sent"), detail="", http_status=200)
CANCELLED = Explanation(title=_("Not sent: you cancelled"), detail="", http_status=200)
# A word in the client's answer -> what it means and who fixes it
CLIENT_FAILURES = [
    (
        ("no permission", "permission denied"),
        Explanation(
            title=_("WeCom did not let the app send into this chat"),
            detail=_("The app may send only with customer-contact permission (客户联系)."),
            action=_(
                "WeCom admin: give the app customer-contact permission and make sure customer "
                "contact is enabled for you."
            ),
        ),
    ),
    (
        ("not in allow list",),
        Explanation(
            title=_("You are outside the app's visible range"),
            detail=_("WeCom lets only members in the app's visible range (可见范围) send."),
            action=_("WeCom admin: add you to the app's visible range."),
        ),
    ),
    (
        ("without context",),
        Explanation(
            title=_("The page is no longer in a chat"),
            detail=_("WeCom found no chat to send into."),
            action=_("Open the page again from the chat's toolbar."),
        ),
    ),
    (
        ("unsupported msgtype", "function not exist"),
        Explanation(
            title=_("This chat or WeCom version cannot take this kind of message"),
            detail=_("The client refused the message type."),
            action=_("Update WeCom, or pick another reply."),
        ),
    ),
    (
        ("invalid imgurl",),
        Explanation(
            title=_("WeCom rejected the card's cover image address"),
            detail=_("A cover must be an http:// or https:// address."),
            action=_("Administrator: fix the reply's cover image URL in the reply library."),
        ),
    ),
]


def client_answer(row: Send) -> Explanation:
    """What the client's answer to a send means, for the staff member who tapped it."""
    if row.outcome == Send.Outcome.SENT:
        return SENT
    if row.outcome == Send.Outcome.CANCELLED:
        return CANCELLED
    said = row.err_msg.lower()
    for words, explanation in CLIENT_FAILURES:
        if any(word in said for word in words):
            return explanation
    return Explanation(
        title=_("WeCom could not send this reply"),
        detail=_("The WeCom app gave a reason the sidebar does not know."),
        action=_("Try again. If it persists, tell the administrator what the details say."),
        technical=row.err_msg,
    )
