"""Helpers every service module shares: the permission check, the closed-case and same-case
checks, and the history stamp."""

from django.core.exceptions import ValidationError

from .. import choices as c
from ..errors import TransitionForbidden
from ..models import Case, CaseParty
from ..permissions import user_can

CLOSED_MESSAGE = "This case is closed; reopen it first to record anything."


def require(actor, action: str, case: Case) -> None:
    """Raises ``TransitionForbidden`` unless the actor may take ``action`` on the case."""
    if not user_can(actor, action, case):
        raise TransitionForbidden("You may not do this on this case.")


def require_open(case: Case) -> None:
    """Raises ``ValidationError`` when the case is closed. The stage is read from the
    database, not from the caller's copy, which may predate the closure."""
    stage = Case.objects.filter(pk=case.pk).values_list("stage", flat=True).first()
    if stage == c.Stage.CLOSED:
        raise ValidationError(CLOSED_MESSAGE, code="case_closed")


def require_same_case(case: Case, *objs) -> None:
    """Raises ``ValidationError`` unless each given record (a party, measure, takedown,
    report, evidence item; ``None`` is skipped) belongs to the case."""
    for obj in objs:
        if obj is None or obj.case_id == case.pk:
            continue
        if isinstance(obj, CaseParty):
            raise ValidationError("That person is not a party to this case.")
        raise ValidationError(f"That {obj._meta.verbose_name} belongs to another case.")


DEPICTED_NEVER_RESPONDENT = (
    "The depicted person is never treated as a wrongdoer for being in the imagery: the same "
    "person cannot be both depicted and a respondent in this case."
)


def require_not_depicted_and_respondent(case: Case, person, role: str, *, exclude=None) -> None:
    """Raises ``ValidationError`` when the person would hold both the depicted and the
    respondent role on the case (``exclude``: the party being changed)."""
    opposite = {
        c.PartyRole.DEPICTED: c.PartyRole.RESPONDENT,
        c.PartyRole.RESPONDENT: c.PartyRole.DEPICTED,
    }.get(role)
    if person is None or opposite is None:
        return
    others = CaseParty.objects.filter(case=case, person=person, role=opposite)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if others.exists():
        raise ValidationError(DEPICTED_NEVER_RESPONDENT)


def stamp(instance, actor):
    """Marks the instance so that its history row names the actor; returns it."""
    if getattr(actor, "pk", None):
        instance._history_user = actor
    return instance
