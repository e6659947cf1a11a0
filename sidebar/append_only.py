"""Audit rows written without the ORM's per-save work.

Every lookup writes one audit row, and Model.save() spent about 200 µs of Python on it (more
than the database's own work; docs/speed.md): signals, parent links, deciding between
UPDATE and INSERT, reading back the new id. An audit row is only ever inserted, and nothing
listens for its signals, so `insert` writes the same columns with the same conversions (each
field's default and get_db_prep_save) from a statement built once per model and database,
without building a model instance either.
"""

import functools

from django.db import connections, models


@functools.cache
def _statement(model, using: str) -> tuple[str, list, frozenset]:
    connection = connections[using]
    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    return sql, fields, frozenset(f.attname for f in fields)


# Text fields store a str as it is: their get_db_prep_save (to_python, then str) is skipped
# for one, as for most of an audit row's fields.
_TEXT = (models.CharField, models.TextField)


def _prepared(field, value, db):
    if type(value) is str and isinstance(field, _TEXT):
        return value
    return field.get_db_prep_save(value, db)


def statement(model, using: str = "default", **values) -> tuple[str, list]:
    """The INSERT of a `model` row with these field values (the others take their
    defaults), and its parameters."""
    db = connections[using]
    sql, fields, names = _statement(model, using)
    if not names.issuperset(values):
        unknown = ", ".join(sorted(values.keys() - names))
        raise TypeError(f"{model.__name__} has no field {unknown}")
    params = [
        _prepared(f, values[f.attname] if f.attname in values else f.get_default(), db)
        for f in fields
    ]
    return sql, params


def insert(model, using: str = "default", **values) -> None:
    """Insert a `model` row with these field values (the others take their defaults)."""
    sql, params = statement(model, using, **values)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
