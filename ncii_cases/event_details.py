"""One typed builder per event type: the type, the JSON detail and the stages of the event a
service writes, as Saleor's ``order/events.py`` has one small function per order event.

Each builder takes keyword-only, typed values (ids, codes, ISO texts, dates) and returns the
keyword arguments of ``audit.case_event_record`` (or of an unsaved ``CaseEvent``) except the
case, the actor and the reason, which the service gives::

    case_event_record(case=case, actor=actor, **event_details.measure_added(measure_id=...))

The keys written here are the ones stored events already hold: the timeline sentences
(``events.BUILDERS``) read them, the audit chain hashes them, and ``tests/ncii_cases/
test_event_details.py`` checks that every key a sentence reads is one its builder writes. A
key is never renamed: old rows keep it. What belongs here: the shape of each event's detail.
What does not: when an event is written (the services) and how it reads (``events.py``).
This module imports nothing of the models, so that any layer can use it.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, NotRequired, TypedDict

from .events import EventType


class NewEvent(TypedDict):
    """The fields of one event a builder fills in: its type and detail, and for the events
    about a stage its stages."""

    event_type: EventType
    detail: dict[str, Any]
    from_stage: NotRequired[str]
    to_stage: NotRequired[str]


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


# --- The case, its people and its staff --------------------------------------------------------


def case_created(
    *,
    reference: str,
    school_id: int,
    party_ids: Iterable[int],
    platform_ids: Iterable[int],
    to_stage: str,
) -> NewEvent:
    """The case was opened at ``to_stage`` (intake) with these parties and platforms."""
    return {
        "event_type": EventType.CASE_CREATED,
        "to_stage": to_stage,
        "detail": {
            "reference": reference,
            "school_id": school_id,
            "party_ids": list(party_ids),
            "platform_ids": list(platform_ids),
        },
    }


def facts_updated(*, fields: list[str]) -> NewEvent:
    """The facts' ``fields`` (model field names) changed."""
    return {"event_type": EventType.FACTS_UPDATED, "detail": {"fields": list(fields)}}


def school_changed(
    *, from_school_id: int | None, to_school_id: int, ended_assignment_ids: list[int]
) -> NewEvent:
    """The case moved between schools; the assignments that ended with the move."""
    return {
        "event_type": EventType.SCHOOL_CHANGED,
        "detail": {
            "from_school_id": from_school_id,
            "to_school_id": to_school_id,
            "ended_assignment_ids": list(ended_assignment_ids),
        },
    }


def party_added(*, party_id: int, role: str, affiliation: str, name: str) -> NewEvent:
    """A person was added to the case in ``role`` (``PartyRole``)."""
    return {
        "event_type": EventType.PARTY_ADDED,
        "detail": {"party_id": party_id, "role": role, "affiliation": affiliation, "name": name},
    }


def party_updated(*, party_id: int, affiliation: str) -> NewEvent:
    """An unidentified person (a respondent) was identified."""
    return {
        "event_type": EventType.PARTY_UPDATED,
        "detail": {"party_id": party_id, "identified": True, "affiliation": affiliation},
    }


def assigned(*, user_id: int, role: str, assignment_id: int) -> NewEvent:
    """A staff member was assigned in ``role`` (``AssignmentRole``)."""
    return {
        "event_type": EventType.ASSIGNED,
        "detail": {"user_id": user_id, "role": role, "assignment_id": assignment_id},
    }


def unassigned(*, user_id: int, role: str) -> NewEvent:
    """A staff member's assignment in ``role`` ended."""
    return {"event_type": EventType.UNASSIGNED, "detail": {"user_id": user_id, "role": role}}


def lead_changed(
    *,
    from_user_id: int | None,
    to_user_id: int,
    ended_assignment_id: int | None,
    assignment_id: int,
) -> NewEvent:
    """The lead was handed from ``from_user_id`` (None: there was none) to ``to_user_id``."""
    return {
        "event_type": EventType.LEAD_CHANGED,
        "detail": {
            "from_user_id": from_user_id,
            "to_user_id": to_user_id,
            "ended_assignment_id": ended_assignment_id,
            "assignment_id": assignment_id,
        },
    }


def assignee_deactivated(*, user_id: int, roles: list[str], assignment_ids: list[int]) -> NewEvent:
    """The user's assignments on the case ended with their account."""
    return {
        "event_type": EventType.ASSIGNEE_DEACTIVATED,
        "detail": {
            "user_id": user_id,
            "roles": list(roles),
            "assignment_ids": list(assignment_ids),
        },
    }


def transition(*, from_stage: str, to_stage: str, action: str, detail: dict) -> NewEvent:
    """The case moved from ``from_stage`` to ``to_stage`` by the workflow's ``action``; ``detail``
    holds the values the step's form asked for (``workflow.Transition.detail_fields``)."""
    return {
        "event_type": EventType.TRANSITION,
        "from_stage": from_stage,
        "to_stage": to_stage,
        "detail": {**detail, "action": action},
    }


def deadline_extended(
    *,
    extension_id: int,
    clock: str,
    stage: str,
    determination_id: int | None,
    previous_due_at: dt.datetime,
    new_due_at: dt.datetime,
) -> NewEvent:
    """A clock (``DeadlineExtension.clock``) was extended for good cause."""
    return {
        "event_type": EventType.DEADLINE_EXTENDED,
        "detail": {
            "extension_id": extension_id,
            "clock": clock,
            "stage": stage,
            "determination_id": determination_id,
            "previous_due_at": previous_due_at.isoformat(),
            "new_due_at": new_due_at.isoformat(),
        },
    }


# --- Harm, measures and offers ----------------------------------------------------------------


def harm_assessed(*, level: str, factors: list[str], completed: bool) -> NewEvent:
    """The harm was assessed at ``level`` (``Level``), with the ``factors`` that produced it in
    words; ``completed`` False for a partial assessment."""
    return {
        "event_type": EventType.HARM_ASSESSED,
        "detail": {"level": level, "factors": factors, "completed": completed},
    }


def measure_added(
    *, measure_id: int, kind: str, catalog: str, party_id: int, choice: str
) -> NewEvent:
    """A measure of ``kind`` (``catalog``: its catalog slug, "" for a free one) for a party."""
    return {
        "event_type": EventType.MEASURE_ADDED,
        "detail": {
            "measure_id": measure_id,
            "kind": kind,
            "catalog": catalog,
            "party_id": party_id,
            "choice": choice,
        },
    }


def measure_choice_recorded(*, measure_id: int, choice: str) -> NewEvent:
    """The party's answer to a measure (``PartyChoice``)."""
    return {
        "event_type": EventType.MEASURE_CHOICE_RECORDED,
        "detail": {"measure_id": measure_id, "choice": choice},
    }


def measure_status_changed(*, measure_id: int, old: str, new: str) -> NewEvent:
    """A measure's status moved from ``old`` to ``new`` (``MeasureStatus``)."""
    return {
        "event_type": EventType.MEASURE_STATUS_CHANGED,
        "detail": {"measure_id": measure_id, "from": old, "to": new},
    }


def measure_reviewed(*, measure_id: int, ended: bool, next_review_on: dt.date | None) -> NewEvent:
    """A measure was reviewed: ended, or kept with its next review date."""
    return {
        "event_type": EventType.MEASURE_REVIEWED,
        "detail": {
            "measure_id": measure_id,
            "ended": ended,
            "next_review_on": _iso(next_review_on),
        },
    }


def resolution_offered(*, offer_id: int, option: str, party_id: int, choice: str) -> NewEvent:
    """A resolution ``option`` was offered to a party."""
    return {
        "event_type": EventType.RESOLUTION_OFFERED,
        "detail": {"offer_id": offer_id, "option": option, "party_id": party_id, "choice": choice},
    }


def resolution_choice_recorded(*, offer_id: int, option: str, choice: str) -> NewEvent:
    """The party's answer to a resolution offer."""
    return {
        "event_type": EventType.RESOLUTION_CHOICE_RECORDED,
        "detail": {"offer_id": offer_id, "option": option, "choice": choice},
    }


def parent_decision_recorded(
    *,
    decision_id: int,
    party_id: int,
    decision: str,
    delay_until: dt.date | None,
    review_on: dt.date | None,
    risks: list[str],
    approved_by_id: int,
) -> NewEvent:
    """The parent-notification decision for a student (``ParentDecision``)."""
    return {
        "event_type": EventType.PARENT_DECISION_RECORDED,
        "detail": {
            "decision_id": decision_id,
            "party_id": party_id,
            "decision": decision,
            "delay_until": _iso(delay_until),
            "review_on": _iso(review_on),
            "risks": risks,
            "approved_by_id": approved_by_id,
        },
    }


def support_not_offered(*, record_id: int, party_id: int) -> NewEvent:
    """Why no supportive measure was offered to a party (the reason is the event's)."""
    return {
        "event_type": EventType.SUPPORT_NOT_OFFERED,
        "detail": {"record_id": record_id, "party_id": party_id},
    }


# --- Takedowns and external reports ------------------------------------------------------------


def takedown_created(
    *,
    takedown_id: int,
    platform: str,
    route: str,
    suggested_route: str,
    covered_by_48h_rule: bool,
) -> NewEvent:
    """A takedown request to ``platform`` (its slug) by ``route``."""
    return {
        "event_type": EventType.TAKEDOWN_CREATED,
        "detail": {
            "takedown_id": takedown_id,
            "platform": platform,
            "route": route,
            "suggested_route": suggested_route,
            "covered_by_48h_rule": covered_by_48h_rule,
        },
    }


def takedown_submitted(
    *, takedown_id: int, submitted_at: dt.datetime, due_at: dt.datetime | None
) -> NewEvent:
    """A takedown request was sent; ``due_at`` set when its 48-hour clock started."""
    return {
        "event_type": EventType.TAKEDOWN_SUBMITTED,
        "detail": {
            "takedown_id": takedown_id,
            "submitted_at": submitted_at.isoformat(),
            "due_at": _iso(due_at),
        },
    }


def takedown_status_changed(*, takedown_id: int, old: str, new: str, within_48h: bool) -> NewEvent:
    """A takedown request's status moved from ``old`` to ``new`` (``TakedownStatus``)."""
    return {
        "event_type": EventType.TAKEDOWN_STATUS_CHANGED,
        "detail": {"takedown_id": takedown_id, "from": old, "to": new, "within_48h": within_48h},
    }


def takedown_notice_created(
    *,
    notice_id: int,
    takedown_id: int,
    platform: str,
    authority: str,
    name_depicted: bool,
    pdf_sha256: str,
) -> NewEvent:
    """The TAKE IT DOWN Act notice to the platform of a takedown request was prepared."""
    return {
        "event_type": EventType.TAKEDOWN_NOTICE_CREATED,
        "detail": {
            "notice_id": notice_id,
            "takedown_id": takedown_id,
            "platform": platform,
            "authority": authority,
            "name_depicted": name_depicted,
            "pdf_sha256": pdf_sha256,
        },
    }


def _reports(event_type: EventType, *, report_ids, obligations, agencies, **more) -> NewEvent:
    return {
        "event_type": event_type,
        "detail": {
            "report_ids": list(report_ids),
            "obligations": list(obligations),
            "agencies": list(agencies),
            **more,
        },
    }


def reports_triggered(
    *,
    report_ids: list[int],
    obligations: list[str],
    agencies: list[str],
    reopened_ids: list[int],
) -> NewEvent:
    """External reports became due (``obligations``: their slugs; ``agencies``: their
    words); ``reopened_ids``: those that had been marked no longer required."""
    return _reports(
        EventType.REPORTS_TRIGGERED,
        report_ids=report_ids,
        obligations=obligations,
        agencies=agencies,
        reopened_ids=list(reopened_ids),
    )


def reports_withdrawn(
    *, report_ids: list[int], obligations: list[str], agencies: list[str]
) -> NewEvent:
    """External reports no longer required after the facts changed."""
    return _reports(
        EventType.REPORTS_WITHDRAWN,
        report_ids=report_ids,
        obligations=obligations,
        agencies=agencies,
    )


def report_made(
    *, report_id: int, agency_kind: str, reported_at: dt.datetime, on_time: bool
) -> NewEvent:
    """An external report was made at ``reported_at``."""
    return {
        "event_type": EventType.REPORT_MADE,
        "detail": {
            "report_id": report_id,
            "agency_kind": agency_kind,
            "reported_at": reported_at.isoformat(),
            "on_time": on_time,
        },
    }


def report_not_required(*, report_id: int, agency_kind: str) -> NewEvent:
    """An external report was marked not required (the explanation is the event's reason)."""
    return {
        "event_type": EventType.REPORT_NOT_REQUIRED,
        "detail": {"report_id": report_id, "agency_kind": agency_kind},
    }


# --- Evidence, documents, notices and letters ---------------------------------------------------


def evidence_recorded(
    *, evidence_id: int, platform: str, has_sha256: bool, has_pdq: bool
) -> NewEvent:
    """An evidence entry (``platform``: its slug, "" for none); never its content."""
    return {
        "event_type": EventType.EVIDENCE_RECORDED,
        "detail": {
            "evidence_id": evidence_id,
            "platform": platform,
            "has_sha256": has_sha256,
            "has_pdq": has_pdq,
        },
    }


def custody_transferred(*, evidence_id: int, custody_entry_id: int) -> NewEvent:
    """The device of an evidence entry changed hands."""
    return {
        "event_type": EventType.CUSTODY_TRANSFERRED,
        "detail": {"evidence_id": evidence_id, "custody_entry_id": custody_entry_id},
    }


def document_attached(*, document_id: int, content_type: str, size: int, sha256: str) -> NewEvent:
    """A supporting document (``size`` in bytes, its SHA-256 in hex)."""
    return {
        "event_type": EventType.DOCUMENT_ATTACHED,
        "detail": {
            "document_id": document_id,
            "content_type": content_type,
            "size": size,
            "sha256": sha256,
        },
    }


def notice_logged(
    *,
    notice_id: int,
    party_id: int,
    kind: str,
    method: str,
    eligible_student_basis: str | None = None,
) -> NewEvent:
    """A notice to a party; ``eligible_student_basis`` only for a notice sent to an eligible
    student rather than a parent (the key is absent otherwise)."""
    detail: dict[str, Any] = {
        "notice_id": notice_id,
        "party_id": party_id,
        "kind": kind,
        "method": method,
    }
    if eligible_student_basis is not None:
        detail["eligible_student_basis"] = eligible_student_basis
    return {"event_type": EventType.NOTICE_LOGGED, "detail": detail}


def letter_sent(
    *,
    letter_id: int,
    notice_id: int | None,
    kind: str,
    party_id: int | None,
    takedown_id: int | None,
    language: str,
    template_id: int | None,
    edited: bool,
    pdf_sha256: str,
) -> NewEvent:
    """A letter from a template to a party (or to a takedown's platform)."""
    return {
        "event_type": EventType.LETTER_SENT,
        "detail": {
            "letter_id": letter_id,
            "notice_id": notice_id,
            "kind": kind,
            "party_id": party_id,
            "takedown_id": takedown_id,
            "language": language,
            "template_id": template_id,
            "edited": edited,
            "pdf_sha256": pdf_sha256,
        },
    }


# --- Determinations and sanctions --------------------------------------------------------------


def track_set(*, old: str, new: str) -> NewEvent:
    """The respondent track moved from ``old`` to ``new`` (``RespondentTrack``)."""
    return {"event_type": EventType.TRACK_SET, "detail": {"from": old, "to": new}}


def determination_recorded(
    *, determination_id: int, respondent_id: int, finding: str, standard: str
) -> NewEvent:
    """The finding about a respondent, under the standard of evidence ``standard``."""
    return {
        "event_type": EventType.DETERMINATION_RECORDED,
        "detail": {
            "determination_id": determination_id,
            "respondent_id": respondent_id,
            "finding": finding,
            "standard": standard,
        },
    }


def sanction_added(*, sanction_id: int, respondent_id: int, intervention: str) -> NewEvent:
    """A sanction (``intervention``: its catalog slug) for a respondent."""
    return {
        "event_type": EventType.SANCTION_ADDED,
        "detail": {
            "sanction_id": sanction_id,
            "respondent_id": respondent_id,
            "intervention": intervention,
        },
    }


def sanction_status_changed(*, sanction_id: int, intervention: str, old: str, new: str) -> NewEvent:
    """A sanction's status moved from ``old`` to ``new``; ``intervention`` in words."""
    return {
        "event_type": EventType.SANCTION_STATUS_CHANGED,
        "detail": {
            "sanction_id": sanction_id,
            "intervention": intervention,
            "from": old,
            "to": new,
        },
    }


# --- Appeals and the formal process ------------------------------------------------------------


def appeal_filed(
    *,
    appeal_id: int,
    subject: str,
    appellant_id: int,
    determination_id: int | None,
    grounds: list[str],
    sanctions_stayed: bool,
) -> NewEvent:
    """An appeal by a party of ``subject`` (``AppealSubject``) on ``grounds`` (slugs)."""
    return {
        "event_type": EventType.APPEAL_FILED,
        "detail": {
            "appeal_id": appeal_id,
            "subject": subject,
            "appellant_id": appellant_id,
            "determination_id": determination_id,
            "grounds": list(grounds),
            "sanctions_stayed": sanctions_stayed,
        },
    }


def appeal_decision_maker_set(*, appeal_id: int, user_id: int) -> NewEvent:
    """The staff member who decides the appeal."""
    return {
        "event_type": EventType.APPEAL_DECISION_MAKER_SET,
        "detail": {"appeal_id": appeal_id, "user_id": user_id},
    }


def appeal_response_recorded(*, appeal_id: int, party_id: int) -> NewEvent:
    """A party's written response to the appeal."""
    return {
        "event_type": EventType.APPEAL_RESPONSE_RECORDED,
        "detail": {"appeal_id": appeal_id, "party_id": party_id},
    }


def appeal_decided(
    *, appeal_id: int, outcome: str, notice_ids: list[int], party_ids: list[int]
) -> NewEvent:
    """The appeal's ``outcome``, with the notices sent to both parties together."""
    return {
        "event_type": EventType.APPEAL_DECIDED,
        "detail": {
            "appeal_id": appeal_id,
            "outcome": outcome,
            "notice_ids": list(notice_ids),
            "party_ids": list(party_ids),
        },
    }


def process_a_milestone(*, milestone_id: int, kind: str, on: str) -> NewEvent:
    """A step of the formal process (``kind``) on the district's day ``on`` (ISO)."""
    return {
        "event_type": EventType.PROCESS_A_MILESTONE,
        "detail": {"milestone_id": milestone_id, "kind": kind, "on": on},
    }


# --- Corrections ---------------------------------------------------------------------------------


def record_corrected(
    *, record: str, record_id: int, label: str, changes: dict[str, list]
) -> NewEvent:
    """A record of kind ``record`` (``corrections.BY_MODEL``) corrected: ``changes`` maps each
    field to ``[before, after]`` in words."""
    return {
        "event_type": EventType.RECORD_CORRECTED,
        "detail": {"record": record, "record_id": record_id, "label": label, "changes": changes},
    }


def record_withdrawn(*, record: str, record_id: int, label: str) -> NewEvent:
    """A record withdrawn (entered in error); the reason is the event's."""
    return {
        "event_type": EventType.RECORD_WITHDRAWN,
        "detail": {"record": record, "record_id": record_id, "label": label},
    }


# --- Incoming reports ---------------------------------------------------------------------------


def report_promoted(*, report_id: int, code: str, source: str) -> NewEvent:
    """The incoming report ``code`` was opened as this case."""
    return {
        "event_type": EventType.REPORT_PROMOTED,
        "detail": {"report_id": report_id, "code": code, "source": source},
    }


def report_merged(*, report_id: int, code: str, source: str) -> NewEvent:
    """The incoming report ``code`` (same incident) was added to this case."""
    return {
        "event_type": EventType.REPORT_MERGED,
        "detail": {"report_id": report_id, "code": code, "source": source},
    }


def report_message(*, report_id: int, code: str, message_id: int, author: str) -> NewEvent:
    """A message between the district and the reporter; ``author`` is "reporter" or "staff"
    (``ReportMessage.author_kind``)."""
    return {
        "event_type": EventType.REPORT_MESSAGE,
        "detail": {"report_id": report_id, "code": code, "message_id": message_id, "from": author},
    }


# --- Redacted summaries -------------------------------------------------------------------------


def redaction_requested(*, review_id: int) -> NewEvent:
    """A redaction review of the summary was opened."""
    return {"event_type": EventType.REDACTION_REQUESTED, "detail": {"review_id": review_id}}


def redaction_decided(*, term_id: int, kind: str, decision: str, added: bool) -> NewEvent:
    """A term of the redaction review was decided ("redact" or "keep"); never the term."""
    return {
        "event_type": EventType.REDACTION_DECIDED,
        "detail": {"term_id": term_id, "kind": kind, "decision": decision, "added": added},
    }


def redacted_summary_released(*, review_id: int, job_id: int, counts: dict) -> NewEvent:
    """The redacted summary was released (``counts``: terms redacted by kind)."""
    return {
        "event_type": EventType.REDACTED_SUMMARY_RELEASED,
        "detail": {"review_id": review_id, "job_id": job_id, "counts": counts},
    }


# --- The system's own events (background tasks) -------------------------------------------------


def reminder_sent(
    *,
    clock: str,
    item_id: int,
    due: str,
    started: str,
    when: str,
    recipients: list[dict],
    stage: str = "",
) -> NewEvent:
    """A reminder about ``clock`` of ``item_id`` due at ``due`` on the clock started at
    ``started`` (both as ``services.reminders.reminder_due_text`` stores them) was e-mailed
    to ``recipients`` (``{"id", "username"}``); ``stage`` only for a stage's clock."""
    detail: dict[str, Any] = {
        "clock": clock,
        "item_id": item_id,
        "due": due,
        "started": started,
        "when": when,
        "recipients": recipients,
    }
    if stage:
        detail["stage"] = stage
    return {"event_type": EventType.REMINDER_SENT, "detail": detail}


def notification_sent(
    *, about_event_id: int, about: str, to_stage: str, recipients: list[dict]
) -> NewEvent:
    """The staff ``recipients`` were e-mailed about the event ``about_event_id`` (of type
    ``about``: a stage change to ``to_stage``)."""
    return {
        "event_type": EventType.NOTIFICATION_SENT,
        "to_stage": to_stage,
        "detail": {"about_event_id": about_event_id, "about": about, "recipients": recipients},
    }


# Every event type's builder, for the tests that hold the builders and the sentences together.
DETAIL_BUILDERS: dict[str, Callable[..., NewEvent]] = {
    EventType.CASE_CREATED: case_created,
    EventType.FACTS_UPDATED: facts_updated,
    EventType.SCHOOL_CHANGED: school_changed,
    EventType.PARTY_ADDED: party_added,
    EventType.PARTY_UPDATED: party_updated,
    EventType.ASSIGNED: assigned,
    EventType.UNASSIGNED: unassigned,
    EventType.LEAD_CHANGED: lead_changed,
    EventType.ASSIGNEE_DEACTIVATED: assignee_deactivated,
    EventType.TRANSITION: transition,
    EventType.HARM_ASSESSED: harm_assessed,
    EventType.MEASURE_ADDED: measure_added,
    EventType.MEASURE_CHOICE_RECORDED: measure_choice_recorded,
    EventType.MEASURE_STATUS_CHANGED: measure_status_changed,
    EventType.MEASURE_REVIEWED: measure_reviewed,
    EventType.RESOLUTION_OFFERED: resolution_offered,
    EventType.RESOLUTION_CHOICE_RECORDED: resolution_choice_recorded,
    EventType.TAKEDOWN_CREATED: takedown_created,
    EventType.TAKEDOWN_SUBMITTED: takedown_submitted,
    EventType.TAKEDOWN_STATUS_CHANGED: takedown_status_changed,
    EventType.REPORTS_TRIGGERED: reports_triggered,
    EventType.REPORTS_WITHDRAWN: reports_withdrawn,
    EventType.REPORT_MADE: report_made,
    EventType.REPORT_NOT_REQUIRED: report_not_required,
    EventType.EVIDENCE_RECORDED: evidence_recorded,
    EventType.CUSTODY_TRANSFERRED: custody_transferred,
    EventType.DOCUMENT_ATTACHED: document_attached,
    EventType.NOTICE_LOGGED: notice_logged,
    EventType.DETERMINATION_RECORDED: determination_recorded,
    EventType.SANCTION_ADDED: sanction_added,
    EventType.TRACK_SET: track_set,
    EventType.REDACTION_REQUESTED: redaction_requested,
    EventType.REDACTION_DECIDED: redaction_decided,
    EventType.REDACTED_SUMMARY_RELEASED: redacted_summary_released,
    EventType.REMINDER_SENT: reminder_sent,
    EventType.NOTIFICATION_SENT: notification_sent,
    EventType.DEADLINE_EXTENDED: deadline_extended,
    EventType.SANCTION_STATUS_CHANGED: sanction_status_changed,
    EventType.RECORD_CORRECTED: record_corrected,
    EventType.RECORD_WITHDRAWN: record_withdrawn,
    EventType.REPORT_PROMOTED: report_promoted,
    EventType.REPORT_MERGED: report_merged,
    EventType.REPORT_MESSAGE: report_message,
    EventType.TAKEDOWN_NOTICE_CREATED: takedown_notice_created,
    EventType.APPEAL_FILED: appeal_filed,
    EventType.APPEAL_DECISION_MAKER_SET: appeal_decision_maker_set,
    EventType.APPEAL_RESPONSE_RECORDED: appeal_response_recorded,
    EventType.APPEAL_DECIDED: appeal_decided,
    EventType.PROCESS_A_MILESTONE: process_a_milestone,
    EventType.PARENT_DECISION_RECORDED: parent_decision_recorded,
    EventType.SUPPORT_NOT_OFFERED: support_not_offered,
    EventType.LETTER_SENT: letter_sent,
}
