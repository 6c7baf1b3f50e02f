"""Notifications to parents and guardians and notices to parties: who, when, how, what.

A support notice (information on help and resources) may be logged by support staff; other
notices (allegations, interviews, outcomes, parent notifications) need the WORK right.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import choices as c
from .. import event_details
from ..dates import dates_check
from ..models import Case, CaseParty, PartyNotice
from ..parents import party_is_eligible_student
from ..permissions import Action
from .common import require, require_open, require_same_case, row_add_recorded
from .several import raise_row_errors, row_errors


@transaction.atomic
def party_notice_record(
    *,
    actor,
    case: Case,
    party: CaseParty,
    recipient_name: str,
    kind: str,
    method: str,
    summary: str,
    sent_at: dt.datetime | None = None,
    eligible_student_basis: str = "",
    eligible_student_note: str = "",
) -> PartyNotice:
    """Logs a notice given to a party, or to a parent or guardian about a party, and
    returns it. ``party`` is the party the notice concerns.

    A parent notification about an eligible student (a student of 18 or over, whose FERPA
    rights are their own: 34 CFR 99.3, 99.5) needs ``eligible_student_basis``: the student's
    consent (99.30) or the exception relied on (99.31(a)(8) tax dependant, 99.31(a)(10)
    health or safety emergency, another), with ``eligible_student_note`` saying when and how;
    without them it is refused with that reason (``ValidationError`` keyed by field)."""
    require(actor, Action.SUPPORT if kind == PartyNotice.Kind.SUPPORT else Action.WORK, case)
    require_open(case)
    require_same_case(case, party)
    if not summary.strip():
        raise ValidationError(_("Write in a few sentences what was said or sent."))
    dates_check("notice", {"sent_at": sent_at})
    eligible = kind == PartyNotice.Kind.PARENT_NOTIFICATION and party_is_eligible_student(
        CaseParty.objects.select_related("person").get(pk=party.pk)
    )
    if eligible:
        errors = {}
        if eligible_student_basis not in c.EligibleStudentBasis.values:
            errors["eligible_student_basis"] = (
                f"{party.display_name} is 18 or over: an eligible student, whose rights are "
                "their own (FERPA). Tell the student directly; a notice to a parent needs the "
                "student's consent or a FERPA exception: choose which."
            )
        if not eligible_student_note.strip():
            errors["eligible_student_note"] = (
                "Say when and how the student consented, or the facts of the exception."
            )
        if errors:
            raise ValidationError(errors)
    else:
        # The basis belongs only to a parent notice about an eligible student.
        eligible_student_basis, eligible_student_note = "", ""
    notice = PartyNotice(
        case=case,
        party=party,
        recipient_name=recipient_name.strip(),
        kind=kind,
        method=method,
        sent_at=sent_at or timezone.now(),
        sent_by=actor,
        summary=summary.strip(),
        eligible_student_basis=eligible_student_basis,
        eligible_student_note=eligible_student_note.strip(),
    )
    return row_add_recorded(
        notice,
        actor,
        lambda row: event_details.notice_logged(
            notice_id=row.pk,
            party_id=party.pk,
            kind=kind,
            method=method,
            eligible_student_basis=eligible_student_basis if eligible else None,
        ),
    )


@dataclass(frozen=True)
class NoticeRow:
    """One person's row of a notice logged for several people: the party the notice concerns,
    who was given it, and for a parent notice about an eligible student the FERPA basis and
    its note. ``key`` is the caller's name of the row (its errors come back keyed
    ``"<key>-<field>"``)."""

    party: CaseParty
    recipient_name: str
    eligible_student_basis: str = ""
    eligible_student_note: str = ""
    key: str = ""


@transaction.atomic
def party_notices_record(
    *,
    actor,
    case: Case,
    rows: list[NoticeRow],
    kind: str,
    method: str,
    summary: str,
    sent_at: dt.datetime | None = None,
) -> list[PartyNotice]:
    """Logs the same notice (kind, how, when, what) for each row, one ``PartyNotice`` and one
    event each, in one transaction, and returns them in the rows' order.

    Each row is checked by ``party_notice_record`` (rights, the case's party, the FERPA rule
    of a parent notice about an eligible student). When any row is refused, nothing is saved
    and one ``ValidationError`` lists every refused row's errors, each naming the person
    (keyed ``"<row key>-<field>"``, see ``several.row_errors``); no row at all is refused
    with a ``party`` error."""
    if not rows:
        raise ValidationError({"party": _("Tick at least one person.")})
    notices, errors = [], {}
    for row in rows:
        try:
            notices.append(
                party_notice_record(
                    actor=actor,
                    case=case,
                    party=row.party,
                    recipient_name=row.recipient_name,
                    kind=kind,
                    method=method,
                    summary=summary,
                    sent_at=sent_at,
                    eligible_student_basis=row.eligible_student_basis,
                    eligible_student_note=row.eligible_student_note,
                )
            )
        except ValidationError as exc:
            for field, messages in row_errors(
                key=row.key, name=row.party.display_name, exc=exc
            ).items():
                errors.setdefault(field, []).extend(messages)
    raise_row_errors(errors)
    return notices
