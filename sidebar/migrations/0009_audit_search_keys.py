"""AuditSearchKey, and the triggers that fill it from each audit log's INSERTs (the model
says what it holds; sidebar/audit_search.py how admin's search reads it). Rows already in the
logs are read into it once, here."""

from django.db import migrations, models

# log -> (its table, {indexed id column: the searched fields its text joins}). The same
# fields as the admins' search_fields (tests/test_audit_search.py holds them to it).
KEYS = {
    "lookup": (
        "sidebar_lookup",
        {
            "staff_userid": ["staff_userid", "staff_name", "operator_uid", "operator_name"],
            "target_id": ["target_id", "target_name"],
        },
    ),
    "send": (
        "replies_send",
        {
            "staff_userid": [
                "staff_userid",
                "staff_name",
                "operator_uid",
                "operator_name",
                "reply_title",
            ],
            "target_id": ["target_id", "target_name"],
        },
    ),
}
TABLE = "sidebar_auditsearchkey"


def _joined(vendor: str, fields: list[str], row: str) -> str:
    """The SQL of `fields` of `row` (NEW, or a table) joined by newlines."""
    columns = [f"{row}.{field}" for field in fields]
    if vendor == "postgresql":
        return "concat_ws(E'\\n', " + ", ".join(columns) + ")"
    return " || char(10) || ".join(columns)


def _values(vendor: str, log: str, row: str) -> list[str]:
    _table, keys = KEYS[log]
    return [
        f"('{log}', '{column}', {row}.{column}, {_joined(vendor, fields, row)})"
        for column, fields in keys.items()
    ]


def _statements(vendor: str) -> list[str]:
    """Per log: a trigger on INSERT and on UPDATE of a searched field (rows are written
    once, but a key that misses a row would hide it from search), and the backfill."""
    statements = []
    for log, (table, keys) in KEYS.items():
        name = f"{table}_search_keys"
        searched = ", ".join(dict.fromkeys(f for fields in keys.values() for f in fields))
        rows = ",\n    ".join(_values(vendor, log, "NEW"))
        backfill = " UNION ".join(
            f"SELECT {value[1:-1]} FROM {table}" for value in _values(vendor, log, table)
        )
        if vendor == "postgresql":
            statements += [
                f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO {TABLE} (log, key_column, "key", text) VALUES
    {rows}
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$""",
                f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OF {searched} ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()",
                f'INSERT INTO {TABLE} (log, key_column, "key", text) {backfill} '
                "ON CONFLICT DO NOTHING",
            ]
        else:
            statements += [
                f"""CREATE TRIGGER {name}{suffix} AFTER {event} ON {table} BEGIN
  INSERT OR IGNORE INTO {TABLE} (log, key_column, "key", text) VALUES
    {rows};
END"""
                for suffix, event in (("", "INSERT"), ("_updated", f"UPDATE OF {searched}"))
            ] + [
                f'INSERT OR IGNORE INTO {TABLE} (log, key_column, "key", text) {backfill}',
            ]
    return statements


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        return  # sidebar.audit_search searches without the keys elsewhere
    for statement in _statements(vendor):
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table, _keys in KEYS.values():
        name = f"{table}_search_keys"
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_updated")


class Migration(migrations.Migration):
    dependencies = [
        ("sidebar", "0008_kf_scenes"),
        ("replies", "0008_own_replies_and_stars"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditSearchKey",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("log", models.CharField(max_length=16)),
                ("key_column", models.CharField(max_length=16)),
                ("key", models.CharField(max_length=160)),
                ("text", models.CharField(max_length=400)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("log", "key_column", "key", "text"),
                        name="audit_search_key_unique",
                    )
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
