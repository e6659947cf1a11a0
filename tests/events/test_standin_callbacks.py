"""The WeCom stand-in's callbacks to the running app: the URL verified as the admin console
does, and changes made "in WeCom" posted as encrypted events that the next lookup reflects."""

import pytest
import requests

from sidebar.events import churn
from tests.events.conftest import connect_callback
from tests.topology import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMER = "wmChenXiaoMing0001"
GET_CONTACT = "/cgi-bin/externalcontact/get"


@pytest.fixture
def app(live_server, standin, corp, settings):
    settings.SIDEBAR_PUBLIC_URL = live_server.url
    connect_callback(corp, settings, live_server.url)
    browser = requests.Session()
    browser.trust_env = False
    sign_in(browser, live_server.url, as_user="zhangsan")
    csrf = browser.cookies["csrftoken"]

    def look_up():
        return browser.post(
            live_server.url + "/sidebar/lookup/contact/",
            data={"entry": "single_chat_tools", "external_userid": CUSTOMER},
            headers={"X-CSRFToken": csrf, "Referer": live_server.url + "/sidebar/"},
            timeout=60,
        )

    return look_up


def test_a_remark_changed_in_wecom_shows_with_one_more_call(app, corp):
    assert app().headers["X-Sidebar-Outcome"] == "ok"
    app()
    assert corp.count(GET_CONTACT) == 1  # cached
    corp.change_in_wecom(
        "remark", userid="zhangsan", external_userid=CUSTOMER, remark="企业微信里改的"
    )
    corp.callbacks.wait()
    assert [d["status"] for d in corp.callbacks.deliveries] == [200]
    assert "企业微信里改的" in app().text
    assert "企业微信里改的" in app().text
    assert corp.count(GET_CONTACT) == 2  # exactly the one the event caused


def test_a_customer_who_deletes_the_staff_member_ends_access_and_alerts(app, corp):
    assert app().headers["X-Sidebar-Outcome"] == "ok"
    corp.change_in_wecom("customer-deletes-staff", userid="zhangsan", external_userid=CUSTOMER)
    corp.callbacks.wait()
    assert app().headers["X-Sidebar-Outcome"] == "denied"
    assert churn.idle(timeout=60)
    (alert,) = corp.messages_to("zhangsan")
    assert alert["title"] == "陈小明删除了你" and "陈先生（老客户）" in alert["description"]
