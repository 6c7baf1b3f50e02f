"""Extending a deadline for good cause, with the notice given to the parties.

Only the clocks the district sets may be extended (``clocks.EXTENDABLE_KINDS``: the current
stage's deadline, including the investigation's, and an appeal window). The legal clocks are
never extended: the 48-hour takedown duty binds the platform (TAKE IT DOWN Act sec. 3(a)(3)),
and a report deadline is set by state law.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import clocks, event_details
from ..audit import case_event_record
from ..models import Case, DeadlineExtension, Determination
from ..permissions import Action
from .common import require, require_open, require_same_case, stamp

LEGAL_CLOCK_REFUSAL = (
    "The 48-hour takedown clock and the deadlines of external reports are set by law "
    "(the TAKE IT DOWN Act and the state's reporting statute): they cannot be extended. "
    "Only a stage deadline (such as the investigation's) or an appeal window can be."
)


@transaction.atomic
def deadline_extend(
    *,
    actor,
    case: Case,
    clock: str,
    new_due_at: dt.datetime,
    reason: str,
    notice: str,
    determination: Determination | None = None,
) -> DeadlineExtension:
    """Extends the case's current stage deadline (``clock`` "stage") or a determination's
    appeal window ("appeal") to ``new_due_at`` for good cause, records the extension with the
    notice given to the parties and one ``deadline_extended`` event, and returns it.

    Raises ``TransitionForbidden`` unless the actor may decide on the case, and
    ``ValidationError`` for a legal clock (``LEGAL_CLOCK_REFUSAL``), a closed case, a missing
    reason or notice, a stage without a deadline, a determination of another case, or a new
    due time that is not later than both the current one and now."""
    require(actor, Action.DECIDE, case)
    require_open(case)
    if clock in clocks.LEGAL_KINDS:
        raise ValidationError(LEGAL_CLOCK_REFUSAL)
    if clock not in clocks.EXTENDABLE_KINDS:
        raise ValidationError(_("Choose the stage deadline or an appeal window."))
    reason, notice = (reason or "").strip(), (notice or "").strip()
    if not reason:
        raise ValidationError(_("Give the good cause for the extension; it is kept in the record."))
    if not notice:
        raise ValidationError(
            _("Record the notice given to the parties: to whom, how and when they were told.")
        )
    if timezone.is_naive(new_due_at):
        raise ValueError("The new due time must be timezone-aware.")
    locked = Case.objects.select_for_update().select_related("district", "school").get(pk=case.pk)
    if clock == DeadlineExtension.ClockKind.STAGE:
        current = clocks.stage_clock(locked)
        if not current.open:
            raise ValidationError(_("The case's current stage has no deadline to extend."))
        previous = locked.stage_due_at
        determination = None
    else:
        if determination is None:
            raise ValidationError(_("Choose the determination whose appeal window is extended."))
        require_same_case(locked, determination)
        previous = clocks.appeal_window_closes_at(determination, case=locked)
    now = timezone.now()
    if new_due_at <= previous or new_due_at <= now:
        raise ValidationError(
            _("The new due time must be later than the current one (%(due)s) and in the future.")
            % {"due": clocks.local_time_text(previous, clocks.case_zone(locked))}
        )
    row = DeadlineExtension.objects.create(
        case=locked,
        clock=clock,
        stage=locked.stage if clock == DeadlineExtension.ClockKind.STAGE else "",
        determination=determination,
        previous_due_at=previous,
        new_due_at=new_due_at,
        reason=reason,
        notice=notice,
        extended_by=actor,
        extended_at=now,
    )
    if clock == DeadlineExtension.ClockKind.STAGE:
        locked.stage_due_at = new_due_at
        # A reminder is keyed by its clock's due time (services/reminders.py): the new due
        # time gets its own reminders.
        stamp(locked, actor).save(update_fields=["stage_due_at", "updated_at"])
    case_event_record(
        case=locked,
        actor=actor,
        reason=reason,
        **event_details.deadline_extended(
            extension_id=row.pk,
            clock=clock,
            stage=row.stage,
            determination_id=determination.pk if determination else None,
            previous_due_at=previous,
            new_due_at=new_due_at,
        ),
    )
    return row
