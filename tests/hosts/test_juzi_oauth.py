"""The Juzi OAuth client over HTTP against the Juzi stand-in: the authorize URL, the code
exchange, Juzi's four errcodes, and answers that are not what Juzi documents."""

import socket
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from sidebar.hosts.juzi.client import JuziIdentity, JuziOAuth
from sidebar.hosts.juzi.errors import (
    JuziAPIError,
    JuziCodeUnusable,
    JuziTimeout,
    JuziTransportError,
    JuziUnknownError,
)
from sidebar.standin.juzi import JuziStandin, demo_host

CORP = "wwstandin00000001"
ZHANGSAN = "647844cd6059597fc5c79f38"
ZHOU = "644a448ab93794cbdccf93ca"
CALLBACK = "https://sidebar.example.com/sidebar/juzi/callback/"


@pytest.fixture
def juzi():
    server = JuziStandin(demo_host(CORP)).start()
    yield server
    server.stop()


@pytest.fixture
def oauth(juzi):
    return JuziOAuth(base_url=juzi.url, timeout=5)


def sign_in(oauth, *, account=ZHANGSAN, operator=ZHOU, state="s1") -> str:
    """What the staff member's browser does at Juzi: the code Juzi hands back."""
    url = oauth.authorize_url(redirect_uri=CALLBACK, state=state)
    url += f"&standin_account={account}&standin_operator={operator}"
    answer = requests.get(url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert location.geturl().startswith(CALLBACK)
    query = parse_qs(location.query)
    assert query["state"] == [state]
    return query["code"][0]


def test_a_code_names_the_hosted_account_and_its_operator(oauth):
    identity = oauth.user_info(sign_in(oauth))
    assert identity == JuziIdentity(
        user_id="zhangsan",
        corp_id=CORP,
        bot_id=ZHANGSAN,
        org_id="644a448ab93794cbdccf93cb",
        uid=ZHOU,
        name="运营小周",
        email="zhou@example.com",
    )


def test_the_authorize_page_offers_every_account_and_operator(oauth):
    page = requests.get(oauth.authorize_url(redirect_uri=CALLBACK, state="x"), timeout=10)
    assert page.status_code == 200
    assert page.text.count("<li>") == 6 and "赵六（别的企业）" in page.text


@pytest.mark.parametrize("state", ["has space", "a" * 129, "中文"])
def test_a_state_juzi_would_refuse_is_not_sent(oauth, state):
    with pytest.raises(ValueError, match="a-zA-Z0-9"):
        oauth.authorize_url(redirect_uri=CALLBACK, state=state)


def test_codes_are_single_use_and_expire(oauth, juzi):
    code = sign_in(oauth)
    oauth.user_info(code)
    with pytest.raises(JuziCodeUnusable) as used:
        oauth.user_info(code)
    assert used.value.errcode == -1 and code not in str(used.value)
    with pytest.raises(JuziCodeUnusable) as unknown:
        oauth.user_info("nosuchcode")
    assert unknown.value.errcode == -4
    juzi.host.code_lifetime = -1  # every code is past its five minutes
    with pytest.raises(JuziCodeUnusable) as expired:
        oauth.user_info(sign_in(oauth))
    assert expired.value.errcode == -2


@pytest.mark.parametrize(
    ("errcode", "error"),
    [(-1, JuziCodeUnusable), (-2, JuziCodeUnusable), (-4, JuziCodeUnusable),
     (-5, JuziUnknownError), (-9, JuziAPIError)],
)  # fmt: skip
def test_each_errcode_has_its_error(oauth, juzi, errcode, error):
    code = sign_in(oauth)
    requests.post(f"{juzi.url}/_juzi/faults", json={"errcode": errcode}, timeout=10)
    with pytest.raises(error) as raised:
        oauth.user_info(code)
    assert raised.value.errcode == errcode and type(raised.value) is error
    assert oauth.user_info(code).user_id == "zhangsan"  # one fault, then the real answer


@pytest.mark.parametrize(
    "answer",
    [
        [],
        {"errcode": 0, "errmsg": ""},
        {"errcode": 0, "data": {"userId": "zhangsan", "corpId": CORP}},
        {
            "errcode": 0,
            "data": {"userId": 7, "corpId": CORP, "botId": "b", "orgId": "o", "uid": "u"},
        },
        {"errcode": "0x", "errmsg": "?"},
    ],
)
def test_an_answer_juzi_does_not_document_is_a_transport_error(oauth, juzi, answer):
    juzi.host.inject(answer=answer)
    with pytest.raises(JuziTransportError):
        oauth.user_info("anything")


def test_no_answer_in_time_is_a_timeout_without_the_code():
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        oauth = JuziOAuth(base_url=f"http://127.0.0.1:{port}", timeout=0.3)
        with pytest.raises(JuziTimeout) as raised:
            oauth.user_info("secretcode123")
    assert "secretcode123" not in str(raised.value)
    assert raised.value.path == "/api/v1/oauth/getUserInfo"


def test_an_unreachable_juzi_is_a_transport_error_without_the_code():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    oauth = JuziOAuth(base_url=f"http://127.0.0.1:{port}", timeout=2)
    with pytest.raises(JuziTransportError) as raised:
        oauth.user_info("secretcode123")
    assert "secretcode123" not in str(raised.value)
