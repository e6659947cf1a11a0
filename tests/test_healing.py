"""Self-healing signatures, over HTTP against the stand-in: when the client refuses a signature
we made with the ticket we hold (WeCom stopped honouring it early: a secret reset, tickets
dropped), the page reports it to /sidebar/signatures/, the server fetches that ticket afresh
once (bounded: at most once per kind per TICKET_REPLACE_SECONDS, across processes) and answers
fresh signatures, which the client accepts."""

import json

import pytest

from sidebar.wecom.client import TICKET_REPLACE_SECONDS
from tests.pages import boot_of

pytestmark = pytest.mark.django_db

AGENT_TICKET = "/cgi-bin/ticket/get"
CORP_TICKET = "/cgi-bin/get_jsapi_ticket"


def verdict(corp, signed: dict, kind: str) -> str:
    """What the client answers config/agentConfig with these signatures."""
    params = {"corpid": corp.corp_id, **signed[kind]}
    if kind == "agentConfig":
        params["agentid"] = corp.agent_id
    return corp.verify_signature(
        kind="agent" if kind == "agentConfig" else "corp", params=params, url=signed["url"]
    )


def report_refused(client, signed: dict, kind: str, **changes):
    body = {"url": signed["url"], "refused": kind, **signed[kind], **changes}
    return client.post("/sidebar/signatures/", json.dumps(body), content_type="application/json")


@pytest.fixture
def page(staff_client):
    return boot_of(staff_client.get("/sidebar/").content.decode())


@pytest.mark.parametrize(("kind", "path"), [("agentConfig", AGENT_TICKET), ("config", CORP_TICKET)])
def test_a_ticket_wecom_dropped_is_fetched_afresh_once(staff_client, corp, page, kind, path):
    corp.rotate_tickets()  # WeCom stops honouring every ticket it issued
    assert verdict(corp, page, kind) == "invalid signature"
    fetched = corp.count(path)
    answer = report_refused(staff_client, page, kind)
    assert answer.status_code == 200
    healed = answer.json()
    assert healed["healed"] is True and healed["url"] == page["url"]
    assert verdict(corp, healed, kind) == "ok"
    assert corp.count(path) == fetched + 1
    # The next page load signs with the fresh ticket: no fetch.
    again = boot_of(staff_client.get("/sidebar/").content.decode())
    assert verdict(corp, again, kind) == "ok" and corp.count(path) == fetched + 1


def test_a_signature_made_with_an_older_ticket_costs_no_fetch(staff_client, corp, page):
    """Another process's page, signed with its copy of the old ticket, reports after the
    ticket was replaced: it gets fresh signatures, and WeCom is not asked again."""
    corp.rotate_tickets()
    assert report_refused(staff_client, page, "agentConfig").json()["healed"] is True
    fetched = corp.count(AGENT_TICKET)
    second = report_refused(staff_client, page, "agentConfig").json()
    assert second["healed"] is True and verdict(corp, second, "agentConfig") == "ok"
    assert corp.count(AGENT_TICKET) == fetched


def test_a_refusal_a_fresh_ticket_does_not_cure_costs_one_fetch_per_interval(
    staff_client, corp, page
):
    """The client refuses a signature made with the ticket we hold although WeCom honours
    it (here: a page that was signed for another URL). The first report replaces the ticket;
    the next ones within TICKET_REPLACE_SECONDS are told it did not heal, with no fetch."""
    fetched = corp.count(AGENT_TICKET)
    first = report_refused(staff_client, page, "agentConfig").json()
    assert first["healed"] is True and corp.count(AGENT_TICKET) == fetched + 1
    for _ in range(5):
        again = report_refused(staff_client, first, "agentConfig").json()
        assert again["healed"] is False
    assert corp.count(AGENT_TICKET) == fetched + 1
    assert TICKET_REPLACE_SECONDS <= 300  # 12 replacements an hour: inside WeCom's 100


def test_a_forged_refusal_costs_no_fetch(staff_client, corp, page):
    fetched = corp.count(AGENT_TICKET)
    answer = report_refused(staff_client, page, "agentConfig", signature="0" * 40).json()
    assert answer["healed"] is True  # not ours: signing afresh is all it takes
    assert corp.count(AGENT_TICKET) == fetched


@pytest.mark.parametrize(
    "changes",
    [{"signature": "not-hex"}, {"timestamp": "soon"}, {"nonceStr": ""}, {"refused": "other"}],
)
def test_a_malformed_refusal_is_a_400(staff_client, page, changes):
    answer = report_refused(staff_client, page, "agentConfig", **changes)
    assert answer.status_code == 400
