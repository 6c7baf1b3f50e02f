"""External reports: which reporting obligations a case triggers, and what was done about each.

Triggers come from the case facts (parties, kind of imagery, conduct); the catalog of
obligations (``policies.ReportingObligation``) holds agencies and deadlines, which districts
set to their state's law. A deadline counts from ``Case.reported_at``: the moment a district
employee learned of the case, which is when mandated-reporting clocks start.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from policies.models import ReportingObligation

from .. import choices as c
from ..audit import case_event_record
from ..clocks import done_in_time, report_due_at
from ..dates import dates_check
from ..events import EventType
from ..models import Case, CaseParty, ExternalReport
from ..permissions import Action
from .common import require, require_open, stamp
from .corrections import require_version

Trigger = ReportingObligation.Trigger
# Triggers that concern a minor: their decision cannot wait past the initial assessment.
MINOR_TRIGGERS = {
    Trigger.MINOR_DEPICTED,
    Trigger.AUTHENTIC_MINOR,
    Trigger.SEXTORTION,
    Trigger.ADULT_RESPONDENT_MINOR,
}


def case_minor_depicted(case: Case) -> bool:
    """Whether any depicted person is known to be under 18."""
    return (
        CaseParty.objects.current()
        .filter(case=case, role=c.PartyRole.DEPICTED, is_minor=True)
        .exists()
    )


def case_triggers(case: Case) -> set[str]:
    """Returns the obligation triggers the case's facts meet. Imagery found not intimate
    triggers nothing (the case leaves this policy)."""
    if case.is_intimate_imagery is False:
        return set()
    parties = list(CaseParty.objects.current().filter(case=case))
    minor = any(p.role == c.PartyRole.DEPICTED and p.is_minor for p in parties)
    respondents = [p for p in parties if p.role == c.PartyRole.RESPONDENT]
    coercion = case.conduct in (c.Conduct.SEXTORTION, c.Conduct.THREAT)
    assessment = getattr(case, "harm_assessment", None) if case.pk else None
    if assessment is not None and assessment.threats_or_sextortion:
        coercion = True
    triggers = set()
    if minor:
        triggers.add(Trigger.MINOR_DEPICTED)
        if case.ncii_kind == c.NciiKind.AUTHENTIC:
            triggers.add(Trigger.AUTHENTIC_MINOR)
        if coercion:
            triggers.add(Trigger.SEXTORTION)
        if any(p.is_minor is False for p in respondents):
            triggers.add(Trigger.ADULT_RESPONDENT_MINOR)
    if any(c.Affiliation.EMPLOYEE in p.affiliation_values for p in respondents):
        triggers.add(Trigger.EMPLOYEE_RESPONDENT)
    return triggers


def obligations_triggered(case: Case) -> list[ReportingObligation]:
    """Returns the district's active obligations whose trigger the case meets."""
    triggers = case_triggers(case)
    if not triggers:
        return []
    return list(
        ReportingObligation.objects.for_district(case.district)
        .filter(trigger__in=triggers)
        .order_by("sort_order", "pk")
    )


def obligations_undecided(case: Case, *, minors_only: bool = False) -> list[ReportingObligation]:
    """Returns triggered obligations with no recorded decision (report made, or not required
    with an explanation)."""
    decided = set(
        ExternalReport.objects.filter(case=case)
        .exclude(status=ExternalReport.Status.PENDING)
        .values_list("obligation_id", flat=True)
    )
    return [
        o
        for o in obligations_triggered(case)
        if o.pk not in decided and (not minors_only or o.trigger in MINOR_TRIGGERS)
    ]


@transaction.atomic
def external_reports_sync(*, actor, case: Case) -> list[ExternalReport]:
    """Creates an external-report row for each obligation the case triggers and has none yet
    (safe to call again), and returns the case's rows. Due time: reported_at + deadline."""
    require(actor, Action.WORK, case)
    require_open(case)
    return reports_sync_internal(actor=actor, case=case)


def reports_sync_internal(*, actor, case: Case) -> list[ExternalReport]:
    """``external_reports_sync`` without the permission check, for the services that change
    the facts a trigger reads (parties, facts, the harm assessment): they call it in their
    own transaction, after their own check, so that a triggered obligation gets its row and
    its clock at once.

    Nothing is ever deleted. A pending row (no decision recorded) whose obligation the facts
    no longer trigger, such as imagery found not intimate or a depicted person found to be
    18, is marked "no longer required" with the reason, and an event; a row so marked turns
    pending again (same row, same clock) if the facts trigger it again."""
    # Lock the case so that two syncs at once cannot both create the same report.
    case = Case.objects.select_for_update().get(pk=case.pk)
    now = timezone.now()
    rows = {
        r.obligation_id: r
        for r in ExternalReport.objects.filter(case=case, obligation__isnull=False).select_related(
            "obligation"
        )
    }
    triggered = obligations_triggered(case)
    triggered_ids = {o.pk for o in triggered}
    stale = [
        r
        for oid, r in rows.items()
        if oid not in triggered_ids and r.status == ExternalReport.Status.PENDING
    ]
    if stale:
        explanation = (
            "No longer required: the recorded facts (parties, ages, kind of imagery or "
            "conduct) changed and no longer trigger this obligation."
        )
        for report in stale:
            report.status = ExternalReport.Status.NO_LONGER_REQUIRED
            report.explanation = explanation
            stamp(report, actor).save()
        case_event_record(
            case=case,
            actor=actor,
            event_type=EventType.REPORTS_WITHDRAWN,
            reason=explanation,
            detail={
                "report_ids": [r.pk for r in stale],
                "obligations": [r.obligation.slug for r in stale],
                "agencies": [r.agency for r in stale],
            },
        )
    created, reopened = [], []
    for obligation in triggered:
        existing = rows.get(obligation.pk)
        if existing is not None:
            if existing.status == ExternalReport.Status.NO_LONGER_REQUIRED:
                existing.status = ExternalReport.Status.PENDING
                existing.explanation = ""
                stamp(existing, actor).save()
                reopened.append(existing)
            continue
        report = ExternalReport(
            case=case,
            obligation=obligation,
            agency=obligation.agency,
            agency_kind=obligation.agency_kind,
            triggered_at=now,
            due_at=report_due_at(case.reported_at, obligation.deadline_hours),
        )
        stamp(report, actor).save()
        created.append(report)
    if created or reopened:
        case_event_record(
            case=case,
            actor=actor,
            event_type=EventType.REPORTS_TRIGGERED,
            detail={
                "report_ids": [r.pk for r in created + reopened],
                "obligations": [r.obligation.slug for r in created + reopened],
                "agencies": [r.agency for r in created + reopened],
                "reopened_ids": [r.pk for r in reopened],
            },
        )
    return list(ExternalReport.objects.filter(case=case))


@transaction.atomic
def external_report_record_made(
    *,
    actor,
    report: ExternalReport,
    reported_at: dt.datetime,
    reference_number: str,
    contact_name: str = "",
    reported_by=None,
    version: int | None = None,
) -> ExternalReport:
    """Records that the report was made: who, when, to whom and the agency's reference."""
    report = ExternalReport.objects.select_for_update().get(pk=report.pk)
    require_version(report, version)
    require(actor, Action.WORK, report.case)
    require_open(report.case)
    if not reference_number.strip():
        raise ValidationError("Enter the reference number the agency gave.")
    dates_check("report", {"reported_at": reported_at})
    report.status = ExternalReport.Status.MADE
    report.reported_at = reported_at
    report.reported_by = reported_by or actor
    report.reference_number = reference_number.strip()
    report.contact_name = contact_name
    stamp(report, actor).save()
    case_event_record(
        case=report.case,
        actor=actor,
        event_type=EventType.REPORT_MADE,
        detail={
            "report_id": report.pk,
            "agency_kind": report.agency_kind,
            "reported_at": reported_at.isoformat(),
            "on_time": done_in_time(reported_at, report.due_at),
        },
    )
    return report


@transaction.atomic
def external_report_mark_not_required(
    *, actor, report: ExternalReport, explanation: str, version: int | None = None
) -> ExternalReport:
    """Records that no report is due, with the explanation (kept for the record)."""
    report = ExternalReport.objects.select_for_update().get(pk=report.pk)
    require_version(report, version)
    require(actor, Action.DECIDE, report.case)
    require_open(report.case)
    if not explanation.strip():
        raise ValidationError("Explain why this report is not required.")
    report.status = ExternalReport.Status.NOT_REQUIRED
    report.explanation = explanation.strip()
    stamp(report, actor).save()
    case_event_record(
        case=report.case,
        actor=actor,
        event_type=EventType.REPORT_NOT_REQUIRED,
        reason=report.explanation,
        detail={"report_id": report.pk, "agency_kind": report.agency_kind},
    )
    return report
