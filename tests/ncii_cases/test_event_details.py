"""The typed detail builders (``event_details``) and the timeline sentences (``events``) agree:
every event type has a builder, each builder writes the keys stored events already hold, and
each sentence reads only keys its builder writes, so a sentence built from a builder's event
names the records the builder was given (round trip: build -> sentence)."""

import datetime as dt

import pytest

from ncii_cases import choices as c
from ncii_cases import event_details as ev
from ncii_cases.events import EventType, Names, event_sentence, reports_linked
from ncii_cases.models import (
    Appeal,
    AppealOutcome,
    CaseEvent,
    Determination,
    MeasureStatus,
    ParentNotificationDecision,
    PartyChoice,
    PartyNotice,
    ProcessAMilestone,
    ResolutionOffer,
    SanctionStatus,
    TakedownRequest,
)
from ncii_cases.models_letters import LetterKind

UTC = dt.UTC
AT = dt.datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
LATER = dt.datetime(2026, 12, 8, 15, 0, tzinfo=UTC)
RECIPIENTS = [{"id": 7, "username": "mellery"}, {"id": 8, "username": "sreyes"}]

# One call per branch of each sentence: (builder's event type, keyword arguments).
SAMPLES = [
    (
        EventType.CASE_CREATED,
        {
            "reference": "NCII-2026-0001",
            "school_id": 3,
            "party_ids": [21],
            "platform_ids": [5],
            "to_stage": c.Stage.INTAKE,
        },
    ),
    (EventType.FACTS_UPDATED, {"fields": ["incident_date", "ncii_kind"]}),
    (
        EventType.SCHOOL_CHANGED,
        {"from_school_id": 3, "to_school_id": 4, "ended_assignment_ids": [12]},
    ),
    (
        EventType.PARTY_ADDED,
        {
            "party_id": 21,
            "role": c.PartyRole.DEPICTED,
            "affiliation": "student",
            "name": "Riley Moss",
        },
    ),
    (EventType.PARTY_UPDATED, {"party_id": 21, "affiliation": "student"}),
    (EventType.ASSIGNED, {"user_id": 7, "role": c.AssignmentRole.SUPPORT, "assignment_id": 12}),
    (EventType.UNASSIGNED, {"user_id": 7, "role": c.AssignmentRole.SUPPORT}),
    (
        EventType.LEAD_CHANGED,
        {"from_user_id": 7, "to_user_id": 8, "ended_assignment_id": 12, "assignment_id": 13},
    ),
    (
        EventType.LEAD_CHANGED,
        {"from_user_id": None, "to_user_id": 8, "ended_assignment_id": None, "assignment_id": 13},
    ),
    (
        EventType.ASSIGNEE_DEACTIVATED,
        {"user_id": 7, "roles": [c.AssignmentRole.SUPPORT], "assignment_ids": [12]},
    ),
    (
        EventType.TRANSITION,
        {
            "from_stage": c.Stage.INTAKE,
            "to_stage": c.Stage.INVESTIGATION,
            "action": "start_investigation",
            "detail": {"routing": "process_b"},
        },
    ),
    (
        EventType.DEADLINE_EXTENDED,
        {
            "extension_id": 9,
            "clock": "stage",
            "stage": c.Stage.INVESTIGATION,
            "determination_id": None,
            "previous_due_at": AT,
            "new_due_at": LATER,
        },
    ),
    (
        EventType.HARM_ASSESSED,
        {"level": c.Level.HIGH, "factors": ["Shared widely (+2)"], "completed": True},
    ),
    (
        EventType.MEASURE_ADDED,
        {
            "measure_id": 31,
            "kind": "no_contact",
            "catalog": "no-contact",
            "party_id": 21,
            "choice": PartyChoice.OFFERED,
        },
    ),
    (EventType.MEASURE_CHOICE_RECORDED, {"measure_id": 31, "choice": PartyChoice.ACCEPTED}),
    (
        EventType.MEASURE_STATUS_CHANGED,
        {"measure_id": 31, "old": MeasureStatus.PLANNED, "new": MeasureStatus.ACTIVE},
    ),
    (
        EventType.MEASURE_REVIEWED,
        {"measure_id": 31, "ended": False, "next_review_on": dt.date(2026, 12, 20)},
    ),
    (EventType.MEASURE_REVIEWED, {"measure_id": 31, "ended": True, "next_review_on": None}),
    (
        EventType.RESOLUTION_OFFERED,
        {
            "offer_id": 15,
            "option": ResolutionOffer.Option.RESTORATIVE,
            "party_id": 21,
            "choice": PartyChoice.OFFERED,
        },
    ),
    (
        EventType.RESOLUTION_CHOICE_RECORDED,
        {
            "offer_id": 15,
            "option": ResolutionOffer.Option.RESTORATIVE,
            "choice": PartyChoice.DECLINED,
        },
    ),
    (
        EventType.PARENT_DECISION_RECORDED,
        {
            "decision_id": 17,
            "party_id": 21,
            "decision": ParentNotificationDecision.Decision.DELAY,
            "delay_until": dt.date(2026, 12, 4),
            "review_on": dt.date(2026, 12, 3),
            "risks": ["retaliation"],
            "approved_by_id": 8,
        },
    ),
    (EventType.SUPPORT_NOT_OFFERED, {"record_id": 18, "party_id": 21}),
    (
        EventType.TAKEDOWN_CREATED,
        {
            "takedown_id": 41,
            "platform": "instagram",
            "route": "platform_form",
            "suggested_route": "platform_form",
            "covered_by_48h_rule": True,
        },
    ),
    (EventType.TAKEDOWN_SUBMITTED, {"takedown_id": 41, "submitted_at": AT, "due_at": LATER}),
    (EventType.TAKEDOWN_SUBMITTED, {"takedown_id": 41, "submitted_at": AT, "due_at": None}),
    (
        EventType.TAKEDOWN_STATUS_CHANGED,
        {
            "takedown_id": 41,
            "old": TakedownRequest.Status.SUBMITTED,
            "new": TakedownRequest.Status.REMOVED,
            "within_48h": True,
        },
    ),
    (
        EventType.TAKEDOWN_NOTICE_CREATED,
        {
            "notice_id": 42,
            "takedown_id": 41,
            "platform": "instagram",
            "authority": "depicted_person",
            "name_depicted": False,
            "pdf_sha256": "ab" * 32,
        },
    ),
    (
        EventType.REPORTS_TRIGGERED,
        {
            "report_ids": [51],
            "obligations": ["ncmec"],
            "agencies": ["CyberTipline"],
            "reopened_ids": [],
        },
    ),
    (
        EventType.REPORTS_WITHDRAWN,
        {"report_ids": [51], "obligations": ["ncmec"], "agencies": ["CyberTipline"]},
    ),
    (
        EventType.REPORT_MADE,
        {"report_id": 51, "agency_kind": "ncmec", "reported_at": AT, "on_time": True},
    ),
    (EventType.REPORT_NOT_REQUIRED, {"report_id": 51, "agency_kind": "ncmec"}),
    (
        EventType.EVIDENCE_RECORDED,
        {"evidence_id": 61, "platform": "instagram", "has_sha256": True, "has_pdq": False},
    ),
    (
        EventType.EVIDENCE_RECORDED,
        {"evidence_id": 61, "platform": "", "has_sha256": False, "has_pdq": False},
    ),
    (EventType.CUSTODY_TRANSFERRED, {"evidence_id": 61, "custody_entry_id": 62}),
    (
        EventType.DOCUMENT_ATTACHED,
        {"document_id": 63, "content_type": "application/pdf", "size": 2048, "sha256": "cd" * 32},
    ),
    (
        EventType.NOTICE_LOGGED,
        {
            "notice_id": 64,
            "party_id": 21,
            "kind": PartyNotice.Kind.SUPPORT,
            "method": PartyNotice.Method.IN_PERSON,
        },
    ),
    (
        EventType.NOTICE_LOGGED,
        {
            "notice_id": 64,
            "party_id": 21,
            "kind": PartyNotice.Kind.PARENT_NOTIFICATION,
            "method": PartyNotice.Method.EMAIL,
            "eligible_student_basis": "consent",
        },
    ),
    (
        EventType.LETTER_SENT,
        {
            "letter_id": 65,
            "notice_id": 64,
            "kind": LetterKind.ALLEGATIONS,
            "party_id": 21,
            "takedown_id": None,
            "language": "es",
            "template_id": 66,
            "edited": False,
            "pdf_sha256": "ef" * 32,
        },
    ),
    (
        EventType.LETTER_SENT,
        {
            "letter_id": 65,
            "notice_id": None,
            "kind": LetterKind.PARENT,
            "party_id": None,
            "takedown_id": 41,
            "language": "en",
            "template_id": None,
            "edited": True,
            "pdf_sha256": "ef" * 32,
        },
    ),
    (
        EventType.TRACK_SET,
        {"old": c.RespondentTrack.UNDETERMINED, "new": c.RespondentTrack.STUDENT},
    ),
    (
        EventType.DETERMINATION_RECORDED,
        {
            "determination_id": 67,
            "respondent_id": 22,
            "finding": Determination.Finding.RESPONSIBLE,
            "standard": "preponderance",
        },
    ),
    (
        EventType.SANCTION_ADDED,
        {"sanction_id": 71, "respondent_id": 22, "intervention": "suspension"},
    ),
    (
        EventType.SANCTION_STATUS_CHANGED,
        {
            "sanction_id": 71,
            "intervention": "Suspension",
            "old": SanctionStatus.PLANNED,
            "new": SanctionStatus.IN_EFFECT,
        },
    ),
    (
        EventType.APPEAL_FILED,
        {
            "appeal_id": 81,
            "subject": Appeal.Subject.DETERMINATION,
            "appellant_id": 22,
            "determination_id": 67,
            "grounds": ["procedural_irregularity"],
            "sanctions_stayed": True,
        },
    ),
    (
        EventType.APPEAL_FILED,
        {
            "appeal_id": 81,
            "subject": Appeal.Subject.DISMISSAL,
            "appellant_id": 21,
            "determination_id": None,
            "grounds": ["new_evidence"],
            "sanctions_stayed": False,
        },
    ),
    (EventType.APPEAL_DECISION_MAKER_SET, {"appeal_id": 81, "user_id": 8}),
    (EventType.APPEAL_RESPONSE_RECORDED, {"appeal_id": 81, "party_id": 21}),
    (
        EventType.APPEAL_DECIDED,
        {
            "appeal_id": 81,
            "outcome": AppealOutcome.AFFIRM,
            "notice_ids": [91, 92],
            "party_ids": [21, 22],
        },
    ),
    (
        EventType.PROCESS_A_MILESTONE,
        {"milestone_id": 93, "kind": ProcessAMilestone.Kind.FORMAL_COMPLAINT, "on": "2026-12-02"},
    ),
    (
        EventType.RECORD_CORRECTED,
        {
            "record": "measure",
            "record_id": 31,
            "label": "No-contact directive",
            "changes": {"review_on": ["2026-12-02", "2026-12-20"]},
        },
    ),
    (
        EventType.RECORD_WITHDRAWN,
        {"record": "document", "record_id": 63, "label": "Screenshot log"},
    ),
    (EventType.REPORT_PROMOTED, {"report_id": 94, "code": "K7QX-2M", "source": "online_form"}),
    (EventType.REPORT_MERGED, {"report_id": 95, "code": "P3ZD-8T", "source": "online_form"}),
    (
        EventType.REPORT_MESSAGE,
        {"report_id": 94, "code": "K7QX-2M", "message_id": 96, "author": "reporter"},
    ),
    (
        EventType.REPORT_MESSAGE,
        {"report_id": 94, "code": "K7QX-2M", "message_id": 97, "author": "staff"},
    ),
    (EventType.REDACTION_REQUESTED, {"review_id": 98}),
    (
        EventType.REDACTION_DECIDED,
        {"term_id": 99, "kind": "person_name", "decision": "redact", "added": False},
    ),
    (
        EventType.REDACTED_SUMMARY_RELEASED,
        {"review_id": 98, "job_id": 100, "counts": {"person_name": 2}},
    ),
    (
        EventType.REMINDER_SENT,
        {
            "clock": "takedown",
            "item_id": 41,
            "due": "2026-12-03T15:00:00+00:00",
            "started": "2026-12-01T15:00:00+00:00",
            "when": "before",
            "recipients": RECIPIENTS,
        },
    ),
    (
        EventType.REMINDER_SENT,
        {
            "clock": "stage",
            "item_id": 1,
            "due": "2026-12-03T15:00:00+00:00",
            "started": "2026-12-01T15:00:00+00:00",
            "when": "overdue",
            "recipients": RECIPIENTS[:1],
            "stage": c.Stage.INVESTIGATION,
        },
    ),
    (
        EventType.NOTIFICATION_SENT,
        {
            "about_event_id": 101,
            "about": EventType.TRANSITION,
            "to_stage": c.Stage.INVESTIGATION,
            "recipients": RECIPIENTS,
        },
    ),
]
IDS = [f"{event_type}-{i}" for i, (event_type, _) in enumerate(SAMPLES)]

# The keys each event type's detail held when the builders were introduced (read from the
# services that wrote them ad hoc): stored events and the audit chain hold these, so a key is
# never renamed or dropped. Optional keys are in the second set.
KEYS = {
    EventType.CASE_CREATED: ({"reference", "school_id", "party_ids", "platform_ids"}, set()),
    EventType.FACTS_UPDATED: ({"fields"}, set()),
    EventType.SCHOOL_CHANGED: ({"from_school_id", "to_school_id", "ended_assignment_ids"}, set()),
    EventType.PARTY_ADDED: ({"party_id", "role", "affiliation", "name"}, set()),
    EventType.PARTY_UPDATED: ({"party_id", "identified", "affiliation"}, set()),
    EventType.ASSIGNED: ({"user_id", "role", "assignment_id"}, set()),
    EventType.UNASSIGNED: ({"user_id", "role"}, set()),
    EventType.LEAD_CHANGED: (
        {"from_user_id", "to_user_id", "ended_assignment_id", "assignment_id"},
        set(),
    ),
    EventType.ASSIGNEE_DEACTIVATED: ({"user_id", "roles", "assignment_ids"}, set()),
    # The workflow row's own detail fields come in beside the action.
    EventType.TRANSITION: ({"action", "routing"}, set()),
    EventType.DEADLINE_EXTENDED: (
        {"extension_id", "clock", "stage", "determination_id", "previous_due_at", "new_due_at"},
        set(),
    ),
    EventType.HARM_ASSESSED: ({"level", "factors", "completed"}, set()),
    EventType.MEASURE_ADDED: ({"measure_id", "kind", "catalog", "party_id", "choice"}, set()),
    EventType.MEASURE_CHOICE_RECORDED: ({"measure_id", "choice"}, set()),
    EventType.MEASURE_STATUS_CHANGED: ({"measure_id", "from", "to"}, set()),
    EventType.MEASURE_REVIEWED: ({"measure_id", "ended", "next_review_on"}, set()),
    EventType.RESOLUTION_OFFERED: ({"offer_id", "option", "party_id", "choice"}, set()),
    EventType.RESOLUTION_CHOICE_RECORDED: ({"offer_id", "option", "choice"}, set()),
    EventType.PARENT_DECISION_RECORDED: (
        {
            "decision_id",
            "party_id",
            "decision",
            "delay_until",
            "review_on",
            "risks",
            "approved_by_id",
        },
        set(),
    ),
    EventType.SUPPORT_NOT_OFFERED: ({"record_id", "party_id"}, set()),
    EventType.TAKEDOWN_CREATED: (
        {"takedown_id", "platform", "route", "suggested_route", "covered_by_48h_rule"},
        set(),
    ),
    EventType.TAKEDOWN_SUBMITTED: ({"takedown_id", "submitted_at", "due_at"}, set()),
    EventType.TAKEDOWN_STATUS_CHANGED: ({"takedown_id", "from", "to", "within_48h"}, set()),
    EventType.TAKEDOWN_NOTICE_CREATED: (
        {"notice_id", "takedown_id", "platform", "authority", "name_depicted", "pdf_sha256"},
        set(),
    ),
    EventType.REPORTS_TRIGGERED: (
        {"report_ids", "obligations", "agencies", "reopened_ids"},
        set(),
    ),
    EventType.REPORTS_WITHDRAWN: ({"report_ids", "obligations", "agencies"}, set()),
    EventType.REPORT_MADE: ({"report_id", "agency_kind", "reported_at", "on_time"}, set()),
    EventType.REPORT_NOT_REQUIRED: ({"report_id", "agency_kind"}, set()),
    EventType.EVIDENCE_RECORDED: ({"evidence_id", "platform", "has_sha256", "has_pdq"}, set()),
    EventType.CUSTODY_TRANSFERRED: ({"evidence_id", "custody_entry_id"}, set()),
    EventType.DOCUMENT_ATTACHED: ({"document_id", "content_type", "size", "sha256"}, set()),
    EventType.NOTICE_LOGGED: (
        {"notice_id", "party_id", "kind", "method"},
        {"eligible_student_basis"},
    ),
    EventType.LETTER_SENT: (
        {
            "letter_id",
            "notice_id",
            "kind",
            "party_id",
            "takedown_id",
            "language",
            "template_id",
            "edited",
            "pdf_sha256",
        },
        set(),
    ),
    EventType.TRACK_SET: ({"from", "to"}, set()),
    EventType.DETERMINATION_RECORDED: (
        {"determination_id", "respondent_id", "finding", "standard"},
        set(),
    ),
    EventType.SANCTION_ADDED: ({"sanction_id", "respondent_id", "intervention"}, set()),
    EventType.SANCTION_STATUS_CHANGED: ({"sanction_id", "intervention", "from", "to"}, set()),
    EventType.APPEAL_FILED: (
        {
            "appeal_id",
            "subject",
            "appellant_id",
            "determination_id",
            "grounds",
            "sanctions_stayed",
        },
        set(),
    ),
    EventType.APPEAL_DECISION_MAKER_SET: ({"appeal_id", "user_id"}, set()),
    EventType.APPEAL_RESPONSE_RECORDED: ({"appeal_id", "party_id"}, set()),
    EventType.APPEAL_DECIDED: ({"appeal_id", "outcome", "notice_ids", "party_ids"}, set()),
    EventType.PROCESS_A_MILESTONE: ({"milestone_id", "kind", "on"}, set()),
    EventType.RECORD_CORRECTED: ({"record", "record_id", "label", "changes"}, set()),
    EventType.RECORD_WITHDRAWN: ({"record", "record_id", "label"}, set()),
    EventType.REPORT_PROMOTED: ({"report_id", "code", "source"}, set()),
    EventType.REPORT_MERGED: ({"report_id", "code", "source"}, set()),
    EventType.REPORT_MESSAGE: ({"report_id", "code", "message_id", "from"}, set()),
    EventType.REDACTION_REQUESTED: ({"review_id"}, set()),
    EventType.REDACTION_DECIDED: ({"term_id", "kind", "decision", "added"}, set()),
    EventType.REDACTED_SUMMARY_RELEASED: ({"review_id", "job_id", "counts"}, set()),
    EventType.REMINDER_SENT: (
        {"clock", "item_id", "due", "started", "when", "recipients"},
        {"stage"},
    ),
    EventType.NOTIFICATION_SENT: ({"about_event_id", "about", "recipients"}, set()),
}


class ReadKeys(dict):
    """A detail that remembers which keys were asked of it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


def names() -> Names:
    """What the case page's reading selector would look up for the samples' ids."""

    def words(choices) -> dict[str, str]:
        return {k: str(v) for k, v in choices}

    return Names(
        users={7: "Morgan Ellery", 8: "Sam Reyes"},
        parties={21: "Riley Moss", 22: "Jordan Vale"},
        schools={3: "North Middle School", 4: "South High School"},
        records={
            ("measure", 31): "No-contact directive",
            ("takedown", 41): "Instagram",
            ("report", 51): "CyberTipline",
            ("report_ref", 51): "CT-1",
            ("document", 63): "Screenshot log",
            ("sanction", 71): "Suspension",
        },
        labels={
            "stage": words(c.Stage.choices),
            "party_role": words(c.PartyRole.choices),
            "assignment_role": words(c.AssignmentRole.choices),
            "level": words(c.Level.choices),
            "party_choice": words(PartyChoice.choices),
            "measure_status": words(MeasureStatus.choices),
            "sanction_status": words(SanctionStatus.choices),
            "option": words(ResolutionOffer.Option.choices),
            "takedown_status": words(TakedownRequest.Status.choices),
            "notice_kind": words(PartyNotice.Kind.choices),
            "notice_method": words(PartyNotice.Method.choices),
            "finding": words(Determination.Finding.choices),
            "track": words(c.RespondentTrack.choices),
            "appeal_subject": words(Appeal.Subject.choices),
            "appeal_outcome": words(AppealOutcome.choices),
            "milestone": words(ProcessAMilestone.Kind.choices),
            "parent_decision": words(ParentNotificationDecision.Decision.choices),
        },
    )


def built(event_type, kwargs) -> CaseEvent:
    """The unsaved event the builder of ``event_type`` makes of ``kwargs``."""
    return CaseEvent(actor=None, **ev.DETAIL_BUILDERS[event_type](**kwargs))


def test_every_event_type_has_one_detail_builder():
    assert set(ev.DETAIL_BUILDERS) == set(EventType.values)
    assert set(KEYS) == set(EventType.values)
    assert {event_type for event_type, _ in SAMPLES} == set(EventType.values)


@pytest.mark.parametrize(("event_type", "kwargs"), SAMPLES, ids=IDS)
def test_each_builder_writes_the_keys_stored_events_hold(event_type, kwargs):
    event = built(event_type, kwargs)
    required, optional = KEYS[event_type]
    assert event.event_type == event_type
    assert required <= set(event.detail) <= required | optional


@pytest.mark.parametrize(("event_type", "kwargs"), SAMPLES, ids=IDS)
def test_each_sentence_reads_only_keys_its_builder_writes(event_type, kwargs):
    event = built(event_type, kwargs)
    event.detail = ReadKeys(event.detail)
    event_sentence(event, names())
    reports_linked([event])
    assert event.detail.read <= set(event.detail), event.detail.read - set(event.detail)


def test_the_builders_keep_the_values_as_stored_text():
    """Dates and instants are stored as ISO text (what the audit chain hashed before), empty
    optional dates as null, and an optional key is left out rather than stored empty."""
    submitted = ev.takedown_submitted(takedown_id=1, submitted_at=AT, due_at=None)["detail"]
    assert submitted == {"takedown_id": 1, "submitted_at": AT.isoformat(), "due_at": None}
    reviewed = ev.measure_reviewed(measure_id=1, ended=False, next_review_on=dt.date(2026, 1, 2))
    assert reviewed["detail"]["next_review_on"] == "2026-01-02"
    notice = ev.notice_logged(notice_id=1, party_id=2, kind="parent", method="email")
    assert "eligible_student_basis" not in notice["detail"]
    with_basis = ev.notice_logged(
        notice_id=1, party_id=2, kind="parent", method="email", eligible_student_basis=""
    )
    assert with_basis["detail"]["eligible_student_basis"] == ""
    reminder = ev.reminder_sent(
        clock="report", item_id=1, due="d", started="", when="before", recipients=[]
    )
    assert "stage" not in reminder["detail"]


# Round trips: the sentence a builder's event reads as names what the builder was given.
ROUND_TRIPS = [
    (
        "case_created",
        ev.case_created(
            reference="NCII-2026-0001",
            school_id=3,
            party_ids=[],
            platform_ids=[],
            to_stage=c.Stage.INTAKE,
        ),
        "Dana Okafor recorded the report NCII-2026-0001",
    ),
    (
        "school",
        ev.school_changed(from_school_id=3, to_school_id=4, ended_assignment_ids=[]),
        "Dana Okafor moved the case from North Middle School to South High School",
    ),
    (
        "party",
        ev.party_added(party_id=21, role=c.PartyRole.DEPICTED, affiliation="", name=""),
        "Dana Okafor added Riley Moss as depicted person / complainant",
    ),
    (
        "assignment",
        ev.assigned(user_id=7, role=c.AssignmentRole.SUPPORT, assignment_id=1),
        "Dana Okafor assigned Morgan Ellery as support staff",
    ),
    (
        "lead",
        ev.lead_changed(from_user_id=7, to_user_id=8, ended_assignment_id=1, assignment_id=2),
        "Dana Okafor handed the lead from Morgan Ellery to Sam Reyes",
    ),
    (
        "transition",
        ev.transition(
            from_stage=c.Stage.INTAKE, to_stage=c.Stage.INVESTIGATION, action="x", detail={}
        ),
        "Dana Okafor moved the case to Investigation",
    ),
    (
        "measure",
        ev.measure_status_changed(
            measure_id=31, old=MeasureStatus.PLANNED, new=MeasureStatus.ACTIVE
        ),
        "Dana Okafor changed \u2018No-contact directive\u2019: planned \u2192 in place",
    ),
    (
        "takedown",
        ev.takedown_submitted(takedown_id=41, submitted_at=AT, due_at=LATER),
        "Dana Okafor submitted the takedown request to Instagram, 48-hour clock started",
    ),
    (
        "report",
        ev.report_made(report_id=51, agency_kind="ncmec", reported_at=AT, on_time=True),
        "CyberTipline report made, ref. CT-1 (by Dana Okafor)",
    ),
    (
        "reports_due",
        ev.reports_triggered(
            report_ids=[51], obligations=["ncmec"], agencies=["CyberTipline"], reopened_ids=[]
        ),
        "Reports required: CyberTipline (by Dana Okafor)",
    ),
    (
        "notice",
        ev.notice_logged(
            notice_id=1,
            party_id=21,
            kind=PartyNotice.Kind.NOTICE_OF_ALLEGATIONS,
            method=PartyNotice.Method.EMAIL,
        ),
        "Dana Okafor logged a notice of allegations about Riley Moss (email)",
    ),
    (
        "determination",
        ev.determination_recorded(
            determination_id=1,
            respondent_id=22,
            finding=Determination.Finding.RESPONSIBLE,
            standard="preponderance",
        ),
        "Dana Okafor recorded the determination for Jordan Vale: responsible",
    ),
    (
        "appeal",
        ev.appeal_decision_maker_set(appeal_id=1, user_id=8),
        "Dana Okafor named Sam Reyes as the appeal decision-maker",
    ),
    (
        "correction",
        ev.record_corrected(
            record="measure",
            record_id=31,
            label="No-contact directive",
            changes={"review_on": ["2026-12-02", "2026-12-20"]},
        ),
        "Measure \u2018No-contact directive\u2019 corrected: review on 2026-12-02 \u2192 "
        "2026-12-20 (by Dana Okafor)",
    ),
    (
        "incoming_report",
        ev.report_merged(report_id=95, code="P3ZD-8T", source="online_form"),
        "Dana Okafor added the incoming report P3ZD-8T to this case (same incident)",
    ),
    (
        "redaction",
        ev.redaction_decided(term_id=1, kind="person_name", decision="keep", added=False),
        "Dana Okafor decided a redaction term (person name): keep",
    ),
    (
        "notification",
        ev.notification_sent(
            about_event_id=1,
            about=EventType.TRANSITION,
            to_stage=c.Stage.INVESTIGATION,
            recipients=RECIPIENTS,
        ),
        "Dana Okafor e-mailed 2 staff members about the move to Investigation",
    ),
]


@pytest.mark.parametrize(
    ("fields", "expected"), [r[1:] for r in ROUND_TRIPS], ids=[r[0] for r in ROUND_TRIPS]
)
def test_a_builders_event_reads_as_its_sentence(fields, expected):
    event = CaseEvent(actor=None, **fields)
    assert event_sentence(event, names(), actor="Dana Okafor") == expected


def test_the_incoming_reports_linked_are_read_from_the_builders_events():
    events = [
        CaseEvent(**ev.report_promoted(report_id=94, code="K7QX-2M", source="online_form")),
        CaseEvent(**ev.report_merged(report_id=95, code="P3ZD-8T", source="online_form")),
    ]
    assert reports_linked(events) == [
        {"report_id": 94, "code": "K7QX-2M"},
        {"report_id": 95, "code": "P3ZD-8T"},
    ]


def test_the_staff_the_timeline_names_are_under_keys_the_builders_write():
    """The reading selector looks staff up under ``selectors.USER_KEYS``; each of those keys is
    written by some builder."""
    from ncii_cases.selectors.cases import USER_KEYS

    written = {key for event_type, kwargs in SAMPLES for key in built(event_type, kwargs).detail}
    assert set(USER_KEYS) <= written
