"""The library in pieces (sidebar/replies/pieces.py): the first screen in the HTML, the rest in
numbered runs after it, each with its placeholder where it belongs."""

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


@pytest.mark.django_db
def test_the_library_html_carries_each_run_once_after_a_placeholder(staff_client):
    for number in range(70):
        factories.reply("text", title=f"说明{number}", text=f"第 {number} 条 {pieces.RUN_MARK}")
    html = staff_client.get(
        "/sidebar/replies/", {"entry": "single_chat_tools"}, HTTP_USER_AGENT=ANDROID
    ).content.decode()
    head, *runs = html.split(pieces.RUN_MARK)
    assert len(runs) == 2  # 70 = 24 at once, then 40 and 6
    assert head.count('class="replies-later"') == 2 and head.count('class="reply"') == 24
    assert [run.count('class="reply"') for run in runs] == [40, 6]
