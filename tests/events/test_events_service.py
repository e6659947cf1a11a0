"""WeCom's change events in the shipped topology: nginx sends /wecom/events/ to the events
service (deploy/systemd/sidebar-events.service: its own gunicorn, at a lower CPU priority),
and to the app's own gunicorn while that service is not running."""

import re

import pytest

from sidebar.standin.callbacks import CallbackSender
from sidebar.standin.seed import seeded_corp
from tests.events import vectors
from tests.servers import DEPLOY
from tests.topology import EVENTS_SERVICE_NICE, EVENTS_SERVICE_WORKERS, Topology

pytestmark = pytest.mark.processes

UNIT = (DEPLOY / "systemd" / "sidebar-events.service").read_text()
NGINX = (DEPLOY / "nginx" / "sidebar.conf").read_text()
COUNT = "from sidebar.events.models import ChangeEvent; print(ChangeEvent.objects.count())"
ENV = {"WECOM_CALLBACK_TOKEN": vectors.TOKEN, "WECOM_CALLBACK_AES_KEY": vectors.AES_KEY}


def edit(sender: CallbackSender, customer: str) -> list[int]:
    """The status of each delivery of one edit (WeCom's retries included)."""
    message = sender.message(
        "change_external_contact",
        "edit_external_contact",
        {"UserID": "zhangsan", "ExternalUserID": customer},
    )
    sender.deliveries.clear()
    sender.deliver(message, "edit_external_contact")
    return [delivery["status"] for delivery in sender.deliveries]


def test_the_unit_runs_what_the_tests_run_where_nginx_sends_events():
    assert re.search(r"^Nice=(\d+)$", UNIT, re.M).group(1) == str(EVENTS_SERVICE_NICE)
    workers = re.search(r"^Environment=WEB_CONCURRENCY=(\d+)$", UNIT, re.M).group(1)
    assert workers == str(EVENTS_SERVICE_WORKERS)
    bind = re.search(r"^Environment=GUNICORN_BIND=(\S+)$", UNIT, re.M).group(1)
    events_upstream = re.search(r"upstream sidebar_events \{(.*?)\}", NGINX, re.S).group(1)
    assert f"server {bind};" in events_upstream
    assert "server 127.0.0.1:8000 backup;" in events_upstream  # the app's own bind


def test_events_reach_the_events_service_and_the_app_while_it_is_stopped(tmp_path):
    with Topology(seeded_corp(), tmp_path, workers=2, env=ENV, events_service=True) as top:
        sender = vectors.sender(top.url, top.corp, verify=top.verify)
        assert sender.verify()
        # The app's own gunicorn stopped: pages fail, events are still taken.
        top.gunicorn.stop()
        assert edit(sender, "wmChenXiaoMing0001") == [200]
        assert top.shell(COUNT).split()[-1] == "1"


def test_without_the_events_service_the_app_takes_the_events(tmp_path):
    with Topology(seeded_corp(), tmp_path, workers=2, env=ENV) as top:
        sender = vectors.sender(top.url, top.corp, verify=top.verify)
        assert sender.verify()
        for n in range(3):  # nginx tries the service (refused), then the app's, each time
            assert edit(sender, f"wmCustomer{n:05d}") == [200]
        assert top.shell(COUNT).split()[-1] == "3"
