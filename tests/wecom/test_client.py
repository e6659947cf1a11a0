"""The client with its credential store, against the stand-in over HTTP."""

import threading

import pytest
from django.core.cache import caches

from sidebar.exceptions import (
    WeComAPIError,
    WeComCredentialsRejected,
    WeComOverloaded,
    WeComRateLimited,
    WeComTokenInvalid,
)
from sidebar.wecom import get_client
from tests.conftest import load_fixture, redis_caches
from tests.servers import RedisServer, free_port
from tests.waiting import until

CONTACT = "wmChenXiaoMing0001"


def test_expired_token_mid_session_recovers_with_one_new_token(standin, corp):
    client = get_client()
    assert client.get_external_contact(CONTACT)["external_contact"]["name"] == "陈小明"
    assert corp.count("/cgi-bin/gettoken") == 1

    corp.expire_tokens()  # WeCom now answers 42001 for the cached token
    assert client.get_external_contact(CONTACT)["external_contact"]["name"] == "陈小明"

    assert corp.count("/cgi-bin/gettoken") == 2
    rejected, retried = corp.calls_to("/cgi-bin/externalcontact/get")[1:]
    assert rejected.query["access_token"] != retried.query["access_token"]
    # The new token is cached: the next call needs no gettoken.
    client.get_external_contact(CONTACT)
    assert corp.count("/cgi-bin/gettoken") == 2


def test_invalid_token_is_replaced_once(standin, corp):
    client = get_client()
    client.access_token()
    corp.tokens.clear()  # WeCom forgot every token: 40014
    client.get_external_contact(CONTACT)
    assert corp.count("/cgi-bin/gettoken") == 2


def test_token_rejected_twice_is_not_retried_in_a_loop(standin, corp):
    client = get_client()
    corp.inject("/cgi-bin/externalcontact/get", errcode=42001, times=None)
    with pytest.raises(WeComTokenInvalid) as info:
        client.get_external_contact(CONTACT)
    assert info.value.errcode == 42001
    assert corp.count("/cgi-bin/externalcontact/get") == 2
    assert corp.count("/cgi-bin/gettoken") == 2


def test_follower_pages_are_all_fetched(standin, corp):
    corp.queue("/cgi-bin/externalcontact/get", load_fixture("externalcontact_get.json"))
    corp.queue("/cgi-bin/externalcontact/get", load_fixture("externalcontact_get_last_page.json"))
    data = get_client().get_external_contact("woAJ2GCAAAXtWyujaWJHDDGi0mACHAAA")
    assert [f["userid"] for f in data["follow_user"]] == ["rocky", "tommy", "zhangsan"]
    first, second = corp.calls_to("/cgi-bin/externalcontact/get")
    assert "cursor" not in first.query
    assert second.query["cursor"] == "NEXT_CURSOR"


def test_follower_pages_from_the_standin_paging(standin, corp):
    corp.page_size = 1
    data = get_client().get_external_contact(CONTACT)
    assert [f["userid"] for f in data["follow_user"]] == ["zhangsan", "lisi"]
    assert corp.count("/cgi-bin/externalcontact/get") == 2


def test_bad_secret_is_not_asked_again_during_cooldown(standin, corp, settings):
    settings.WECOM_AGENT_SECRET = "wrong-secret"
    client = get_client()
    for _ in range(5):
        with pytest.raises(WeComCredentialsRejected) as info:
            client.access_token()
        assert info.value.errcode == 40001
    assert corp.count("/cgi-bin/gettoken") == 1


def test_rate_limit_on_tickets_is_remembered(standin, corp):
    corp.inject("/cgi-bin/ticket/get", errcode=45009, errmsg="api freq out of limit", times=None)
    client = get_client()
    for _ in range(3):
        with pytest.raises(WeComRateLimited):
            client.agent_ticket()
    assert corp.count("/cgi-bin/ticket/get") == 1


def test_untrusted_ip_is_remembered(standin, corp):
    corp.inject("/cgi-bin/gettoken", errcode=60020, errmsg="not allow to access from your ip")
    client = get_client()
    for _ in range(3):
        with pytest.raises(WeComAPIError) as info:
            client.access_token()
        assert info.value.errcode == 60020
    assert corp.count("/cgi-bin/gettoken") == 1


def test_expired_token_on_a_ticket_fetch_does_not_stick(standin, corp):
    """Two 42001 answers: one fresh token and one retry, then an ordinary error. The next
    request, with WeCom healthy again, asks WeCom and gets its ticket."""
    client = get_client()
    corp.inject("/cgi-bin/ticket/get", errcode=42001, errmsg="access_token expired", times=2)
    with pytest.raises(WeComTokenInvalid):
        client.agent_ticket()
    assert corp.count("/cgi-bin/ticket/get") == 2
    assert corp.count("/cgi-bin/gettoken") == 2

    assert client.agent_ticket() in corp.tickets["agent"]
    assert corp.count("/cgi-bin/ticket/get") == 3


@pytest.mark.parametrize("errcode", [-1, 42001, 40014, 48002])
def test_only_refusals_cool_down(standin, corp, errcode):
    corp.inject("/cgi-bin/get_jsapi_ticket", errcode=errcode, times=3)
    client = get_client()
    with pytest.raises(WeComAPIError):
        client.corp_ticket()
    corp.clear_faults()
    assert client.corp_ticket() in corp.tickets["corp"]


def test_corp_and_agent_tickets_are_distinct(standin, corp):
    client = get_client()
    corp_ticket, agent_ticket = client.corp_ticket(), client.agent_ticket()
    assert corp_ticket in corp.tickets["corp"]
    assert agent_ticket in corp.tickets["agent"]
    assert corp.count("/cgi-bin/gettoken") == 1


def test_two_apps_in_one_corp_never_share_a_ticket(standin, corp, settings):
    first = get_client().agent_ticket()
    settings.WECOM_AGENT_ID = "1000003"
    second = get_client().agent_ticket()
    assert first != second
    assert corp.count("/cgi-bin/ticket/get") == 2


def test_threads_of_one_process_fetch_once(standin, corp):
    client = get_client()
    barrier = threading.Barrier(16)
    results = []

    def worker():
        barrier.wait()
        results.append((client.access_token(), client.corp_ticket(), client.agent_ticket()))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    assert corp.count("/cgi-bin/gettoken") == 1
    assert corp.count("/cgi-bin/get_jsapi_ticket") == 1
    assert corp.count("/cgi-bin/ticket/get") == 1


def test_cache_ttl_is_expires_in_minus_margin(standin, corp, redis_settings, settings):
    corp.token_lifetime = 7200
    settings.WECOM_TOKEN_SAFETY_MARGIN = 300
    get_client().access_token()
    raw = caches["wecom"]
    key = f"wecom:{corp.corp_id}:{corp.agent_id}:access_token"
    assert 6890 <= raw.ttl(key) <= 6900


def test_short_lived_token_is_cached_for_half_its_life(standin, corp, settings):
    corp.token_lifetime = 100
    settings.WECOM_TOKEN_SAFETY_MARGIN = 300
    client = get_client()
    assert client.credentials._ttl(100) == 50


def test_redis_outage_serves_the_in_process_copy(standin, corp, settings, tmp_path):
    with RedisServer(tmp_path) as redis:
        settings.CACHES = redis_caches(redis.url)
        client = get_client()
        token = client.access_token()
        ticket = client.corp_ticket()
        redis.stop()
        for _ in range(20):
            assert client.access_token() == token
            assert client.corp_ticket() == ticket
        assert corp.count("/cgi-bin/gettoken") == 1
        assert corp.count("/cgi-bin/get_jsapi_ticket") == 1


def test_redis_down_from_the_start_fetches_once_per_process(standin, corp, settings):
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens
    client = get_client()
    tokens = {client.access_token() for _ in range(20)}
    assert len(tokens) == 1
    assert corp.count("/cgi-bin/gettoken") == 1


def test_reset_command_makes_the_next_request_fetch_fresh_credentials(standin, corp, capsys):
    from django.core.management import call_command

    client = get_client()
    client.corp_ticket()
    corp.inject("/cgi-bin/ticket/get", errcode=45009, times=1)
    with pytest.raises(WeComRateLimited):
        client.agent_ticket()
    call_command("reset_wecom_credentials")
    assert "Forgot the cached WeCom credentials" in capsys.readouterr().out
    client.corp_ticket()
    client.agent_ticket()  # the remembered refusal is gone too
    assert corp.count("/cgi-bin/gettoken") == 2
    assert corp.count("/cgi-bin/get_jsapi_ticket") == 2
    assert corp.count("/cgi-bin/ticket/get") == 2


def test_a_hanging_wecom_holds_only_the_allowed_calls(standin, corp, settings):
    """Lookups may use all slots but a third; a lookup finding none is refused without a
    call once its short wait for a slot runs out; priority calls (tokens, tickets, sign-in)
    still get the kept slots."""
    settings.WECOM_MAX_CONCURRENT_CALLS = 3  # 2 for lookups, 1 more for priority calls
    settings.WECOM_TIMEOUT = 60.0
    client = get_client()
    client.access_token()
    corp.inject("/cgi-bin/externalcontact/get", hold=True, times=None)
    outcomes = []

    def look_up():
        try:
            outcomes.append(client.get_external_contact(CONTACT)["external_contact"]["name"])
        except Exception as exc:  # collected and asserted below
            outcomes.append(exc)

    hanging = [threading.Thread(target=look_up) for _ in range(2)]
    for thread in hanging:
        thread.start()
    try:
        until(lambda: corp.count("/cgi-bin/externalcontact/get") == 2)
        with pytest.raises(WeComOverloaded):
            client.get_external_contact(CONTACT)
        with pytest.raises(WeComOverloaded):
            client.get_group_chat("wrSalesGroup00001")
        assert corp.count("/cgi-bin/externalcontact/get") == 2  # refused without a call
        assert client.corp_ticket() in corp.tickets["corp"]  # a priority call goes through
    finally:
        corp.clear_faults()
        for thread in hanging:
            thread.join(timeout=60)
    assert outcomes == ["陈小明", "陈小明"]
    assert client.get_external_contact(CONTACT)["external_contact"]["name"] == "陈小明"


def test_a_burst_beyond_the_slots_waits_for_them_against_a_healthy_wecom(standin, corp, settings):
    """Ten lookups at once in one process with two lookup slots: each waits its turn and all
    are answered, two at a time (a nine o'clock rush must not read as "WeCom is slow")."""
    settings.WECOM_MAX_CONCURRENT_CALLS = 3
    client = get_client()
    # What is asserted is the bound and the answers, not speed: on a busy machine neither the
    # wait for a slot nor a late answer may turn a lookup away.
    client.api.slots.wait = 60.0
    client.api.slots.slow = 60.0
    client.access_token()
    corp.inject("/cgi-bin/externalcontact/get", delay=0.05, times=None)
    outcomes, barrier = [], threading.Barrier(10)

    def look_up():
        barrier.wait()
        try:
            outcomes.append(client.get_external_contact(CONTACT)["external_contact"]["name"])
        except Exception as exc:  # collected and asserted below
            outcomes.append(exc)

    threads = [threading.Thread(target=look_up) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes == ["陈小明"] * 10
    assert corp.max_in_flight["/cgi-bin/externalcontact/get"] == 2
