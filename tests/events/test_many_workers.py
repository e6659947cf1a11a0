"""WeCom delivers an event again when it thinks the first delivery failed (three attempts), and
a deployment's workers each take one: the same event posted 4 times at once to gunicorn's four
worker processes is handled once, and its churn alert is sent once."""

import json
import threading

import pytest

from tests.events import vectors
from tests.topology import django_shell
from tests.waiting import until

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

CUSTOMER = "wmChenXiaoMing0001"
COUNT_EVENTS = """
import json
from sidebar.events.models import ChangeEvent, EndedFollow
print(json.dumps([ChangeEvent.objects.count(), EndedFollow.objects.count()]))
"""


@pytest.fixture
def deployment_env():
    return {
        "WECOM_CALLBACK_TOKEN": vectors.TOKEN,
        "WECOM_CALLBACK_AES_KEY": vectors.AES_KEY,
        "SIDEBAR_PUBLIC_URL": "https://sidebar.example.com",
    }


def test_one_event_delivered_four_times_at_once_is_handled_once(deployment, corp):
    sender = vectors.sender(deployment.url, corp)
    assert sender.verify()
    message = sender.message(
        "change_external_contact",
        "del_follow_user",
        {"UserID": "zhangsan", "ExternalUserID": CUSTOMER},
    )
    start = threading.Barrier(4)

    def deliver():
        start.wait(timeout=30)
        sender.deliver(message, "del_follow_user")

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [d["status"] for d in sender.deliveries] == [200] * 4
    counts = json.loads(django_shell(deployment.env, COUNT_EVENTS).strip().splitlines()[-1])
    assert counts == [1, 1]
    # One row, so one alert: a sender sends only the row it claimed.
    assert until(lambda: corp.messages_to("zhangsan"))
    assert len(corp.messages_to("zhangsan")) == 1
