"""Emulator mode is development-only: refused by a system check without DEBUG, 404 on every
route unless enabled, never in the collected static files, never in the production page."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

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


def test_emulate_command_never_points_the_stand_in_at_a_real_host(settings):
    settings.DEBUG = True
    settings.WECOM_EMULATOR = True
    settings.WECOM_API_BASE_URL = "https://qyapi.weixin.qq.com"
    with pytest.raises(CommandError, match="loopback"):
        call_command("emulate", skip_checks=True)
