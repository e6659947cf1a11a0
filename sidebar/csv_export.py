"""CSV downloads of admin lists: streamed row by row, in words, safe to open in a spreadsheet.

A download of a million audit rows never holds them: rows are read through the database
cursor in chunks (`QuerySet.iterator`) and written out in small batches as the response is
sent. Every column has one type: times are local "YYYY-MM-DD HH:MM:SS" (the zone is named in
the header), yes/no columns say 是/否, stored keys are shown in words, numbers stay numbers."""

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

# What a spreadsheet reads as the start of a formula: = + - @ (or their full-width forms),
# also after leading whitespace, and a leading tab or line break.
_FORMULA = re.compile(r"\A(?:[\t\r\n]|\s*[=+\-@\uff1d\uff0b\uff0d\uff20])")

# Rows read from the database per round trip, and rows written per chunk of the response.
CHUNK_ROWS = 2000
BATCH_ROWS = 500


def cell(value):
    """A value as a CSV cell: numbers stay numbers; text a spreadsheet would run as a formula
    is prefixed with ' so it stays text."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if _FORMULA.match(text) else text


@dataclass(frozen=True)
class Column:
    """One column of a download: its header (translatable), the model field it reads, and
    how a stored value is shown. `words` maps stored keys to words (a key it lacks is shown
    as stored); `kind` is "text", "time" or "yes_no"; `show` turns a stored value (a JSON
    object, say) into the words of its cell."""

    header: Any
    field: str
    words: Mapping[str, Any] | None = None
    kind: str = "text"
    show: Callable[[Any], Any] | None = None


def _local_time(value: datetime | None) -> str:
    return "" if value is None else timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def _shower(column: Column) -> Callable[[Any], Any]:
    """How one column turns a stored value into a cell."""
    if column.show is not None:
        return lambda value: cell(column.show(value))
    if column.kind == "time":
        return _local_time
    if column.kind == "yes_no":
        yes, no = _("yes"), _("no")
        return lambda value: "" if value is None else (yes if value else no)
    if column.words is not None:
        words = {key: str(label) for key, label in column.words.items()}
        return lambda value: cell(words.get(value, value))
    return cell


def header(column: Column) -> str:
    if column.kind == "time":
        return _("%(header)s (%(zone)s)") % {
            "header": column.header,
            "zone": timezone.get_current_timezone_name(),
        }
    return str(column.header)


class _Line:
    """What csv.writer writes to: it hands each written line back."""

    def write(self, line: str) -> str:
        return line


def lines(columns: list[Column], rows: Iterable[tuple]) -> Iterator[str]:
    """The CSV text (BOM and header first) in chunks of BATCH_ROWS rows. Headers and words
    are read now, in the request's language; the rows are written later, as the response
    streams."""
    showers = [_shower(column) for column in columns]
    writer = csv.writer(_Line())
    first = "\ufeff" + writer.writerow([header(column) for column in columns])

    def chunks():
        yield first
        batch = []
        for row in rows:
            batch.append(
                writer.writerow([show(value) for show, value in zip(showers, row, strict=True)])
            )
            if len(batch) == BATCH_ROWS:
                yield "".join(batch)
                batch.clear()
        if batch:
            yield "".join(batch)

    return chunks()


def stream(name: str, columns: list[Column], queryset) -> StreamingHttpResponse:
    """An attachment `<name>-<local time>.csv` of every row of `queryset`, streamed.
    The BOM makes spreadsheet programs read the Chinese text as UTF-8."""
    rows = queryset.values_list(*[column.field for column in columns]).iterator(
        chunk_size=CHUNK_ROWS
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    answer = StreamingHttpResponse(lines(columns, rows), content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return answer
