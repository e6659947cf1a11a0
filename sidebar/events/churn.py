"""流失提醒: when a customer deletes a staff member (del_follow_user), that staff member gets a
WeCom app message naming the customer, with their remark and the customer's last follow-up
note (WECOM_CHURN_ALERTS turns it off).

The callback answers WeCom at once and hands the alert to a background thread; whatever that
thread could not send (the process stopped, WeCom refused) `manage.py send_reminders` sends on
its next run. Each alert goes once: a sender claims the event with one conditional UPDATE.
"""

import html
import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sidebar import background, customers, services
from sidebar.events.models import ChangeEvent
from sidebar.exceptions import WeComError
from sidebar.records.models import Note
from sidebar.records.reminders import DESCRIPTION_BYTES, TITLE_BYTES, cut, escaped_within
from sidebar.sqlite_writes import one_writer

logger = logging.getLogger(__name__)

CLAIM = timedelta(minutes=10)  # a claim this old was left by a sender that stopped
# Alerts older than this are not sent any more (a staff member told days later is no help).
FRESH_FOR = timedelta(days=1)

_senders = background.Workers("churn-alerts", threads=1, backlog=200)


def alert_soon(*, client, event_id: int, public_url: str) -> None:
    """Send the alert of `event_id` from a background thread (the command sends it later if
    this one cannot)."""
    if settings.WECOM_CHURN_ALERTS:
        _senders.submit(
            event_id, lambda: send(client=client, event_id=event_id, public_url=public_url)
        )


def pending() -> list[int]:
    """The churn alerts not yet sent, oldest first."""
    now = timezone.now()
    if not settings.WECOM_CHURN_ALERTS:
        return []
    return list(
        ChangeEvent.objects.filter(
            event="change_external_contact",
            change_type="del_follow_user",
            alerted_at=None,
            received_at__gte=now - FRESH_FOR,
        )
        .filter(Q(alert_claimed_at=None) | Q(alert_claimed_at__lt=now - CLAIM))
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:200]
    )


def send(*, client, event_id: int, public_url: str) -> bool:
    """Claim and send one alert; False when another sender has it, or WeCom refused it."""
    event = ChangeEvent.objects.filter(pk=event_id, alerted_at=None).first()
    if event is None or not _claim(event):
        return False
    try:
        with translation.override(settings.LANGUAGE_CODE):  # the company's language
            alert = message(client=client, event=event, public_url=public_url)
        client.send_app_message(alert)
    except WeComError as exc:
        logger.warning("Churn alert %s not sent: WeCom error %s", event.pk, exc.errcode)
        with one_writer():
            ChangeEvent.objects.filter(pk=event.pk).update(alert_claimed_at=None)
        return False
    with one_writer():
        ChangeEvent.objects.filter(pk=event.pk).update(alerted_at=timezone.now())
    return True


def _claim(event: ChangeEvent) -> bool:
    with one_writer():
        return bool(
            ChangeEvent.objects.filter(
                pk=event.pk, alerted_at=None, alert_claimed_at=event.alert_claimed_at
            ).update(alert_claimed_at=timezone.now())
        )


def message(*, client, event: ChangeEvent, public_url: str) -> dict:
    name, remark = _customer(client, event)
    note = (
        Note.objects.filter(target_kind="contact", target_id=event.external_userid)
        .order_by("-created_at", "-id")
        .first()
    )
    when = timezone.localtime(event.happened_at).strftime("%Y-%m-%d %H:%M")
    lines = [f'<div class="gray">{html.escape(when)}</div>']
    if remark:
        said = _("Your remark: %(remark)s") % {"remark": remark}
        lines.append(f'<div class="normal">{html.escape(said)}</div>')
    if note is not None:
        head, used = '<div class="highlight">', len("".join(lines).encode())
        budget = DESCRIPTION_BYTES - used - len((head + "</div>").encode())
        said = _("Last note: %(text)s") % {"text": note.text}
        lines.append(head + escaped_within(said, budget) + "</div>")
    return {
        "touser": event.user_id,
        "msgtype": "textcard",
        "textcard": {
            "title": cut(
                _("%(who)s deleted you") % {"who": name or event.external_userid}, TITLE_BYTES
            ),
            "description": "".join(lines),
            "url": public_url.rstrip("/") + reverse("sidebar:page"),
            "btntxt": _("Open"),
        },
        "enable_duplicate_check": 1,
        "duplicate_check_interval": 4 * 3600,
    }


def _customer(client, event: ChangeEvent) -> tuple[str, str]:
    """(the customer's name, the staff member's remark on them), as far as WeCom still says
    (it keeps a one-way relation for a while) or the audit log remembers."""
    try:
        answer = client.get_external_contact(event.external_userid)
        seen = customers.from_answer(answer, event.user_id)
        name = str(seen.external_contact.get("name") or "")
        remark = str((seen.follower or {}).get("remark") or "")
    except WeComError:
        name, remark = "", ""
    return name or services.name_last_shown(event.external_userid), remark


def idle(timeout: float) -> bool:
    """No alert is being sent from this process (tests wait for it)."""
    return _senders.idle(timeout)
