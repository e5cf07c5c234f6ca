from django.db import migrations


def create_builtin(apps, schema_editor):
    Blocklist = apps.get_model("blocklists", "Blocklist")
    Blocklist.objects.get_or_create(
        resource=None,
        name="Profanity",
        defaults={
            "is_builtin": True,
            "description": "Built-in English profanity list, read-only. Selectable in any filter.",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("blocklists", "0001_initial")]
    operations = [migrations.RunPython(create_builtin, migrations.RunPython.noop)]
