"""Stores each case's next due time (``Case.next_due_at``) with an index for the queue, and
fills it for existing cases with one UPDATE. The (district, stage) index gains reported_at, for
the queue's new-reports panel (intake cases, oldest first). The expression is written out here rather than
imported, so that later changes to the app cannot change what this migration does."""

import datetime as dt

from django.db import migrations, models
from django.db.models import DateTimeField, Min, OuterRef, Subquery, Value, When
from django.db.models import Case as When_
from django.db.models.functions import Coalesce, Least, NullIf

FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def _min_due(model, **filters):
    rows = (
        model.objects.filter(case=OuterRef("pk"), due_at__isnull=False, **filters)
        .order_by()
        .values("case")
        .annotate(due=Min("due_at"))
        .values("due")
    )
    return Subquery(rows, output_field=DateTimeField())


def backfill(apps, schema_editor):
    Case = apps.get_model("ncii_cases", "Case")
    TakedownRequest = apps.get_model("ncii_cases", "TakedownRequest")
    ExternalReport = apps.get_model("ncii_cases", "ExternalReport")
    far = Value(FAR_FUTURE, output_field=DateTimeField())
    stage_due = When_(
        When(stage="closed", then=Value(None, output_field=DateTimeField())),
        default="stage_due_at",
        output_field=DateTimeField(),
    )
    earliest = Least(
        Coalesce(stage_due, far),
        Coalesce(_min_due(TakedownRequest, status__in=("submitted", "reappeared")), far),
        Coalesce(_min_due(ExternalReport, status="pending"), far),
    )
    Case.objects.update(next_due_at=NullIf(earliest, far))
    if schema_editor.connection.vendor == "postgresql":
        # Every row was rewritten: give the planner statistics of the new column at once.
        # (Run VACUUM on the table afterwards where autovacuum is off.)
        schema_editor.execute("ANALYZE ncii_cases_case")


class Migration(migrations.Migration):
    dependencies = [
        ("ncii_cases", "0005_audit_verification"),
        ("policies", "0002_seed_policy_catalogs"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="next_due_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="case", name="ncii_cases__distric_60c14c_idx"),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["district", "stage", "reported_at"], name="ncii_cases__distric_e33805_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                fields=["district", "next_due_at"], name="ncii_cases__distric_0a0306_idx"
            ),
        ),
    ]
