"""manage.py wecom_doctor: the configuration doctor (sidebar.doctor) for deploy scripts: a
line per check, the fix under each failure, and exit status 1 when anything failed."""

from django.core.management.base import BaseCommand

from sidebar import doctor


class Command(BaseCommand):
    help = "Check the WeCom app's configuration and this deployment; exit 1 on any failure."

    def handle(self, *args, **options):
        findings = doctor.examine()
        for finding in findings:
            mark = self.style.SUCCESS("✓") if finding.ok else self.style.ERROR("✗")
            self.stdout.write(f"{mark} {finding.check}: {finding.said}")
            if finding.fix:
                self.stdout.write(f"    → {finding.fix}")
        if doctor.failed(findings):
            raise SystemExit(1)
