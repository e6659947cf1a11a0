"""Follow-up reminders: when a note's follow-up time comes, its author gets a WeCom app message
(message/send, a textcard) that opens the customer's panel.

`manage.py send_reminders` runs this every minute (docs/using.md). Each reminder goes out
once however many runners there are: a runner first claims a note with one conditional UPDATE
(only one runner's UPDATE matches), then sends, then marks it reminded. A runner that dies
between claim and send leaves a claim that another takes over after CLAIM_SECONDS; the message
also asks WeCom's duplicate check to drop a copy sent twice within its interval, so even
that rare retry reaches the staff member once. A send WeCom refuses is tried again on the next
runs, at most MAX_ATTEMPTS times.
"""

import html
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sidebar import metrics
from sidebar.exceptions import WeComError
from sidebar.records.models import Note
from sidebar.sqlite_writes import one_writer

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 600
MAX_ATTEMPTS = 5
BATCH = 200
# textcard limits in UTF-8 bytes (docs/wecom.md, "App messages"); WeCom cuts what is longer.
TITLE_BYTES = 128
DESCRIPTION_BYTES = 512
DUPLICATE_CHECK_SECONDS = 4 * 3600


@dataclass
class Run:
    sent: int = 0
    failed: int = 0
    taken_by_others: int = 0
    errors: list[str] = field(default_factory=list)


def record_link(note: Note) -> str:
    """The page path that opens the note's customer or group (sidebar.views.page: `record`)."""
    return (
        reverse("sidebar:page")
        + "?"
        + urlencode({"record": f"{note.target_kind}:{note.target_id}"})
    )


def send_due(*, client, public_url: str, now: datetime | None = None) -> Run:
    """Send every reminder that is due and not yet sent."""
    now = now or timezone.now()
    run = Run()
    stale_claim = now - timedelta(seconds=CLAIM_SECONDS)
    due = (
        Note.objects.filter(
            reminded_at=None,
            done_at=None,
            due_at__isnull=False,
            due_at__lte=now,
            remind_attempts__lt=MAX_ATTEMPTS,
        )
        .filter(Q(remind_claimed_at=None) | Q(remind_claimed_at__lt=stale_claim))
        .order_by("due_at", "id")[:BATCH]
    )
    for note in list(due):
        if not _claim(note, now):
            run.taken_by_others += 1
            continue
        try:
            answer = client.send_app_message(message(note, public_url=public_url))
        except WeComError as exc:
            _release(note, error=f"{exc.errcode or ''} {type(exc).__name__}".strip())
            run.failed += 1
            run.errors.append(f"note {note.pk}: WeCom error {exc.errcode}")
            continue
        unreachable = note.author_userid.lower() in answer["invaliduser"].lower().split("|")
        with one_writer():
            Note.objects.filter(pk=note.pk).update(
                reminded_at=now,
                remind_error=_("WeCom could not reach the author") if unreachable else "",
            )
        run.sent += 1
        metrics.REMINDERS.inc()
    return run


def _claim(note: Note, now: datetime) -> bool:
    """Take the note for this runner; False when another runner took it first."""
    with one_writer():
        return bool(
            Note.objects.filter(
                pk=note.pk, reminded_at=None, remind_claimed_at=note.remind_claimed_at
            ).update(remind_claimed_at=now, remind_attempts=F("remind_attempts") + 1)
        )


def _release(note: Note, *, error: str) -> None:
    with one_writer():
        Note.objects.filter(pk=note.pk).update(remind_claimed_at=None, remind_error=error[:200])


def message(note: Note, *, public_url: str) -> dict:
    """The textcard to the note's author (the app's agentid is added by the client)."""
    who = note.target_name or note.target_id
    due = timezone.localtime(note.due_at).strftime("%Y-%m-%d %H:%M")
    head = f'<div class="gray">{html.escape(due)}</div><div class="normal">'
    tail = "</div>"
    budget = DESCRIPTION_BYTES - len((head + tail).encode())
    return {
        "touser": note.author_userid,
        "msgtype": "textcard",
        "textcard": {
            "title": cut(_("Follow up: %(who)s") % {"who": who}, TITLE_BYTES),
            "description": head + escaped_within(note.text, budget) + tail,
            "url": public_url.rstrip("/") + record_link(note),
            "btntxt": _("Open"),
        },
        "enable_duplicate_check": 1,
        "duplicate_check_interval": DUPLICATE_CHECK_SECONDS,
    }


def cut(text: str, limit: int) -> str:
    return text.encode()[:limit].decode("utf-8", "ignore")


def escaped_within(text: str, limit: int) -> str:
    """`text` escaped for the card's HTML, shortened (with "…") to fit `limit` bytes."""
    escaped = html.escape(text)
    if len(escaped.encode()) <= limit:
        return escaped
    low, high = 0, len(text)
    while low < high:  # the longest prefix whose escaped form, with "…", fits
        middle = (low + high + 1) // 2
        if len((html.escape(text[:middle]) + "…").encode()) <= limit:
            low = middle
        else:
            high = middle - 1
    return html.escape(text[:low]) + "…"
