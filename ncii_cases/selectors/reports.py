"""Reads of the reports from anyone, always through the permission policy: the incoming
queue, one report for its reviewer, a staff reporter's own reports, and what a reporter may
see of their report's progress (three words, never the case)."""

from django.http import Http404

from ncii_cases import choices as c
from ncii_cases.models import School
from ncii_cases.models_intake import IncomingReport, ReportStatus
from ncii_cases.permissions import (
    Action,
    cases_visible_to,
    reports_filed_by,
    reports_where,
    schools_where,
)


def reports_queue_for_user(*, user, pending: bool = True):
    """Returns the incoming reports the user reviews (REVIEW_REPORTS), newest first: those
    waiting for a decision (``pending``) or those already handled. None of another
    district."""
    rows = reports_where(user, Action.REVIEW_REPORTS).select_related("school", "case")
    return rows.filter(outcome="") if pending else rows.exclude(outcome="")


def report_get_for_user(*, user, pk) -> IncomingReport:
    """Returns the report if the user reviews it, with its messages prefetched; Http404
    otherwise (a report of another district or school does not exist for them)."""
    report = (
        reports_where(user, Action.REVIEW_REPORTS)
        .select_related("school", "case", "submitted_by", "handled_by")
        .prefetch_related("messages__author")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404("No such report.")
    return report


def own_reports_for_user(*, user):
    """Returns the staff reports the user filed, newest first, with what the reporter may
    see of each (``reporter_status``)."""
    return reports_filed_by(user).select_related("case")


def own_report_get(*, user, pk) -> IncomingReport:
    """Returns one staff report the user filed; Http404 for any other."""
    report = own_reports_for_user(user=user).filter(pk=pk).first()
    if report is None:
        raise Http404("No such report.")
    return report


def reporter_status(report: IncomingReport) -> str:
    """What the reporter sees of their report (a ``ReportStatus``): received; being handled
    once promoted or merged; closed when closed without a case or when its case is closed.
    Nothing else of the case."""
    if report.case_id is not None and report.case.stage == c.Stage.CLOSED:
        return ReportStatus.CLOSED
    return report.status


def reporter_status_label(report: IncomingReport) -> str:
    return ReportStatus(reporter_status(report)).label


def schools_to_promote_at(*, user):
    """The schools where the user may open a case from a report (TRIAGE)."""
    return schools_where(user, Action.TRIAGE).order_by("name")


def cases_to_merge_into(*, user, report: IncomingReport):
    """The open cases of the report's district the user triages, newest first: where a
    report of the same incident can be merged."""
    return (
        cases_visible_to(user, Action.TRIAGE)
        .filter(district_id=report.district_id)
        .exclude(stage=c.Stage.CLOSED)
        .order_by("-reported_at")
    )


def public_schools(*, district) -> "list[School]":
    return School.objects.filter(district=district).order_by("name")
