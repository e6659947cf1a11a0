import pytest
from django.test import Client

from tests.conftest import walk_sign_in

CUSTOMER = "wmChenXiaoMing0001"  # followed by zhangsan and lisi, not by wangwu
REMARK = "/cgi-bin/externalcontact/remark"
MARK_TAG = "/cgi-bin/externalcontact/mark_tag"
TAG_LIST = "/cgi-bin/externalcontact/get_corp_tag_list"
SEND = "/cgi-bin/message/send"


def record_url(part: str = "", *, kind: str = "contact", target: str = CUSTOMER) -> str:
    return f"/sidebar/record/{kind}/{target}/{part}"


@pytest.fixture(autouse=True)
def stages(request):
    """The stages a deployment starts with (a transactional test elsewhere flushes the rows
    the data migration made)."""
    if "django_db" not in {m.name for m in request.node.iter_markers()}:
        return []
    return default_stages()


def default_stages():
    from sidebar.records.models import DEFAULT_STAGES, Stage

    return [
        Stage.objects.get_or_create(name=name, defaults={"order": 10 * (n + 1)})[0]
        for n, name in enumerate(DEFAULT_STAGES)
    ]


@pytest.fixture
def signed_in(standin, corp):
    """signed_in("lisi"): a Django test client signed in as that staff member via OAuth."""

    def sign_in(userid: str) -> Client:
        client = Client()
        response = walk_sign_in(client, corp, as_user=userid)
        assert response.status_code == 302, response
        return client

    return sign_in


def look_up(client, external_userid=CUSTOMER, entry="single_chat_tools"):
    return client.post(
        "/sidebar/lookup/contact/", {"entry": entry, "external_userid": external_userid}
    )
