"""Background work. Tasks take ids, never personal data, and are safe to run twice.

Emails say which case (its reference) and what is due; never a narrative nor a name.
"""

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection
from django.utils import timezone

from . import choices as c


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


def _claim(queryset, pk: int, field: str, now) -> bool:
    """Marks the row as notified if nobody has yet; True when this call won the claim.
    A conditional UPDATE is atomic, so two workers never both send the same notice."""
    return queryset.filter(pk=pk, **{f"{field}__isnull": True}).update(**{field: now}) == 1


@shared_task
def deadlines_remind() -> dict:
    """Finds overdue stages, takedown requests, external reports and measure reviews, and
    emails each one's owner or the case's lead and investigators, once per item. Returns the
    number of notices sent per kind."""
    from .models import Case, CaseMeasure, ExternalReport, MeasureStatus, TakedownRequest

    now = timezone.now()
    sent = {"stage": 0, "takedown": 0, "report": 0, "measure_review": 0}

    stages = Case.objects.filter(
        stage__in=c.OPEN_STAGES, stage_due_at__lt=now, stage_overdue_notified_at__isnull=True
    )
    for case in stages:
        if _claim(Case.objects, case.pk, "stage_overdue_notified_at", now):
            _send(
                f"[{case.reference}] Overdue: {case.get_stage_display()}",
                f"Case {case.reference}: the stage \u201c{case.get_stage_display()}\u201d was "
                f"due {_when(case.stage_due_at)}.",
                case_staff_emails(case),
            )
            sent["stage"] += 1

    takedowns = TakedownRequest.objects.select_related("case", "platform", "owner").filter(
        status=TakedownRequest.Status.SUBMITTED,
        covered_by_48h_rule=True,
        due_at__lte=now,
        overdue_notified_at__isnull=True,
    )
    for item in takedowns:
        if _claim(TakedownRequest.objects, item.pk, "overdue_notified_at", now):
            _send(
                f"[{item.case.reference}] Takedown overdue: {item.platform}",
                f"Case {item.case.reference}: the removal request to {item.platform} passed "
                f"its 48-hour deadline ({_when(item.due_at)}). Follow up with the platform.",
                _owner_or_staff(item.owner, item.case),
            )
            sent["takedown"] += 1

    reports = ExternalReport.objects.select_related("case").filter(
        status=ExternalReport.Status.PENDING, due_at__lt=now, overdue_notified_at__isnull=True
    )
    for item in reports:
        if _claim(ExternalReport.objects, item.pk, "overdue_notified_at", now):
            _send(
                f"[{item.case.reference}] External report overdue",
                f"Case {item.case.reference}: the report to {item.agency} was due "
                f"{_when(item.due_at)} and has no recorded decision.",
                case_staff_emails(item.case),
            )
            sent["report"] += 1

    today = timezone.localdate(now)
    measures = (
        CaseMeasure.objects.select_related("case", "owner")
        .filter(review_on__lt=today, review_overdue_notified_at__isnull=True)
        .exclude(status=MeasureStatus.ENDED)
    )
    for item in measures:
        if _claim(CaseMeasure.objects, item.pk, "review_overdue_notified_at", now):
            _send(
                f"[{item.case.reference}] Measure review overdue",
                f"Case {item.case.reference}: a {item.get_kind_display().lower()} was due for "
                f"review on {item.review_on:%Y-%m-%d}.",
                _owner_or_staff(item.owner, item.case),
            )
            sent["measure_review"] += 1
    return sent


def _owner_or_staff(owner, case) -> list[str]:
    if owner is not None and owner.is_active and owner.email:
        return [owner.email]
    return case_staff_emails(case)


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return "earlier"
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")
