"""Refresh is single-flight across real processes sharing a real redis-server."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
WORKERS = 8


def app_environment(standin, corp, redis_url: str, tmp_path: Path) -> dict:
    """The environment a deployment would set, pointing at the stand-in and the test Redis."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "WECOM_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="sidebar.settings",
        DJANGO_SECRET_KEY="process-test-secret",
        DJANGO_DEBUG="off",
        DJANGO_LOG_LEVEL="WARNING",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL=redis_url,
        WECOM_CORP_ID=corp.corp_id,
        WECOM_AGENT_ID=corp.agent_id,
        WECOM_AGENT_SECRET=corp.secret,
        WECOM_API_BASE_URL=standin.url,
        WECOM_OAUTH_AUTHORIZE_URL=standin.authorize_url,
        PYTHONPATH=str(PROJECT),
    )
    return env


@pytest.mark.processes
def test_cold_cache_many_processes_one_fetch_each(standin, corp, redis_settings, tmp_path):
    corp.inject("/cgi-bin/gettoken", delay=0.3)  # a slow WeCom widens the race window
    env = app_environment(standin, corp, redis_settings.url, tmp_path)
    processes = [
        subprocess.Popen(
            [sys.executable, str(PROJECT / "tests" / "process_worker.py"), str(tmp_path), str(n)],
            env=env,
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WORKERS)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready-*"))) < WORKERS:
        assert time.monotonic() < deadline, "workers did not start"
        assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
        time.sleep(0.01)
    (tmp_path / "go").touch()
    outputs = [p.communicate(timeout=60) for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs

    assert corp.count("/cgi-bin/gettoken") == 1
    assert corp.count("/cgi-bin/get_jsapi_ticket") == 1
    assert corp.count("/cgi-bin/ticket/get") == 1
    for (stdout, _stderr), n in zip(outputs, range(WORKERS), strict=True):
        signed = json.loads(stdout)
        url = f"http://localhost/sidebar/?from={n}"
        assert signed["url"] == url
        config = {"corpid": corp.corp_id, **signed["config"]}
        agent = {"corpid": corp.corp_id, "agentid": corp.agent_id, **signed["agentConfig"]}
        assert corp.verify_signature(kind="corp", params=config, url=url) == "ok"
        assert corp.verify_signature(kind="agent", params=agent, url=url) == "ok"
