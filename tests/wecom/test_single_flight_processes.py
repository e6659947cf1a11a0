"""Refresh is single-flight across real processes sharing a real redis-server."""

import json
import subprocess
import sys
import time

import pytest

from tests.servers import PROJECT, READY_SECONDS
from tests.topology import deployment_environment

WORKERS = 8


@pytest.mark.processes
def test_cold_cache_many_processes_one_fetch_each(standin, corp, redis_settings, tmp_path):
    corp.inject("/cgi-bin/gettoken", delay=0.3)  # a slow WeCom widens the race window
    env = deployment_environment(standin, corp, redis_settings.url, tmp_path)
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
    try:
        deadline = time.monotonic() + READY_SECONDS
        while len(list(tmp_path.glob("ready-*"))) < WORKERS:
            assert time.monotonic() < deadline, "workers did not start"
            assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
            time.sleep(0.05)
        (tmp_path / "go").touch()
        outputs = [p.communicate(timeout=READY_SECONDS) for p in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()
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
