"""The library in pieces (sidebar/replies/pieces.py): the first screen in the HTML, the rest in
numbered runs after it, each with its placeholder where it belongs."""

import re

import pytest

from sidebar.replies import pieces
from sidebar.replies.services import Section
from tests.replies import factories
from tests.replies.conftest import ANDROID


def test_the_first_screen_then_runs_numbered_over_the_library():
    sizes = (("a", 10), ("b", 100), ("c", 5))
    sections = [Section(name, list(range(count))) for name, count in sizes]
    a, b, c = pieces.in_pieces(sections)
    assert (len(a.first), len(b.first), len(c.first)) == (10, 14, 0)
    assert a.later == []
    assert [(run.number, len(run.replies)) for run in b.later] == [(0, 40), (1, 40), (2, 6)]
    assert [(run.number, run.replies) for run in c.later] == [(3, [0, 1, 2, 3, 4])]
    assert b.first + [r for run in b.later for r in run.replies] == list(range(100))


def library_part(client, part):
    return client.get(
        "/sidebar/replies/",
        {"entry": "single_chat_tools", "part": str(part)},
        HTTP_USER_AGENT=ANDROID,
    )


@pytest.mark.django_db
def test_the_library_html_carries_each_run_once_after_a_placeholder(staff_client):
    for number in range(70):
        factories.reply("text", title=f"说明{number}", text=f"第 {number} 条 {pieces.RUN_MARK}")
    first = library_part(staff_client, 0)
    assert first["X-Sidebar-Parts"] == "2"  # the head, then one part of its two runs
    head = first.content.decode()
    runs = library_part(staff_client, 1).content.decode().split(pieces.RUN_MARK)
    assert len(runs) == 2  # 70 = 24 at once, then 40 and 6
    assert head.count('class="replies-later"') == 2 and head.count('class="reply"') == 24
    assert pieces.RUN_MARK not in head
    assert [run.count('class="reply"') for run in runs] == [40, 6]


@pytest.mark.django_db
def test_a_big_library_comes_in_parts_of_a_few_runs_each(staff_client):
    """900 replies: the head, then parts of RUNS_PER_PART runs; together every reply once,
    each part with its own ETag; a part past the end or not a number is a 400."""
    for number in range(24 + 12 * pieces.LATER_RUN):
        factories.reply("text", title=f"说明{number:04d}", text=f"第 {number} 条")
    first = library_part(staff_client, 0)
    count = int(first["X-Sidebar-Parts"])
    assert count == 1 + -(-12 // pieces.RUNS_PER_PART)
    bodies = [first] + [library_part(staff_client, n) for n in range(1, count)]
    assert all(b.status_code == 200 for b in bodies)
    assert len({b["ETag"] for b in bodies}) == count
    runs = [run for b in bodies[1:] for run in b.content.decode().split(pieces.RUN_MARK)]
    assert len(runs) == 12
    titles = re.findall(
        r'class="reply-title">([^<]*)<', "".join(b.content.decode() for b in bodies)
    )
    assert sorted(titles) == [f"说明{n:04d}" for n in range(24 + 12 * pieces.LATER_RUN)]
    again = staff_client.get(
        "/sidebar/replies/",
        {"entry": "single_chat_tools", "part": "1"},
        HTTP_USER_AGENT=ANDROID,
        HTTP_IF_NONE_MATCH=bodies[1]["ETag"],
    )
    assert again.status_code == 304
    for bad in (str(count), "-1", "x", "1e2", "٣"):
        assert library_part(staff_client, bad).status_code == 400, bad
