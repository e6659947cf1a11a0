"""Audit rows written without the ORM's per-save work.

Every lookup writes one audit row, and Model.save() spent about 200 µs of Python on it (more
than the database's own work; README, "Speed"): signals, parent links, deciding between
UPDATE and INSERT, reading back the new id. An audit row is only ever inserted, and nothing
listens for its signals, so `insert` writes the same columns with the same conversions (each
field's own pre_save and get_db_prep_save) from a statement built once per model and
database.
"""

import functools

from django.db import connections


@functools.cache
def _statement(model, using: str) -> tuple[str, list]:
    connection = connections[using]
    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    return sql, fields


def insert(row, using: str = "default") -> None:
    """Insert `row` (its id stays unset)."""
    connection = connections[using]
    sql, fields = _statement(type(row), using)
    params = [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
