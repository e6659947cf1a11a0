"""No customer is shown without its audit row, and nothing is sent that the send log does not
hold: when the database refuses the write, the panel says the record could not be written (a
503, never a 500 and never the customer), a send is refused in words, and a send's result the
log cannot take yet is answered 503 so the page reports it again. Any other database failure
is a 503 in words, in the shape the request expects.

The database's refusal is real: a wrapper on the connection (Django's execute_wrapper) raises
OperationalError for the statements named, as a stopped PostgreSQL does."""

import contextlib
import json

import pytest
from django.db import OperationalError, connection
from django.test import Client

from sidebar.models import Lookup
from sidebar.replies.models import Send
from tests.conftest import walk_sign_in
from tests.replies import factories
from tests.replies.conftest import ANDROID

# Transactional: a refused statement inside the test's own transaction would break it, where
# production runs each statement on its own (autocommit).
pytestmark = pytest.mark.django_db(transaction=True)

LOOKUP = "/sidebar/lookup/contact/"
CUSTOMER = {"entry": "single_chat_tools", "external_userid": "wmChenXiaoMing0001"}
NOT_RECORDED = "查询记录未能写入，因此不予显示"


@contextlib.contextmanager
def database_refuses(*fragments: str):
    """Every statement containing one of `fragments` fails as a stopped database fails."""

    def refuse(execute, sql, params, many, context):
        if any(fragment in sql for fragment in fragments):
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


@pytest.fixture
def staff(standin, corp):
    client = Client(raise_request_exception=False)
    walk_sign_in(client, corp)
    return client


def test_a_lookup_whose_row_cannot_be_written_shows_nothing_of_the_customer(staff):
    with database_refuses('INSERT INTO "sidebar_lookup"'):
        response = staff.post(LOOKUP, CUSTOMER)
    assert response.status_code == 503
    assert response["X-Sidebar-Outcome"] == "unrecorded"
    body = response.content.decode()
    assert NOT_RECORDED in body and "请稍后点“刷新”" in body
    assert "陈小明" not in body and "陈先生" not in body  # neither name nor remark
    assert not Lookup.objects.exists()
    # Once the database answers, the same lookup is shown, with its row.
    shown = staff.post(LOOKUP, CUSTOMER)
    assert shown.status_code == 200 and "陈小明" in shown.content.decode()
    assert Lookup.objects.get().outcome == "ok"


def test_a_cached_customer_is_not_shown_without_its_row_either(staff):
    assert staff.post(LOOKUP, CUSTOMER).status_code == 200  # cached now
    with database_refuses('INSERT INTO "sidebar_lookup"'):
        response = staff.post(LOOKUP, CUSTOMER)
    assert response.status_code == 503 and "陈小明" not in response.content.decode()
    assert Lookup.objects.count() == 1


def test_an_invalid_lookup_that_cannot_be_recorded_is_a_503(staff):
    with database_refuses('INSERT INTO "sidebar_lookup"'):
        response = staff.post(LOOKUP, {"entry": "single_chat_tools", "external_userid": ""})
    assert response.status_code == 503 and NOT_RECORDED in response.content.decode()


def test_a_send_that_cannot_be_recorded_is_refused_in_words(staff):
    reply = factories.reply("text", title="问候", text="您好")
    with database_refuses('INSERT INTO "replies_send"'):
        response = staff.post(
            f"/sidebar/replies/{reply.pk}/send/",
            CUSTOMER,
            HTTP_USER_AGENT=ANDROID,
            HTTP_ACCEPT="application/json",
        )
    assert response.status_code == 503
    answer = response.json()
    assert "message" not in answer
    assert answer["refused"]["title"] == "未发送：这次发送无法记录"
    assert not Send.objects.exists()


def test_a_result_the_log_cannot_take_is_a_503_and_is_recorded_when_posted_again(staff):
    reply = factories.reply("text", title="问候", text="您好")
    prepared = staff.post(
        f"/sidebar/replies/{reply.pk}/send/", CUSTOMER, HTTP_USER_AGENT=ANDROID
    ).json()
    said = json.dumps({"err_msg": "sendChatMessage:ok", "duration_ms": 40})
    with database_refuses('UPDATE "replies_send"'):
        refused = staff.post(prepared["result"], said, content_type="application/json")
    assert refused.status_code == 503
    assert refused.json()["error"] == "服务暂时不可用"
    assert Send.objects.get().outcome == "prepared"
    again = staff.post(prepared["result"], said, content_type="application/json")
    assert again.status_code == 200 and again.json()["outcome"] == "sent"
    assert Send.objects.get().outcome == "sent"


@pytest.mark.parametrize(
    ("path", "accept", "shape"),
    [
        ("/sidebar/home/?entry=normal", "*/*", "fragment"),
        ("/sidebar/home/?entry=normal", "application/json", "json"),
    ],
)
def test_any_other_database_failure_is_a_503_in_words(staff, path, accept, shape):
    with database_refuses('FROM "sidebar_lookup"'):
        response = staff.get(path, HTTP_ACCEPT=accept)
    assert response.status_code == 503
    if shape == "json":
        assert response.json()["error"] == "服务暂时不可用"
    else:
        body = response.content.decode()
        assert '<section class="problem"' in body and "数据库刚才没有响应" in body
        assert "<html" not in body  # a fragment, for the panel


def test_a_page_load_that_meets_a_database_failure_is_a_page_in_words(staff):
    with database_refuses('"django_session"'):
        staff.cookies.clear()  # the session must be read (and written) from the database
        response = staff.get("/sidebar/")
    assert response.status_code == 503
    body = response.content.decode()
    assert "<html" in body and "服务暂时不可用" in body


# The customer record (sidebar/records) ---------------------------------------------------------

RECORD = "/sidebar/record/contact/wmChenXiaoMing0001/"


def test_a_record_read_whose_row_cannot_be_written_shows_nothing(staff, corp):
    from tests.records.conftest import default_stages

    default_stages()
    staff.post(RECORD + "notes/", {"text": "预算五十万"})
    with database_refuses('INSERT INTO "sidebar_lookup"'):
        answers = [staff.get(RECORD), staff.get(RECORD + "remark/")]
    for response in answers:
        body = response.content.decode()
        assert response.status_code == 503 and NOT_RECORDED in body
        assert "预算五十万" not in body and "陈先生" not in body
    assert not Lookup.objects.filter(entry="record").exists()


def test_an_edit_whose_row_cannot_be_written_is_not_sent(staff, corp):
    from sidebar.records.models import Edit, Note

    with database_refuses('INSERT INTO "records_edit"'):
        remark = staff.post(RECORD + "remark/", {"remark": "陈总"})
        note = staff.post(RECORD + "notes/", {"text": "预算五十万"})
    for response in (remark, note):
        assert response.status_code == 503
        assert "这次修改无法记录，因此没有执行" in response.content.decode()
    assert corp.count("/cgi-bin/externalcontact/remark") == 0
    assert not Note.objects.exists() and not Edit.objects.exists()
