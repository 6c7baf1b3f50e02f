"""Parent-notification decisions for minor parties, and the written reason when no
supportive measure is offered to a person shown. Each write is one action with its event;
corrections and withdrawals go through ``services.corrections`` like every case record.

The rules (who is a minor now, an eligible student, what closure still needs) live in
``ncii_cases.parents``; their sources are cited there and in docs/policy-rules.md.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import choices as c
from .. import event_details
from ..dates import dates_check
from ..models import Case, CaseParty, ParentNotificationDecision, SupportNotOffered
from ..parents import DECIDED_ROLES, party_is_eligible_student, party_is_minor_now
from ..permissions import Action, user_can
from .common import require, require_open, require_same_case, row_add_recorded
from .several import raise_row_errors, row_errors

D = ParentNotificationDecision.Decision


def parent_decision_problems(
    *,
    decision: str,
    delay_until: dt.date | None,
    review_on: dt.date | None,
    risks: list[str],
    explanation: str,
    student_wishes: str,
) -> dict[str, str]:
    """Returns ``{field: message}`` for what a decision lacks (empty when complete): a delay
    needs its day, a delay or a decision not to notify needs its reasons and a review date,
    and every decision the student's wishes. Also used by ``record_correct``'s callers."""
    errors = {}
    if decision not in D.values:
        errors["decision"] = "Choose notify now, delay until a date, or do not notify."
        return errors
    if not (student_wishes or "").strip():
        errors["student_wishes"] = (
            "Write down what the student asked for; if they were not asked, say why."
        )
    unknown = set(risks or []) - set(c.NotificationRisk.values)
    if unknown:
        errors["risks"] = "Choose the risks from the list."
    if decision == D.DELAY and delay_until is None:
        errors["delay_until"] = "Give the day until which the notice is delayed."
    if decision != D.DELAY and delay_until is not None:
        errors["delay_until"] = "Only a delay has a day; leave it empty for this decision."
    if decision in (D.DELAY, D.DO_NOT_NOTIFY):
        if not (explanation or "").strip():
            errors["explanation"] = (
                "Give the reasons for delaying or not notifying (the risks weighed)."
            )
        if review_on is None:
            errors["review_on"] = "Set the day this decision is looked at again."
    if c.NotificationRisk.OTHER in (risks or []) and not (explanation or "").strip():
        errors["explanation"] = "Explain the other risk."
    return errors


@transaction.atomic
def parent_decision_record(
    *,
    actor,
    case: Case,
    party: CaseParty,
    decision: str,
    student_wishes: str,
    approved_by,
    risks: list[str] | None = None,
    explanation: str = "",
    delay_until: dt.date | None = None,
    review_on: dt.date | None = None,
) -> ParentNotificationDecision:
    """Records whether the parents or guardians of a minor party are told (notify now, delay
    until ``delay_until``, do not notify), with the student's wishes, the risks weighed, the
    approver (a user who may triage or decide the case) and the review day (a local date).

    Raises ``TransitionForbidden`` without the WORK right, ``ValidationError`` (keyed by
    field) for a party that is not a minor shown, respondent or witness of the case, an
    eligible student (18 or over, FERPA 34 CFR 99.5: their rights are their own), a party
    that already has a current decision (correct it instead), an approver without the right,
    a broken date rule or a missing reason."""
    require(actor, Action.WORK, case)
    require_open(case)
    require_same_case(case, party)
    party = CaseParty.objects.select_related("person").get(pk=party.pk)
    if party.is_withdrawn or party.role not in DECIDED_ROLES:
        raise ValidationError(
            {"party": "A decision is recorded for a person shown, a respondent or a witness."}
        )
    if party_is_minor_now(party) is False:
        raise ValidationError(
            {
                "party": f"{party.display_name} is 18 or over"
                + (
                    ": an eligible student, whose rights are their own (FERPA). Notices go to "
                    "them; a notice to a parent needs their consent or a recorded exception."
                    if party_is_eligible_student(party)
                    else "; their parents are not notified by the district."
                )
            }
        )
    if ParentNotificationDecision.objects.current().filter(case=case, party=party).exists():
        raise ValidationError(
            {"party": "This person already has a decision: correct it (with the reason) instead."}
        )
    if approved_by is None or not (
        user_can(approved_by, Action.TRIAGE, case) or user_can(approved_by, Action.DECIDE, case)
    ):
        raise ValidationError(
            {"approved_by": "The approver must be a coordinator or administrator of the case."}
        )
    risks = list(dict.fromkeys(risks or []))
    errors = parent_decision_problems(
        decision=decision,
        delay_until=delay_until,
        review_on=review_on,
        risks=risks,
        explanation=explanation,
        student_wishes=student_wishes,
    )
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    dates_check(
        "parent_decision",
        {"decided_at": now, "delay_until": delay_until, "review_on": review_on},
    )
    row = ParentNotificationDecision(
        case=case,
        party=party,
        decision=decision,
        delay_until=delay_until,
        student_wishes=student_wishes.strip(),
        risks=risks,
        explanation=(explanation or "").strip(),
        approved_by=approved_by,
        review_on=review_on,
        decided_at=now,
        recorded_by=actor,
    )
    return row_add_recorded(
        row,
        actor,
        lambda row: event_details.parent_decision_recorded(
            decision_id=row.pk,
            party_id=party.pk,
            decision=decision,
            delay_until=delay_until,
            review_on=review_on,
            risks=risks,
            approved_by_id=approved_by.pk,
        ),
    )


@transaction.atomic
def support_not_offered_record(
    *, actor, case: Case, party: CaseParty, reason: str
) -> SupportNotOffered:
    """Records why no supportive measure was offered to a person shown (the record that the
    response was not deliberately indifferent, 34 CFR 106.44(a); Davis v. Monroe County).

    Raises ``TransitionForbidden`` without the SUPPORT right, ``ValidationError`` for a party
    that is not a current person shown of the case, or without a reason."""
    require(actor, Action.SUPPORT, case)
    require_open(case)
    require_same_case(case, party)
    if party.is_withdrawn or party.role != c.PartyRole.DEPICTED:
        raise ValidationError({"party": "This record is for a person shown in the imagery."})
    if not (reason or "").strip():
        raise ValidationError({"reason": "Write down why no supportive measure was offered."})
    row = SupportNotOffered(
        case=case,
        party=party,
        reason=reason.strip(),
        recorded_at=timezone.now(),
        recorded_by=actor,
    )
    return row_add_recorded(
        row,
        actor,
        lambda row: event_details.support_not_offered(record_id=row.pk, party_id=party.pk),
        reason=row.reason,
    )


@dataclass(frozen=True)
class ParentDecisionRow:
    """One student's row of the decisions recorded together: the party and the decision's
    fields as ``parent_decision_record`` takes them. ``key`` is the caller's name of the row
    (its errors come back keyed ``"<key>-<field>"``)."""

    party: CaseParty
    decision: str
    student_wishes: str
    risks: list[str] = field(default_factory=list)
    explanation: str = ""
    delay_until: dt.date | None = None
    review_on: dt.date | None = None
    key: str = ""


@transaction.atomic
def parent_decisions_record(
    *, actor, case: Case, approved_by, rows: list[ParentDecisionRow]
) -> list[ParentNotificationDecision]:
    """Records a parent-notification decision for each row, all approved by ``approved_by``,
    in one transaction, and returns them in the rows' order.

    Each row is checked by ``parent_decision_record`` (a minor party of the case without a
    current decision, the approver's right, the date rules and reasons). When any row is
    refused, nothing is saved and one ``ValidationError`` lists every refused row's errors,
    each naming the student (keyed ``"<row key>-<field>"``; the approver's error under
    ``approved_by`` once); no row at all is refused."""
    if not rows:
        raise ValidationError(
            _("Choose the decision for at least one student (notify now, delay, or do not notify).")
        )
    decisions, errors = [], {}
    for row in rows:
        try:
            decisions.append(
                parent_decision_record(
                    actor=actor,
                    case=case,
                    party=row.party,
                    decision=row.decision,
                    student_wishes=row.student_wishes,
                    approved_by=approved_by,
                    risks=row.risks,
                    explanation=row.explanation,
                    delay_until=row.delay_until,
                    review_on=row.review_on,
                )
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "approved_by" in exc.error_dict:
                # The approver is chosen once for the page: said once, next to that choice.
                errors["approved_by"] = exc.message_dict["approved_by"]
                continue
            for name, messages in row_errors(
                key=row.key, name=row.party.display_name, exc=exc
            ).items():
                errors.setdefault(name, []).extend(messages)
    raise_row_errors(errors)
    return decisions
