"""manage.py refresh_media: upload each enabled reply's file to WeCom before its media_id ages
out, so a send finds one ready (docs/replies.md; sidebar/replies/media.py).

Run it every hour (cron or a systemd timer). It is idempotent and safe beside the app and a
second runner: a file that has a media_id with more than a quarter of its life left is left
alone, and one that another process is uploading is not uploaded again (the upload lock in the
shared cache). It exits 1 when an upload failed, for the cron mail or the timer's status.
"""

from collections import Counter

from django.core.management.base import BaseCommand

from sidebar.replies import kinds, media
from sidebar.replies.models import Reply
from sidebar.wecom import get_client


class Command(BaseCommand):
    help = "Upload reply files to WeCom before their media_ids expire (run hourly)."

    def handle(self, *args, **options):
        client = get_client()  # missing settings: ImproperlyConfigured names them
        replies = Reply.objects.filter(enabled=True, kind__in=list(kinds.MEDIA)).exclude(upload="")
        found = Counter()
        started = []
        for reply in replies.iterator():
            state = media.renew(client=client, reply=reply)
            found[state] += 1
            if state == "started":
                started.append(reply)
        if started and not media.uploads_idle(timeout=client.app.upload_timeout * len(started)):
            self.stderr.write("Uploads still running when the command gave up waiting")
        failed = [reply for reply in started if not media.has_fresh(client=client, reply=reply)]
        self.stdout.write(
            f"{sum(found.values())} files: {found['fresh']} fresh, "
            f"{len(started) - len(failed)} uploaded, {found['uploading']} being uploaded "
            f"elsewhere, {found['refused'] + len(failed)} refused or failed"
        )
        for reply in failed:
            self.stderr.write(f"Reply {reply.pk} ({reply.title}): not uploaded; see the log")
        if failed:
            raise SystemExit(1)
