"""Background work. Tasks take ids, never personal data, and are safe to run twice.

Emails say which case (its reference) and what is due; never a narrative nor a name.
"""

import logging
from collections import defaultdict

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F

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
    return mail_users_pick(users.filter(is_active=True).exclude(email=""))


def mail_users_pick(users) -> list:
    """``case_mail_users``'s rule over users already read (any iterable of ``User``): active
    accounts with an address, one per address (the lowest id), sorted by address."""
    by_email = {}
    for user in sorted(users, key=lambda u: (u.email, u.pk)):
        if user.is_active and user.email:
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
    stage = c.stage_label(event.to_stage)
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


# --- Deadline reminders ----------------------------------------------------------------------
#
# One reminder before each clock's due instant, at its lead (``clocks.reminder_lead``: "due in
# 4 h", "due tomorrow"), and one once it is overdue (from the due instant on, inclusive), each
# sent once per clock, due time and start of the clock, and recorded as a ``reminder_sent``
# event (``services.reminders``). Which rows are due and which are overdue is the clocks
# module's queryset faces, so a reminder agrees with the queue, the board, analytics and the
# PDF. Appeal windows are not reminded: their closing time is counted in school days from the
# decision (or the latest extension) and is not stored, so no queryset face finds them.


def _reminder_subject_and_body(clock: str, when: str, item, case, text: str) -> tuple[str, str]:
    """The subject and body of a reminder about ``item`` (the case for a stage) worded with the
    clock's due ``text`` (``clocks.clock_text``, in the district's zone). No names: the case
    reference, the stage, the platform or agency, the measure's kind."""
    from .services.reminders import OVERDUE

    ref = case.reference
    overdue = when == OVERDUE
    if clock == "stage":
        stage = c.stage_label(case.stage)
        what = f"The stage \u201c{stage}\u201d of case {ref}"
        subject = f"[{ref}] {'Overdue' if overdue else 'Due soon'}: {stage}"
        follow = "Open the case manager to see what is needed next."
    elif clock == "takedown":
        what = f"Takedown request to {item.platform} for case {ref}"
        subject = f"[{ref}] Takedown {'overdue' if overdue else 'due soon'}: {item.platform}"
        follow = (
            "The platform has not removed it within 48 hours: follow up with the platform."
            if overdue
            else "The platform must remove it within 48 hours of the request."
        )
    elif clock == "report":
        what = f"The report to {item.agency_label} for case {ref}"
        subject = f"[{ref}] External report {'overdue' if overdue else 'due soon'}"
        follow = "Record the report, or why it is not required, in the case manager."
    else:
        what = f"The review of a {item.get_kind_display().lower()} for case {ref}"
        subject = f"[{ref}] Measure review {'overdue' if overdue else 'due soon'}"
        follow = "Record the review and the next review date in the case manager."
    verb = "was due" if overdue else "is due"
    return subject, f"{what} {verb} {text.rstrip('.')}.\n{follow}"


def _reminder_clock(clock: str, item):
    if clock == "stage":
        return item.stage_clock
    if clock == "measure_review":
        return item.review_clock
    return item.clock


def _reminder_table(now):
    """Returns one row per reminder to look for, overdue ones first: ``(clock, when, the rows
    due that reminder at now, the attribute holding the due time, the attribute holding when
    the clock last started)``. The rows are the clocks module's faces: ``overdue(now)`` for
    "overdue", ``due_for_lead_reminder(now)`` (running, within the lead) for "before", so a
    clock first seen overdue gets only the overdue reminder. A reminder is sent once per
    item, due time, start and "when": a stage entered again, a request submitted again, a
    review recorded (which restarts the review clock even with the same next date) or a
    deadline extended each get their own."""
    from . import clocks
    from .models import Case, CaseMeasure, ExternalReport, TakedownRequest
    from .services.reminders import BEFORE, OVERDUE

    kinds = (
        ("stage", Case.objects.select_related("district"), "stage_due_at", "stage_entered_at"),
        (
            "takedown",
            TakedownRequest.objects.select_related("case__district", "platform", "owner"),
            "due_at",
            "submitted_at",
        ),
        (
            "report",
            ExternalReport.objects.select_related("case__district"),
            "due_at",
            "triggered_at",
        ),
        (
            "measure_review",
            CaseMeasure.objects.select_related("case__district", "owner", "measure"),
            "review_on",
            "last_reviewed_at",
        ),
    )
    table = []
    for when in (OVERDUE, BEFORE):
        for clock, rows, due_field, started_field in kinds:
            face = rows.overdue(now) if when == OVERDUE else rows.due_for_lead_reminder(now)
            # Not the rows whose mark says this reminder went for their due time and start:
            # for "overdue" the partial index holds only the others (``reminder_pending_q``).
            face = face.exclude(clocks.reminder_marked_q(clock, overdue=when == OVERDUE))
            table.append((clock, when, face.order_by(due_field, "pk"), due_field, started_field))
    return table


@shared_task
def deadlines_remind() -> dict:
    """Sends the reminders due now about every clock with a stored due time (stages, takedown
    requests, external reports, measure reviews): one "before" reminder at the clock's lead
    (``clocks.reminder_lead``, setting ``DEADLINE_REMINDER_LEAD_HOURS``) and one "overdue"
    reminder from the due instant on, each exactly once per item, due time and start of the
    clock, to ``_recipients_by_case``, worded in the district's time zone. Each reminder sent
    is a ``reminder_sent`` event on the case's timeline (who was told, about which clock, for
    which due time, before or overdue): "already reminded" is read from those events, so a
    later stage change does not erase it, and a new due time (a new stage, an extension, a
    review's next date) gets its own reminders. Returns the number of reminders sent per
    clock (before and overdue together).

    One query per clock and "when" finds the items: those whose reminder mark (the due time
    and start of their last reminder, kept on the row, ``clocks.reminder_marked_q``) does not
    name this reminder; for "overdue" a partial index holds only those, so a run costs its
    batch and not the backlog already reminded. The items go in batches of
    ``DEADLINE_REMINDER_CHUNK``: each batch is one transaction that locks its items
    (``skip_locked``: rows another worker holds are skipped), checks them against the
    reminders recorded on their cases' timelines (the record; the mark only spares the
    search), reads every recipient, records every event (one lock of the chain head, one
    insert), marks every item it checked (one update) and sends every e-mail over one
    connection, a fixed number of queries whatever the batch holds. A batch that fails to
    send rolls back and leaves its items for the next run. At most
    ``DEADLINE_REMINDER_BATCH`` items are attempted per run (overdue ones first, soonest due
    first), so a backlog drains over several runs without holding the worker."""
    from . import clocks

    now = clocks.now()
    cap = max(0, int(getattr(settings, "DEADLINE_REMINDER_BATCH", 500)))
    chunk = max(1, int(getattr(settings, "DEADLINE_REMINDER_CHUNK", 200)))
    sent = dict.fromkeys(clocks.REMINDER_KEY_FIELDS, 0)
    coordinators: dict = {}
    left = cap
    for clock, when, face, due_field, started_field in _reminder_table(now):
        if left <= 0:
            break
        wanted = list(face.values_list("pk", flat=True)[:left])
        left -= len(wanted)
        for first in range(0, len(wanted), chunk):
            batch = wanted[first : first + chunk]
            try:
                sent[clock] += _reminders_send_batch(
                    clock=clock,
                    when=when,
                    face=face,
                    due_field=due_field,
                    started_field=started_field,
                    ids=batch,
                    now=now,
                    coordinators=coordinators,
                )
            except Exception:
                # Ids only: the next run retries these items.
                logger.exception(
                    "Reminders %s (%s) for %s %s..%s not sent",
                    clock,
                    when,
                    face.model.__name__,
                    batch[0],
                    batch[-1],
                )
    return sent


def _recipients_by_case(cases, owners: dict, coordinators: dict) -> dict:
    """Whom a reminder about a clock of each case goes to: the case's assigned lead (and
    investigators), the district's coordinators and the item's owner when one is recorded,
    through ``case_mail_users`` (active accounts with an address, one per address, sorted by
    address). Two queries, plus one per district not seen yet (``coordinators`` keeps the
    coordinators' ids per district across batches). Returns ``{(case id, owner id or None):
    [users]}`` for the owners given per case id."""
    from .models import CaseAssignment, User
    from .permissions import Action, users_who_can_on_every_case

    for district_id in {case.district_id for case in cases} - set(coordinators):
        coordinators[district_id] = list(
            users_who_can_on_every_case(Action.TRIAGE, district_id=district_id).values_list(
                "pk", flat=True
            )
        )
    staff: dict = defaultdict(set)
    for case_id, user_id in CaseAssignment.objects.filter(
        case_id__in=[case.pk for case in cases],
        ended_at__isnull=True,
        role__in=(c.AssignmentRole.LEAD, c.AssignmentRole.INVESTIGATOR),
    ).values_list("case_id", "user_id"):
        staff[case_id].add(user_id)
    wanted: dict = {}
    for case in cases:
        for owner_id in owners.get(case.pk, {None}):
            ids = staff[case.pk] | set(coordinators[case.district_id])
            if owner_id is not None:
                ids.add(owner_id)
            wanted[(case.pk, owner_id)] = ids
    everyone = set().union(*wanted.values()) if wanted else set()
    pool = {user.pk: user for user in User.objects.filter(pk__in=everyone)}
    # The one rule of case e-mail (``case_mail_users``), applied per case; cases told the
    # same people (the district's coordinators and the same lead) share one answer.
    picked: dict = {}
    result = {}
    for key, ids in wanted.items():
        people = frozenset(ids)
        if people not in picked:
            picked[people] = mail_users_pick(pool[pk] for pk in people if pk in pool)
        result[key] = picked[people]
    return result


def _reminders_send_batch(
    *, clock, when, face, due_field, started_field, ids, now, coordinators
) -> int:
    """Sends and records the reminders of one batch of items in one transaction; returns how
    many were sent. Raises whatever the mail connection or the database raised (nothing of the
    batch is then recorded)."""
    from django.core.mail import EmailMessage, get_connection

    from . import clocks
    from .audit import case_events_record_many
    from .services.reminders import reminder_key, reminder_sent_event

    with transaction.atomic():
        items = list(
            face.select_for_update(skip_locked=True, of=("self",)).filter(pk__in=ids).order_by()
        )
        if not items:
            return 0
        case_of = {item.pk: item if clock == "stage" else item.case for item in items}
        recorded = _reminders_sent({case.pk for case in case_of.values()})
        todo = [
            item
            for item in items
            if reminder_key(
                clock=clock,
                item_id=item.pk,
                due=getattr(item, due_field),
                started=getattr(item, started_field),
                when=when,
            )
            not in recorded
        ]
        if not todo:
            # Recorded already (by another path): marked, so later runs do not find them.
            _reminders_mark(face.model, [item.pk for item in items], clock=clock, when=when)
            return 0
        owners: dict = defaultdict(set)
        for item in todo:
            owners[case_of[item.pk].pk].add(getattr(item, "owner_id", None))
        cases = list({case.pk: case for case in case_of.values()}.values())
        recipients = _recipients_by_case(cases, owners, coordinators)
        events, messages = [], []
        zones: dict = {}
        for item in todo:
            case = case_of[item.pk]
            if case.district_id not in zones:
                zones[case.district_id] = clocks.case_zone(case)
            text = clocks.clock_text(
                _reminder_clock(clock, item), now_=now, zone=zones[case.district_id]
            )
            subject, body = _reminder_subject_and_body(clock, when, item, case, text)
            users = recipients[(case.pk, getattr(item, "owner_id", None))]
            if users:
                messages.append(
                    EmailMessage(
                        subject, body, settings.DEFAULT_FROM_EMAIL, [u.email for u in users]
                    )
                )
            events.append(
                reminder_sent_event(
                    case=case,
                    clock=clock,
                    item_id=item.pk,
                    due=getattr(item, due_field),
                    started=getattr(item, started_field),
                    recipients=users,
                    when=when,
                    stage=item.stage if clock == "stage" else "",
                )
            )
        case_events_record_many(events)
        _reminders_mark(face.model, [item.pk for item in items], clock=clock, when=when)
        # Last, inside the transaction: a failed send rolls the events back.
        if messages:
            with get_connection() as mail:
                mail.send_messages(messages)
    return len(todo)


def _reminders_mark(model, ids, *, clock: str, when: str) -> None:
    """Marks the locked rows ``ids`` of ``model`` as reminded ``when`` for their current due
    time and start (``clocks.reminder_marked_q``), copied from the rows themselves in one
    UPDATE (they are locked, so the due time cannot move in between)."""
    from . import clocks
    from .services.reminders import OVERDUE

    due_field, started_field = clocks.REMINDER_KEY_FIELDS[clock]
    model._base_manager.filter(pk__in=ids).update(
        reminded_due=F(due_field),
        reminded_started=F(started_field),
        reminded_overdue=when == OVERDUE,
    )


def _reminders_sent(case_ids) -> set:
    from .services.reminders import reminders_sent

    return reminders_sent(case_ids=case_ids) if case_ids else set()


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


@shared_task(ignore_result=True)
def case_stage_counts_reconcile() -> int:
    """Counts the cases again and corrects the kept counts per school and stage where they
    differ (``stage_counts``); returns how many count rows it changed. Nightly (beat)."""
    from .stage_counts import CaseTableBusy
    from .stage_counts import case_stage_counts_reconcile as reconcile

    try:
        return reconcile()
    except CaseTableBusy:  # logged; tomorrow's run tries again
        return 0


@shared_task(ignore_result=True)
def analytics_facts_refresh() -> int:
    """Works out every case's analytics facts again (``analytics_facts``), which also picks up
    cases changed outside the services; returns how many cases it covered. Hourly (beat)."""
    from .analytics_facts import case_facts_refresh_all

    return case_facts_refresh_all()


@shared_task(ignore_result=True)
def sessions_clear_expired() -> int:
    """Deletes the sessions whose expiry has passed (what Django's ``clearsessions`` does for
    the session engine, ``session_store``); returns how many. Every sign-in writes a row and a
    browser closed without signing out leaves it behind. Nightly (beat)."""
    from django.utils import timezone

    from .models import AccountSession

    return AccountSession.objects.filter(expire_date__lt=timezone.now()).delete()[0]
