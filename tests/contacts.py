"""Customers only tests meet, never the emulator's demo corp: one with markup in every field
WeCom lets a person type, and WeCom's own sample answer of externalcontact/get (placeholder
strings and all), so the page is checked against the documented shape."""

import copy
import json
from pathlib import Path

from sidebar.standin.corp import StandinCorp
from sidebar.standin.seed import _follower

HOSTILE = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'
HOSTILE_ID = "wmHostileMarkup0004"

SAMPLE = json.loads(
    (Path(__file__).parent / "fixtures" / "wecom" / "externalcontact_get.json").read_text("utf-8")
)
SAMPLE_ID = SAMPLE["external_contact"]["external_userid"]
# The sample's two followers, as the seeded corp's staff.
SAMPLE_FOLLOWERS = {"rocky": "zhangsan", "tommy": "wangwu"}


def with_test_contacts(corp: StandinCorp) -> StandinCorp:
    corp.contacts[HOSTILE_ID] = _hostile()
    corp.contacts[SAMPLE_ID] = _sample()
    return corp


def _sample() -> dict:
    contact = copy.deepcopy(SAMPLE["external_contact"])
    follow_user = copy.deepcopy(SAMPLE["follow_user"])
    for follower in follow_user:
        follower["userid"] = follower["oper_userid"] = SAMPLE_FOLLOWERS[follower["userid"]]
    return {"external_contact": contact, "follow_user": follow_user}


def _hostile() -> dict:
    return {
        "external_contact": {
            "external_userid": HOSTILE_ID,
            "name": HOSTILE + "名字",
            "avatar": "javascript:document.title='pwned'",
            "type": 2,
            "gender": 0,
            "position": HOSTILE,
            "corp_name": HOSTILE,
            "corp_full_name": HOSTILE,
            "external_profile": {
                "external_attr": [
                    {"type": 0, "name": HOSTILE, "text": {"value": HOSTILE}},
                    {
                        "type": 1,
                        "name": HOSTILE,
                        "web": {"url": "javascript:document.title='pwned'", "title": HOSTILE},
                    },
                ]
            },
        },
        "follow_user": [
            _follower(
                "zhangsan",
                remark=HOSTILE + "备注",
                description=HOSTILE,
                tags=[(HOSTILE, HOSTILE + "标签")],
                remark_corp_name=HOSTILE,
                remark_mobiles=[HOSTILE],
                state=HOSTILE,
                add_way=4,
            )
        ],
    }
