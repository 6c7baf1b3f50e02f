"""One lead at a time: a case has at most one active lead assignment (a partial unique
constraint). Changing the lead is its own step with a reason (``case_lead_change``).

A database where a case already has several active leads is not changed silently (every
change of a case is recorded with who and why): the migration stops and names the cases, so
that the extra leads are ended on the case page ("End an assignment", with a reason) first."""

from django.db import migrations, models
from django.db.models import Count


def refuse_several_leads(apps, schema_editor):
    CaseAssignment = apps.get_model("ncii_cases", "CaseAssignment")
    Case = apps.get_model("ncii_cases", "Case")
    crowded = (
        CaseAssignment.objects.filter(role="lead", ended_at__isnull=True)
        .values("case")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .values_list("case", flat=True)
    )
    references = sorted(Case.objects.filter(pk__in=list(crowded)).values_list("reference", flat=True))
    if references:
        raise RuntimeError(
            "These cases have more than one active lead: "
            + ", ".join(references)
            + ". A case now has one lead at a time. With the previous version, end the extra "
            "lead assignments on each case page (End an assignment, with a reason), then run "
            "the migration again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("ncii_cases", "0008_second_factor_enrollment"),
    ]

    operations = [
        migrations.RunPython(refuse_several_leads, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="caseassignment",
            constraint=models.UniqueConstraint(
                condition=models.Q(("ended_at__isnull", True), ("role", "lead")),
                fields=("case",),
                name="one_active_lead",
            ),
        ),
    ]
