"""Reports from anyone: filing a staff or public report, the messages between the district
and the reporter, and the incoming queue's three decisions (promote to a new case, merge into
an existing case, close with a reason).

Each function is one action in one transaction. A report that is not (yet) a case has no
timeline: its own history rows (``IncomingReport.history``, ``ReportMessage.history``, links of
the audit chain) record every change, by whom. Once a report is linked to a case, promoting,
merging and every later message also write a ``CaseEvent`` on the case.
"""

import secrets
from dataclasses import dataclass

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import event_details
from ..audit import case_event_record
from ..errors import TransitionForbidden
from ..models import Case, District, School
from ..models_intake import (
    IncomingReport,
    ReportMessage,
    ReportOutcome,
    ReportSource,
    ReportStatus,
)
from ..permissions import Action, user_can, user_can_anywhere, user_can_on_report
from .cases import case_create
from .common import require_open, stamp

# The tracking code's alphabet: digits and capitals without 0/O, 1/I/L, so that a code read
# aloud or copied by hand cannot be mistaken. 12 characters of 31: about 59 bits.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12

ALREADY_HANDLED = gettext_lazy(
    "This report was already handled by someone else; the page shows what was decided."
)


@dataclass(frozen=True)
class ReportInput:
    """The answers of a report form (``forms_reports``). ``learned_at``: an aware datetime,
    for staff reports; the other texts are already checked for size and pasted images."""

    what_happened: str
    school: School | None = None
    who_involved: str = ""
    where_seen: str = ""
    actions_taken: str = ""
    when_text: str = ""
    learned_at: object = None
    relation: str = ""
    reporter_name: str = ""
    reporter_contact: str = ""
    anonymous: bool = False


def tracking_code_new() -> str:
    """Returns a fresh random tracking code (``CODE_LENGTH`` characters of ``CODE_ALPHABET``,
    from ``secrets``); uniqueness is settled by the database."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def tracking_code_normalise(text: str) -> str:
    """Returns the code as stored: capitals, without spaces or dashes; "" for text that
    cannot be a code."""
    code = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return ""
    return code


def _report_new(district: District, data: ReportInput, **fields) -> IncomingReport:
    """The unsaved report of the district with the facts every report form gives (school,
    what happened, who, where, what was done) and the source's own ``fields``."""
    return IncomingReport(
        district=district,
        school=data.school,
        what_happened=data.what_happened,
        who_involved=data.who_involved,
        where_seen=data.where_seen,
        actions_taken=data.actions_taken,
        **fields,
    )


def _report_create(report: IncomingReport) -> IncomingReport:
    for _attempt in range(5):
        report.code = tracking_code_new()
        try:
            with transaction.atomic():
                report.save()
            return report
        except IntegrityError:
            continue  # a code already taken (about one chance in 10^17): draw again
    raise RuntimeError("Could not draw a free tracking code.")


def _school_check(school: School | None, district: District) -> None:
    if school is not None and school.district_id != district.pk:
        raise ValidationError({"school": _("Choose a school of this district.")})


@transaction.atomic
def staff_report_file(*, actor, data: ReportInput) -> IncomingReport:
    """Files an employee's report in their district's incoming queue and returns it (its
    ``code`` is the receipt's reference). Raises ``TransitionForbidden`` unless the actor may
    file reports (FILE_REPORT), ``ValidationError`` for a school of another district or a
    missing ``learned_at``."""
    if not user_can_anywhere(actor, Action.FILE_REPORT):
        raise TransitionForbidden(_("You may not file a report here."))
    district = District.objects.get(pk=actor.district_id)
    _school_check(data.school, district)
    if data.learned_at is None:
        raise ValidationError({"learned_at": _("Say when you learned of it.")})
    report = _report_new(
        district,
        data,
        source=ReportSource.STAFF,
        learned_at=data.learned_at,
        relation="employee",
        reporter_name=actor.get_full_name() or actor.get_username(),
        submitted_by=actor,
        submitted_at=timezone.now(),
    )
    stamp(report, actor)
    return _report_create(report)


@transaction.atomic
def public_report_file(*, district: District, data: ReportInput, passphrase: str) -> IncomingReport:
    """Files a report from the district's public page and returns it; the reporter follows it
    with ``report.code`` and ``passphrase`` (stored only as a Django password hash). Raises
    ``ValidationError`` for a school of another district or a passphrase shorter than 8."""
    _school_check(data.school, district)
    if len(passphrase or "") < 8:
        raise ValidationError({"passphrase": _("Choose a passphrase of at least 8 characters.")})
    report = _report_new(
        district,
        data,
        source=ReportSource.PUBLIC,
        passphrase_hash=make_password(passphrase),
        when_text=data.when_text,
        relation=data.relation,
        reporter_name="" if data.anonymous else data.reporter_name,
        reporter_contact=data.reporter_contact,
        anonymous=data.anonymous,
        submitted_at=timezone.now(),
    )
    return _report_create(report)


_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(make_password(secrets.token_urlsafe(16)))
    return _DUMMY_HASH[0]


def public_report_open(*, code: str, passphrase: str) -> IncomingReport | None:
    """Returns the public report with this tracking code when the passphrase matches it, and
    None otherwise. An unknown code costs the same as a known one (the password hasher runs
    against a stand-in hash), so neither the answer nor its timing tells whether a code
    exists. Staff reports are never opened this way (they have no passphrase)."""
    normalised = tracking_code_normalise(code)
    report = (
        IncomingReport.objects.filter(code=normalised, source=ReportSource.PUBLIC).first()
        if normalised
        else None
    )
    encoded = report.passphrase_hash if report is not None else _dummy_hash()
    matches = check_password(passphrase or "", encoded)
    return report if (report is not None and matches) else None


def _message_event(report: IncomingReport, actor, message: ReportMessage) -> None:
    if report.case_id is None:
        return
    case_event_record(
        case=report.case,
        actor=actor,
        **event_details.report_message(
            report_id=report.pk,
            code=report.code_display,
            message_id=message.pk,
            author=message.author_kind,
        ),
    )


@transaction.atomic
def report_message_from_reporter(*, report: IncomingReport, body: str) -> ReportMessage:
    """Adds the public reporter's message to their report (text only) and returns it; on a
    report linked to a case, the case's timeline records it too. Raises ``ValidationError``
    for an empty message or a closed report."""
    report = IncomingReport.objects.select_for_update().get(pk=report.pk)
    if report.source != ReportSource.PUBLIC:
        raise TransitionForbidden(_("Only a public report takes messages from its reporter."))
    if report.status == ReportStatus.CLOSED:
        raise ValidationError(_("This report is closed, so it cannot take new messages."))
    if not (body or "").strip():
        raise ValidationError({"body": _("Write a message first.")})
    message = ReportMessage.objects.create(
        report=report,
        author_kind=ReportMessage.Author.REPORTER,
        body=body.strip(),
        created_at=timezone.now(),
    )
    _message_event(report, None, message)
    return message


@transaction.atomic
def report_message_from_district(*, actor, report: IncomingReport, body: str) -> ReportMessage:
    """Sends the district's message to the reporter of a public report and returns it (the
    reporter reads it with their code and passphrase); on a report linked to a case, the
    case's timeline records it too. Raises ``TransitionForbidden`` unless the actor reviews
    the report (REVIEW_REPORTS) and ``ValidationError`` for an empty message or a staff report
    (reach an employee directly)."""
    report = IncomingReport.objects.select_for_update().get(pk=report.pk)
    if not user_can_on_report(actor, Action.REVIEW_REPORTS, report):
        raise TransitionForbidden(_("You may not do this on this report."))
    if report.source != ReportSource.PUBLIC:
        raise ValidationError(
            _("A staff report has no message box: speak with the employee directly.")
        )
    if not (body or "").strip():
        raise ValidationError({"body": _("Write a message first.")})
    message = ReportMessage(
        report=report,
        author_kind=ReportMessage.Author.DISTRICT,
        author=actor,
        body=body.strip(),
        created_at=timezone.now(),
    )
    stamp(message, actor)
    message.save()
    _message_event(report, actor, message)
    return message


def _lock_pending(*, actor, report: IncomingReport) -> IncomingReport:
    locked = IncomingReport.objects.select_for_update().get(pk=report.pk)
    if not user_can_on_report(actor, Action.REVIEW_REPORTS, locked):
        raise TransitionForbidden(_("You may not do this on this report."))
    if not locked.is_pending:
        raise ValidationError(ALREADY_HANDLED, code="already_handled")
    return locked


def _narrative(report: IncomingReport) -> str:
    parts = [
        (_("What happened"), report.what_happened),
        (_("Who is involved"), report.who_involved),
        (_("Where it was seen"), report.where_seen),
        (_("When"), report.when_text),
        (_("What was done so far"), report.actions_taken),
    ]
    return "\n\n".join(f"{label}: {text}" for label, text in parts if text)


def _handled(report: IncomingReport, actor, *, outcome: str, status: str, **fields):
    report.outcome = outcome
    report.status = status
    report.handled_by = actor
    report.handled_at = timezone.now()
    for name, value in fields.items():
        setattr(report, name, value)
    stamp(report, actor)  # moves the version on: a decision form of the old version is stale
    report.save()
    return report


def _into_case(report: IncomingReport, actor, outcome: str, case: Case, school, event) -> None:
    """Marks the report handled into ``case`` (``outcome``: promoted or merged; in hand, at
    ``school``) and records on the case's timeline the event ``event`` builds (an
    ``event_details`` builder taking the report's id, reference and source)."""
    _handled(report, actor, outcome=outcome, status=ReportStatus.IN_HAND, case=case, school=school)
    case_event_record(
        case=case,
        actor=actor,
        **event(report_id=report.pk, code=report.code_display, source=report.source),
    )


@transaction.atomic
def report_promote(*, actor, report: IncomingReport, school: School, title: str) -> Case:
    """Opens a new case at ``school`` from the report and returns it: the report's facts
    become the narrative, ``reported_at`` is when the district first knew (a staff report:
    when the employee learned of it; otherwise when the report arrived), so the
    report-obligation clocks start there. The report is linked to the case (its messages are
    then read from the case) and the case's timeline records the promotion. Raises
    ``TransitionForbidden`` unless the actor reviews the report and may open a case at the
    school; ``ValidationError`` when the report was already handled."""
    report = _lock_pending(actor=actor, report=report)
    staff = report.source == ReportSource.STAFF
    via = (_("Staff report %(code)s") if staff else _("Public report page, %(code)s")) % {
        "code": report.code_display
    }
    case = case_create(
        actor=actor,
        school=school,
        title=title,
        narrative=_narrative(report),
        # Title IX: the district's clocks run from its actual knowledge, which an employee's
        # knowledge is (34 CFR 106.30(a)); a public report is known when it arrives.
        reported_at=report.first_known_at,
        reported_by_name=report.reporter_name if staff else report.get_relation_display(),
        reporter_name="" if report.anonymous or staff else report.reporter_name,
        reporter_anonymous=report.anonymous,
        reported_via=via[:100],
    )
    _into_case(report, actor, ReportOutcome.PROMOTED, case, school, event_details.report_promoted)
    return case


@transaction.atomic
def report_merge(*, actor, report: IncomingReport, case: Case) -> IncomingReport:
    """Links the report to an existing open case of the same incident (several reports of
    one incident are common) and returns it; the case's timeline records the merge with the
    report's reference, and the report's facts stay on the report page. Raises
    ``TransitionForbidden`` unless the actor reviews the report and triages the case (another
    district's case: the same refusal); ``ValidationError`` for a closed case or a report
    already handled."""
    report = _lock_pending(actor=actor, report=report)
    if case.district_id != report.district_id or not user_can(actor, Action.TRIAGE, case):
        raise TransitionForbidden(_("You may not do this on this case."))
    require_open(case)
    _into_case(report, actor, ReportOutcome.MERGED, case, case.school, event_details.report_merged)
    return report


@transaction.atomic
def report_close(*, actor, report: IncomingReport, reason: str) -> IncomingReport:
    """Closes the report without a case, with the reason (kept in its history), and returns
    it; the reporter then sees "closed". Raises ``TransitionForbidden`` unless the actor
    reviews the report; ``ValidationError`` for an empty reason or a report already
    handled."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the report is closed.")})
    report = _lock_pending(actor=actor, report=report)
    return _handled(
        report,
        actor,
        outcome=ReportOutcome.CLOSED,
        status=ReportStatus.CLOSED,
        closed_reason=reason.strip(),
    )
