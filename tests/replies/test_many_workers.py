"""Thirty staff members, each signed in through OAuth, send the same never-uploaded picture at
once to gunicorn's four worker processes: WeCom sees one media/upload. When WeCom lets every
media_id expire under the app, the next sends upload once more and all succeed; no staff member
is shown a failure.

Each staff member plays what the page does (static/sidebar/js/sidebar.js): ask for the message,
hand it to the client (here the stand-in checks the media_id as the client would), report the
client's answer, and send once more when the server says to retry."""

import threading
import time

import pytest
import requests

from sidebar.standin.seed import add_followers
from tests.replies.conftest import ANDROID
from tests.topology import django_shell, sign_in

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

STAFF = 30
UPLOAD = "/cgi-bin/media/upload"
CUSTOMER = "wmChenXiaoMing0001"
MAKE_PICTURE = """
from sidebar.replies import demo, samples
from sidebar.replies.models import Category
category = Category.objects.create(name="新品")
made = demo.make("image", title="新品图", category=category, upload=samples.png(), filename="a.png")
print(made.pk)
"""


@pytest.fixture
def corp(corp):
    """The seeded corp, with thirty more staff members who all follow the customer."""
    add_followers(corp, CUSTOMER, STAFF)
    return corp


def make_picture(deployment) -> int:
    """A picture reply in the deployment's own database and media directory, as admin makes it."""
    return int(django_shell(deployment.env, MAKE_PICTURE).strip().splitlines()[-1])


class StaffMember:
    def __init__(self, base_url: str, userid: str, *, verify=True):
        """`verify`: the TLS certificate to trust (nginx's, in front of several hosts)."""
        self.base_url = base_url
        self.userid = userid
        self.browser = requests.Session()
        self.browser.trust_env = False
        self.browser.verify = verify
        # What a page of this site sends with every POST (checked over HTTPS).
        self.browser.headers.update(
            {"User-Agent": ANDROID, "Origin": base_url, "Referer": base_url + "/sidebar/"}
        )
        sign_in(self.browser, base_url, as_user=userid)
        self.csrf = self.browser.cookies["csrftoken"]  # the page reads it from the cookie
        self.shown: list[dict] = []  # what the page would show after each tap
        self.waits = 0  # times the page was told the file is uploading

    def tap_send(self, reply_id: int, corp) -> None:
        """One tap on 发送: the page's send (asked again while the file uploads), the
        client's answer, one retry if told to."""
        retry_of = None
        for _attempt in range(2):
            form = {"entry": "single_chat_tools", "external_userid": CUSTOMER}
            if retry_of:
                form["retry_of"] = retry_of
            prepared = self._prepare(f"/sidebar/replies/{reply_id}/send/", form)
            media_id = prepared["message"]["image"]["mediaid"]
            found = corp.check_media(media_id, "image")  # what the client checks
            said = "sendChatMessage:ok" if found == "ok" else "sendChatMessage:fail invalid mediaid"
            verdict = self._post(prepared["result"], json={"err_msg": said, "duration_ms": 5})
            if not verdict["retry"]:
                self.shown.append(verdict)
                return
            retry_of = str(prepared["send"])
        raise AssertionError("the server asked to retry a retry")

    def _prepare(self, path: str, form: dict) -> dict:
        """What the page does with "uploading" (202): wait as told, then ask again."""
        give_up_at = time.monotonic() + 300
        while True:
            answer = self.browser.post(
                self.base_url + path, data=form, headers={"X-CSRFToken": self.csrf}, timeout=60
            )
            if answer.status_code != 202:
                assert answer.status_code == 200, answer.text
                return answer.json()
            self.waits += 1
            assert time.monotonic() < give_up_at, "the file never finished uploading"
            time.sleep(float(answer.headers["Retry-After"]))

    def _post(self, path: str, **body) -> dict:
        answer = self.browser.post(
            self.base_url + path, headers={"X-CSRFToken": self.csrf}, timeout=60, **body
        )
        assert answer.status_code == 200, answer.text
        return answer.json()


def all_at_once(members, call) -> list[str]:
    """`call(member)` in one thread per member, released together; the failures."""
    barrier, failures = threading.Barrier(len(members)), []

    def run(member):
        barrier.wait()
        try:
            call(member)
        except Exception as exc:  # collected and asserted by the caller
            failures.append(repr(exc))

    threads = [threading.Thread(target=run, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return failures


def test_thirty_staff_one_upload_then_one_more_after_expiry(deployment, corp):
    reply_id = make_picture(deployment)
    members = [StaffMember(deployment.url, f"staff{n:02d}") for n in range(STAFF)]
    corp.inject(UPLOAD, delay=0.5)  # a WeCom that takes its time widens the race
    corp.reset_counters()

    assert all_at_once(members, lambda m: m.tap_send(reply_id, corp)) == []
    assert corp.count(UPLOAD) == 1

    corp.expire_media()  # three days later, as far as WeCom is concerned
    assert all_at_once(members, lambda m: m.tap_send(reply_id, corp)) == []
    assert corp.count(UPLOAD) == 2

    shown = [verdict for member in members for verdict in member.shown]
    assert len(shown) == 2 * STAFF
    assert {v["outcome"] for v in shown} == {"sent"}
    assert {v["said"]["title"] for v in shown} == {"已发送"}
    waits = sum(member.waits for member in members)
    print(
        f"\n{STAFF} staff × 2 rounds on 4 workers: media/upload {corp.count(UPLOAD)}, {waits} waits"
    )
