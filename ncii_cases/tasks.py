"""Background work. Tasks take ids, never personal data, and are safe to run twice.

Emails say which case (its reference) and what is due; never a narrative nor a name.
"""

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from . import choices as c

logger = logging.getLogger(__name__)


@shared_task
def health_probe() -> dict:
    """Proves the worker can reach the database: returns the database vendor and a count."""
    from .models import District

    return {"database": connection.vendor, "districts": District.objects.count()}


def case_staff_emails(case, roles=(c.AssignmentRole.LEAD, c.AssignmentRole.INVESTIGATOR)):
    """Returns the addresses of the case's active assignees in ``roles``; if there are none,
    those of the district's coordinators, so that no overdue item goes unseen."""
    from .models import User

    emails = list(
        case.assignments.filter(ended_at__isnull=True, role__in=roles)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    if not emails:
        emails = list(
            User.objects.filter(
                district_id=case.district_id, is_active=True, groups__name=c.Role.COORDINATOR
            )
            .exclude(email="")
            .values_list("email", flat=True)
        )
    return sorted(set(emails))


def _send(subject: str, body: str, recipients: list[str]) -> int:
    if not recipients:
        return 0
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


@shared_task
def transition_notify(event_id: int) -> int:
    """Emails the case's assigned staff that the case moved to a new stage; returns the
    number of emails sent."""
    from .models import CaseEvent

    event = CaseEvent.objects.select_related("case").filter(pk=event_id).first()
    if event is None:
        return 0
    case = event.case
    stage = c.Stage(event.to_stage).label if event.to_stage in c.Stage.values else event.to_stage
    roles = [r.value for r in c.AssignmentRole]
    return _send(
        f"[{case.reference}] Case moved to {stage}",
        f"Case {case.reference} moved to the stage \u201c{stage}\u201d.\n"
        "Open the case manager to see what is needed next.",
        case_staff_emails(case, roles=roles),
    )


def _stage_notice(case) -> tuple[str, str, list[str]]:
    return (
        f"[{case.reference}] Overdue: {case.get_stage_display()}",
        f"Case {case.reference}: the stage \u201c{case.get_stage_display()}\u201d was "
        f"due {_when(case.stage_due_at)}.",
        case_staff_emails(case),
    )


def _takedown_notice(item) -> tuple[str, str, list[str]]:
    return (
        f"[{item.case.reference}] Takedown overdue: {item.platform}",
        f"Case {item.case.reference}: the removal request to {item.platform} passed "
        f"its 48-hour deadline ({_when(item.due_at)}). Follow up with the platform.",
        _owner_or_staff(item.owner, item.case),
    )


def _report_notice(item) -> tuple[str, str, list[str]]:
    return (
        f"[{item.case.reference}] External report overdue",
        f"Case {item.case.reference}: the report to {item.agency} was due "
        f"{_when(item.due_at)} and has no recorded decision.",
        case_staff_emails(item.case),
    )


def _review_notice(item) -> tuple[str, str, list[str]]:
    return (
        f"[{item.case.reference}] Measure review overdue",
        f"Case {item.case.reference}: a {item.get_kind_display().lower()} was due for "
        f"review on {item.review_on:%Y-%m-%d}.",
        _owner_or_staff(item.owner, item.case),
    )


def _reminder_table(now):
    """(kind, overdue items, the field that records the notice, the notice builder)."""
    from .models import Case, CaseMeasure, ExternalReport, MeasureStatus, TakedownRequest

    return (
        (
            "stage",
            Case.objects.filter(stage__in=c.OPEN_STAGES, stage_due_at__lt=now),
            "stage_overdue_notified_at",
            _stage_notice,
        ),
        (
            "takedown",
            # Withdrawn records (entered by mistake) remind nobody.
            TakedownRequest.objects.current()
            .select_related("case", "platform", "owner")
            .filter(
                status=TakedownRequest.Status.SUBMITTED, covered_by_48h_rule=True, due_at__lte=now
            ),
            "overdue_notified_at",
            _takedown_notice,
        ),
        (
            "report",
            ExternalReport.objects.select_related("case").filter(
                status=ExternalReport.Status.PENDING, due_at__lt=now
            ),
            "overdue_notified_at",
            _report_notice,
        ),
        (
            "measure_review",
            CaseMeasure.objects.current()
            .select_related("case", "owner")
            .filter(review_on__lt=timezone.localdate(now))
            .exclude(status=MeasureStatus.ENDED),
            "review_overdue_notified_at",
            _review_notice,
        ),
    )


@shared_task
def deadlines_remind() -> dict:
    """Finds overdue stages, takedown requests, external reports and measure reviews, and
    emails each one's owner or the case's lead and investigators, exactly once per item.
    Returns the number of notices sent per kind.

    Each item is locked, sent and marked in one transaction: a run that fails to send rolls
    back and leaves the item for the next run; a row another worker holds is skipped."""
    now = timezone.now()
    sent = {}
    for kind, overdue, field, notice in _reminder_table(now):
        sent[kind] = 0
        unnotified = {f"{field}__isnull": True}
        for pk in list(overdue.filter(**unnotified).values_list("pk", flat=True)):
            try:
                with transaction.atomic():
                    item = (
                        overdue.select_for_update(skip_locked=True, of=("self",))
                        .filter(pk=pk, **unnotified)
                        .first()
                    )
                    if item is None:
                        continue
                    _send(*notice(item))
                    overdue.model.objects.filter(pk=pk).update(**{field: now})
                sent[kind] += 1
            except Exception:
                # Ids only: the next run retries this item.
                logger.exception("Reminder %s for %s %s not sent", kind, overdue.model.__name__, pk)
    return sent


def _owner_or_staff(owner, case) -> list[str]:
    if owner is not None and owner.is_active and owner.email:
        return [owner.email]
    return case_staff_emails(case)


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return "earlier"
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


@shared_task
def audit_verify_run(requested_by_id: int | None = None) -> dict:
    """Verifies the audit chains and stores the run (nightly, and on "Verify now")."""
    from .audit import audit_verification_run
    from .models import AuditVerification, User

    requested_by = User.objects.filter(pk=requested_by_id).first() if requested_by_id else None
    source = AuditVerification.Source.REQUEST if requested_by else AuditVerification.Source.SCHEDULE
    run = audit_verification_run(source=source, requested_by=requested_by)
    return {"verification": run.pk, "ok": run.ok, "problems": run.problem_count}
