"""Admin's search of the audit logs off indexes (sidebar.audit_search): the keys the
database's triggers keep, and searches that find exactly what Django's own search finds."""

import importlib
import random

import pytest
from django.contrib import admin
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from sidebar.audit_admin import AuditLogAdmin
from sidebar.models import AuditSearchKey, Lookup
from sidebar.replies.models import Send

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("sidebar.migrations.0009_audit_search_keys")
LOGS = {"lookup": Lookup, "send": Send}


def lookup(**fields):
    row = dict(staff_userid="zhangsan", entry="single_chat_tools", target_id="wmA", outcome="ok")
    return Lookup.objects.create(duration_ms=1, **{**row, **fields})


def send(**fields):
    row = dict(staff_userid="zhangsan", entry="single_chat_tools", target_id="wmA")
    row |= dict(reply_title="价格表", kind="text", outcome="sent")
    return Send.objects.create(**{**row, **fields})


def found(admin_client, model, term: str) -> list[int]:
    """The ids of the rows admin's changelist finds for `term`."""
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    response = admin_client.get(url, {"q": term})
    assert response.status_code == 200
    return sorted(row.pk for row in response.context["cl"].result_list)


def test_every_searched_field_is_in_the_keys_of_its_log():
    """The triggers join exactly the fields admin searches: a field added to search_fields
    but not to the keys would be searched among the wrong rows."""
    for log, model in LOGS.items():
        model_admin = admin.site._registry[model]
        assert isinstance(model_admin, AuditLogAdmin) and model_admin.search_log == log
        _table, keys = MIGRATION.KEYS[log]
        assert model._meta.db_table == _table
        joined = {field for fields in keys.values() for field in fields}
        assert set(model_admin.search_fields) == joined


@pytest.mark.parametrize("log", ["lookup", "send"])
def test_a_part_of_any_searched_field_finds_its_row(admin_client, log):
    model, make = LOGS[log], {"lookup": lookup, "send": send}[log]
    marked = {field: f"标记{field}甲乙" for field in admin.site._registry[model].search_fields}
    row = make(**marked)
    make(staff_userid="lisi", target_id="wmB")
    for field, value in marked.items():
        assert found(admin_client, model, value[2:-1]) == [row.pk], field


def test_a_name_that_matches_nothing_is_answered_without_reading_the_log(admin_client):
    lookup(staff_name="张三", target_name="陈小明")
    with CaptureQueriesContext(connection) as queries:
        assert found(admin_client, Lookup, "无名") == []
    read = [q["sql"] for q in queries if "sidebar_lookup" in q["sql"] and "LIKE" in q["sql"]]
    assert read == []


def test_a_name_found_is_looked_for_only_among_its_ids_rows(admin_client):
    shown = lookup(target_id="wmChen", target_name="陈小明")
    lookup(target_id="wmZhou", target_name="周建国")
    with CaptureQueriesContext(connection) as queries:
        assert found(admin_client, Lookup, "小明") == [shown.pk]
    listed = [q["sql"] for q in queries if "sidebar_lookup" in q["sql"] and "LIKE" in q["sql"]]
    assert listed and all("wmChen" in sql and "wmZhou" not in sql for sql in listed)


def test_searches_find_exactly_what_djangos_own_search_finds(admin_client):
    """Random rows and terms: the narrowed search against admin's plain one (a scan)."""
    rng = random.Random(24)
    surnames, given = "陈周张李王", ["小明", "建国", "丽", "Amy Li", "老客户"]
    for number in range(300):
        staff = rng.randrange(6)
        hosted = rng.random() < 0.2
        lookup(
            staff_userid=f"staff{staff}",
            staff_name=f"成员{staff}" if rng.random() < 0.9 else "",
            target_id=f"wm{rng.randrange(40):03d}",
            target_name=rng.choice(surnames) + rng.choice(given) if number % 7 else "",
            operator_uid=f"op{rng.randrange(3)}" if hosted else "",
            operator_name="运营小周" if hosted else "",
            host="juzi" if hosted else "wecom",
        )
    terms = ["陈", "小明", "AMY", "amy li", '"Amy Li"', "成员3 陈", "wm01", "op2", "小周", "周 丽"]
    terms += ["无名", "staff9", "成员 周建国", "m0"]
    plain = admin.site._registry[Lookup]
    for term in terms:
        expected, _ = super(AuditLogAdmin, plain).get_search_results(
            None, Lookup.objects.all(), term
        )
        answered = plain.get_search_results(None, Lookup.objects.all(), term)[0]
        assert sorted(answered.values_list("pk", flat=True)) == sorted(
            expected.values_list("pk", flat=True)
        ), term


def test_the_longest_values_fit_the_keys():
    """Every searched field at its longest, in four-byte characters: the key's unique index
    holds it (PostgreSQL's B-tree entries stop at about 2,700 bytes)."""
    wide = "😀"
    row = send(
        staff_userid=wide * 64,
        staff_name=wide * 64,
        operator_uid=wide * 64,
        operator_name=wide * 64,
        reply_title=wide * 64,
        target_id=wide * 160,
        target_name=wide * 128,
    )
    assert AuditSearchKey.objects.filter(log="send", key=row.target_id).exists()
    assert Send.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_keys_existed_are_found_after_the_migration():
    executor = MigrationExecutor(connection)
    before = [("sidebar", "0008_kf_scenes")]
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO sidebar_lookup (created_at, staff_userid, staff_name, entry, "
                "target_id, target_name, target_avatar, outcome, duration_ms, from_cache, host, "
                "operator_uid, operator_name) VALUES (CURRENT_TIMESTAMP, 'old', '旧成员', "
                "'normal', 'wmOld', '旧客户', '', 'ok', 1, %s, 'wecom', '', '')",
                [False],
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    texts = set(AuditSearchKey.objects.filter(log="lookup").values_list("key", "text"))
    assert ("old", "old\n旧成员\n\n") in texts and ("wmOld", "wmOld\n旧客户") in texts
