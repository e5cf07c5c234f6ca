from django.db import migrations


def create_builtin(apps, schema_editor):
    ContentFilter = apps.get_model("filters", "ContentFilter")
    ContentFilter.objects.get_or_create(
        resource=None,
        name="Default",
        defaults={"is_builtin": True, "description": "Built-in default, read-only."},
    )


class Migration(migrations.Migration):
    dependencies = [("filters", "0001_initial")]
    operations = [migrations.RunPython(create_builtin, migrations.RunPython.noop)]
