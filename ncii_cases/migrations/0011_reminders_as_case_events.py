# Reminders are case events now (ncii_cases.tasks.deadlines_remind): "already reminded" is
# read from the events, so the per-item marks that a bulk update set and a stage change cleared
# are gone. Runs before the history chain is backfilled (0008), whose hashes cover every column.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('ncii_cases', '0010_case_reporter_name_party_aliases'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='case',
            name='stage_overdue_notified_at',
        ),
        migrations.RemoveField(
            model_name='casemeasure',
            name='review_overdue_notified_at',
        ),
        migrations.RemoveField(
            model_name='externalreport',
            name='overdue_notified_at',
        ),
        migrations.RemoveField(
            model_name='historicalcase',
            name='stage_overdue_notified_at',
        ),
        migrations.RemoveField(
            model_name='historicalcasemeasure',
            name='review_overdue_notified_at',
        ),
        migrations.RemoveField(
            model_name='historicalexternalreport',
            name='overdue_notified_at',
        ),
        migrations.RemoveField(
            model_name='historicaltakedownrequest',
            name='overdue_notified_at',
        ),
        migrations.RemoveField(
            model_name='takedownrequest',
            name='overdue_notified_at',
        ),
    ]
