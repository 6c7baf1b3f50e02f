"""Kept month tallies of the analytics facts (``analytics_months``): one row per school and
month reported holding every count of the analytics page, and on each fact row the tally it was
last counted in. The tallies of the cases already there are counted here, district by district
(a few seconds at 100,000 cases); later the analytics read counts again the months of the rows
it refreshes, and the hourly reconcile every month.
"""

import importlib

import django.db.models.deletion
from django.db import migrations, models

FACTS_TRIGGERS = importlib.import_module("ncii_cases.migrations.0029_case_facts_row_with_every_case")


def count_every_district(apps, schema_editor):
    facts = apps.get_model("ncii_cases", "CaseFacts")
    if not facts.objects.exists():
        return  # a new installation: nothing to count
    # The application's own counting, as of this migration (tables of later migrations unread).
    from ncii_cases.analytics_months import months_rebuild

    for district_id in facts.objects.values_list("district_id", flat=True).distinct():
        months_rebuild(district_id)


def sqlite_facts_triggers_drop(apps, schema_editor):
    """(Going back, on SQLite) Removing ``counted_in`` rebuilds the facts table: a new table
    renamed into place, and SQLite refuses the rename while a trigger names the table it
    replaces (the case table's facts triggers of 0029). They go first, and are made again
    once the table is back (``sqlite_facts_triggers_create``). PostgreSQL alters in place."""
    if schema_editor.connection.vendor == "sqlite":
        for sql in FACTS_TRIGGERS.SQLITE_DROP:
            schema_editor.execute(sql)


def sqlite_facts_triggers_create(apps, schema_editor):
    """(Going back, on SQLite) The facts triggers of 0029 again, on the rebuilt table."""
    if schema_editor.connection.vendor == "sqlite":
        for sql in FACTS_TRIGGERS.SQLITE_DROP + FACTS_TRIGGERS.SQLITE_CREATE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('ncii_cases', '0031_caseevent_case_newest_index'),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, sqlite_facts_triggers_create),
        migrations.CreateModel(
            name='AnalyticsMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('time_zone', models.CharField(max_length=64)),
                ('tally', models.JSONField(default=dict)),
                ('samples', models.JSONField(default=dict)),
                ('counted_at', models.DateTimeField(blank=True, null=True)),
                ('district', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='ncii_cases.district')),
                ('school', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, to='ncii_cases.school')),
            ],
            options={
                'verbose_name': 'analytics tally of a month',
                'verbose_name_plural': 'analytics tallies of months',
            },
        ),
        migrations.AddField(
            model_name='casefacts',
            name='counted_in',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='ncii_cases.analyticsmonth'),
        ),
        migrations.RunPython(migrations.RunPython.noop, sqlite_facts_triggers_drop),
        migrations.AddConstraint(
            model_name='analyticsmonth',
            constraint=models.UniqueConstraint(fields=('district', 'school', 'month'), name='analyticsmonth_unique'),
        ),
        migrations.AddConstraint(
            model_name='analyticsmonth',
            constraint=models.UniqueConstraint(condition=models.Q(('school__isnull', True)), fields=('district', 'month'), name='analyticsmonth_district_unique'),
        ),
        migrations.RunPython(count_every_district, migrations.RunPython.noop, elidable=True),
    ]
