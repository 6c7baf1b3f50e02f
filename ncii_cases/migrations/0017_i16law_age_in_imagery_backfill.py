"""Until now a party's "under 18" meant under 18 at the time of the conduct. A depicted person
so recorded was under 18 when the imagery was made (it existed by then): their age in the
imagery is "under 18". Nobody else's answer can be inferred; it stays "not known"."""

from django.db import migrations


def backfill(apps, schema_editor):
    CaseParty = apps.get_model("ncii_cases", "CaseParty")
    CaseParty.objects.filter(role="depicted", is_minor=True, age_in_imagery="unknown").update(
        age_in_imagery="under_18"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("ncii_cases", "0016_i16law_age_in_imagery"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
