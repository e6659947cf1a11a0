"""Twenty staff members, each signed in through OAuth, edit the same customer at the same
moment through gunicorn's four worker processes: half their remark, half their tags. WeCom
(the stand-in, which answers 45033 beyond five at once, as WeCom does) never sees more than
five of these calls in flight, and no staff member is refused for the bound."""

import json

import pytest

from sidebar.records.models import Edit
from sidebar.standin.seed import add_followers, tag_id
from tests.replies.test_many_workers import StaffMember, all_at_once
from tests.topology import django_shell

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

STAFF = 20
CUSTOMER = "wmChenXiaoMing0001"
REMARK = "/cgi-bin/externalcontact/remark"
MARK_TAG = "/cgi-bin/externalcontact/mark_tag"
HELD = [tag_id("客户等级", "重要客户"), tag_id("客户等级", "续费意向"), tag_id("来源", "展会")]
PRO = tag_id("意向产品", "专业版")


@pytest.fixture
def corp(corp):
    """The seeded corp, with twenty more staff members who all follow the customer."""
    add_followers(corp, CUSTOMER, STAFF)
    return corp


def edit(member: StaffMember) -> None:
    """What the panel posts: an odd member saves a new remark, an even one adds a tag."""
    number = int(member.userid.removeprefix("staff"))
    url = f"{member.base_url}/sidebar/record/contact/{CUSTOMER}/"
    if number % 2:
        url, form = url + "remark/", {"remark": f"客户{number:02d}"}
    else:
        url, form = url + "tags/", {"shown": HELD, "tag": [*HELD, PRO]}
    response = member.browser.post(
        url, data=form, headers={"X-CSRFToken": member.csrf}, timeout=120
    )
    assert response.status_code == 200, response.text[-2000:]
    assert "problem" not in response.text, response.text  # none refused, none failed


def test_twenty_staff_editing_at_once_stay_within_five_calls(deployment, corp):
    members = [StaffMember(deployment.url, f"staff{n:02d}") for n in range(STAFF)]
    corp.inject(REMARK, delay=0.3, times=None)  # a WeCom that takes a moment per edit
    corp.inject(MARK_TAG, delay=0.3, times=None)
    corp.reset_counters()
    assert all_at_once(members, edit) == []
    assert corp.count(REMARK) == STAFF // 2 and corp.count(MARK_TAG) == STAFF // 2
    assert 2 <= corp.max_in_flight["writes"] <= 5
    for number in range(STAFF):
        entry = next(
            f for f in corp.contacts[CUSTOMER]["follow_user"] if f["userid"] == f"staff{number:02d}"
        )
        if number % 2:
            assert entry["remark"] == f"客户{number:02d}"
        else:
            assert "专业版" in [t["tag_name"] for t in entry["tags"]]
    # Every edit is in the deployment's own audit log, saved.
    assert audit_outcomes(deployment) == {Edit.Outcome.SAVED: STAFF}


COUNT_OUTCOMES = """
import json
from django.db.models import Count
from sidebar.records.models import Edit
print(json.dumps(dict(Edit.objects.values_list("outcome").annotate(n=Count("id")))))
"""


def audit_outcomes(deployment) -> dict:
    return json.loads(django_shell(deployment.env, COUNT_OUTCOMES).strip().splitlines()[-1])
