"""Reminders and notifications sent about a case, recorded on its timeline.

Every email the background tasks send about a case (a clock's reminder before its due time or
once it is overdue, a stage-change notice) is a ``CaseEvent`` written here: who was told, about
which clock or event, for which due time, and whether before or after it. "Already reminded"
is read from these events, so it survives stage changes and is part of the keyed audit chain;
nothing is marked by a bulk update. Callers send the email in the same transaction, so a
reminder recorded is a reminder sent.
"""

import datetime as dt

from .. import event_details
from ..audit import canonical_value, case_event_record
from ..events import EventType
from ..models import Case, CaseEvent

# The clocks a reminder can be about (ncii_cases.tasks.deadlines_remind).
REMINDER_CLOCKS = ("stage", "takedown", "report", "measure_review")
# When a reminder is sent: "before" the due instant (at the clock's lead,
# ``clocks.reminder_lead``) or once the clock is "overdue". Reminders recorded before the lead
# reminder existed carry no "when": they were overdue reminders and are read as such.
BEFORE = "before"
OVERDUE = "overdue"
REMINDER_WHENS = (BEFORE, OVERDUE)


def reminder_due_text(due: dt.datetime | dt.date | None) -> str:
    """The due time as stored in a reminder's detail: UTC ISO 8601 (a date: ISO)."""
    return canonical_value(due) if due is not None else ""


def _recipients(users) -> list[dict]:
    return [{"id": u.pk, "username": u.get_username()} for u in users]


def reminder_key(*, clock: str, item_id: int, due, started, when: str = OVERDUE) -> tuple:
    """The key a reminder is sent once for: ``(clock, item id, due, started, when)``, with the
    times as stored (``reminder_due_text``)."""
    return (clock, item_id, reminder_due_text(due), reminder_due_text(started), when)


def reminders_sent(*, case_ids) -> set[tuple[str, int, str, str, str]]:
    """Returns the ``reminder_key`` of every reminder recorded on these cases (one query); a
    reminder recorded without "when" is an overdue one."""
    details = CaseEvent.objects.filter(
        case_id__in=list(case_ids), event_type=EventType.REMINDER_SENT
    ).values_list("detail", flat=True)
    return {
        (
            d.get("clock"),
            d.get("item_id"),
            d.get("due"),
            d.get("started", ""),
            d.get("when", OVERDUE),
        )
        for d in details
    }


def reminder_sent_event(
    *,
    case: Case,
    clock: str,
    item_id: int,
    due,
    started,
    recipients,
    when: str = OVERDUE,
    stage: str = "",
) -> CaseEvent:
    """The unsaved ``reminder_sent`` event, for ``audit.case_events_record_many`` to record
    with others in one go: the reminder about ``clock`` (one of ``REMINDER_CLOCKS``) of the
    item ``item_id`` (the case itself for "stage"), due at ``due`` on the clock started at
    ``started`` (None: never restarted), sent ``when`` (``BEFORE`` the due instant, at the
    clock's lead, or once ``OVERDUE``), was emailed to the users ``recipients``. Raises
    ValueError for an unknown clock or "when"."""
    if clock not in REMINDER_CLOCKS:
        raise ValueError(f"Unknown reminder clock {clock!r}; use one of {REMINDER_CLOCKS}.")
    if when not in REMINDER_WHENS:
        raise ValueError(f"Unknown reminder time {when!r}; use one of {REMINDER_WHENS}.")
    return CaseEvent(
        case=case,
        actor=None,
        **event_details.reminder_sent(
            clock=clock,
            item_id=item_id,
            due=reminder_due_text(due),
            started=reminder_due_text(started),
            when=when,
            recipients=_recipients(recipients),
            stage=stage,
        ),
    )


def notification_sent_record(*, case: Case, about_event: CaseEvent, recipients) -> CaseEvent:
    """Records that the users ``recipients`` were emailed about the timeline event
    ``about_event`` (a stage change)."""
    return case_event_record(
        case=case,
        actor=None,
        **event_details.notification_sent(
            about_event_id=about_event.pk,
            about=about_event.event_type,
            to_stage=about_event.to_stage,
            recipients=_recipients(recipients),
        ),
    )
