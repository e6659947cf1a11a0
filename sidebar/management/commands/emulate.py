"""`manage.py emulate`: the app and the WeCom stand-in together, for the emulator."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from sidebar import emulator
from sidebar.replies import demo
from sidebar.standin.juzi import JuziStandin, demo_host
from sidebar.standin.seed import demo_corp
from sidebar.standin.server import AUTHORIZE_PATH, StandinServer

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class Command(BaseCommand):
    help = (
        "Run the app with the WeCom emulator: a seeded stand-in corp on WECOM_API_BASE_URL "
        "and the app on ADDRPORT. Needs DJANGO_DEBUG=on and WECOM_EMULATOR=on."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--juzi-port",
            type=int,
            default=8002,
            help="port of the Juzi stand-in (its OAuth, helper and console; default 8002)",
        )
        parser.add_argument(
            "--token-lifetime",
            type=int,
            default=7200,
            help="seconds an access_token lives, so expiry paths can be watched (default 7200)",
        )

    def handle(self, *args, addrport, token_lifetime, juzi_port, **options):
        if not emulator.enabled():
            raise CommandError("The emulator needs DJANGO_DEBUG=on and WECOM_EMULATOR=on.")
        api = urlsplit(settings.WECOM_API_BASE_URL)
        if api.hostname not in LOOPBACK or not api.port:
            raise CommandError(
                "WECOM_API_BASE_URL must be a loopback address with a port for the stand-in, "
                f"e.g. http://127.0.0.1:8001 (it is {settings.WECOM_API_BASE_URL})"
            )
        authorize = f"{api.scheme}://{api.netloc}{AUTHORIZE_PATH}"
        if authorize != settings.WECOM_OAUTH_AUTHORIZE_URL:
            raise CommandError(f"Set WECOM_OAUTH_AUTHORIZE_URL={authorize} for the stand-in")
        call_command("migrate", interactive=False, verbosity=0)
        corp = demo_corp(
            corp_id=settings.WECOM_CORP_ID,
            agent_id=settings.WECOM_AGENT_ID,
            secret=settings.WECOM_AGENT_SECRET,
            token_lifetime=token_lifetime,
        )
        corp.choose_staff = True
        server = StandinServer(corp, host=api.hostname, port=api.port).start()
        # Covers the stand-in draws, so the demo library's pictures load without the internet.
        seeded = demo.seed(picture=lambda name: f"{server.url}/avatar/{name}.svg")
        host = addrport.rsplit(":", 1)[0] if ":" in addrport else "127.0.0.1"
        port = addrport.rsplit(":", 1)[-1]
        juzi = self._start_juzi(juzi_port, app_host=host)
        library = f"Demo reply library: {seeded} replies.\n" if seeded else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"\nWeCom stand-in ({corp.corp_name}, {len(corp.staff)} staff, "
                f"{len(corp.contacts)} customers) on {server.url}\n{library}"
                f"Juzi stand-in (hosted accounts, console) on {juzi.url}\n"
                f"Open http://{host}:{port}/emulator/ in a browser.\n"
            )
        )
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            juzi.stop()
            server.stop()

    def _start_juzi(self, port: int, *, app_host: str) -> JuziStandin:
        """The Juzi stand-in, on another site than the app (localhost vs 127.0.0.1), as Juzi's
        console is to the page it frames; the Juzi settings point at it for this run."""
        public = "127.0.0.1" if app_host == "localhost" else "localhost"
        juzi = JuziStandin(demo_host(settings.WECOM_CORP_ID), port=port, public_host=public)
        settings.JUZI_OAUTH_BASE_URL = juzi.url
        settings.JUZI_HELPER_URL = juzi.helper_url
        settings.JUZI_FRAME_ANCESTORS = [juzi.url]
        return juzi.start()
