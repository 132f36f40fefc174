"""Recompute search_text with the current pinyin keys: brackets and full-width punctuation in a
name no longer break its initials, so "abbwb" finds a team named "安保班(外包)"."""

from django.db import migrations

from houqin.core.pinyin import rebuild_search_text

# The models' search_fields when this was written (a historical model does not carry them).
SEARCH_FIELDS = {
    "Site": ("name", "short_name"),
    "Location": ("name", "full_name"),
    "Department": ("name",),
    "Company": ("name",),
    "Trade": ("name",),
    "Team": ("name",),
    "Person": ("name",),
    "DirectoryEntry": ("label",),
}


def rebuild(apps, schema_editor):
    for model_name, fields in SEARCH_FIELDS.items():
        rebuild_search_text(apps.get_model("org", model_name), fields)


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0002_verbose_names"),
    ]

    operations = [
        # Going back keeps the recomputed keys: a row gets the older key again at its next save.
        migrations.RunPython(rebuild, migrations.RunPython.noop, elidable=True),
    ]
