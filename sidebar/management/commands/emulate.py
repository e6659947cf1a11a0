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
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from sidebar import emulator
from sidebar.models import KfScene
from sidebar.replies import demo
from sidebar.standin.juzi import JuziStandin, demo_host
from sidebar.standin.seed import demo_corp
from sidebar.standin.server import StandinServer

# Where the stand-ins listen. The emulator page sends a browser that opened it at another
# loopback name here (sidebar/emulator/views.py), so the framed sign-in stays same-site.
STANDIN_HOST = "127.0.0.1"
DEFAULT_TOKEN_LIFETIME = 7200
EMULATOR_ADMIN = "emulator-admin"


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
            default=DEFAULT_TOKEN_LIFETIME,
            help="seconds an access_token lives, so expiry paths can be watched (default 7200)",
        )

    def handle(self, *args, addrport, token_lifetime, standin_port, juzi_port, **options):
        if not emulator.enabled():
            raise CommandError("The emulator needs DJANGO_DEBUG=on and WECOM_EMULATOR=on.")
        host = addrport.rsplit(":", 1)[0] if ":" in addrport else "127.0.0.1"
        port = addrport.rsplit(":", 1)[-1]
        # Every port is tried before anything starts: the busy ones are said at once, all
        # of them, with one command that moves each to a free port.
        bound = host.strip("[]")
        _check_ports(
            {
                "the app": ("127.0.0.1" if bound == "localhost" else bound, int(port)),
                "the WeCom stand-in": (STANDIN_HOST, standin_port),
                "the Juzi stand-in": (STANDIN_HOST, juzi_port),
            },
            command=lambda ports: _serve_command(host, ports, token_lifetime),
        )
        call_command("migrate", interactive=False, verbosity=0)
        admin_password = _emulator_admin()
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
        # The demo corp's 客服 link is marked "website"; an admin names it, as for a real one.
        KfScene.objects.get_or_create(scene="website", defaults={"name": "官网价格页"})
        juzi = self._start_juzi(juzi_port)
        _connect_callback(corp, f"http://{_shown(host)}:{port}")
        library = f"Demo reply library: {seeded} replies.\n" if seeded else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"\nWeCom stand-in ({corp.corp_name}, {len(corp.staff)} staff, "
                f"{len(corp.contacts)} customers) on {server.url}\n{library}"
                f"Juzi stand-in (hosted accounts, console) on {juzi.url}\n"
                f"Open http://{_shown(host)}:{port}/emulator/ in a browser.\n"
                f"Admin (audit logs, replies, stages): http://{_shown(host)}:{port}/admin/ as "
                f"{EMULATOR_ADMIN}, password {admin_password} (new each run).\n"
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


def _emulator_admin() -> str:
    """A superuser for the emulator's admin, with a new password each run: the password it
    now has. (The emulator runs only with DEBUG on, on the developer's own database.)"""
    user, _ = get_user_model().objects.get_or_create(username=EMULATOR_ADMIN)
    password = secrets.token_urlsafe(9)
    user.is_staff = user.is_superuser = user.is_active = True
    user.set_password(password)
    user.save()
    return password


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


def _check_ports(wanted: dict[str, tuple[str, int]], *, command) -> None:
    """CommandError naming every port of `wanted` ({what: (host, port)}) that is taken, and
    `command(ports)` for ports that are all free, each busy one moved up by a hundred."""
    busy = [what for what, (host, port) in wanted.items() if not _free(host, port)]
    if not busy:
        return
    ports = {what: port for what, (_, port) in wanted.items()}
    for what in busy:
        host, port = wanted[what]
        moved = port + 100
        while moved in ports.values() or not _free(host, moved):
            moved += 100
            if moved > 65535:
                raise CommandError(f"No free port found for {what} on {host}.")
        ports[what] = moved
    lines = [
        f"Port {wanted[what][1]} on {wanted[what][0]} is in use, so {what} cannot start there."
        for what in busy
    ]
    raise CommandError(
        "\n".join(lines) + "\nIs another emulator running? Stop it, or start this one on "
        f"free ports:\n\n    {command(ports)}\n"
    )


def _serve_command(host: str, ports: dict[str, int], token_lifetime: int) -> str:
    """The `make serve` command with these ports and every other option this run was given."""
    args = [
        f"{host}:{ports['the app']}",
        f"--standin-port {ports['the WeCom stand-in']}",
        f"--juzi-port {ports['the Juzi stand-in']}",
    ]
    if token_lifetime != DEFAULT_TOKEN_LIFETIME:
        args.append(f"--token-lifetime {token_lifetime}")
    return f'make serve ARGS="{" ".join(args)}"'


def _free(host: str, port: int) -> bool:
    """Whether `port` on `host` can be listened on now; CommandError for another failure
    than its being taken."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise CommandError(f"Nothing can listen on {host}:{port}: {exc}") from None
    return True
