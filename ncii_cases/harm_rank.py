"""The case's harm rank (``Case.harm_rank``), stored so that the queue can sort by harm level
with an index (district, harm_rank, reported_at, id) instead of joining every visible case to
its harm assessment and sorting them all on every load.

It is ``choices.LEVEL_RANK`` of the level of the case's harm assessment (low 1 ... critical 4),
0 when the case has no assessment or no level yet. A signal receiver refreshes it in the
transaction of every save or delete of a ``HarmAssessment`` (the harm service, corrections,
the admin). Writes that bypass ``save()`` (``bulk_create``: the benchmark's seeding) must call
``case_harm_rank_refresh`` (or write the value) themselves. The refresh UPDATEs one column
through the query set: it leaves no history row and no case event (``Case.history`` excludes
the column, as it does ``next_due_at``).
"""

from django.db.models import Case as When_
from django.db.models import IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce

from . import choices as c


def harm_rank_expression(harm_model):
    """The SQL expression of a case's harm rank over ``harm_model`` (the app's
    ``HarmAssessment`` or a migration's historical one), for an UPDATE of cases."""
    rank = When_(
        *[When(level=level, then=Value(rank)) for level, rank in c.LEVEL_RANK.items()],
        default=Value(0),
        output_field=IntegerField(),
    )
    row = harm_model.objects.filter(case_id=OuterRef("pk")).annotate(rank=rank).values("rank")
    return Coalesce(Subquery(row[:1], output_field=IntegerField()), Value(0))


def case_harm_rank_refresh(case_ids) -> int:
    """Recomputes and stores the harm rank of the cases with ``case_ids`` (an iterable of
    ids) in one UPDATE; returns the number of cases updated."""
    from .models import Case, HarmAssessment

    ids = [pk for pk in case_ids if pk is not None]
    if not ids:
        return 0
    return Case.objects.filter(pk__in=ids).update(harm_rank=harm_rank_expression(HarmAssessment))


def _assessment_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    case_harm_rank_refresh([instance.case_id])


def signals_connect() -> None:
    from django.db.models.signals import post_delete, post_save

    from .models import HarmAssessment

    post_save.connect(_assessment_changed, sender=HarmAssessment, dispatch_uid="ncii_harm_rank_s")
    post_delete.connect(_assessment_changed, sender=HarmAssessment, dispatch_uid="ncii_harm_rank_d")
