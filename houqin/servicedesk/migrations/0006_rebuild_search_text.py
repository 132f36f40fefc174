"""Recompute the service categories' search_text with the current pinyin keys: brackets and
full-width punctuation in a name no longer break its initials (see org 0003_rebuild_search_text)."""

from django.db import migrations

from houqin.core.pinyin import rebuild_search_text

# ServiceCategory.search_fields when this was written (a historical model does not carry them).
SEARCH_FIELDS = {"ServiceCategory": ("name", "name_en")}


def rebuild(apps, schema_editor):
    for model_name, fields in SEARCH_FIELDS.items():
        rebuild_search_text(apps.get_model("servicedesk", model_name), fields)


class Migration(migrations.Migration):
    dependencies = [
        ("servicedesk", "0005_kpi_indexes"),
    ]

    operations = [
        # Going back keeps the recomputed keys: a row gets the older key again at its next save.
        migrations.RunPython(rebuild, migrations.RunPython.noop, elidable=True),
    ]
