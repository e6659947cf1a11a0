from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sidebar.models import ClientFailureReport, Lookup


class Command(BaseCommand):
    help = (
        "Delete audit-log rows and client failure reports older than a number of days "
        "(DJANGO_AUDIT_RETENTION_DAYS)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.DJANGO_AUDIT_RETENTION_DAYS,
            help="keep this many days (default: %(default)s)",
        )
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args, days, dry_run, **options):
        if days < 1:
            raise CommandError("--days must be at least 1")
        cutoff = timezone.now() - timedelta(days=days)
        for model, name in ((Lookup, "lookups"), (ClientFailureReport, "failure reports")):
            old = model.objects.filter(created_at__lt=cutoff)
            if dry_run:
                self.stdout.write(f"{old.count()} {name} older than {days} days would be deleted")
            else:
                deleted, _ = old.delete()
                self.stdout.write(f"Deleted {deleted} {name} older than {days} days")
