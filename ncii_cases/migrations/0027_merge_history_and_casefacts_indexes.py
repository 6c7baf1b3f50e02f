# Joins the two index migrations made side by side (history rows by record, kept facts medians).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('ncii_cases', '0026_casefacts_median_indexes'),
        ('ncii_cases', '0026_history_previous_row_indexes'),
    ]

    operations = [
    ]
