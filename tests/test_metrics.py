"""/metrics: lookups, sends, WeCom calls and errcodes counted where the audit rows are written;
for a scraper on this host or with the token only. The multi-process count under gunicorn and
nginx's refusal are in tests/test_topology.py."""

import json
import re
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from sidebar.models import Lookup
from tests.conftest import only_call_slot_held

pytestmark = pytest.mark.django_db

SINGLE = {"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"}


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_lookups_are_counted_as_their_audit_rows(staff_client):
    labels = {"entry": "single_chat_tools", "outcome": "ok"}
    from_wecom = value("sidebar_lookups_total", **labels, answered_from="wecom")
    from_cache = value("sidebar_lookups_total", **labels, answered_from="cache")
    for _ in range(3):
        assert staff_client.post("/sidebar/lookup/contact/", SINGLE).status_code == 200
    assert Lookup.objects.count() == 3
    counted = value("sidebar_lookups_total", **labels, answered_from="wecom") - from_wecom
    counted += value("sidebar_lookups_total", **labels, answered_from="cache") - from_cache
    assert counted == 3


def test_wecom_calls_are_timed_and_their_errcodes_counted(staff_client, corp):
    path = "/cgi-bin/externalcontact/get"
    calls = value("sidebar_wecom_call_seconds_count", api=path)
    errors = value("sidebar_wecom_errors_total", api=path, errcode="60020")
    corp.inject(path, errcode=60020, errmsg="not allow to access from your ip")
    staff_client.post("/sidebar/lookup/contact/", SINGLE)
    assert value("sidebar_wecom_call_seconds_count", api=path) == calls + 1
    assert value("sidebar_wecom_errors_total", api=path, errcode="60020") == errors + 1


def test_wecom_not_answering_in_time_is_counted_as_a_timeout(staff_client, corp, settings):
    path = "/cgi-bin/externalcontact/get"
    timeouts = value("sidebar_wecom_errors_total", api=path, errcode="timeout")
    settings.WECOM_TIMEOUT = 0.5
    corp.inject(path, delay=1.5)
    staff_client.post("/sidebar/lookup/contact/", SINGLE)
    assert value("sidebar_wecom_errors_total", api=path, errcode="timeout") == timeouts + 1


def test_calls_in_flight_and_calls_refused_for_want_of_a_slot(staff_client, corp, settings):
    """One call slot, held by a call WeCom does not answer: the gauge shows it, and the
    lookup that finds no slot is refused unsent and counted."""

    def refused() -> float:
        return sum(
            value("sidebar_wecom_calls_refused_total", slots="calls", reason=reason)
            for reason in ("busy", "slow")
        )

    before = refused()
    with only_call_slot_held(corp, settings, "/cgi-bin/externalcontact/get"):
        assert value("sidebar_wecom_calls_in_flight", slots="calls") == 1
        answer = staff_client.post("/sidebar/lookup/contact/", SINGLE)
        assert answer["X-Sidebar-Outcome"] == "upstream_error"
    assert refused() == before + 1
    assert value("sidebar_wecom_calls_in_flight", slots="calls") == 0


def test_metrics_are_for_a_scraper_on_this_host_or_with_the_token(client, settings):
    settings.SIDEBAR_METRICS_TOKEN = "scrape-token-for-tests"
    here = client.get("/metrics")  # the test client comes from 127.0.0.1
    assert here.status_code == 200 and b"sidebar_lookups_total" in here.content
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.8").status_code == 404
    bearer = {"HTTP_AUTHORIZATION": "Bearer scrape-token-for-tests"}
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.8", **bearer).status_code == 200
    wrong = {"HTTP_AUTHORIZATION": "Bearer guess"}
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.8", **wrong).status_code == 404


def test_the_example_alerts_and_dashboard_name_only_metrics_the_app_exposes(client):
    exposed = client.get("/metrics").content.decode()
    project = Path(__file__).resolve().parent.parent
    files = [
        project / "deploy/prometheus/sidebar-alerts.yml",
        project / "deploy/grafana/sidebar.json",
    ]
    json.loads(files[1].read_text())  # importable
    named = {name for path in files for name in re.findall(r"sidebar_[a-z_]+", path.read_text())}
    named -= {"sidebar_alerts"}  # the file's own name, if mentioned
    assert len(named) >= 6
    missing = [
        name
        for name in named
        if f"# TYPE {re.sub(r'_(bucket|count|sum)$', '', name)} " not in exposed
    ]
    assert missing == []
