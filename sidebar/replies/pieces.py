"""The library in pieces a slow phone takes in without a pause. The first screen's replies are
in the library's HTML; the rest follow it in runs of LATER_RUN, each after a RUN_MARK comment,
with an empty placeholder in the list where they belong. The page parses the HTML before the
first mark alone, then one run per task into its placeholder (static/sidebar/js/sidebar.js,
unpacker), so none of its tasks lasts long enough for staff to feel it (docs/speed.md,
"A thousand replies on a phone"). Reply HTML is autoescaped: a reply's text cannot contain
the mark.
"""

from dataclasses import dataclass

from sidebar.replies.models import Reply
from sidebar.replies.services import Section

# More replies than a phone's screen shows at once, in whichever categories come first.
FIRST_SCREEN = 24
# Replies per run: parsed and placed in about 10 ms on a phone (bench/library_paint.py).
LATER_RUN = 40
RUN_MARK = "<!--sidebar:run-->"
# Runs per part: the library comes in parts of about 200 KB, each a request of its own. A
# phone takes in a response's bytes in one task: a whole library of a thousand replies (1 MB)
# held it for 40-60 ms, a part holds it for a fifth of that.
RUNS_PER_PART = 5


@dataclass(frozen=True)
class Run:
    number: int  # its placeholder's data-run, counted over the whole library
    replies: list[Reply]


@dataclass(frozen=True)
class Piece:
    section: Section
    first: list[Reply]  # in the HTML at once
    later: list[Run]  # after the HTML, in order


def in_pieces(sections: list[Section]) -> list[Piece]:
    left, number = FIRST_SCREEN, 0
    pieces = []
    for section in sections:
        first = section.replies[:left]
        left -= len(first)
        rest = section.replies[len(first) :]
        runs = []
        for start in range(0, len(rest), LATER_RUN):
            runs.append(Run(number, rest[start : start + LATER_RUN]))
            number += 1
        pieces.append(Piece(section, first, runs))
    return pieces


def parts(html: str) -> list[str]:
    """The library's HTML in parts: the first is everything before the first run (the first
    screen and the placeholders), each other RUNS_PER_PART runs, split by RUN_MARK as the
    whole was."""
    head, *runs = html.split(RUN_MARK)
    return [head] + [
        RUN_MARK.join(runs[start : start + RUNS_PER_PART])
        for start in range(0, len(runs), RUNS_PER_PART)
    ]
