"""The deadlines are the reporting profile's now (0004 copied them): the catalog's column goes.
The column first gets a default so that going back re-creates it over existing rows (0004's
reverse then writes each row's deadline back from the profile)."""

from django.db import migrations, models


def _with_default():
    return models.PositiveIntegerField(
        default=24,
        help_text="Hours from the moment staff learned of the case. State laws differ: set yours.",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("policies", "0004_i16law_profile_seed"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicalreportingobligation",
            name="deadline_hours",
            field=_with_default(),
        ),
        migrations.AlterField(
            model_name="reportingobligation",
            name="deadline_hours",
            field=_with_default(),
        ),
        migrations.RemoveField(
            model_name="historicalreportingobligation",
            name="deadline_hours",
        ),
        migrations.RemoveField(
            model_name="reportingobligation",
            name="deadline_hours",
        ),
    ]
