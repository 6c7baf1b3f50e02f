"""Helpers every service module shares: the permission check, the closed-case and same-case
checks, the history stamp, and the save of a new case row with its event."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .. import choices as c
from ..audit import case_event_record
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
            raise ValidationError(_("That person is not a party to this case."))
        raise ValidationError(
            _("That %(kind)s belongs to another case.") % {"kind": obj._meta.verbose_name}
        )


DEPICTED_NEVER_RESPONDENT = (
    "The depicted person is never treated as a wrongdoer for being in the imagery: the same "
    "person can be both depicted and a respondent in this case only for different images "
    "(shown in one, and sharing another). If that is what happened, say in the notes which "
    "image each role concerns."
)


def require_not_depicted_and_respondent(
    case: Case, person, role: str, *, exclude=None, facts: str = ""
) -> None:
    """Raises ``ValidationError`` when the person would hold both the depicted and the
    respondent role on the case (``exclude``: the party being changed) and ``facts`` does not
    say why (which image each role concerns). With the facts written, each role is its own
    party row."""
    if (facts or "").strip():
        return
    opposite = {
        c.PartyRole.DEPICTED: c.PartyRole.RESPONDENT,
        c.PartyRole.RESPONDENT: c.PartyRole.DEPICTED,
    }.get(role)
    if person is None or opposite is None:
        return
    others = CaseParty.objects.current().filter(case=case, person=person, role=opposite)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if others.exists():
        raise ValidationError(DEPICTED_NEVER_RESPONDENT)


def stamp(instance, actor):
    """Marks the instance so that its history row names the actor, and moves the version of
    an existing versioned record on by one (optimistic concurrency: a form opened on the old
    version is then refused); returns it. A save with ``update_fields`` must name
    ``"version"`` for the new version to be stored."""
    if getattr(actor, "pk", None):
        instance._history_user = actor
    if instance.pk is not None and hasattr(instance, "version"):
        instance.version = (instance.version or 0) + 1
    return instance


def row_add_recorded(row, actor, event, **extra):
    """Checks the new ``row`` (``full_clean``), saves it stamped for ``actor`` (its history
    row names them) and appends to the row's case's timeline the event ``event(row)`` builds:
    an ``event_details`` builder called once the row is saved, so that the event names its
    id. ``extra``: more keywords of ``audit.case_event_record`` (the event's ``reason``).
    Returns the row. Raises ``ValidationError`` from ``full_clean``; nothing is saved then."""
    row.full_clean()
    stamp(row, actor).save()
    case_event_record(case=row.case, actor=actor, **extra, **event(row))
    return row
