"""Event types of the case timeline, and the sentence each one reads as.

Each service writes exactly one event per action, with a JSON detail of ids and values. The
page and both PDFs turn an event into a sentence with ``event_sentence``: one builder per
type, fed by a ``Names`` lookup (people, staff, records by id) that the reading selector fills
in one batch, so the sentence says who did what to which record ("Dana Okafor assigned Morgan
Ellery as support staff", "CyberTipline report made, ref. CT-1", "Measure 'No-contact
directive' corrected: review on 2026-12-02 → 2026-12-20").
"""

from collections.abc import Callable
from dataclasses import dataclass, field


class EventType:
    CASE_CREATED = "case_created"
    FACTS_UPDATED = "facts_updated"
    SCHOOL_CHANGED = "school_changed"
    PARTY_ADDED = "party_added"
    PARTY_UPDATED = "party_updated"
    ASSIGNED = "assigned"
    UNASSIGNED = "unassigned"
    LEAD_CHANGED = "lead_changed"  # the case's lead handed over, with a reason
    ASSIGNEE_DEACTIVATED = "assignee_deactivated"  # assignments ended with their account
    TRANSITION = "transition"
    DEMO_STAGE_PLACED = "demo_stage_placed"
    HARM_ASSESSED = "harm_assessed"
    MEASURE_ADDED = "measure_added"
    MEASURE_CHOICE_RECORDED = "measure_choice_recorded"
    MEASURE_STATUS_CHANGED = "measure_status_changed"
    MEASURE_REVIEWED = "measure_reviewed"
    RESOLUTION_OFFERED = "resolution_offered"
    RESOLUTION_CHOICE_RECORDED = "resolution_choice_recorded"
    TAKEDOWN_CREATED = "takedown_created"
    TAKEDOWN_SUBMITTED = "takedown_submitted"
    TAKEDOWN_STATUS_CHANGED = "takedown_status_changed"
    REPORTS_TRIGGERED = "reports_triggered"
    REPORTS_WITHDRAWN = "reports_withdrawn"  # marked "no longer required"; nothing deleted
    REPORT_MADE = "report_made"
    REPORT_NOT_REQUIRED = "report_not_required"
    EVIDENCE_RECORDED = "evidence_recorded"
    CUSTODY_TRANSFERRED = "custody_transferred"
    DOCUMENT_ATTACHED = "document_attached"
    NOTICE_LOGGED = "notice_logged"
    DETERMINATION_RECORDED = "determination_recorded"
    SANCTION_ADDED = "sanction_added"
    TRACK_SET = "respondent_track_set"
    REDACTION_REQUESTED = "redaction_requested"
    REDACTION_DECIDED = "redaction_decided"
    REDACTED_SUMMARY_RELEASED = "redacted_summary_released"
    # Written by the background tasks (services/reminders.py): who was emailed about what.
    REMINDER_SENT = "reminder_sent"
    NOTIFICATION_SENT = "notification_sent"
    DEADLINE_EXTENDED = "deadline_extended"
    SANCTION_STATUS_CHANGED = "sanction_status_changed"
    RECORD_CORRECTED = "record_corrected"
    RECORD_WITHDRAWN = "record_withdrawn"
    # Reports from anyone (services/intake_reports.py).
    REPORT_PROMOTED = "report_promoted"  # an incoming report opened as this case
    REPORT_MERGED = "report_merged"  # another report of the same incident added to the case
    REPORT_MESSAGE = "report_message"  # a message between the district and a reporter
    TAKEDOWN_NOTICE_CREATED = "takedown_notice_created"  # the platform's notice, text and PDF
    # Appeals (services/appeals.py) and the formal process's milestones (Process A).
    APPEAL_FILED = "appeal_filed"
    APPEAL_DECISION_MAKER_SET = "appeal_decision_maker_set"
    APPEAL_RESPONSE_RECORDED = "appeal_response_recorded"
    APPEAL_DECIDED = "appeal_decided"
    PROCESS_A_MILESTONE = "process_a_milestone"
    PARENT_DECISION_RECORDED = "parent_decision_recorded"
    SUPPORT_NOT_OFFERED = "support_not_offered"
    LETTER_SENT = "letter_sent"  # a letter from a template, its text and PDF (letters.py)


# Events whose content a section of the PDF already shows in full (the record itself, with
# its dates): the PDF's timeline leaves them out; the case page keeps them all.
SHOWN_IN_SECTIONS = frozenset(
    {
        EventType.PARTY_ADDED,
        EventType.HARM_ASSESSED,
        EventType.MEASURE_ADDED,
        EventType.RESOLUTION_OFFERED,
        EventType.TAKEDOWN_CREATED,
        EventType.REPORTS_TRIGGERED,
        EventType.REPORT_MADE,
        EventType.REPORT_NOT_REQUIRED,
        EventType.EVIDENCE_RECORDED,
        EventType.DOCUMENT_ATTACHED,
        EventType.NOTICE_LOGGED,
        EventType.DETERMINATION_RECORDED,
        EventType.SANCTION_ADDED,
        EventType.PARENT_DECISION_RECORDED,
        EventType.SUPPORT_NOT_OFFERED,
    }
)


@dataclass
class Names:
    """What the sentences name, by id: staff, parties, schools and records. Missing ids read
    as a neutral word ("a person", "a record"). ``detailed`` False (the redacted summary)
    leaves the before → after values of corrections out, since an old value may be a name."""

    users: dict[int, str] = field(default_factory=dict)
    parties: dict[int, str] = field(default_factory=dict)
    schools: dict[int, str] = field(default_factory=dict)
    records: dict[tuple[str, int], str] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    detailed: bool = True

    def user(self, pk) -> str:
        return self.users.get(pk, "a staff member")

    def party(self, pk) -> str:
        return self.parties.get(pk, "a person")

    def record(self, kind: str, pk, default: str = "") -> str:
        return self.records.get((kind, pk), default)

    def label(self, vocabulary: str, value) -> str:
        return self.labels.get(vocabulary, {}).get(value, str(value or "").replace("_", " "))


KIND_NOUNS = {
    "party": "Person",
    "measure": "Measure",
    "evidence": "Evidence entry",
    "document": "Document",
    "takedown": "Takedown request",
    "report": "External report",
    "notice": "Notice",
    "determination": "Determination",
    "sanction": "Sanction",
    "offer": "Offer",
    "harm": "Harm assessment",
    "takedown_notice": "Takedown notice",
    "parent_decision": "Parent-notification decision",
    "no_support": "Reason no supportive measure was offered",
}
FIELD_WORDS = {
    "review_on": "review on",
    "starts_on": "start date",
    "ends_on": "end date",
    "delay_until": "delayed until",
    "approved_by": "approved by",
}


def _q(text: str) -> str:
    return f"\u2018{text}\u2019" if text else ""


def _corrected(e, n: Names) -> str:
    d = e.detail
    noun = KIND_NOUNS.get(d.get("record"), "Record")
    changes = d.get("changes", {})
    head = f"{noun} {_q(d.get('label', ''))} corrected".replace("  ", " ")
    if not changes:
        return head
    if not n.detailed:
        return f"{head}: {', '.join(FIELD_WORDS.get(k, k.replace('_', ' ')) for k in changes)}"
    parts = [
        f"{FIELD_WORDS.get(k, k.replace('_', ' '))} {v[0] or '(empty)'} \u2192 {v[1] or '(empty)'}"
        for k, v in changes.items()
    ]
    return f"{head}: {'; '.join(parts)}"


def _transition(e, n: Names) -> str:
    return f"moved the case to {n.label('stage', e.to_stage)}"


CLOCK_WORDS = {
    "stage": "the stage's deadline",
    "takedown": "a takedown request's 48-hour clock",
    "report": "an external report's deadline",
    "measure_review": "a measure's review date",
    "appeal": "an appeal window",
}


def _when(text) -> str:
    """An ISO instant from an event's detail, in the active (district) time zone."""
    import datetime as dt

    from django.utils import timezone

    try:
        value = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return str(text or "not set")
    if timezone.is_naive(value):
        return value.strftime("%Y-%m-%d %H:%M")
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")


def _staff_count(d: dict) -> str:
    count = len(d.get("recipients") or [])
    return f"{count} staff member{'' if count == 1 else 's'}"


def _lead_changed(e, n: Names) -> str:
    d = e.detail
    to = n.user(d.get("to_user_id"))
    if d.get("from_user_id"):
        return f"handed the lead from {n.user(d.get('from_user_id'))} to {to}"
    return f"made {to} the lead"


def _reminder(e, n: Names) -> str:
    d = e.detail
    clock = CLOCK_WORDS.get(d.get("clock"), "a deadline")
    when = "is overdue" if d.get("when", "overdue") == "overdue" else "is due soon"
    return f"reminded {_staff_count(d)} that {clock} {when} (due {_when(d.get('due'))})"


BUILDERS: dict[str, Callable] = {
    EventType.CASE_CREATED: lambda e, n: f"recorded the report {e.detail.get('reference', '')}",
    EventType.FACTS_UPDATED: lambda e, n: (
        "updated the facts: " + ", ".join(f.replace("_", " ") for f in e.detail.get("fields", []))
    ),
    EventType.SCHOOL_CHANGED: lambda e, n: (
        "moved the case from "
        f"{n.schools.get(e.detail.get('from_school_id'), 'another school')} to "
        f"{n.schools.get(e.detail.get('to_school_id'), 'another school')}"
    ),
    EventType.PARTY_ADDED: lambda e, n: (
        f"added {n.party(e.detail.get('party_id'))} as "
        f"{n.label('party_role', e.detail.get('role')).lower()}"
    ),
    EventType.PARTY_UPDATED: lambda e, n: f"identified {n.party(e.detail.get('party_id'))}",
    EventType.ASSIGNED: lambda e, n: (
        f"assigned {n.user(e.detail.get('user_id'))} as "
        f"{n.label('assignment_role', e.detail.get('role')).lower()}"
    ),
    EventType.UNASSIGNED: lambda e, n: (
        f"ended the assignment of {n.user(e.detail.get('user_id'))}"
        f" as {n.label('assignment_role', e.detail.get('role')).lower()}"
    ),
    EventType.TRANSITION: _transition,
    EventType.DEMO_STAGE_PLACED: _transition,
    EventType.HARM_ASSESSED: lambda e, n: (
        f"assessed the harm: {n.label('level', e.detail.get('level')).lower()}"
    ),
    EventType.MEASURE_ADDED: lambda e, n: (
        f"added the measure "
        f"{_q(n.record('measure', e.detail.get('measure_id'), 'a measure'))} for "
        f"{n.party(e.detail.get('party_id'))}"
    ),
    EventType.MEASURE_CHOICE_RECORDED: lambda e, n: (
        "recorded the choice on "
        f"{_q(n.record('measure', e.detail.get('measure_id'), 'a measure'))}: "
        f"{n.label('party_choice', e.detail.get('choice')).lower()}"
    ),
    EventType.MEASURE_STATUS_CHANGED: lambda e, n: (
        "changed "
        f"{_q(n.record('measure', e.detail.get('measure_id'), 'a measure'))}: "
        f"{n.label('measure_status', e.detail.get('from')).lower()} \u2192 "
        f"{n.label('measure_status', e.detail.get('to')).lower()}"
    ),
    EventType.MEASURE_REVIEWED: lambda e, n: (
        "reviewed "
        f"{_q(n.record('measure', e.detail.get('measure_id'), 'a measure'))}"
        + (
            ", and ended it"
            if e.detail.get("ended")
            else f"; next review {e.detail.get('next_review_on') or 'not set'}"
        )
    ),
    EventType.RESOLUTION_OFFERED: lambda e, n: (
        f"offered {n.label('option', e.detail.get('option'))}"
        f" to {n.party(e.detail.get('party_id'))}"
    ),
    EventType.RESOLUTION_CHOICE_RECORDED: lambda e, n: (
        "recorded the answer to "
        f"{n.label('option', e.detail.get('option')).lower()}: "
        f"{n.label('party_choice', e.detail.get('choice')).lower()}"
    ),
    EventType.TAKEDOWN_CREATED: lambda e, n: (
        "opened a takedown request for "
        f"{n.record('takedown', e.detail.get('takedown_id'), e.detail.get('platform', ''))}"
    ),
    EventType.TAKEDOWN_SUBMITTED: lambda e, n: (
        "submitted the takedown request to "
        f"{n.record('takedown', e.detail.get('takedown_id'), 'a platform')}"
        + (", 48-hour clock started" if e.detail.get("due_at") else "")
    ),
    EventType.TAKEDOWN_STATUS_CHANGED: lambda e, n: (
        "recorded the takedown request to "
        f"{n.record('takedown', e.detail.get('takedown_id'), 'a platform')} as "
        f"{n.label('takedown_status', e.detail.get('to')).lower()}"
    ),
    EventType.REPORTS_TRIGGERED: lambda e, n: (
        "Reports required: "
        + ", ".join(e.detail.get("agencies") or e.detail.get("obligations", []))
    ),
    EventType.REPORTS_WITHDRAWN: lambda e, n: (
        "No longer required (facts changed): "
        + ", ".join(e.detail.get("agencies") or e.detail.get("obligations", []))
    ),
    EventType.REPORT_MADE: lambda e, n: (
        f"{n.record('report', e.detail.get('report_id'), 'A')}"
        " report made"
        + (
            f", ref. {n.record('report_ref', e.detail.get('report_id'))}"
            if n.record("report_ref", e.detail.get("report_id"))
            else ""
        )
    ),
    EventType.REPORT_NOT_REQUIRED: lambda e, n: (
        f"{n.record('report', e.detail.get('report_id'))} report: not required"
    ),
    EventType.EVIDENCE_RECORDED: lambda e, n: (
        "recorded evidence" + (f" ({e.detail['platform']})" if e.detail.get("platform") else "")
    ),
    EventType.CUSTODY_TRANSFERRED: lambda e, n: "recorded a change of who holds the device",
    EventType.DOCUMENT_ATTACHED: lambda e, n: (
        "attached the document "
        f"{_q(n.record('document', e.detail.get('document_id'), 'a document'))}"
    ),
    EventType.NOTICE_LOGGED: lambda e, n: (
        f"logged a {n.label('notice_kind', e.detail.get('kind'))}".replace("a Notice", "a notice")
        + f" about {n.party(e.detail.get('party_id'))} "
        f"({n.label('notice_method', e.detail.get('method')).lower()})"
    ),
    EventType.DETERMINATION_RECORDED: lambda e, n: (
        "recorded the determination for "
        f"{n.party(e.detail.get('respondent_id'))}: "
        f"{n.label('finding', e.detail.get('finding')).lower()}"
    ),
    EventType.SANCTION_ADDED: lambda e, n: (
        "added the sanction "
        f"{_q(n.record('sanction', e.detail.get('sanction_id'), e.detail.get('intervention')))} "
        f"for {n.party(e.detail.get('respondent_id'))}"
    ),
    EventType.TRACK_SET: lambda e, n: (
        f"set the respondent track: {n.label('track', e.detail.get('to')).lower()}"
    ),
    EventType.SANCTION_STATUS_CHANGED: lambda e, n: (
        f"changed the sanction "
        f"{_q(e.detail.get('intervention', ''))}: "
        f"{n.label('sanction_status', e.detail.get('from')).lower()} \u2192 "
        f"{n.label('sanction_status', e.detail.get('to')).lower()}"
    ),
    EventType.LEAD_CHANGED: _lead_changed,
    EventType.ASSIGNEE_DEACTIVATED: lambda e, n: (
        f"ended the assignments of {n.user(e.detail.get('user_id'))}"
        " (their account was deactivated)"
    ),
    EventType.REDACTION_REQUESTED: lambda e, n: "opened a redaction review of the summary",
    # The term itself is left out: it is often a name the redaction exists to hide.
    EventType.REDACTION_DECIDED: lambda e, n: (
        f"decided a redaction term ({str(e.detail.get('kind', '')).replace('_', ' ')}): "
        f"{'redact' if e.detail.get('decision') == 'redact' else 'keep'}"
    ),
    EventType.REDACTED_SUMMARY_RELEASED: lambda e, n: "released the redacted summary",
    EventType.REMINDER_SENT: _reminder,
    EventType.NOTIFICATION_SENT: lambda e, n: (
        f"e-mailed {_staff_count(e.detail)} about the move to {n.label('stage', e.to_stage)}"
    ),
    EventType.DEADLINE_EXTENDED: lambda e, n: (
        f"extended {CLOCK_WORDS.get(e.detail.get('clock'), 'a deadline')} from "
        f"{_when(e.detail.get('previous_due_at'))} to {_when(e.detail.get('new_due_at'))}"
    ),
    EventType.APPEAL_FILED: lambda e, n: (
        f"recorded an appeal by {n.party(e.detail.get('appellant_id'))} of "
        f"{n.label('appeal_subject', e.detail.get('subject')).lower()}"
        + (", sanctions stayed" if e.detail.get("sanctions_stayed") else "")
    ),
    EventType.APPEAL_DECISION_MAKER_SET: lambda e, n: (
        f"named {n.user(e.detail.get('user_id'))} as the appeal decision-maker"
    ),
    EventType.APPEAL_RESPONSE_RECORDED: lambda e, n: (
        f"recorded the response of {n.party(e.detail.get('party_id'))} to the appeal"
    ),
    EventType.APPEAL_DECIDED: lambda e, n: (
        f"decided the appeal: {n.label('appeal_outcome', e.detail.get('outcome')).lower()}; "
        f"both parties notified together ({len(e.detail.get('notice_ids', []))} notices)"
    ),
    EventType.PROCESS_A_MILESTONE: lambda e, n: (
        "recorded a step of the formal process: "
        f"{n.label('milestone', e.detail.get('kind')).lower()} on {e.detail.get('on', '')}"
    ),
    EventType.RECORD_CORRECTED: _corrected,
    EventType.RECORD_WITHDRAWN: lambda e, n: (
        f"{KIND_NOUNS.get(e.detail.get('record'), 'Record')}"
        f" {_q(e.detail.get('label', ''))} withdrawn"
    ),
    EventType.REPORT_PROMOTED: lambda e, n: (
        f"opened this case from the incoming report {e.detail.get('code', '')}"
    ),
    EventType.REPORT_MERGED: lambda e, n: (
        f"added the incoming report {e.detail.get('code', '')} to this case (same incident)"
    ),
    EventType.REPORT_MESSAGE: lambda e, n: (
        f"Message from the reporter of report {e.detail.get('code', '')}"
        if e.detail.get("from") == "reporter"
        else f"sent a message to the reporter of report {e.detail.get('code', '')}"
    ),
    EventType.TAKEDOWN_NOTICE_CREATED: lambda e, n: (
        "prepared the TAKE IT DOWN Act notice for the takedown request to "
        f"{n.record('takedown', e.detail.get('takedown_id'), 'a platform')}"
    ),
    EventType.PARENT_DECISION_RECORDED: lambda e, n: (
        "recorded the parent-notification decision for "
        f"{n.party(e.detail.get('party_id'))}: "
        f"{n.label('parent_decision', e.detail.get('decision')).lower()}"
        + (f" ({e.detail['delay_until']})" if e.detail.get("delay_until") else "")
        + (f", approved by {n.user(e.detail.get('approved_by_id'))}")
        + (f", review on {e.detail['review_on']}" if e.detail.get("review_on") else "")
    ),
    EventType.SUPPORT_NOT_OFFERED: lambda e, n: (
        f"recorded why no supportive measure was offered to {n.party(e.detail.get('party_id'))}"
    ),
    EventType.LETTER_SENT: lambda e, n: (
        f"sent the letter {_q(_letter_kind(e.detail.get('kind')))} to "
        + (
            n.party(e.detail.get("party_id"))
            if e.detail.get("party_id")
            else n.record("takedown", e.detail.get("takedown_id"), "a platform")
        )
        + (" (in Spanish)" if e.detail.get("language") == "es" else "")
    ),
}


def _letter_kind(value) -> str:
    from .models_letters import LetterKind

    return str(dict(LetterKind.choices).get(value, "letter"))


# The events that link an incoming report to the case (its page is then one click away).
REPORT_LINK_EVENTS = frozenset({EventType.REPORT_PROMOTED, EventType.REPORT_MERGED})


def reports_linked(events) -> list[dict]:
    """The incoming reports linked to the case, read from its events (no query): one
    ``{"report_id", "code"}`` per report, in the order they were linked."""
    return [
        {"report_id": e.detail.get("report_id"), "code": e.detail.get("code", "")}
        for e in events
        if e.event_type in REPORT_LINK_EVENTS and e.detail.get("report_id")
    ]


# Sentences that stand without the actor in front (they name the record first).
NO_ACTOR = {
    EventType.REPORTS_TRIGGERED,
    EventType.REPORTS_WITHDRAWN,
    EventType.REPORT_MADE,
    EventType.REPORT_NOT_REQUIRED,
    EventType.RECORD_CORRECTED,
    EventType.RECORD_WITHDRAWN,
}


def event_sentence(event, names: Names, *, actor: str | None = None) -> str:
    """The event as one sentence: "<actor> <what they did>", or for record events
    "<record> <what happened> (by <actor>)". ``actor`` overrides the event's actor name."""
    builder = BUILDERS.get(event.event_type)
    what = builder(event, names) if builder else event.event_type.replace("_", " ")
    who = actor if actor is not None else (str(event.actor) if event.actor_id else "System")
    if event.event_type == EventType.REPORT_MESSAGE and not event.actor_id:
        return what  # the reporter wrote it: no staff member to name
    if event.event_type in NO_ACTOR:
        return f"{what[:1].upper()}{what[1:]} (by {who})"
    return f"{who} {what}"
