"""External reports: a row for each report a case triggers, and what was done about each.

Which reports a case triggers is asked of ``ncii_cases.obligations`` (the case facts: parties
and their age in the imagery, kind of imagery, conduct, the harm assessment); the catalog of
obligations (``policies.ReportingObligation``) holds agencies and triggers, and the district's
reporting profile (``policies.ReportingProfile``) which of them it reports, their deadlines
and whether a report has two steps (oral, then written: one row and one clock each). A
deadline counts from ``Case.reported_at``: the moment a district employee learned of the case,
which is when mandated-reporting clocks start.
"""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import event_details
from ..audit import case_event_record
from ..clocks import done_in_time, report_due_at
from ..dates import dates_check
from ..models import Case, ExternalReport
from ..obligations import duties_triggered, report_key
from ..permissions import Action
from .common import require, require_open, stamp
from .corrections import StaleRecord, require_version


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
        (r.obligation_id, r.step): r
        for r in ExternalReport.objects.filter(case=case, obligation__isnull=False).select_related(
            "obligation"
        )
    }
    wanted = [(duty, step) for duty in duties_triggered(case) for step in duty.steps]
    wanted_keys = {(duty.obligation.pk, step.step) for duty, step in wanted}
    stale = [
        r
        for key, r in rows.items()
        if key not in wanted_keys and r.status == ExternalReport.Status.PENDING
    ]
    if stale:
        explanation = (
            "No longer required: the recorded facts (parties, ages, kind of imagery or "
            "conduct) or the district's reporting profile changed and no longer trigger "
            "this report."
        )
        for report in stale:
            report.status = ExternalReport.Status.NO_LONGER_REQUIRED
            report.explanation = explanation
            stamp(report, actor).save()
        case_event_record(
            case=case,
            actor=actor,
            reason=explanation,
            **event_details.reports_withdrawn(
                report_ids=[r.pk for r in stale],
                obligations=[r.obligation.slug for r in stale],
                agencies=[r.agency_label for r in stale],
            ),
        )
    created, reopened = [], []
    for duty, step in wanted:
        existing = rows.get((duty.obligation.pk, step.step))
        if existing is not None:
            if existing.status == ExternalReport.Status.NO_LONGER_REQUIRED:
                existing.status = ExternalReport.Status.PENDING
                existing.explanation = ""
                stamp(existing, actor).save()
                reopened.append(existing)
            continue
        report = ExternalReport(
            case=case,
            obligation=duty.obligation,
            agency=duty.obligation.agency,
            agency_kind=duty.obligation.agency_kind,
            step=step.step,
            triggered_at=now,
            due_at=report_due_at(case.reported_at, step.deadline_hours),
        )
        stamp(report, actor).save()
        created.append(report)
    if created or reopened:
        case_event_record(
            case=case,
            actor=actor,
            **event_details.reports_triggered(
                report_ids=[r.pk for r in created + reopened],
                obligations=[r.obligation.slug for r in created + reopened],
                agencies=[r.agency_label for r in created + reopened],
                reopened_ids=[r.pk for r in reopened],
            ),
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
        raise ValidationError(_("Enter the reference number the agency gave."))
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
        **event_details.report_made(
            report_id=report.pk,
            agency_kind=report.agency_kind,
            reported_at=reported_at,
            on_time=done_in_time(reported_at, report.due_at),
        ),
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
        raise ValidationError(_("Explain why this report is not required."))
    report.status = ExternalReport.Status.NOT_REQUIRED
    report.explanation = explanation.strip()
    stamp(report, actor).save()
    case_event_record(
        case=report.case,
        actor=actor,
        reason=report.explanation,
        **event_details.report_not_required(report_id=report.pk, agency_kind=report.agency_kind),
    )
    return report


@dataclass(frozen=True)
class ReportDecision:
    """One row of the external reports page: ``key`` names the report (``report_key``: the
    row's id, or the obligation and step of a report the case triggers but has no row for
    yet), ``version`` the version of the row the page showed (None for a row not yet
    created), ``outcome`` "made" (with ``reported_at``, ``reference_number`` and
    ``contact_name``) or "not_required" (with ``explanation``)."""

    key: str
    outcome: str
    version: int | None = None
    reported_at: dt.datetime | None = None
    reference_number: str = ""
    contact_name: str = ""
    explanation: str = ""


@transaction.atomic
def external_reports_decide(
    *, actor, case: Case, decisions: list[ReportDecision]
) -> list[ExternalReport]:
    """Records the decisions of the external reports page in one transaction: first the rows
    of the reports the case triggers (``reports_sync_internal``, as "Check which reports are
    required" did), then each decision (``external_report_record_made`` or
    ``external_report_mark_not_required``, each with its event). Returns the rows decided.

    Raises ``Http404`` for a key that names no report of this case, ``StaleRecord`` when a
    row changed or was decided since the page showed it (or an existing row's decision comes
    without the version the page showed), and ``ValidationError`` when a
    report shown is no longer triggered or a decision lacks what it needs; nothing is saved
    then (the sync included)."""
    require(actor, Action.WORK, case)
    require_open(case)
    reports_sync_internal(actor=actor, case=case)
    found = list(ExternalReport.objects.filter(case=case))
    rows = {report_key(r): r for r in found}
    rows.update(
        {
            report_key(obligation_id=r.obligation_id, step=r.step): r
            for r in found
            if r.obligation_id
        }
    )
    done = []
    for decision in decisions:
        report = rows.get(decision.key)
        if report is None:
            if not decision.key.startswith("o"):
                raise Http404("No such report.")
            raise ValidationError(
                _(
                    "A report shown is no longer required by the recorded facts. Nothing was "
                    "saved: check the reports again."
                )
            )
        if report.status != ExternalReport.Status.PENDING:
            raise StaleRecord()
        if decision.version is None and not decision.key.startswith("o"):
            # A row the page showed carries its version; one sent without it cannot show that
            # nobody changed the report since: refused as changed, never decided blindly.
            raise StaleRecord()
        version = decision.version if decision.version is not None else report.version
        if decision.outcome == "made":
            done.append(
                external_report_record_made(
                    actor=actor,
                    report=report,
                    reported_at=decision.reported_at,
                    reference_number=decision.reference_number,
                    contact_name=decision.contact_name,
                    version=version,
                )
            )
        else:
            done.append(
                external_report_mark_not_required(
                    actor=actor, report=report, explanation=decision.explanation, version=version
                )
            )
    return done
