"""The stages a corp starts with (客户阶段); admins rename, reorder or switch them off."""

from django.db import migrations

DEFAULT_STAGES = ["待跟进", "跟进中", "已成交", "无意向", "已流失"]


def add_stages(apps, schema_editor):
    Stage = apps.get_model("records", "Stage")
    if not Stage.objects.exists():
        Stage.objects.bulk_create(
            Stage(name=name, order=10 * (n + 1)) for n, name in enumerate(DEFAULT_STAGES)
        )


class Migration(migrations.Migration):
    dependencies = [("records", "0001_records")]
    operations = [migrations.RunPython(add_stages, migrations.RunPython.noop)]
