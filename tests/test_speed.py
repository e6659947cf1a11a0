"""What keeps a page and a lookup cheap (docs/speed.md): one Redis round trip per page,
credential copies that never outlive the credential, a customer's cost independent of how
many staff follow them, compressed answers, and a database that keeps its connection.
Timing is measured by bench/speed.py, never asserted here; these tests check the mechanisms.
(Compression is nginx's: tests/test_topology.py.)
"""

import threading
import time

import pytest
from django.core.cache import caches
from django.db import connection

from sidebar import customers, in_process, services
from sidebar.standin.seed import _follower
from sidebar.wecom import credentials, get_client
from tests.conftest import walk_sign_in

pytestmark = pytest.mark.django_db

MANY = "wmManyFollowers00001"
FOLLOWERS = 10_000


@pytest.fixture
def big_customer(corp):
    """A customer whom zhangsan and 9,999 colleagues follow (zhangsan in the middle)."""
    everyone = [_follower(f"colleague{i:05d}", remark=f"客户{i}") for i in range(FOLLOWERS - 1)]
    everyone.insert(FOLLOWERS // 2, _follower("zhangsan", remark="万先生"))
    corp.contacts[MANY] = {
        "external_contact": {"external_userid": MANY, "name": "万众", "type": 1},
        "follow_user": everyone,
    }
    return MANY


class KeysRead:
    """Records the keys read from the `default` cache and the bytes of what came back."""

    def __init__(self, monkeypatch):
        self.keys: list[str] = []
        cache = caches["default"]
        get, get_many = cache.get, cache.get_many

        def recording_get(key, *args, **kwargs):
            self.keys.append(key)
            return get(key, *args, **kwargs)

        def recording_get_many(keys, *args, **kwargs):
            self.keys.extend(keys)
            return get_many(keys, *args, **kwargs)

        monkeypatch.setattr(cache, "get", recording_get)
        monkeypatch.setattr(cache, "get_many", recording_get_many)

    def clear(self):
        self.keys.clear()


def look_up(viewer: str, external_userid: str):
    return services.look_up_contact(
        client=get_client(),
        viewer=services.Viewer(userid=viewer),
        entry="single_chat_tools",
        external_userid=external_userid,
    )


# A customer, cached in parts ---------------------------------------------------------------


def test_a_cached_lookup_reads_only_the_viewers_part(standin, corp, big_customer, monkeypatch):
    read = KeysRead(monkeypatch)
    first = look_up("zhangsan", MANY)
    assert first.outcome == "ok" and first.context["profile"].remark == "万先生"
    assert first.context["profile"].other_followers == FOLLOWERS - 1
    pages = corp.count("/cgi-bin/externalcontact/get")
    assert pages == FOLLOWERS // 500  # every page of followers, once

    read.clear()
    again = look_up("zhangsan", MANY)
    assert again.context["profile"] == first.context["profile"]
    assert read.keys == []  # this process's copy: no round trip at all

    # Past the copy's few seconds (another process, or later): the customer and zhangsan's
    # own entry from the shared cache; never the 10,000 entries.
    monkeypatch.setattr(customers, "LOCAL_SECONDS", 0.0)
    customers.forget_everything()
    read.clear()
    assert look_up("zhangsan", MANY).context["profile"] == first.context["profile"]
    assert set(read.keys) == {
        customers.key(customers.SUMMARY, get_client().app.scope, MANY),
        customers.key(customers.VIEWER, get_client().app.scope, MANY, "zhangsan"),
    }
    assert corp.count("/cgi-bin/externalcontact/get") == pages


def test_a_process_copy_ends_within_its_seconds(standin, corp, monkeypatch):
    monkeypatch.setattr(customers, "LOCAL_SECONDS", 0.5)
    assert look_up("zhangsan", "wmChenXiaoMing0001").outcome == "ok"
    # Another process forgets the customer in the shared cache; WeCom now says otherwise.
    caches["default"].delete(
        customers.key(customers.SUMMARY, get_client().app.scope, "wmChenXiaoMing0001")
    )
    corp.contacts["wmChenXiaoMing0001"]["follow_user"][0]["remark"] = "新的备注"
    deadline = time.monotonic() + 60
    while look_up("zhangsan", "wmChenXiaoMing0001").context["profile"].remark != "新的备注":
        assert time.monotonic() < deadline, "the process kept its copy"
        time.sleep(0.1)


def test_another_viewer_reads_the_followers_once_then_only_their_part(
    standin, corp, big_customer, monkeypatch
):
    look_up("zhangsan", MANY)
    read = KeysRead(monkeypatch)
    followers_key = customers.key(customers.FOLLOWERS, get_client().app.scope, MANY)
    colleague = look_up("colleague00042", MANY)
    assert colleague.outcome == "ok" and colleague.context["profile"].remark == "客户42"
    assert followers_key in read.keys
    read.clear()
    monkeypatch.setattr(customers, "LOCAL_SECONDS", 0.0)
    customers.forget_everything()
    look_up("colleague00042", MANY)
    assert read.keys and followers_key not in read.keys
    # Nobody outside the followers sees the customer, cached or not.
    assert look_up("lisi", MANY).outcome == "denied"
    assert look_up("lisi", MANY).outcome == "denied"
    assert corp.count("/cgi-bin/externalcontact/get") == FOLLOWERS // 500


def test_forgetting_a_customer_drops_every_viewer_copy_of_it_and_no_other(
    standin, corp, big_customer, monkeypatch
):
    """A change event drops one customer's copies in one step, however many are kept."""
    for viewer in ("zhangsan", "colleague00042"):
        look_up(viewer, MANY)
    look_up("zhangsan", "wmChenXiaoMing0001")
    read = KeysRead(monkeypatch)
    services.forget_cached_lookups(client=get_client(), target_ids=[MANY])
    read.clear()
    look_up("zhangsan", "wmChenXiaoMing0001")
    assert read.keys == []  # another customer's copy stays
    for viewer in ("zhangsan", "colleague00042"):
        read.clear()
        assert look_up(viewer, MANY).outcome == "ok"
        assert read.keys  # asked the shared cache (and so WeCom) again


def test_a_bounded_table_counts_groups_and_drops_the_least_recently_used():
    table = in_process.Bounded(2)
    table.put_in("a", "zhangsan", 1)
    table.put_in("a", "lisi", 2)
    table.put_in("b", "zhangsan", 3)
    assert table.get("a") == {"zhangsan": 1, "lisi": 2}  # and "a" is now the most recent
    table.put_in("c", "zhangsan", 4)
    assert table.get("b") is None and table.get("a") is not None
    table.pop("a")
    table.pop("a")  # nothing left to drop: no error
    assert table.get("a") is None and table.get("c") == {"zhangsan": 4}


def test_a_viewer_part_from_an_older_answer_is_not_combined_with_a_newer_one(standin, corp):
    assert look_up("zhangsan", "wmChenXiaoMing0001").context["profile"].remark
    # WeCom's answer changes, and what was cached of the customer is forgotten (as the
    # emulator's fault controls do); zhangsan's own part of the old answer is still cached.
    follower = corp.contacts["wmChenXiaoMing0001"]["follow_user"][0]
    follower["remark"] = "新的备注"
    services.forget_cached_lookups(client=get_client(), target_ids=["wmChenXiaoMing0001"])
    assert look_up("zhangsan", "wmChenXiaoMing0001").context["profile"].remark == "新的备注"


@pytest.mark.django_db(transaction=True)  # the threads write audit rows of their own
def test_threads_that_miss_together_make_one_fetch(standin, corp, big_customer):
    outcomes = []

    def viewer():
        try:
            outcomes.append(look_up("zhangsan", MANY).outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=viewer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes == ["ok"] * 8
    assert corp.count("/cgi-bin/externalcontact/get") == FOLLOWERS // 500
    assert in_process._locks == {}  # nothing left behind


def test_with_the_cache_off_every_lookup_asks_wecom(standin, corp, settings):
    settings.WECOM_CONTACT_CACHE_SECONDS = 0
    look_up("zhangsan", "wmChenXiaoMing0001")
    look_up("zhangsan", "wmChenXiaoMing0001")
    assert corp.count("/cgi-bin/externalcontact/get") == 2


# Credentials in front of Redis ---------------------------------------------------------------


def redis_calls(redis_server) -> dict:
    """How many times redis-server has run each command so far."""
    import redis

    with redis.Redis.from_url(redis_server.url) as conn:
        stats = conn.info("commandstats")
    return {name: value["calls"] for name, value in stats.items()}


HANDSHAKE = {"cmdstat_info", "cmdstat_hello", "cmdstat_client|setinfo"}


def test_a_warm_page_costs_one_redis_round_trip(client, standin, corp, redis_settings, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    walk_sign_in(client, corp)
    for _ in range(2):  # warm: credentials fetched, the page's texts rendered
        assert client.get("/sidebar/").status_code == 200
    before = redis_calls(redis_settings)
    for _ in range(5):
        assert client.get("/sidebar/").status_code == 200
    after = redis_calls(redis_settings)
    made = {name: after[name] - before.get(name, 0) for name in after}
    # The session, and nothing else (a new connection's handshake is not a round trip a page
    # makes: connections are pooled).
    made = {name: n for name, n in made.items() if n and name not in HANDSHAKE}
    assert made == {"cmdstat_get": 5}


def test_a_copy_is_never_served_past_the_credentials_expiry(standin, corp, settings):
    corp.token_lifetime = 4  # cached for half its life: 2 s, well inside LOCAL_SECONDS
    settings.WECOM_TOKEN_SAFETY_MARGIN = 300
    client = get_client()
    first = client.access_token()
    assert client.access_token() == first
    deadline = time.monotonic() + 60
    while client.access_token() == first:
        assert time.monotonic() < deadline, "the copy outlived the token"
        time.sleep(0.2)
    assert corp.count("/cgi-bin/gettoken") == 2


def test_a_credential_forgotten_elsewhere_leaves_this_process_soon(
    standin, corp, redis_settings, monkeypatch
):
    monkeypatch.setattr(credentials, "LOCAL_SECONDS", 1.0)
    here = get_client()
    ticket = here.agent_ticket()
    # Another process (here: another client over the same Redis) forgets the credentials,
    # as reset_wecom_credentials does, and WeCom issues new ones.
    elsewhere = type(here).for_app(
        here.app,
        safety_margin=here.credentials.safety_margin,
        error_cooldown=here.credentials.error_cooldown,
    )
    elsewhere.credentials.forget_all()
    corp.rotate_tickets()
    fresh = elsewhere.agent_ticket()
    assert fresh != ticket
    deadline = time.monotonic() + 60
    while here.agent_ticket() != fresh:
        assert time.monotonic() < deadline, "this process kept the forgotten ticket"
        time.sleep(0.1)


# Answers and connections ---------------------------------------------------------------------


def test_the_page_texts_follow_the_language(staff_client):
    chinese = staff_client.get("/sidebar/").content.decode()
    english = staff_client.get("/sidebar/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "请在企业微信中打开本页面" in chinese
    assert "Open this page from WeCom" in english and "请在企业微信中打开本页面" not in english


@pytest.mark.sqlite
def test_the_database_keeps_its_connection(settings):
    from django.conf import settings as live

    assert live.DATABASES["default"]["CONN_MAX_AGE"] > 0
    assert live.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 1  # NORMAL


class IdleChecked:
    """A real SQLite connection with sidebar.db.health mixed in, counting health checks and
    answering them as told."""

    def __init__(self, path, *, usable=True):
        from django.db.backends.sqlite3.base import DatabaseWrapper

        from sidebar.db.health import ChecksIdleConnections

        probe = self

        class Wrapper(ChecksIdleConnections, DatabaseWrapper):
            def is_usable(self):
                probe.checks += 1
                return probe.usable

        self.checks = 0
        self.usable = usable
        settings_dict = {**connection.settings_dict, "NAME": str(path), "CONN_HEALTH_CHECKS": True}
        self.db = Wrapper(settings_dict, alias="idle-checked")

    def request(self):
        """What Django does around a request that makes one query."""
        self.db.close_if_unusable_or_obsolete()  # request_started
        with self.db.cursor() as cursor:
            cursor.execute("SELECT 1")
        self.db.close_if_unusable_or_obsolete()  # request_finished


def test_a_connection_in_steady_use_is_not_health_checked(monkeypatch, tmp_path):
    from sidebar.db import health

    monkeypatch.setattr(health, "FRESH_SECONDS", 3600)
    probe = IdleChecked(tmp_path / "idle.sqlite3")
    for _ in range(5):
        probe.request()
    assert probe.checks == 0
    probe.db.close()


def test_an_idle_connection_is_checked_and_replaced_when_dropped(monkeypatch, tmp_path):
    from sidebar.db import health

    monkeypatch.setattr(health, "FRESH_SECONDS", 0)
    probe = IdleChecked(tmp_path / "idle.sqlite3")
    probe.request()  # connects: nothing to check yet
    probe.request()
    assert probe.checks == 1
    first = probe.db.connection
    probe.usable = False  # the database went away between requests
    probe.request()
    assert probe.checks == 2 and probe.db.connection is not first  # a new connection served it
    probe.db.close()


def test_postgresql_connections_use_the_idle_check():
    from sidebar.db.health import ChecksIdleConnections
    from sidebar.db.postgresql.base import DatabaseWrapper

    assert issubclass(DatabaseWrapper, ChecksIdleConnections)


# Rendered once ---------------------------------------------------------------------------


def test_the_page_shell_escapes_what_it_fills(rf, settings):
    from django.utils import translation

    from sidebar.page_shell import render_page

    with translation.override("zh-hans"):
        first = render_page(
            "sidebar/page.html",
            fixed={"emulator": False},
            text={"staff": "<b>zhangsan</b>"},
            boot={"host": "wecom", "note": "</script><script>alert(1)</script>"},
        ).content.decode()
        second = render_page(
            "sidebar/page.html",
            fixed={"emulator": False},
            text={"staff": "lisi"},
            boot={"host": "wecom"},
        ).content.decode()
    assert "当前成员：&lt;b&gt;zhangsan&lt;/b&gt;" in first and "<b>zhangsan" not in first
    assert "</script><script>alert(1)" not in first and "\\u003C/script\\u003E" in first
    assert "当前成员：lisi" in second and "zhangsan" not in second
    assert "\u2063" not in first + second  # no marker left unfilled


def test_a_panel_is_rendered_once_per_cached_answer(staff_client, corp, panel_renders):
    form = {"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"}
    first = staff_client.post("/sidebar/lookup/contact/", form).content.decode()
    again = staff_client.post("/sidebar/lookup/contact/", form).content.decode()
    assert first == again and "陈先生（老客户）" in first
    assert panel_renders == ["sidebar/fragments/contact.html"]
    english = staff_client.post("/sidebar/lookup/contact/", form, HTTP_ACCEPT_LANGUAGE="en")
    assert "My notes" in english.content.decode() and len(panel_renders) == 2
    # A new answer from WeCom is a new panel.
    corp.contacts["wmChenXiaoMing0001"]["follow_user"][0]["remark"] = "新的备注"
    services.forget_cached_lookups(client=get_client(), target_ids=["wmChenXiaoMing0001"])
    assert "新的备注" in staff_client.post("/sidebar/lookup/contact/", form).content.decode()
    assert len(panel_renders) == 3


def test_an_audit_row_is_stored_as_the_orm_would_store_it():
    from django.utils import timezone

    from sidebar import append_only
    from sidebar.models import Lookup

    before = timezone.now()
    append_only.insert(
        Lookup,
        staff_userid="zhangsan",
        entry="single_chat_tools",
        target_id="wmA",
        outcome=Lookup.Outcome.OK,
        duration_ms=7,
        from_cache=True,
    )
    row = Lookup.objects.get()
    assert (row.staff_userid, row.entry, row.target_id, row.outcome) == (
        "zhangsan",
        "single_chat_tools",
        "wmA",
        "ok",
    )
    assert row.errcode is None and row.duration_ms == 7 and row.from_cache is True
    assert row.host == "wecom" and row.operator_name == ""
    assert before <= row.created_at <= timezone.now()
    with pytest.raises(TypeError, match="no field staff"):
        append_only.insert(Lookup, staff="zhangsan")
