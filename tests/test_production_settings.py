"""The production environment docs/deploying.md documents passes `manage.py check --deploy`, and a
development .env in the checkout cannot switch DEBUG on in it."""

import re
import secrets
import subprocess
import sys

import pytest

from tests.servers import PROJECT

DEPLOYING = (PROJECT / "docs" / "deploying.md").read_text()
UNIT = (PROJECT / "deploy" / "systemd" / "sidebar.service").read_text()


def documented_environment() -> str:
    found = re.search(r"```sh\n\s*# (/etc/sidebar/sidebar\.env)[^\n]*\n(.*?)```", DEPLOYING, re.S)
    assert found, "docs/deploying.md no longer shows /etc/sidebar/sidebar.env"
    return "\n".join(line.strip() for line in found.group(2).splitlines())


@pytest.fixture
def development_dotenv():
    """A developer's .env in the checkout with DEBUG on (one that exists is left as it is)."""
    dotenv = PROJECT / ".env"
    if dotenv.exists():
        yield dotenv
        return
    dotenv.write_text("DJANGO_DEBUG=on\nDJANGO_SECRET_KEY=dev\nDJANGO_ALLOWED_HOSTS=*\n")
    try:
        yield dotenv
    finally:
        dotenv.unlink()


def run_manage(env_file, *args) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "DJANGO_ENV_FILE": str(env_file)}
    env["DJANGO_SETTINGS_MODULE"] = "sidebar.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_passes_on_the_documented_environment(tmp_path, development_dotenv):
    verify = tmp_path / "WW_verify_0123456789abcdef.txt"
    verify.write_text("0123456789abcdef")
    text = documented_environment()
    # What the admin fills in: a generated secret key, and the file from the admin console.
    text = text.replace("DJANGO_SECRET_KEY=\n", f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}\n")
    text = text.replace("/etc/sidebar/WW_verify_0123456789abcdef.txt", str(verify))
    env_file = tmp_path / "sidebar.env"
    env_file.write_text(text)

    checked = run_manage(env_file, "check", "--deploy", "--fail-level", "WARNING")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout

    shown = run_manage(
        env_file, "shell", "-c", "from django.conf import settings as s; print(s.DEBUG)"
    )
    assert shown.stdout.strip().splitlines()[-1] == "False", shown.stderr


def test_the_file_storage_comes_from_the_environment(tmp_path):
    env_file = tmp_path / "sidebar.env"
    env_file.write_text(
        "DJANGO_SECRET_KEY=x\n"
        "DJANGO_FILE_STORAGE=django.core.files.storage.InMemoryStorage\n"
        'DJANGO_FILE_STORAGE_OPTIONS={"base_url": "/files/"}\n'
    )
    code = (
        "from django.core.files.storage import storages; d = storages['default']; "
        "print(type(d).__name__, d.base_url)"
    )
    shown = run_manage(env_file, "shell", "-c", code)
    assert shown.stdout.strip().splitlines()[-1] == "InMemoryStorage /files/", shown.stderr


def test_the_service_reads_the_documented_file():
    assert "Environment=DJANGO_ENV_FILE=/etc/sidebar/sidebar.env" in UNIT
    assert (
        "ExecStart=/srv/sidebar/.venv/bin/gunicorn -c deploy/gunicorn.conf.py sidebar.wsgi" in UNIT
    )
    assert "DJANGO_DEBUG=off" in documented_environment()


def test_a_missing_env_file_is_an_error_not_a_silent_default(tmp_path):
    done = run_manage(tmp_path / "nowhere.env", "check")
    assert done.returncode != 0
    assert "DJANGO_ENV_FILE names" in done.stderr


def test_redis_sentinels_reach_the_master_through_the_sentinels(tmp_path):
    env_file = tmp_path / "sidebar.env"
    env_file.write_text(
        "DJANGO_SECRET_KEY=x\nREDIS_URL=redis://sidebar/0\n"
        "REDIS_SENTINELS=10.0.0.5:26379, 10.0.0.6,[fd00::7]:26380\n"
    )
    code = (
        "from django.conf import settings as s; o = s.CACHES['wecom']['OPTIONS']; "
        "print(o['CONNECTION_FACTORY'], o['SENTINELS'], s.CACHES['default']['LOCATION'])"
    )
    shown = run_manage(env_file, "shell", "-c", code)
    assert shown.stdout.strip().splitlines()[-1] == (
        "django_redis.pool.SentinelConnectionFactory "
        "[('10.0.0.5', 26379), ('10.0.0.6', 26379), ('fd00::7', 26380)] redis://sidebar/0"
    ), shown.stderr


@pytest.mark.parametrize(
    ("lines", "said"),
    [
        ("REDIS_SENTINELS=10.0.0.5:26379\n", "REDIS_SENTINELS is set but REDIS_URL is not"),
        ("REDIS_URL=redis://sidebar/0\nREDIS_SENTINELS=10.0.0.5:sentinel\n",
         "REDIS_SENTINELS has '10.0.0.5:sentinel', which is not host:port"),
    ],
)  # fmt: skip
def test_a_sentinel_setting_that_cannot_work_is_said_at_start(tmp_path, lines, said):
    env_file = tmp_path / "sidebar.env"
    env_file.write_text("DJANGO_SECRET_KEY=x\n" + lines)
    done = run_manage(env_file, "check")
    assert done.returncode != 0
    assert said in done.stderr
