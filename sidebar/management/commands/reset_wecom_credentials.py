from django.core.management.base import BaseCommand, CommandError

from sidebar.exceptions import ConfigurationError
from sidebar.wecom import get_client


class Command(BaseCommand):
    help = (
        "Forget the cached access_token and jsapi tickets of the configured WeCom app (and any "
        "remembered refusal), so the next request fetches fresh ones. Use after changing the "
        "app's secret or when WeCom rejects signatures made with a cached ticket."
    )

    def handle(self, *args, **options):
        try:
            client = get_client()
        except ConfigurationError as exc:
            raise CommandError(str(exc)) from None
        try:
            client.credentials.forget_all()
        except Exception as exc:
            raise CommandError(f"The shared cache did not answer: {type(exc).__name__}") from None
        self.stdout.write(f"Forgot the cached WeCom credentials of app {client.app.scope}")
