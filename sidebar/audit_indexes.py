"""The indexes an audit log (lookups, sends) needs to stay quick at a million rows: the
admin lists it newest first, filters it by a column and a time range, and the home panel
lists one staff member's newest rows. Every index ends in the time, so a filtered list
reads its first page straight off the index."""

from django.db import models


def audit_indexes(table: str, *, filtered: tuple[str, ...]) -> list[models.Index]:
    indexes = [
        models.Index(fields=["-created_at", "-id"], name=f"{table}_newest"),
        models.Index(fields=["staff_userid", "-created_at"], name=f"{table}_staff_newest"),
    ]
    indexes += [
        models.Index(fields=[column, "-created_at"], name=f"{table}_{column}_newest")
        for column in filtered
    ]
    return indexes
