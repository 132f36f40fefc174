"""Indexes the KPIs of a month need on a million work orders (bench/README.md): completion and
cancellation time with creation time (the backlog at a moment), duplicates by creation time (so
that SQLite reads the period's range rather than every order that is not a duplicate), and the
repeat-fault probe covering the duplicate link."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('servicedesk', '0006_rebuild_search_text'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='workorder',
            name='wo_completed_at',
        ),
        migrations.RemoveIndex(
            model_name='workorder',
            name='wo_cancelled_at',
        ),
        migrations.RemoveIndex(
            model_name='workorder',
            name='wo_location_category_created',
        ),
        migrations.AddIndex(
            model_name='workorder',
            index=models.Index(fields=['completed_at', 'created'], name='wo_completed_created'),
        ),
        migrations.AddIndex(
            model_name='workorder',
            index=models.Index(fields=['cancelled_at', 'created'], name='wo_cancelled_created'),
        ),
        migrations.AddIndex(
            model_name='workorder',
            index=models.Index(fields=['duplicate_of', 'created'], name='wo_duplicate_created'),
        ),
        migrations.AddIndex(
            model_name='workorder',
            index=models.Index(fields=['location', 'category', 'created', 'duplicate_of'], name='wo_repeat_probe'),
        ),
        # The planner's statistics, for the new indexes (SQLite and PostgreSQL alike).
        migrations.RunSQL('ANALYZE servicedesk_workorder', migrations.RunSQL.noop, elidable=True),
    ]
