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


def case_mail_users(users) -> list:
    """Returns the accounts in ``users`` (a ``User`` queryset) that receive case e-mail:
    active accounts with an address, one per address, sorted by address. The one rule for
    every case notification and reminder: a deactivated account gets none."""
    by_email = {}
    for user in users.filter(is_active=True).exclude(email="").order_by("email", "pk"):
        by_email.setdefault(user.email, user)
    return list(by_email.values())


def case_mail_recipients(users) -> list[str]:
    """Returns the addresses of ``case_mail_users(users)``, sorted and once each."""
    return [user.email for user in case_mail_users(users)]


def case_staff_users(case, roles=(c.AssignmentRole.LEAD, c.AssignmentRole.INVESTIGATOR)):
    """Returns the case's active assignees in ``roles`` who receive case e-mail; if there are
    none, the district's coordinators who do, so that no overdue item goes unseen. Sorted by
    e-mail address, one user per address."""
    from .models import User
    from .permissions import Action, users_who_can_on_every_case

    users = case_mail_users(
        User.objects.filter(
            case_assignments__case=case,
            case_assignments__ended_at__isnull=True,
            case_assignments__role__in=roles,
        )
    )
    if not users:
        coordinators = users_who_can_on_every_case(Action.TRIAGE, district_id=case.district_id)
        users = case_mail_users(coordinators)
    return users


def case_staff_emails(case, roles=(c.AssignmentRole.LEAD, c.AssignmentRole.INVESTIGATOR)):
    """Returns the addresses of ``case_staff_users``."""
    return [u.email for u in case_staff_users(case, roles)]


def _send(subject: str, body: str, recipients) -> int:
    """Emails the users ``recipients`` (from ``case_mail_users``); returns the number of
    emails sent."""
    emails = [u.email for u in recipients]
    if not emails:
        return 0
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, emails)


@shared_task(ignore_result=True)
def notifications_relay() -> int:
    """Hands pending outbox notifications to the worker (beat, every minute); returns how many
    were published. See ``outbox``."""
    from .outbox import outbox_relay_pending

    return outbox_relay_pending()


# ignore_result: publishing must not also wait on the result backend when Redis is down.
@shared_task(ignore_result=True)
def transition_notify(event_id: int) -> int:
    """Emails the case's assigned staff that the case moved to a new stage, records who was
    told on the case's timeline, and returns the number of emails sent."""
    from . import clocks
    from .models import CaseEvent
    from .services.reminders import notification_sent_record

    event = CaseEvent.objects.select_related("case__district").filter(pk=event_id).first()
    if event is None:
        return 0
    case = event.case
    stage = c.Stage(event.to_stage).label if event.to_stage in c.Stage.values else event.to_stage
    roles = [r.value for r in c.AssignmentRole]
    due = ""
    if case.stage == event.to_stage and case.stage_clock.open:
        # In the district's time zone, worded as on the case page and in the PDF.
        text = clocks.clock_text(case.stage_clock, zone=clocks.case_zone(case))
        due = f"This stage is due {text.rstrip('.')}.\n"
    recipients = case_staff_users(case, roles=roles)
    with transaction.atomic():
        sent = _send(
            f"[{case.reference}] Case moved to {stage}",
            f"Case {case.reference} moved to the stage \u201c{stage}\u201d.\n"
            + due
            + "Open the case manager to see what is needed next.",
            recipients,
        )
        if sent:
            notification_sent_record(case=case, about_event=event, recipients=recipients)
    return sent


def _stage_notice(case) -> tuple[str, str, list]:
    return (
        f"[{case.reference}] Overdue: {case.get_stage_display()}",
        f"Case {case.reference}: the stage \u201c{case.get_stage_display()}\u201d was "
        f"due {_when(case.stage_due_at)}.",
        case_staff_users(case),
    )


def _takedown_notice(item) -> tuple[str, str, list]:
    return (
        f"[{item.case.reference}] Takedown overdue: {item.platform}",
        f"Case {item.case.reference}: the removal request to {item.platform} passed "
        f"its 48-hour deadline ({_when(item.due_at)}). Follow up with the platform.",
        _owner_or_staff(item.owner, item.case),
    )


def _report_notice(item) -> tuple[str, str, list]:
    return (
        f"[{item.case.reference}] External report overdue",
        f"Case {item.case.reference}: the report to {item.agency} was due "
        f"{_when(item.due_at)} and has no recorded decision.",
        case_staff_users(item.case),
    )


def _review_notice(item) -> tuple[str, str, list]:
    return (
        f"[{item.case.reference}] Measure review overdue",
        f"Case {item.case.reference}: a {item.get_kind_display().lower()} was due for "
        f"review on {item.review_on:%Y-%m-%d}.",
        _owner_or_staff(item.owner, item.case),
    )


def _reminder_table(now):
    """(clock, overdue items, the attribute holding the due time, the attribute holding when
    the clock last started, the notice builder). A reminder is sent once per item, due time and
    start: a stage entered again, a request submitted again, a review recorded (which restarts
    the review clock even with the same next date) each get their own."""
    from .models import Case, CaseMeasure, ExternalReport, MeasureStatus, TakedownRequest

    return (
        (
            "stage",
            Case.objects.filter(stage__in=c.OPEN_STAGES, stage_due_at__lt=now),
            "stage_due_at",
            "stage_entered_at",
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
            "due_at",
            "submitted_at",
            _takedown_notice,
        ),
        (
            "report",
            ExternalReport.objects.select_related("case").filter(
                status=ExternalReport.Status.PENDING, due_at__lt=now
            ),
            "due_at",
            "triggered_at",
            _report_notice,
        ),
        (
            "measure_review",
            CaseMeasure.objects.current()
            .select_related("case", "owner")
            .filter(review_on__lt=timezone.localdate(now))
            .exclude(status=MeasureStatus.ENDED),
            "review_on",
            "last_reviewed_at",
            _review_notice,
        ),
    )


@shared_task
def deadlines_remind() -> dict:
    """Finds overdue stages, takedown requests, external reports and measure reviews, and
    emails each one's owner or the case's lead and investigators, exactly once per item and due
    time. Each reminder sent is a ``reminder_sent`` event on the case's timeline (who was told,
    about which clock, for which due time): "already reminded" is read from those events, so a
    later stage change does not erase it, and a new due time (a new stage, a review's next
    date) gets its own reminder. Returns the number of notices sent per clock.

    Per clock, two queries find the overdue items and the reminders already recorded; then each
    item left is locked, sent and recorded in one transaction: a run that fails to send rolls
    back and leaves the item for the next run; a row another worker holds is skipped."""
    from .services.reminders import reminder_due_text, reminder_sent_record, reminder_was_sent

    now = timezone.now()
    sent = {}
    for clock, overdue, due_field, started_field, notice in _reminder_table(now):
        sent[clock] = 0
        case_field = "pk" if clock == "stage" else "case_id"
        items = list(overdue.values_list("pk", case_field, due_field, started_field))
        done = _reminders_sent({item[1] for item in items})
        for pk, case_id, due, started in items:
            if (clock, pk, reminder_due_text(due), reminder_due_text(started)) in done:
                continue
            try:
                with transaction.atomic():
                    item = (
                        overdue.select_for_update(skip_locked=True, of=("self",))
                        .filter(pk=pk)
                        .first()
                    )
                    if item is None:
                        continue
                    due, started = getattr(item, due_field), getattr(item, started_field)
                    if reminder_was_sent(
                        case_id=case_id, clock=clock, item_id=pk, due=due, started=started
                    ):
                        continue
                    subject, body, recipients = notice(item)
                    _send(subject, body, recipients)
                    reminder_sent_record(
                        case=item if clock == "stage" else item.case,
                        clock=clock,
                        item_id=pk,
                        due=due,
                        started=started,
                        recipients=recipients,
                        stage=item.stage if clock == "stage" else "",
                    )
                sent[clock] += 1
            except Exception:
                # Ids only: the next run retries this item.
                logger.exception(
                    "Reminder %s for %s %s not sent", clock, overdue.model.__name__, pk
                )
    return sent


def _reminders_sent(case_ids) -> set:
    from .services.reminders import reminders_sent

    return reminders_sent(case_ids=case_ids) if case_ids else set()


def _owner_or_staff(owner, case) -> list:
    from .models import User

    if owner is not None:
        users = case_mail_users(User.objects.filter(pk=owner.pk))
        if users:
            return users
    return case_staff_users(case)


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


@shared_task
def audit_checkpoint_write() -> dict:
    """Writes a signed checkpoint of the audit chains outside the database (hourly). Returns
    the checkpoint's name, or the problems that stopped it (logged as an error: the audit
    record does not verify since the previous checkpoint)."""
    from .audit_checkpoints import CheckpointRefused, checkpoint_write

    try:
        checkpoint = checkpoint_write()
    except CheckpointRefused as exc:
        logger.error("Audit checkpoint refused: %d problems; run verify_audit", len(exc.problems))
        return {"checkpoint": None, "problems": len(exc.problems)}
    return {"checkpoint": checkpoint.name, "problems": 0}
