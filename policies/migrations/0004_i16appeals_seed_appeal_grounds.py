"""Seeds the three appeal grounds of 34 CFR 106.45(b)(8)(i) as shared rows of the appeal
grounds catalog; a district adds its own grounds (106.45(b)(8)(ii)) in the admin."""

from django.db import migrations
from django.utils import timezone

SEED_REASON = "Seeded: appeal grounds of 34 CFR 106.45(b)(8)(i)"
UNSEED_REASON = "Unseeded: migration reversed"

GROUNDS = [
    {
        "slug": "procedural-irregularity",
        "name": "Procedural irregularity that affected the outcome",
        "description": "A step of the process was not followed, and it changed the outcome.",
        "legal_basis": "34 CFR 106.45(b)(8)(i)(A)",
    },
    {
        "slug": "new-evidence",
        "name": "New evidence that was not reasonably available and could affect the outcome",
        "description": "Evidence that could not reasonably have been known when the decision "
        "was made.",
        "legal_basis": "34 CFR 106.45(b)(8)(i)(B)",
    },
    {
        "slug": "conflict-or-bias",
        "name": "Conflict of interest or bias that affected the outcome",
        "description": "The coordinator, an investigator or the decision-maker had a conflict "
        "of interest or bias for or against complainants or respondents generally, or this "
        "complainant or respondent.",
        "legal_basis": "34 CFR 106.45(b)(8)(i)(C)",
    },
]


def _history(apps, obj, history_type, reason):
    historical = apps.get_model("policies", "HistoricalAppealGround")
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    historical.objects.create(
        history_date=timezone.now(),
        history_type=history_type,
        history_change_reason=reason,
        **values,
    )


def seed(apps, schema_editor):
    AppealGround = apps.get_model("policies", "AppealGround")
    for position, row in enumerate(GROUNDS, start=1):
        values = dict(row)
        slug = values.pop("slug")
        obj, created = AppealGround.objects.get_or_create(
            district=None,
            slug=slug,
            defaults={**values, "sort_order": position * 10, "active": True},
        )
        if created:
            _history(apps, obj, "+", SEED_REASON)


def unseed(apps, schema_editor):
    AppealGround = apps.get_model("policies", "AppealGround")
    for obj in AppealGround.objects.filter(
        district__isnull=True, slug__in=[g["slug"] for g in GROUNDS]
    ):
        _history(apps, obj, "-", UNSEED_REASON)
        obj.delete()


class Migration(migrations.Migration):
    dependencies = [("policies", "0003_i16appeals_appeal_grounds")]

    operations = [migrations.RunPython(seed, unseed)]
