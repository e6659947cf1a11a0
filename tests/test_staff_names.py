"""Staff names (sidebar/staff_names.py) from the stand-in's user/get, over HTTP."""

import pytest

from sidebar import staff_names
from sidebar.exceptions import WeComAPIError
from sidebar.wecom import get_client

USER_GET = "/cgi-bin/user/get"


@pytest.fixture
def client(standin):
    return get_client()


def asked(corp) -> list[str]:
    return [call.query["userid"] for call in corp.calls_to(USER_GET)]


def test_names_are_fetched_once_and_read_together(client, corp):
    assert staff_names.shown(client, ["zhangsan", "lisi", "zhangsan", ""]) == {
        "zhangsan": "张三",
        "lisi": "李四",
    }
    assert staff_names.shown(client, ["lisi", "wangwu", "zhangsan"]) == {
        "lisi": "李四",
        "wangwu": "王五",
        "zhangsan": "张三",
    }
    assert asked(corp) == ["zhangsan", "lisi", "wangwu"]
    assert staff_names.name(client, "lisi") == "李四" and len(asked(corp)) == 3


def test_a_member_wecom_does_not_name_shows_as_their_userid(client, corp):
    corp.staff["noname"] = {"name": ""}
    corp.inject(USER_GET, errcode=60011, errmsg="no privilege to access/modify contact")
    shown = staff_names.shown(client, ["outsider", "noname"])
    assert shown == {"outsider": "outsider", "noname": "noname"}
    assert staff_names.name(client, "noname") == ""  # from the cache: WeCom said ""
    assert asked(corp) == ["outsider", "noname"]
    # The refusal is remembered: the next panels do not ask again.
    for _ in range(3):
        assert staff_names.shown(client, ["outsider"]) == {"outsider": "outsider"}
    assert asked(corp) == ["outsider", "noname"]


def test_a_refused_name_is_asked_once_per_ten_minutes_however_many_panels(client, corp):
    """60011 (outside the app's visible range) on every user/get: 220 panels naming the same
    four members cost four calls, not one per member per panel."""
    corp.inject(USER_GET, errcode=60011, errmsg="no privilege to access/modify contact", times=None)
    members = ["outsider1", "outsider2", "outsider3", "outsider4"]
    for _ in range(220):
        assert staff_names.shown(client, members) == {m: m for m in members}
    assert sorted(asked(corp)) == members


def test_a_passing_failure_is_not_remembered(client, corp):
    corp.inject(USER_GET, errcode=45009, errmsg="api freq out of limit")
    assert staff_names.shown(client, ["lisi"]) == {"lisi": "lisi"}
    assert staff_names.shown(client, ["lisi"]) == {"lisi": "李四"}  # asked again, and named
    assert asked(corp) == ["lisi", "lisi"]


def test_a_panel_asks_for_a_few_names_at_most(client, corp):
    for i in range(10):
        corp.staff[f"colleague{i}"] = {"name": f"同事{i}"}
    wanted = [f"colleague{i}" for i in range(10)]
    shown = staff_names.shown(client, wanted)
    assert len(asked(corp)) == staff_names.MOST_FETCHED
    assert [shown[u] for u in wanted[: staff_names.MOST_FETCHED]] == [f"同事{i}" for i in range(5)]
    assert shown["colleague9"] == "colleague9"
    # The rest are named over the next panels.
    staff_names.shown(client, wanted)
    assert staff_names.shown(client, wanted)["colleague9"] == "同事9"


def test_an_unreachable_wecom_is_asked_once_per_panel(standin, corp, settings):
    settings.WECOM_TIMEOUT = 0.5
    client = get_client()
    client.access_token()  # the token first: only user/get is slow
    corp.inject(USER_GET, delay=2.0, times=None)
    shown = staff_names.shown(client, ["zhangsan", "lisi"])
    corp.clear_faults()
    assert shown == {"zhangsan": "zhangsan", "lisi": "lisi"}
    assert len(asked(corp)) == 1


def test_a_message_that_names_its_sender_explains_a_failure(client, corp):
    corp.inject(USER_GET, errcode=60011)
    with pytest.raises(WeComAPIError) as raised:
        staff_names.name(client, "outsider")
    assert raised.value.errcode == 60011


def test_forgetting_cached_lookups_forgets_names_too(client, corp):
    from sidebar import services

    staff_names.shown(client, ["lisi"])
    corp.staff["lisi"]["name"] = "李思"
    services.forget_cached_lookups(client=client, target_ids=["lisi"])
    assert staff_names.shown(client, ["lisi"]) == {"lisi": "李思"}
    assert asked(corp) == ["lisi", "lisi"]
