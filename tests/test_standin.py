"""The stand-in itself: the demo corp's extra endpoints and the control API, over HTTP."""

import pytest
import requests

from sidebar.signing import signature
from sidebar.standin.seed import demo_corp
from sidebar.standin.server import StandinServer


@pytest.fixture
def demo():
    corp = demo_corp()
    server = StandinServer(corp).start()
    yield server
    server.stop()


def token(server) -> str:
    corp = server.corp
    answer = requests.get(
        server.url + "/cgi-bin/gettoken",
        params={"corpid": corp.corp_id, "corpsecret": corp.secret},
        timeout=60,
    ).json()
    return answer["access_token"]


def test_groupchat_get_in_wire_format(demo):
    url = demo.url + "/cgi-bin/externalcontact/groupchat/get"
    params = {"access_token": token(demo)}
    body = {"chat_id": "wrSalesGroup00001", "need_name": 1}
    answer = requests.post(url, params=params, json=body, timeout=60).json()
    assert answer["errcode"] == 0
    group = answer["group_chat"]
    assert group["name"] == "销售客服群" and group["owner"] == "zhangsan"
    assert {m["type"] for m in group["member_list"]} == {1, 2}
    assert all("name" in m for m in group["member_list"])
    without_names = requests.post(url, params=params, json={"chat_id": body["chat_id"]}, timeout=60)
    assert all("name" not in m for m in without_names.json()["group_chat"]["member_list"])
    unknown = requests.post(url, params=params, json={"chat_id": "wrNope"}, timeout=60).json()
    assert unknown["errcode"] == 90501


def test_kf_batchget_splits_found_and_invalid(demo):
    answer = requests.post(
        demo.url + "/cgi-bin/kf/customer/batchget",
        params={"access_token": token(demo)},
        json={"external_userid_list": ["wmKfCustomer00001", "zhangsan"]},
        timeout=60,
    ).json()
    assert [c["external_userid"] for c in answer["customer_list"]] == ["wmKfCustomer00001"]
    assert "enter_session_context" not in answer["customer_list"][0]
    assert answer["invalid_external_userid"] == ["zhangsan"]


def test_control_api(demo):
    corp = demo.corp
    state = requests.get(demo.url + "/_standin/state", timeout=60).json()
    assert len(state["staff"]) == 6 and len(state["customers"]) >= 30
    assert state["groups"] and state["kf_customers"] and state["chain_corps"]

    fault = {"path": "/cgi-bin/externalcontact/get", "errcode": 48002, "times": None}
    assert requests.post(demo.url + "/_standin/faults", json=fault, timeout=60).ok
    assert corp.faults["/cgi-bin/externalcontact/get"].errcode == 48002
    bad = requests.post(demo.url + "/_standin/faults", json={"path": "/nope"}, timeout=60)
    assert bad.status_code == 400
    requests.post(demo.url + "/_standin/faults/clear", timeout=60)
    assert corp.faults == {}

    t = token(demo)
    requests.post(demo.url + "/_standin/expire-tokens", timeout=60)
    expired = requests.get(
        demo.url + "/cgi-bin/get_jsapi_ticket", params={"access_token": t}, timeout=60
    ).json()
    assert expired["errcode"] == 42001

    corp.tickets["agent"]["T"] = 2e9
    requests.post(demo.url + "/_standin/rotate-tickets", timeout=60)
    assert corp.tickets["agent"] == {}


def test_verify_through_the_control_api(demo):
    corp = demo.corp
    corp.tickets["agent"]["T1"] = 2e9
    url = "http://localhost/sidebar/"
    sig = signature(ticket="T1", noncestr="n", timestamp=1, url=url)
    params = {
        "corpid": corp.corp_id,
        "agentid": corp.agent_id,
        "timestamp": "1",
        "nonceStr": "n",
        "signature": sig,
    }
    verify = demo.url + "/_standin/verify"
    ok = requests.post(
        verify, json={"kind": "agent", "params": params, "url": url + "#x"}, timeout=60
    )
    assert ok.json() == {"result": "ok"}
    other_url = {"kind": "agent", "params": params, "url": "https://localhost/sidebar/"}
    assert requests.post(verify, json=other_url, timeout=60).json()["result"] == (
        "invalid signature"
    )
    wrong_agent = {"kind": "agent", "params": {**params, "agentid": "999"}, "url": url}
    assert requests.post(verify, json=wrong_agent, timeout=60).json()["result"] == (
        "invalid signature"
    )


def test_authorize_lets_you_choose_who_signs_in(demo):
    corp = demo.corp
    corp.choose_staff = True
    query = {
        "appid": corp.corp_id,
        "redirect_uri": "http://app.test/cb/",
        "response_type": "code",
        "scope": "snsapi_base",
        "state": "s1",
    }
    page = requests.get(demo.authorize_url, params=query, allow_redirects=False, timeout=60)
    assert page.status_code == 200 and "陈静" in page.text
    chosen = requests.get(
        demo.authorize_url,
        params={**query, "standin_userid": "chenjing"},
        allow_redirects=False,
        timeout=60,
    )
    assert chosen.status_code == 302
    assert chosen.headers["Location"].startswith("http://app.test/cb/?code=")
    code = chosen.headers["Location"].split("code=")[1].split("&")[0]
    who = requests.get(
        demo.url + "/cgi-bin/auth/getuserinfo",
        params={"access_token": token(demo), "code": code},
        timeout=60,
    ).json()
    assert who["userid"] == "chenjing"
