"""Emulator mode is development-only: refused by a system check without DEBUG, 404 on every
route unless enabled, never in the collected static files, never in the production page."""

import contextlib
import re
import socket
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

from sidebar.management.commands.emulate import EMULATOR_ADMIN, _emulator_admin

pytestmark = pytest.mark.django_db

ROUTES = [
    "/emulator/",
    "/emulator/assets/bridge.js",
    "/emulator/assets/bridge-setup.js",
    "/emulator/assets/emulator.js",
    "/emulator/api/state",
    "/emulator/media/3abc",
]


@pytest.mark.parametrize("debug", [False, True])
def test_routes_answer_404_unless_debug_and_emulator_are_on(client, settings, debug):
    settings.DEBUG = debug
    settings.WECOM_EMULATOR = not debug  # on without DEBUG, or DEBUG without the flag
    for path in ROUTES:
        assert client.get(path).status_code == 404, path
    assert client.post("/emulator/api/expire-tokens").status_code in (403, 404)
    assert client.post("/emulator/api/sign-out").status_code in (403, 404)


def test_routes_answer_when_enabled(client, settings, standin):
    settings.DEBUG = True
    settings.WECOM_EMULATOR = True
    assert client.get("/emulator/").status_code == 200
    assert client.get("/emulator/assets/bridge.js").status_code == 200
    assert client.get("/emulator/api/state").json()["corp"]["corp_id"] == settings.WECOM_CORP_ID
    assert client.get("/emulator/assets/../settings.py").status_code == 404


def test_system_check_refuses_emulator_without_debug(settings):
    settings.DEBUG = False
    settings.WECOM_EMULATOR = True
    with pytest.raises(SystemCheckError, match=r"sidebar\.E001"):
        call_command("check")


def test_emulate_command_refuses_without_debug(settings):
    settings.DEBUG = False
    settings.WECOM_EMULATOR = True
    with pytest.raises(CommandError, match="DJANGO_DEBUG=on and WECOM_EMULATOR=on"):
        call_command("emulate", skip_checks=True)


def test_production_page_has_no_bridge(staff_client, settings):
    settings.WECOM_EMULATOR = True  # DEBUG stays off, as in production
    body = staff_client.get("/sidebar/").content.decode()
    assert "bridge" not in body and "/emulator/" not in body


def test_emulated_page_loads_the_bridge_before_the_sdk(staff_client, settings):
    settings.DEBUG = True
    settings.WECOM_EMULATOR = True
    body = staff_client.get("/sidebar/").content.decode()
    assert body.index("bridge-setup.js") < body.index('bridge.js"') < body.index("wecom.global")


def test_collected_static_files_hold_no_emulator_code(settings, tmp_path):
    settings.STATIC_ROOT = str(tmp_path)
    call_command("collectstatic", interactive=False, verbosity=0)
    names = {p.name for p in Path(tmp_path).rglob("*") if p.is_file()}
    assert "sidebar.js" in names
    assert not {n for n in names if "bridge" in n or "emulator" in n}


@pytest.fixture
def busy_ports():
    """Three loopback ports something else listens on."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(3):
            taken = stack.enter_context(socket.socket())
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            ports.append(taken.getsockname()[1])
        yield ports


def free_ports(count: int) -> list[int]:
    """Loopback ports nothing listens on (the system's choice, released again)."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]


def refusal(*args) -> str:
    with pytest.raises(CommandError) as refused:
        call_command("emulate", *args, skip_checks=True)
    return str(refused.value)


def suggested_ports(said: str) -> list[int]:
    """The ports of the one `make serve` command the refusal suggests, each free now."""
    command = re.search(r'make serve ARGS="([^"]+)"', said).group(1)
    found = re.match(r"\S+:(\d+) --standin-port (\d+) --juzi-port (\d+)", command)
    ports = [int(port) for port in found.groups()]
    for port in ports:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))  # raises if it is not free
    return ports


@pytest.mark.parametrize("where", ["addrport", "--standin-port", "--juzi-port"])
def test_a_busy_port_is_said_at_once_with_a_command_that_moves_it(settings, busy_ports, where):
    settings.DEBUG = True
    settings.WECOM_EMULATOR = True
    busy = busy_ports[0]
    app, standin, juzi = free_ports(3)
    free = {"addrport": f"127.0.0.1:{app}", "--standin-port": str(standin)}
    free["--juzi-port"] = str(juzi)
    free[where] = f"127.0.0.1:{busy}" if where == "addrport" else str(busy)
    said = refusal(free.pop("addrport"), *[part for pair in free.items() for part in pair])
    assert f"Port {busy} on 127.0.0.1 is in use" in said
    assert said.count("is in use") == 1
    assert busy not in suggested_ports(said)


def test_every_busy_port_is_said_at_once_and_one_command_keeps_the_other_options(
    settings, busy_ports
):
    settings.DEBUG = True
    settings.WECOM_EMULATOR = True
    app, standin, juzi = busy_ports
    said = refusal(
        f"127.0.0.1:{app}",
        "--standin-port",
        str(standin),
        "--juzi-port",
        str(juzi),
        "--token-lifetime",
        "120",
    )
    for port in busy_ports:
        assert f"Port {port} on 127.0.0.1 is in use" in said
    ports = suggested_ports(said)
    assert len(ports) == 3 and len(set(ports)) == 3 and not set(ports) & set(busy_ports)
    assert "--token-lifetime 120" in said


def test_the_emulator_sends_other_loopback_names_to_the_stand_ins_host(client, settings, standin):
    """localhost and 127.0.0.1 are two sites: the framed sign-in's way back from the stand-in
    would lose the session cookie, so the page moves to the stand-in's host name."""
    settings.DEBUG = True
    settings.WECOM_EMULATOR = True
    assert settings.WECOM_OAUTH_AUTHORIZE_URL.startswith("http://127.0.0.1:")
    moved = client.get("/emulator/?entry=normal", HTTP_HOST="localhost:8000")
    assert moved.status_code == 302
    assert moved["Location"] == "http://127.0.0.1:8000/emulator/?entry=normal"
    assert client.get("/emulator/", HTTP_HOST="127.0.0.1:8000").status_code == 200


@pytest.mark.django_db
def test_the_emulator_has_an_admin_with_a_new_password_each_run(client):
    first = _emulator_admin()
    second = _emulator_admin()
    assert first != second
    assert not client.login(username=EMULATOR_ADMIN, password=first)
    assert client.login(username=EMULATOR_ADMIN, password=second)
    assert client.get("/admin/").status_code == 200
