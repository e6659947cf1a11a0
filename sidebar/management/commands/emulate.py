"""`manage.py emulate`: the app and the WeCom stand-in together, for the emulator."""

import errno
import logging
import secrets
import socket
import string
import threading
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from sidebar import emulator
from sidebar.replies import demo
from sidebar.standin.juzi import JuziStandin, demo_host
from sidebar.standin.seed import demo_corp
from sidebar.standin.server import StandinServer

# Where the stand-ins listen. The emulator page sends a browser that opened it at another
# loopback name here (sidebar/emulator/views.py), so the framed sign-in stays same-site.
STANDIN_HOST = "127.0.0.1"


class Command(BaseCommand):
    help = (
        "Run the app with the WeCom emulator: a seeded stand-in corp on 127.0.0.1:STANDIN_PORT "
        "(the app's WECOM_API_BASE_URL and WECOM_OAUTH_AUTHORIZE_URL for this run) and the app "
        "on ADDRPORT. Needs DJANGO_DEBUG=on and WECOM_EMULATOR=on."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--standin-port",
            type=int,
            default=8001,
            help="port of the WeCom stand-in (its API and OAuth pages; default 8001)",
        )
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

    def handle(self, *args, addrport, token_lifetime, standin_port, juzi_port, **options):
        if not emulator.enabled():
            raise CommandError("The emulator needs DJANGO_DEBUG=on and WECOM_EMULATOR=on.")
        host = addrport.rsplit(":", 1)[0] if ":" in addrport else "127.0.0.1"
        port = addrport.rsplit(":", 1)[-1]
        # Every port is tried before anything starts: a busy one is said at once, with the
        # option that moves it, not as a traceback once the others are up.
        bound = host.strip("[]")
        _free("127.0.0.1" if bound == "localhost" else bound, int(port), "the app", "ADDRPORT")
        _free(STANDIN_HOST, standin_port, "the WeCom stand-in", "--standin-port")
        _free(STANDIN_HOST, juzi_port, "the Juzi stand-in", "--juzi-port")
        call_command("migrate", interactive=False, verbosity=0)
        corp = demo_corp(
            corp_id=settings.WECOM_CORP_ID,
            agent_id=settings.WECOM_AGENT_ID,
            secret=settings.WECOM_AGENT_SECRET,
            token_lifetime=token_lifetime,
        )
        corp.choose_staff = True
        server = StandinServer(corp, host=STANDIN_HOST, port=standin_port).start()
        # The app reaches WeCom through these two settings only: for this run, the stand-in.
        settings.WECOM_API_BASE_URL = server.url
        settings.WECOM_OAUTH_AUTHORIZE_URL = server.authorize_url
        # Covers the stand-in draws, so the demo library's pictures load without the internet.
        seeded = demo.seed(picture=lambda name: f"{server.url}/avatar/{name}.svg")
        juzi = self._start_juzi(juzi_port)
        _connect_callback(corp, f"http://{_shown(host)}:{port}")
        library = f"Demo reply library: {seeded} replies.\n" if seeded else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"\nWeCom stand-in ({corp.corp_name}, {len(corp.staff)} staff, "
                f"{len(corp.contacts)} customers) on {server.url}\n{library}"
                f"Juzi stand-in (hosted accounts, console) on {juzi.url}\n"
                f"Open http://{_shown(host)}:{port}/emulator/ in a browser.\n"
            )
        )
        logging.getLogger("django.server").addFilter(_without_polling)
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            juzi.stop()
            server.stop()

    def _start_juzi(self, port: int) -> JuziStandin:
        """The Juzi stand-in, on another site than the app (localhost, while the emulator is
        used at 127.0.0.1), as Juzi's console is to the page it frames; the Juzi settings
        point at it for this run."""
        juzi = JuziStandin(
            demo_host(settings.WECOM_CORP_ID),
            address=STANDIN_HOST,
            port=port,
            public_host="localhost",
        )
        settings.JUZI_OAUTH_BASE_URL = juzi.url
        settings.JUZI_HELPER_URL = juzi.helper_url
        settings.JUZI_FRAME_ANCESTORS = [juzi.url]
        return juzi.start()


def _connect_callback(corp, app_url: str) -> None:
    """The app's callback for this run: a Token and EncodingAESKey of its own, and the stand-in
    told to post its change events to /wecom/events/ (verified, as the admin console does,
    once the app answers)."""
    alphabet = string.ascii_letters + string.digits
    token = "".join(secrets.choice(alphabet) for _ in range(32))
    aes_key = "".join(secrets.choice(alphabet) for _ in range(43))
    settings.WECOM_CALLBACK_TOKEN, settings.WECOM_CALLBACK_AES_KEY = token, aes_key

    def connect():
        for _ in range(600):  # the app takes a moment to start listening
            try:
                urllib.request.urlopen(app_url + "/healthz", timeout=2).close()  # noqa: S310
                break
            except urllib.error.HTTPError:
                break  # it answers (503 while the cache warms is an answer too)
            except OSError:
                time.sleep(0.1)
        corp.connect_callback(url=app_url + "/wecom/events/", token=token, aes_key=aes_key)

    threading.Thread(target=connect, daemon=True).start()


# What the panel fetches on its own, every few seconds or on every reopen: not worth a line.
POLLED = (
    "/emulator/api/state",
    "/emulator/api/juzi/state",
    "/emulator/api/send-reminders",
    "/emulator/assets/",
    "/static/",
)


def _without_polling(record: logging.LogRecord) -> bool:
    """runserver's request lines, less the panel's own successful polling."""
    if getattr(record, "status_code", 500) >= 400:
        return True
    line = str(record.args[0]) if record.args else ""
    return not any(f" {path}" in line for path in POLLED)


def _shown(host: str) -> str:
    """Where to open the emulator: at the stand-ins' host when the app listens there too."""
    return STANDIN_HOST if host in ("localhost", "0.0.0.0", "[::]", "::") else host  # noqa: S104


def _free(host: str, port: int, what: str, option: str) -> None:
    """CommandError, saying which option moves it, if `port` is taken on `host`."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"Port {port} on {host} is in use, so {what} cannot start there (is "
                    f"another emulator running?). Stop it, or choose another port with "
                    f'{option}, e.g. `make serve ARGS="{_example(option, port)}"`.'
                ) from None
            raise CommandError(f"{what} cannot listen on {host}:{port}: {exc}") from None


def _example(option: str, port: int) -> str:
    other = port + 100
    return f"127.0.0.1:{other}" if option == "ADDRPORT" else f"{option} {other}"
