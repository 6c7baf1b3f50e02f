"""The catalog rows for respondents and witnesses, and the audience of the shared supportive
measures that fit every party (the schema is 0003_i16parents_measure_audience)."""

from django.db import migrations
from django.utils import timezone

# Shared supportive measures that fit every party (a mutual no-contact directive binds both).
FOR_ANY = ["counseling", "no-contact-directive", "academic-support", "escort-or-check-in"]

NEW_ROWS = [
    {
        "slug": "respondent-counseling-and-education",
        "name": "Counseling and education for a respondent",
        "kind": "supportive",
        "audience": "respondent",
        "description": (
            "Access to a counselor and to education on consent and the harm of sharing "
            "intimate imagery, offered as support (not a sanction) while the case is open."
        ),
    },
    {
        "slug": "respondent-schedule-change",
        "name": "Schedule change at the respondent's request",
        "kind": "supportive",
        "audience": "respondent",
        "description": (
            "Changes to the respondent's classes, lunch or activities that they ask for, so "
            "that they can keep learning; not punitive and not a finding."
        ),
    },
    {
        "slug": "witness-check-in",
        "name": "Witness check-ins and protection from retaliation",
        "kind": "supportive",
        "audience": "witness",
        "description": (
            "A trusted adult who checks in with the witness and a plan for what to do if "
            "anyone retaliates against them for taking part."
        ),
    },
]
SEED_REASON = "Catalog rows for respondents and witnesses (issue 16)."


def _history(apps, obj, history_type):
    historical = apps.get_model("policies", "HistoricalMeasure")
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    historical.objects.create(
        history_date=timezone.now(),
        history_type=history_type,
        history_change_reason=SEED_REASON,
        **values,
    )


def audiences_forward(apps, schema_editor):
    Measure = apps.get_model("policies", "Measure")
    for obj in Measure.objects.filter(district__isnull=True, slug__in=FOR_ANY, kind="supportive"):
        obj.audience = "any"
        obj.save(update_fields=["audience"])
        _history(apps, obj, "~")
    start = (Measure.objects.order_by("-sort_order").values_list("sort_order", flat=True).first() or 0)
    for position, row in enumerate(NEW_ROWS, start=1):
        values = dict(row)
        slug = values.pop("slug")
        obj, created = Measure.objects.get_or_create(
            district=None,
            slug=slug,
            defaults={**values, "sort_order": start + position * 10, "active": True},
        )
        if created:
            _history(apps, obj, "+")


def audiences_backward(apps, schema_editor):
    # A plain DELETE of the rows this migration added (the ORM's cascade would load the
    # related models of a later state of the other app, which this state does not know).
    Measure = apps.get_model("policies", "Measure")
    slugs = [r["slug"] for r in NEW_ROWS]
    placeholders = ", ".join(["%s"] * len(slugs))
    table = schema_editor.quote_name(Measure._meta.db_table)
    schema_editor.execute(
        f"DELETE FROM {table} WHERE district_id IS NULL AND slug IN ({placeholders})",  # noqa: S608  # nosec B608
        slugs,
    )
    Measure.objects.filter(district__isnull=True, slug__in=FOR_ANY).update(audience="complainant")


class Migration(migrations.Migration):
    dependencies = [("policies", "0006_merge_reporting_profile")]

    operations = [migrations.RunPython(audiences_forward, audiences_backward)]
