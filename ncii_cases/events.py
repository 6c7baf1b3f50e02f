"""Event types of the case timeline, and the sentence each one reads as.

Each service writes exactly one event per action, with a JSON detail of ids and values. The
page and both PDFs turn an event into a sentence with ``event_sentence``: one builder per
type, fed by a ``Names`` lookup (people, staff, records by id) that the reading selector fills
in one batch, so the sentence says who did what to which record ("Dana Okafor assigned Morgan
Ellery as support staff", "CyberTipline report made, ref. CT-1", "Measure 'No-contact
directive' corrected: review on 2026-12-02 → 2026-12-20").

The detail each type carries is built in one place, ``event_details`` (one typed builder per
type, which the services call); the sentences here read the keys those builders write, and
``tests/ncii_cases/test_event_details.py`` checks that they read no other.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext


class EventType(models.TextChoices):
    """The vocabulary of the case timeline: each value is stored in ``CaseEvent.event_type``
    (and hashed into the audit chain, so a value never changes); the label names it in the
    audit review's filter and tables (``audit_labels.event_label``)."""

    CASE_CREATED = "case_created", gettext_lazy("Case opened")
    FACTS_UPDATED = "facts_updated", gettext_lazy("Facts updated")
    SCHOOL_CHANGED = "school_changed", gettext_lazy("Case moved to another school")
    PARTY_ADDED = "party_added", gettext_lazy("Person added to the case")
    PARTY_UPDATED = "party_updated", gettext_lazy("Person's details updated")
    ASSIGNED = "assigned", gettext_lazy("Staff assigned")
    UNASSIGNED = "unassigned", gettext_lazy("Staff unassigned")
    # the case's lead handed over, with a reason
    LEAD_CHANGED = "lead_changed", gettext_lazy("Lead handed over")
    # assignments ended with their account
    ASSIGNEE_DEACTIVATED = "assignee_deactivated", gettext_lazy("Assignment ended with the account")
    TRANSITION = "transition", gettext_lazy("Stage changed")
    HARM_ASSESSED = "harm_assessed", gettext_lazy("Harm assessed")
    MEASURE_ADDED = "measure_added", gettext_lazy("Measure added")
    MEASURE_CHOICE_RECORDED = (
        "measure_choice_recorded",
        gettext_lazy("Choice about a measure recorded"),
    )
    MEASURE_STATUS_CHANGED = "measure_status_changed", gettext_lazy("Measure status changed")
    MEASURE_REVIEWED = "measure_reviewed", gettext_lazy("Measure reviewed")
    RESOLUTION_OFFERED = "resolution_offered", gettext_lazy("Resolution offered")
    RESOLUTION_CHOICE_RECORDED = (
        "resolution_choice_recorded",
        gettext_lazy("Choice about a resolution recorded"),
    )
    TAKEDOWN_CREATED = "takedown_created", gettext_lazy("Takedown request added")
    TAKEDOWN_SUBMITTED = "takedown_submitted", gettext_lazy("Takedown request sent")
    TAKEDOWN_STATUS_CHANGED = "takedown_status_changed", gettext_lazy("Takedown status changed")
    REPORTS_TRIGGERED = "reports_triggered", gettext_lazy("External reports due")
    # marked "no longer required"; nothing deleted
    REPORTS_WITHDRAWN = "reports_withdrawn", gettext_lazy("External reports no longer required")
    REPORT_MADE = "report_made", gettext_lazy("External report made")
    REPORT_NOT_REQUIRED = "report_not_required", gettext_lazy("External report not required")
    EVIDENCE_RECORDED = "evidence_recorded", gettext_lazy("Evidence recorded")
    CUSTODY_TRANSFERRED = "custody_transferred", gettext_lazy("Evidence custody transferred")
    DOCUMENT_ATTACHED = "document_attached", gettext_lazy("Document attached")
    NOTICE_LOGGED = "notice_logged", gettext_lazy("Notice recorded")
    DETERMINATION_RECORDED = "determination_recorded", gettext_lazy("Determination recorded")
    SANCTION_ADDED = "sanction_added", gettext_lazy("Sanction added")
    TRACK_SET = "respondent_track_set", gettext_lazy("Respondent track set")
    REDACTION_REQUESTED = "redaction_requested", gettext_lazy("Redacted summary requested")
    REDACTION_DECIDED = "redaction_decided", gettext_lazy("Redaction decided")
    REDACTED_SUMMARY_RELEASED = (
        "redacted_summary_released",
        gettext_lazy("Redacted summary released"),
    )
    # Written by the background tasks (services/reminders.py): who was emailed about what.
    REMINDER_SENT = "reminder_sent", gettext_lazy("Reminder sent")
    NOTIFICATION_SENT = "notification_sent", gettext_lazy("Staff notified")
    DEADLINE_EXTENDED = "deadline_extended", gettext_lazy("Deadline extended")
    SANCTION_STATUS_CHANGED = "sanction_status_changed", gettext_lazy("Sanction status changed")
    RECORD_CORRECTED = "record_corrected", gettext_lazy("Record corrected")
    RECORD_WITHDRAWN = "record_withdrawn", gettext_lazy("Record withdrawn")
    # Reports from anyone (services/intake_reports.py).
    # an incoming report opened as this case
    REPORT_PROMOTED = "report_promoted", gettext_lazy("Incoming report opened as a case")
    # another report of the same incident added to the case
    REPORT_MERGED = "report_merged", gettext_lazy("Incoming report merged")
    # a message between the district and a reporter
    REPORT_MESSAGE = "report_message", gettext_lazy("Message to a reporter")
    # the platform's notice, text and PDF
    TAKEDOWN_NOTICE_CREATED = "takedown_notice_created", gettext_lazy("Takedown notice prepared")
    # Appeals (services/appeals.py) and the formal process's milestones (Process A).
    APPEAL_FILED = "appeal_filed", gettext_lazy("Appeal filed")
    APPEAL_DECISION_MAKER_SET = (
        "appeal_decision_maker_set",
        gettext_lazy("Appeal decision-maker named"),
    )
    APPEAL_RESPONSE_RECORDED = "appeal_response_recorded", gettext_lazy("Appeal response recorded")
    APPEAL_DECIDED = "appeal_decided", gettext_lazy("Appeal decided")
    PROCESS_A_MILESTONE = "process_a_milestone", gettext_lazy("Process A step recorded")
    PARENT_DECISION_RECORDED = (
        "parent_decision_recorded",
        gettext_lazy("Parent notification decision recorded"),
    )
    SUPPORT_NOT_OFFERED = "support_not_offered", gettext_lazy("Reason no support was offered")
    # a letter from a template, its text and PDF (letters.py)
    LETTER_SENT = "letter_sent", gettext_lazy("Letter sent")


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


def _t(message: str, **values) -> str:
    """``message`` (already translated: ``_t(_("..."), name=...)``, so that makemessages
    finds it) with its ``%(name)s`` values in."""
    return message % values


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
        return self.users[pk] if pk in self.users else _("a staff member")

    def party(self, pk) -> str:
        return self.parties[pk] if pk in self.parties else _("a person")

    def record(self, kind: str, pk, default: str = "") -> str:
        return self.records.get((kind, pk), default)

    def label(self, vocabulary: str, value) -> str:
        return self.labels.get(vocabulary, {}).get(value, str(value or "").replace("_", " "))


KIND_NOUNS = {
    "party": gettext_lazy("Person"),
    "measure": gettext_lazy("Measure"),
    "evidence": gettext_lazy("Evidence entry"),
    "document": gettext_lazy("Document"),
    "takedown": gettext_lazy("Takedown request"),
    "report": gettext_lazy("External report"),
    "notice": gettext_lazy("Notice"),
    "determination": gettext_lazy("Determination"),
    "sanction": gettext_lazy("Sanction"),
    "offer": gettext_lazy("Offer"),
    "harm": gettext_lazy("Harm assessment"),
    "takedown_notice": gettext_lazy("Takedown notice"),
    "parent_decision": gettext_lazy("Parent-notification decision"),
    "no_support": gettext_lazy("Reason no supportive measure was offered"),
}
FIELD_WORDS = {
    "review_on": gettext_lazy("review on"),
    "starts_on": gettext_lazy("start date"),
    "ends_on": gettext_lazy("end date"),
    "delay_until": gettext_lazy("delayed until"),
    "approved_by": gettext_lazy("approved by"),
}


def _q(text: str) -> str:
    return f"\u2018{text}\u2019" if text else ""


def _field(key: str) -> str:
    return str(FIELD_WORDS.get(key, key.replace("_", " ")))


def _corrected(e, n: Names) -> str:
    d = e.detail
    noun = KIND_NOUNS.get(d.get("record"), gettext_lazy("Record"))
    changes = d.get("changes", {})
    head = _t(_("%(record)s %(label)s corrected"), record=noun, label=_q(d.get("label", "")))
    head = head.replace("  ", " ")
    if not changes:
        return head
    if not n.detailed:
        return f"{head}: {', '.join(_field(k) for k in changes)}"
    empty = _("(empty)")
    parts = [f"{_field(k)} {v[0] or empty} \u2192 {v[1] or empty}" for k, v in changes.items()]
    return f"{head}: {'; '.join(parts)}"


def _transition(e, n: Names) -> str:
    return _t(_("moved the case to %(stage)s"), stage=n.label("stage", e.to_stage))


CLOCK_WORDS = {
    "stage": gettext_lazy("the stage's deadline"),
    "takedown": gettext_lazy("a takedown request's 48-hour clock"),
    "report": gettext_lazy("an external report's deadline"),
    "measure_review": gettext_lazy("a measure's review date"),
    "appeal": gettext_lazy("an appeal window"),
}


def _clock(key) -> str:
    return str(CLOCK_WORDS.get(key) or _("a deadline"))


def _when(text) -> str:
    """An ISO instant from an event's detail, in the active (district) time zone."""
    import datetime as dt

    from django.utils import formats

    from .dates import moment_text

    try:
        if len(str(text)) == 10:  # a day, not an instant ("2026-12-01")
            return formats.date_format(dt.date.fromisoformat(str(text)), "M j, Y")
        value = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return str(text or _("not set"))
    return moment_text(value)


def _staff_count(d: dict) -> str:
    count = len(d.get("recipients") or [])
    return ngettext("%(count)d staff member", "%(count)d staff members", count) % {"count": count}


def _lead_changed(e, n: Names) -> str:
    d = e.detail
    to = n.user(d.get("to_user_id"))
    if d.get("from_user_id"):
        return _t(
            _("handed the lead from %(from)s to %(to)s"),
            **{"from": n.user(d["from_user_id"]), "to": to},
        )
    return _t(_("made %(user)s the lead"), user=to)


def _reminder(e, n: Names) -> str:
    d = e.detail
    values = {"staff": _staff_count(d), "clock": _clock(d.get("clock")), "due": _when(d.get("due"))}
    if d.get("when", "overdue") == "overdue":
        return _t(_("reminded %(staff)s that %(clock)s is overdue (due %(due)s)"), **values)
    return _t(_("reminded %(staff)s that %(clock)s is due soon (due %(due)s)"), **values)


def _measure(e, n: Names) -> str:
    return _q(n.record("measure", e.detail.get("measure_id"), _("a measure")))


def _platform(e, n: Names) -> str:
    return n.record("takedown", e.detail.get("takedown_id"), _("a platform"))


def _agencies(e) -> str:
    return ", ".join(e.detail.get("agencies") or e.detail.get("obligations", []))


def _measure_reviewed(e, n: Names) -> str:
    if e.detail.get("ended"):
        return _t(_("reviewed %(measure)s, and ended it"), measure=_measure(e, n))
    return _t(
        _("reviewed %(measure)s; next review %(next)s"),
        measure=_measure(e, n),
        next=e.detail.get("next_review_on") or _("not set"),
    )


def _takedown_submitted(e, n: Names) -> str:
    if e.detail.get("due_at"):
        return _t(
            _("submitted the takedown request to %(platform)s, 48-hour clock started"),
            platform=_platform(e, n),
        )
    return _t(_("submitted the takedown request to %(platform)s"), platform=_platform(e, n))


def _report_made(e, n: Names) -> str:
    agency = n.record("report", e.detail.get("report_id"), _("A"))
    reference = n.record("report_ref", e.detail.get("report_id"))
    if reference:
        return _t(
            _("%(agency)s report made, ref. %(reference)s"), agency=agency, reference=reference
        )
    return _t(_("%(agency)s report made"), agency=agency)


def _evidence(e, n: Names) -> str:
    if e.detail.get("platform"):
        return _t(_("recorded evidence (%(platform)s)"), platform=e.detail["platform"])
    return _("recorded evidence")


def _notice(e, n: Names) -> str:
    return _t(
        _("logged a %(kind)s about %(party)s (%(method)s)"),
        kind=n.label("notice_kind", e.detail.get("kind")),
        party=n.party(e.detail.get("party_id")),
        method=n.label("notice_method", e.detail.get("method")).lower(),
    ).replace("a Notice", "a notice")


def _redaction_decided(e, n: Names) -> str:
    values = {"kind": str(e.detail.get("kind", "")).replace("_", " ")}
    if e.detail.get("decision") == "redact":
        return _t(_("decided a redaction term (%(kind)s): redact"), **values)
    return _t(_("decided a redaction term (%(kind)s): keep"), **values)


def _appeal_filed(e, n: Names) -> str:
    values = {
        "party": n.party(e.detail.get("appellant_id")),
        "subject": n.label("appeal_subject", e.detail.get("subject")).lower(),
    }
    if e.detail.get("sanctions_stayed"):
        return _t(_("recorded an appeal by %(party)s of %(subject)s, sanctions stayed"), **values)
    return _t(_("recorded an appeal by %(party)s of %(subject)s"), **values)


def _appeal_decided(e, n: Names) -> str:
    count = len(e.detail.get("notice_ids", []))
    return ngettext(
        "decided the appeal: %(outcome)s; both parties notified together (%(count)d notice)",
        "decided the appeal: %(outcome)s; both parties notified together (%(count)d notices)",
        count,
    ) % {"outcome": n.label("appeal_outcome", e.detail.get("outcome")).lower(), "count": count}


def _report_message(e, n: Names) -> str:
    code = e.detail.get("code", "")
    if e.detail.get("from") == "reporter":
        return _t(_("Message from the reporter of report %(code)s"), code=code)
    return _t(_("sent a message to the reporter of report %(code)s"), code=code)


def _parent_decision(e, n: Names) -> str:
    d = e.detail
    text = _t(
        _("recorded the parent-notification decision for %(party)s: %(decision)s"),
        party=n.party(d.get("party_id")),
        decision=n.label("parent_decision", d.get("decision")).lower(),
    )
    if d.get("delay_until"):
        text += f" ({d['delay_until']})"
    text += _t(_(", approved by %(user)s"), user=n.user(d.get("approved_by_id")))
    if d.get("review_on"):
        text += _t(_(", review on %(date)s"), date=d["review_on"])
    return text


def _letter_sent(e, n: Names) -> str:
    d = e.detail
    values = {
        "letter": _q(_letter_kind(d.get("kind"))),
        "to": n.party(d.get("party_id")) if d.get("party_id") else _platform(e, n),
    }
    if d.get("language") == "es":
        return _t(_("sent the letter %(letter)s to %(to)s (in Spanish)"), **values)
    return _t(_("sent the letter %(letter)s to %(to)s"), **values)


def _d(e, key, default=""):
    return e.detail.get(key, default)


BUILDERS: dict[str, Callable] = {
    EventType.CASE_CREATED: lambda e, n: _t(
        _("recorded the report %(reference)s"), reference=_d(e, "reference")
    ),
    EventType.FACTS_UPDATED: lambda e, n: _t(
        _("updated the facts: %(fields)s"),
        fields=", ".join(f.replace("_", " ") for f in _d(e, "fields", [])),
    ),
    EventType.SCHOOL_CHANGED: lambda e, n: _t(
        _("moved the case from %(from)s to %(to)s"),
        **{
            "from": n.schools.get(_d(e, "from_school_id"), _("another school")),
            "to": n.schools.get(_d(e, "to_school_id"), _("another school")),
        },
    ),
    EventType.PARTY_ADDED: lambda e, n: _t(
        _("added %(party)s as %(role)s"),
        party=n.party(_d(e, "party_id")),
        role=n.label("party_role", _d(e, "role")).lower(),
    ),
    EventType.PARTY_UPDATED: lambda e, n: _t(
        _("identified %(party)s"), party=n.party(_d(e, "party_id"))
    ),
    EventType.ASSIGNED: lambda e, n: _t(
        _("assigned %(user)s as %(role)s"),
        user=n.user(_d(e, "user_id")),
        role=n.label("assignment_role", _d(e, "role")).lower(),
    ),
    EventType.UNASSIGNED: lambda e, n: _t(
        _("ended the assignment of %(user)s as %(role)s"),
        user=n.user(_d(e, "user_id")),
        role=n.label("assignment_role", _d(e, "role")).lower(),
    ),
    EventType.TRANSITION: _transition,
    EventType.HARM_ASSESSED: lambda e, n: _t(
        _("assessed the harm: %(level)s"), level=n.label("level", _d(e, "level")).lower()
    ),
    EventType.MEASURE_ADDED: lambda e, n: _t(
        _("added the measure %(measure)s for %(party)s"),
        measure=_measure(e, n),
        party=n.party(_d(e, "party_id")),
    ),
    EventType.MEASURE_CHOICE_RECORDED: lambda e, n: _t(
        _("recorded the choice on %(measure)s: %(choice)s"),
        measure=_measure(e, n),
        choice=n.label("party_choice", _d(e, "choice")).lower(),
    ),
    EventType.MEASURE_STATUS_CHANGED: lambda e, n: _t(
        _("changed %(measure)s: %(from)s \u2192 %(to)s"),
        **{
            "measure": _measure(e, n),
            "from": n.label("measure_status", _d(e, "from")).lower(),
            "to": n.label("measure_status", _d(e, "to")).lower(),
        },
    ),
    EventType.MEASURE_REVIEWED: _measure_reviewed,
    EventType.RESOLUTION_OFFERED: lambda e, n: _t(
        _("offered %(option)s to %(party)s"),
        option=n.label("option", _d(e, "option")),
        party=n.party(_d(e, "party_id")),
    ),
    EventType.RESOLUTION_CHOICE_RECORDED: lambda e, n: _t(
        _("recorded the answer to %(option)s: %(choice)s"),
        option=n.label("option", _d(e, "option")).lower(),
        choice=n.label("party_choice", _d(e, "choice")).lower(),
    ),
    EventType.TAKEDOWN_CREATED: lambda e, n: _t(
        _("opened a takedown request for %(platform)s"),
        platform=n.record("takedown", _d(e, "takedown_id"), _d(e, "platform")),
    ),
    EventType.TAKEDOWN_SUBMITTED: _takedown_submitted,
    EventType.TAKEDOWN_STATUS_CHANGED: lambda e, n: _t(
        _("recorded the takedown request to %(platform)s as %(status)s"),
        platform=_platform(e, n),
        status=n.label("takedown_status", _d(e, "to")).lower(),
    ),
    EventType.REPORTS_TRIGGERED: lambda e, n: _t(
        _("Reports required: %(agencies)s"), agencies=_agencies(e)
    ),
    EventType.REPORTS_WITHDRAWN: lambda e, n: _t(
        _("No longer required (facts changed): %(agencies)s"), agencies=_agencies(e)
    ),
    EventType.REPORT_MADE: _report_made,
    EventType.REPORT_NOT_REQUIRED: lambda e, n: _t(
        _("%(agency)s report: not required"), agency=n.record("report", _d(e, "report_id"))
    ),
    EventType.EVIDENCE_RECORDED: _evidence,
    EventType.CUSTODY_TRANSFERRED: lambda e, n: _("recorded a change of who holds the device"),
    EventType.DOCUMENT_ATTACHED: lambda e, n: _t(
        _("attached the document %(document)s"),
        document=_q(n.record("document", _d(e, "document_id"), _("a document"))),
    ),
    EventType.NOTICE_LOGGED: _notice,
    EventType.DETERMINATION_RECORDED: lambda e, n: _t(
        _("recorded the determination for %(party)s: %(finding)s"),
        party=n.party(_d(e, "respondent_id")),
        finding=n.label("finding", _d(e, "finding")).lower(),
    ),
    EventType.SANCTION_ADDED: lambda e, n: _t(
        _("added the sanction %(sanction)s for %(party)s"),
        sanction=_q(n.record("sanction", _d(e, "sanction_id"), e.detail.get("intervention"))),
        party=n.party(_d(e, "respondent_id")),
    ),
    EventType.TRACK_SET: lambda e, n: _t(
        _("set the respondent track: %(track)s"), track=n.label("track", _d(e, "to")).lower()
    ),
    EventType.SANCTION_STATUS_CHANGED: lambda e, n: _t(
        _("changed the sanction %(sanction)s: %(from)s \u2192 %(to)s"),
        **{
            "sanction": _q(_d(e, "intervention")),
            "from": n.label("sanction_status", _d(e, "from")).lower(),
            "to": n.label("sanction_status", _d(e, "to")).lower(),
        },
    ),
    EventType.LEAD_CHANGED: _lead_changed,
    EventType.ASSIGNEE_DEACTIVATED: lambda e, n: _t(
        _("ended the assignments of %(user)s (their account was deactivated)"),
        user=n.user(_d(e, "user_id")),
    ),
    EventType.REDACTION_REQUESTED: lambda e, n: _("opened a redaction review of the summary"),
    # The term itself is left out: it is often a name the redaction exists to hide.
    EventType.REDACTION_DECIDED: _redaction_decided,
    EventType.REDACTED_SUMMARY_RELEASED: lambda e, n: _("released the redacted summary"),
    EventType.REMINDER_SENT: _reminder,
    EventType.NOTIFICATION_SENT: lambda e, n: _t(
        _("e-mailed %(staff)s about the move to %(stage)s"),
        staff=_staff_count(e.detail),
        stage=n.label("stage", e.to_stage),
    ),
    EventType.DEADLINE_EXTENDED: lambda e, n: _t(
        _("extended %(clock)s from %(before)s to %(after)s"),
        clock=_clock(_d(e, "clock")),
        before=_when(_d(e, "previous_due_at", None)),
        after=_when(_d(e, "new_due_at", None)),
    ),
    EventType.APPEAL_FILED: _appeal_filed,
    EventType.APPEAL_DECISION_MAKER_SET: lambda e, n: _t(
        _("named %(user)s as the appeal decision-maker"), user=n.user(_d(e, "user_id"))
    ),
    EventType.APPEAL_RESPONSE_RECORDED: lambda e, n: _t(
        _("recorded the response of %(party)s to the appeal"), party=n.party(_d(e, "party_id"))
    ),
    EventType.APPEAL_DECIDED: _appeal_decided,
    EventType.PROCESS_A_MILESTONE: lambda e, n: _t(
        _("recorded a step of the formal process: %(step)s on %(date)s"),
        step=n.label("milestone", _d(e, "kind")).lower(),
        date=_d(e, "on"),
    ),
    EventType.RECORD_CORRECTED: _corrected,
    EventType.RECORD_WITHDRAWN: lambda e, n: _t(
        _("%(record)s %(label)s withdrawn"),
        record=KIND_NOUNS.get(_d(e, "record"), gettext_lazy("Record")),
        label=_q(_d(e, "label")),
    ),
    EventType.REPORT_PROMOTED: lambda e, n: _t(
        _("opened this case from the incoming report %(code)s"), code=_d(e, "code")
    ),
    EventType.REPORT_MERGED: lambda e, n: _t(
        _("added the incoming report %(code)s to this case (same incident)"), code=_d(e, "code")
    ),
    EventType.REPORT_MESSAGE: _report_message,
    EventType.TAKEDOWN_NOTICE_CREATED: lambda e, n: _t(
        _("prepared the TAKE IT DOWN Act notice for the takedown request to %(platform)s"),
        platform=_platform(e, n),
    ),
    EventType.PARENT_DECISION_RECORDED: _parent_decision,
    EventType.SUPPORT_NOT_OFFERED: lambda e, n: _t(
        _("recorded why no supportive measure was offered to %(party)s"),
        party=n.party(_d(e, "party_id")),
    ),
    EventType.LETTER_SENT: _letter_sent,
}


def _letter_kind(value) -> str:
    from .models_letters import LetterKind

    return str(dict(LetterKind.choices).get(value, _("letter")))


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
    who = actor if actor is not None else (str(event.actor) if event.actor_id else _("System"))
    if event.event_type == EventType.REPORT_MESSAGE and not event.actor_id:
        return what  # the reporter wrote it: no staff member to name
    if event.event_type in NO_ACTOR:
        return _t(_("%(what)s (by %(who)s)"), what=f"{what[:1].upper()}{what[1:]}", who=who)
    return _t(_("%(who)s %(what)s"), who=who, what=what)
