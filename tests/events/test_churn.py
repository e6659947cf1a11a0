"""流失提醒: a customer who deletes a staff member is named to that staff member in a WeCom
app message, once, with their remark and the last follow-up note."""

from io import StringIO

import pytest
from django.core.management import call_command

from sidebar.events import churn
from sidebar.events.models import ChangeEvent
from sidebar.models import Lookup
from sidebar.records.models import Note

pytestmark = pytest.mark.django_db(transaction=True)  # the alert is sent from another thread

CUSTOMER = "wmChenXiaoMing0001"
SEND = "/cgi-bin/message/send"


def deleted(callbacks, userid="zhangsan"):
    return callbacks.event(
        "change_external_contact", "del_follow_user", UserID=userid, ExternalUserID=CUSTOMER
    )


def test_the_staff_member_gets_one_alert_naming_the_customer(callbacks, corp):
    Note.objects.create(
        target_kind="contact", target_id=CUSTOMER, author_userid="lisi", text="下周约见面"
    )
    message = deleted(callbacks)
    for _ in range(4):  # WeCom's retries
        assert callbacks.post(message).status_code == 200
    assert churn.idle(timeout=60)
    (alert,) = corp.messages_to("zhangsan")
    assert alert["title"] == "陈小明删除了你"
    assert "陈先生（老客户）" in alert["description"] and "下周约见面" in alert["description"]
    assert alert["url"].endswith("/sidebar/")
    assert ChangeEvent.objects.get().alerted_at is not None
    out = StringIO()
    call_command("send_reminders", public_url="https://sidebar.example.com", stdout=out)
    assert "0 churn alerts sent" in out.getvalue()
    assert corp.count(SEND) == 1


def test_an_alert_wecom_refused_is_sent_by_the_next_run(callbacks, corp):
    corp.inject(SEND, errcode=-1, times=3)
    callbacks.post(deleted(callbacks))
    assert churn.idle(timeout=60)
    assert corp.messages_to("zhangsan") == []
    out = StringIO()
    call_command("send_reminders", public_url="https://sidebar.example.com", stdout=out)
    assert "1 churn alerts sent" in out.getvalue()
    assert len(corp.messages_to("zhangsan")) == 1


def test_alerts_can_be_turned_off(callbacks, corp, settings):
    settings.WECOM_CHURN_ALERTS = False
    callbacks.post(deleted(callbacks))
    assert churn.idle(timeout=60)
    call_command("send_reminders", public_url="https://sidebar.example.com", stdout=StringIO())
    assert corp.count(SEND) == 0


def test_a_customer_wecom_no_longer_returns_is_named_from_the_lookup_log(callbacks, corp):
    Lookup.objects.create(
        staff_userid="lisi",
        entry="single_chat_tools",
        target_id=CUSTOMER,
        target_name="陈小明（老客户）",
        outcome=Lookup.Outcome.OK,
        duration_ms=5,
    )
    corp.inject("/cgi-bin/externalcontact/get", errcode=84061, times=5)
    callbacks.post(deleted(callbacks))
    assert churn.idle(timeout=60)
    (alert,) = corp.messages_to("zhangsan")
    assert alert["title"] == "陈小明（老客户）删除了你"
