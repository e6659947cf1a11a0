"""manage.py send_reminders: send the follow-up reminders that are due (sidebar/records/
reminders.py) and the churn alerts not sent yet (sidebar/events/churn.py). Run it every
minute (the systemd timer in deploy/, or a cron line; docs/using.md). Each goes out
once, even with two runners at the same minute. It exits 1 when WeCom refused a reminder (it
is tried again on the next runs), for the timer's status.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from sidebar.events import churn
from sidebar.records import reminders
from sidebar.wecom import get_client


class Command(BaseCommand):
    help = "Send the follow-up reminders that are due as WeCom app messages (run every minute)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--public-url",
            default=settings.SIDEBAR_PUBLIC_URL,
            help="The site's public https address the reminders link to (SIDEBAR_PUBLIC_URL).",
        )

    def handle(self, *args, public_url, **options):
        if not public_url.startswith(("https://", "http://")):
            raise CommandError(
                "Set SIDEBAR_PUBLIC_URL to the site's public address (e.g. "
                "https://sidebar.example.com): reminders link staff to it."
            )
        client = get_client()  # missing settings: ImproperlyConfigured names them
        with translation.override(settings.LANGUAGE_CODE):
            run = reminders.send_due(client=client, public_url=public_url)
            # Churn alerts the callback's own sender could not send (sidebar/events/churn.py).
            alerts = [churn.send(client=client, event_id=e, public_url=public_url)
                      for e in churn.pending()]  # fmt: skip
        self.stdout.write(
            f"{run.sent} reminders sent, {run.failed} failed, "
            f"{run.taken_by_others} taken by another runner; {sum(alerts)} churn alerts sent"
        )
        for error in run.errors:
            self.stderr.write(error)
        if run.failed:
            raise SystemExit(1)
