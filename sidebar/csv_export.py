"""CSV downloads of admin lists, safe to open in a spreadsheet."""

import csv
import re

from django.http import HttpResponse
from django.utils import timezone

# What a spreadsheet reads as the start of a formula: = + - @ (or their full-width forms),
# also after leading whitespace, and a leading tab or line break.
_FORMULA = re.compile(r"\A(?:[\t\r\n]|\s*[=+\-@\uff1d\uff0b\uff0d\uff20])")


def cell(value):
    """A value as a CSV cell: numbers stay numbers; text a spreadsheet would run as a formula
    is prefixed with ' so it stays text."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if _FORMULA.match(text) else text


def response(name: str, header: list[str], rows) -> HttpResponse:
    """An attachment `<name>-<local time>.csv` with a BOM (so spreadsheet programs read the
    Chinese text as UTF-8), `header`, then `rows`; datetimes in local time."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    answer = HttpResponse(content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    answer.write("\ufeff")
    writer = csv.writer(answer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            [
                cell(timezone.localtime(v).isoformat() if hasattr(v, "tzinfo") and v else v)
                for v in row
            ]
        )
    return answer
