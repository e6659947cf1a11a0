"""Admin's search of an audit log at a million rows, off indexes.

Django's admin search looks for each word inside every search field: `LIKE '%word%'`, a
scan of the whole table (6 s on SQLite at a million rows for a name that matches nothing).
Trigram indexes (pg_trgm, FTS5's trigram tokenizer) cannot help with the names admins type
most: Chinese names are two or three characters, and a trigram index needs three to use.

So each log keeps AuditSearchKey: per staff userid and per target id (both indexed in the
log), the text of the searched fields its rows carry, filled by the database's own triggers
(migration 0009). A search reads those few thousand short texts first: a word no key holds
matches no row, answered without touching the log; otherwise the search narrows to the rows
of the matching ids (read off their indexes) and Django's own search then applies to those,
so the rows found are exactly the ones Django's search finds (docs/speed.md).
"""

from django.db import connections
from django.db.models import Q
from django.utils.text import smart_split, unescape_string_literal

from sidebar.models import AuditSearchKey

# More matching ids than this and narrowing stops paying: a word that common finds its first
# page of rows quickly anyway, newest first.
MOST_KEYS = 500


def words(search_term: str) -> list[str]:
    """The words Django's admin search looks for, as it splits them (quotes keep a phrase)."""
    found = []
    for bit in smart_split(search_term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        if bit:
            found.append(bit)
    return found


def narrowed(queryset, log: str, search_term: str):
    """`queryset` narrowed to the rows whose staff userid or target id carries every word of
    `search_term` in a searched field: a superset of what Django's search then finds in
    them, never missing one. Unchanged where keys are not kept (another database)."""
    if connections[queryset.db].vendor not in ("sqlite", "postgresql"):
        return queryset
    for word in words(search_term):
        keys = list(
            AuditSearchKey.objects.using(queryset.db)
            .filter(log=log, text__icontains=word)
            .values_list("key_column", "key")
            .distinct()[: MOST_KEYS + 1]
        )
        if len(keys) > MOST_KEYS:
            continue
        by_column: dict[str, set[str]] = {}
        for column, key in keys:
            by_column.setdefault(column, set()).add(key)
        matching = Q(pk__in=[])  # no key: no row
        for column, ids in by_column.items():
            matching |= Q(**{f"{column}__in": sorted(ids)})
        queryset = queryset.filter(matching)
    return queryset
