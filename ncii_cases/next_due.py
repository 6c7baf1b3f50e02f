"""The case's next due time (``Case.next_due_at``), stored so that the queue can sort and
filter on it with an index instead of computing it for every visible case on every load.

It is the earliest of: the stage's due time (none once the case is closed), the deadline of
each open takedown request (submitted or reappeared) and the due time of each pending
external report. ``case_next_due_refresh`` recomputes it in SQL with one UPDATE. Signal
receivers call it in the transaction of every write that can change an input:

- ``Case`` saved (workflow transitions, closing and reopening, the harm assessment's new
  stage clock, intake, admin edits) — skipped when ``update_fields`` names no input;
- ``TakedownRequest`` saved or deleted (create, submit, status updates, clocks);
- ``ExternalReport`` saved or deleted (sync and withdrawal, report made, not required).

Writes that bypass ``save()`` (``QuerySet.update``, ``bulk_create``) must call the function
themselves; ``seed_bench`` computes the value in its bulk load. The refresh locks the case row
and UPDATEs one column through the query set: it leaves no history row and no case event.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Case as When_
from django.db.models import DateTimeField, Min, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce, Least, NullIf

FAR_FUTURE = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
OPEN_TAKEDOWN_STATUSES = ("submitted", "reappeared")
PENDING_REPORT_STATUS = "pending"
CLOSED_STAGE = "closed"
INPUT_FIELDS = frozenset({"stage", "stage_due_at", "next_due_at"})


def _min_due(model, **filters):
    rows = (
        model.objects.filter(case=OuterRef("pk"), due_at__isnull=False, **filters)
        .order_by()
        .values("case")
        .annotate(due=Min("due_at"))
        .values("due")
    )
    return Subquery(rows, output_field=DateTimeField())


def next_due_expression(takedown_model, report_model):
    """The SQL expression of a case's next due time, over the given models (the app's or a
    migration's historical ones)."""
    far = Value(FAR_FUTURE, output_field=DateTimeField())
    # A withdrawn request (entered by mistake) runs no clock.
    takedown_due = _min_due(
        takedown_model, status__in=OPEN_TAKEDOWN_STATUSES, withdrawn_at__isnull=True
    )
    report_due = _min_due(report_model, status=PENDING_REPORT_STATUS)
    stage_due = When_(
        When(stage=CLOSED_STAGE, then=Value(None, output_field=DateTimeField())),
        default="stage_due_at",
        output_field=DateTimeField(),
    )
    return NullIf(
        Least(Coalesce(stage_due, far), Coalesce(takedown_due, far), Coalesce(report_due, far)),
        far,
    )


def case_next_due_refresh(case_id: int) -> None:
    """Recomputes and stores the case's next due time: the case row is locked first, then
    one UPDATE computes the value in SQL. The lock matters on PostgreSQL: two transactions
    changing two takedown requests of one case at once would otherwise each compute from a
    snapshot without the other's change, and the second to commit would store a stale value;
    with the lock, the second UPDATE starts after the first commit and reads it. The lock is
    FOR NO KEY UPDATE (the UPDATE's own), which does not conflict with the key-share locks
    that inserting a request or a report takes on the case row."""
    from .models import Case, ExternalReport, TakedownRequest

    if case_id is None:
        return
    with transaction.atomic(savepoint=False):
        row = Case.objects.select_for_update(no_key=True).filter(pk=case_id).values_list("pk")
        if not list(row):
            return  # gone (a case deleted with its requests)
        Case.objects.filter(pk=case_id).update(
            next_due_at=next_due_expression(TakedownRequest, ExternalReport)
        )


def _case_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    if update_fields is not None and not (INPUT_FIELDS & set(update_fields)):
        return
    case_next_due_refresh(instance.pk)


def _item_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    case_next_due_refresh(instance.case_id)


def signals_connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from .models import Case, ExternalReport, TakedownRequest

    post_save.connect(_case_saved, sender=Case, dispatch_uid="ncii_next_due_case")
    for model in (TakedownRequest, ExternalReport):
        label = model._meta.model_name
        post_save.connect(_item_changed, sender=model, dispatch_uid=f"ncii_next_due_{label}_s")
        post_delete.connect(_item_changed, sender=model, dispatch_uid=f"ncii_next_due_{label}_d")
