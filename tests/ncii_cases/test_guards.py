"""The guards that make the policy real: each refusal says in plain words what is missing,
and a refused step changes nothing."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import Case, CaseEvent, CaseMeasure, ExternalReport, HarmAssessment
from ncii_cases.services import determinations, measures, reports, takedowns
from ncii_cases.workflow import (
    GuardFailed,
    TransitionForbidden,
    TransitionNotAllowed,
    available_transitions,
    case_transition,
    stage_due_at,
    transition_blockers,
)
from tests.factories_workflow import all_obligations, intervention, obligation, platform
from tests.ncii_cases.conftest import place

ROUTE_B = {"respondent_track": c.RespondentTrack.STUDENT}


def blocker_messages(case, action, **kwargs) -> list[str]:
    """The refusal's sentences (each ``Blocker`` also names the form that records it)."""
    return [b.message for b in transition_blockers(case, action, **kwargs)]


def guard_messages(**kwargs) -> list[str]:
    with pytest.raises(GuardFailed) as info:
        case_transition(**kwargs)
    return info.value.messages


def test_routing_without_jurisdiction_reasoning_is_refused_and_changes_nothing(
    ready_case, coordinator
):
    # Given a case in initial assessment whose jurisdiction reasoning is blank
    place(ready_case, c.Stage.INITIAL_ASSESSMENT)
    Case.objects.filter(pk=ready_case.pk).update(jurisdiction_reasoning="")
    events = CaseEvent.objects.count()
    # When the coordinator routes it to Process B
    messages = guard_messages(
        actor=coordinator, case=ready_case, action="route_process_b", reason="r", detail=ROUTE_B
    )
    # Then the refusal asks for the reasoning and the case stays where it was
    assert any("jurisdiction reasoning" in m for m in messages)
    assert Case.objects.get(pk=ready_case.pk).stage == c.Stage.INITIAL_ASSESSMENT
    assert CaseEvent.objects.count() == events


def test_routing_needs_a_reason_and_a_respondent_track(ready_case, coordinator):
    place(ready_case, c.Stage.INITIAL_ASSESSMENT)
    messages = guard_messages(actor=coordinator, case=ready_case, action="route_process_b")
    assert any("reason" in m for m in messages)
    assert any("respondent track" in m for m in messages)


def test_the_track_must_match_an_identified_respondent(ready_case, coordinator):
    place(ready_case, c.Stage.INITIAL_ASSESSMENT)
    messages = guard_messages(
        actor=coordinator,
        case=ready_case,
        action="route_process_b",
        reason="r",
        detail={"respondent_track": c.RespondentTrack.EMPLOYEE},
    )
    assert messages == ["The track does not match the identified respondent (student or employee)."]


def test_leaving_initial_assessment_with_a_minor_depicted_needs_a_decision_on_each_report(
    ready_case, coordinator, depicted_minor
):
    # Given a minor depicted and the district's obligations
    all_obligations()
    place(ready_case, c.Stage.INITIAL_ASSESSMENT)
    rows = reports.external_reports_sync(actor=coordinator, case=ready_case)
    slugs = {r.obligation.slug for r in rows}
    # (and the police decision the kind of imagery calls for: docs/policy-rules.md)
    assert {"child-protection-report", "cybertipline-report"} <= slugs
    # When routing before any decision, then every report is named as missing
    messages = guard_messages(
        actor=coordinator, case=ready_case, action="route_process_b", reason="r", detail=ROUTE_B
    )
    assert len(messages) == len(rows) and all("record a decision" in m for m in messages)
    # When one is made and the others explained, then routing goes through
    made, *others = rows
    reports.external_report_record_made(
        actor=coordinator, report=made, reported_at=timezone.now(), reference_number="REF-1"
    )
    for other in others:
        reports.external_report_mark_not_required(
            actor=coordinator, report=other, explanation="Made by the police on our behalf."
        )
    moved = case_transition(
        actor=coordinator, case=ready_case, action="route_process_b", reason="r", detail=ROUTE_B
    )
    assert moved.stage == c.Stage.HARM_ASSESSMENT and moved.process == c.Process.PROCESS_B


def test_leaving_harm_assessment_needs_a_completed_assessment(ready_case, coordinator):
    place(ready_case, c.Stage.HARM_ASSESSMENT)
    HarmAssessment.objects.filter(case=ready_case).update(completed_at=None)
    messages = guard_messages(actor=coordinator, case=ready_case, action="complete_harm_assessment")
    assert messages == ["Complete the harm assessment first."]


def test_signing_off_a_determination_needs_one_per_identified_respondent(ready_case, coordinator):
    place(ready_case, c.Stage.DETERMINATION)
    ready_case.determinations.all().delete()
    messages = guard_messages(actor=coordinator, case=ready_case, action="issue_determination")
    assert len(messages) == 1 and messages[0].startswith("Record the determination for")


def test_a_determination_needs_a_finding_a_standard_and_a_rationale(ready_case, coordinator):
    place(ready_case, c.Stage.DETERMINATION)
    ready_case.determinations.all().delete()
    respondent = ready_case.parties.get(role=c.PartyRole.RESPONDENT)
    with pytest.raises(ValidationError) as info:
        determinations.determination_record(
            actor=coordinator,
            case=ready_case,
            respondent=respondent,
            finding="",
            standard_of_evidence="",
            rationale=" ",
        )
    assert len(info.value.messages) == 3
    assert not ready_case.determinations.exists()


def test_sanctions_come_only_from_the_catalog_of_the_case_track(ready_case, coordinator):
    # Given a student-track case with a respondent found responsible
    Case.objects.filter(pk=ready_case.pk).update(
        respondent_track=c.RespondentTrack.STUDENT, stage=c.Stage.REMEDIES
    )
    ready_case.refresh_from_db()
    respondent = ready_case.parties.get(role=c.PartyRole.RESPONDENT)
    # When an employee corrective action is chosen, then it is refused
    with pytest.raises(ValidationError, match="not in the catalog"):
        determinations.sanction_add(
            actor=coordinator,
            case=ready_case,
            respondent=respondent,
            intervention=intervention("written-warning"),
        )
    # and a student intervention is accepted
    row = determinations.sanction_add(
        actor=coordinator,
        case=ready_case,
        respondent=respondent,
        intervention=intervention("ncii-education"),
    )
    assert row.intervention.track == "student"


def test_closure_lists_every_open_item(ready_case, coordinator, depicted_minor):
    # Given a monitored case with an unresolved takedown, an undecided report, an unreviewed
    # measure, and a minor depicted whose family has not been notified
    all_obligations()
    place(ready_case, c.Stage.MONITORING)
    takedowns.takedown_request_create(
        actor=coordinator, case=ready_case, platform=platform("snapchat"), location="group"
    )
    reports.external_reports_sync(actor=coordinator, case=ready_case)
    CaseMeasure.objects.update(last_reviewed_at=None)
    # When the coordinator closes it
    messages = guard_messages(
        actor=coordinator, case=ready_case, action="close", reason="Resolved."
    )
    # Then each open item is named
    text = " ".join(messages)
    assert "takedown request is not resolved" in text
    assert f"{obligation('child-protection-report').name}: record a decision" in text
    assert "Review the supportive measure" in text
    assert "Log the notice given to" in text
    assert Case.objects.get(pk=ready_case.pk).stage == c.Stage.MONITORING


def test_a_waived_takedown_with_its_reason_does_not_block_closure(ready_case, coordinator):
    place(ready_case, c.Stage.MONITORING)
    request = takedowns.takedown_request_create(
        actor=coordinator, case=ready_case, platform=platform("airdrop"), location="cafeteria"
    )
    with pytest.raises(ValidationError):
        takedowns.takedown_request_update(
            actor=coordinator, takedown=request, status="waived", waiver_reason=""
        )
    takedowns.takedown_request_update(
        actor=coordinator,
        takedown=request,
        status="waived",
        waiver_reason="AirDrop leaves nothing to remove from a platform.",
    )
    closed = case_transition(actor=coordinator, case=ready_case, action="close", reason="Done.")
    assert closed.stage == c.Stage.CLOSED and closed.closed_at is not None
    assert closed.closure_summary == "Done."


def test_an_open_supportive_measure_needs_its_next_review_date_to_close(ready_case, coordinator):
    place(ready_case, c.Stage.MONITORING)
    CaseMeasure.objects.update(review_on=None)
    messages = guard_messages(actor=coordinator, case=ready_case, action="close", reason="x")
    assert messages and "next review date" in messages[0]


def test_informal_resolution_needs_the_depicted_persons_acceptance(ready_case, coordinator):
    place(ready_case, c.Stage.INVESTIGATION)
    offer = ready_case.resolution_offers.get(party__role=c.PartyRole.DEPICTED)
    measures.resolution_offer_decide(actor=coordinator, offer=offer, choice="declined")
    messages = guard_messages(
        actor=coordinator, case=ready_case, action="begin_informal_resolution", reason="r"
    )
    assert messages == ["Informal resolution needs the depicted person's recorded acceptance."]


def test_an_obligation_explained_as_not_required_needs_the_explanation(
    ready_case, coordinator, depicted_minor
):
    all_obligations()
    report = reports.external_reports_sync(actor=coordinator, case=ready_case)[0]
    with pytest.raises(ValidationError):
        reports.external_report_mark_not_required(actor=coordinator, report=report, explanation="")
    assert ExternalReport.objects.get(pk=report.pk).status == "pending"


def test_wrong_stage_is_reported_before_permission(ready_case, investigator):
    # The investigator may not triage, but at the wrong stage the answer is "not now"
    place(ready_case, c.Stage.CLOSED)
    with pytest.raises(TransitionNotAllowed):
        case_transition(actor=investigator, case=ready_case, action="begin_assessment")


def test_a_user_without_the_right_is_forbidden_and_nothing_changes(
    ready_case, investigator, counselor, outsider
):
    events = CaseEvent.objects.count()
    for user in (investigator, counselor):
        with pytest.raises(TransitionForbidden):
            case_transition(actor=user, case=ready_case, action="begin_assessment")
    # A user who cannot see the case is told it does not exist
    with pytest.raises(Http404):
        case_transition(actor=outsider, case=ready_case, action="begin_assessment")
    assert Case.objects.get(pk=ready_case.pk).stage == c.Stage.INTAKE
    assert CaseEvent.objects.count() == events


def test_available_transitions_follow_stage_and_role(
    ready_case, coordinator, investigator, counselor
):
    assert [t.action for t in available_transitions(ready_case, coordinator)] == [
        "begin_assessment"
    ]
    assert available_transitions(ready_case, investigator) == []
    place(ready_case, c.Stage.INVESTIGATION)
    assert {t.action for t in available_transitions(ready_case, coordinator)} == {
        "route_process_a",
        "refer",
        "begin_informal_resolution",
        "submit_for_determination",
    }
    assert [t.action for t in available_transitions(ready_case, investigator)] == [
        "submit_for_determination"
    ]
    assert available_transitions(ready_case, counselor) == []


def test_a_transition_sets_the_stage_clock_and_notifies_assigned_staff_after_commit(
    ready_case, coordinator, investigator, django_capture_on_commit_callbacks
):
    # Given a high-priority case in harm assessment
    place(ready_case, c.Stage.HARM_ASSESSMENT)
    Case.objects.filter(pk=ready_case.pk).update(priority=c.Level.HIGH)
    # When it moves on, with the commit callbacks run
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        moved = case_transition(
            actor=coordinator, case=ready_case, action="complete_harm_assessment"
        )
    # Then interim actions are due in half the usual five days, and staff got one email
    assert moved.stage_due_at - moved.stage_entered_at == dt.timedelta(hours=60)
    assert len(callbacks) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert ready_case.reference in message.subject and "Interim actions" in message.subject
    assert investigator.email in message.to
    assert ready_case.narrative not in message.body


def test_closed_and_process_a_stages_have_no_clock():
    now = timezone.now()
    assert stage_due_at(c.Stage.CLOSED, c.Level.HIGH, now) is None
    assert stage_due_at(c.Stage.PROCESS_A, c.Level.HIGH, now) is None
    assert stage_due_at(c.Stage.HARM_ASSESSMENT, c.Level.LOW, now) == now + dt.timedelta(hours=48)


def test_reopening_needs_a_reason_and_returns_to_assessment(ready_case, coordinator):
    place(ready_case, c.Stage.CLOSED)
    assert guard_messages(actor=coordinator, case=ready_case, action="reopen") == [
        "Give the reason for this step; it is kept in the record."
    ]
    reopened = case_transition(
        actor=coordinator, case=ready_case, action="reopen", reason="The imagery reappeared."
    )
    assert reopened.stage == c.Stage.INITIAL_ASSESSMENT and reopened.closed_at is None
    event = CaseEvent.objects.filter(event_type=EventType.TRANSITION).latest("pk")
    assert event.reason == "The imagery reappeared."


def test_a_referred_case_goes_to_monitoring_only_with_support_still_open(ready_case, coordinator):
    place(ready_case, c.Stage.REFERRED)
    CaseMeasure.objects.update(status="ended")
    messages = guard_messages(actor=coordinator, case=ready_case, action="begin_monitoring")
    assert "none is open" in messages[0]
    assert Case.objects.get(pk=ready_case.pk).stage == c.Stage.REFERRED


def test_blockers_say_what_is_missing_before_anyone_tries(ready_case):
    place(ready_case, c.Stage.HARM_ASSESSMENT)
    assert blocker_messages(ready_case, "complete_harm_assessment") == []
    HarmAssessment.objects.filter(case=ready_case).update(completed_at=None)
    assert blocker_messages(ready_case, "complete_harm_assessment") == [
        "Complete the harm assessment first."
    ]
    assert blocker_messages(ready_case, "close") == [
        "This step is not possible at the case's current stage."
    ]


def test_a_new_case_is_due_for_triage_within_a_day(school, coordinator):
    from ncii_cases.services.cases import case_create

    created = case_create(
        actor=coordinator, school=school, title="t", narrative="n", reported_at=timezone.now()
    )
    assert created.stage_due_at - created.stage_entered_at == dt.timedelta(hours=24)


@pytest.mark.parametrize("who", ["outsider", "unassigned_investigator", "it_admin"])
def test_given_a_user_who_cannot_see_the_case_when_taking_any_action_then_it_does_not_exist(
    request, ready_case, who
):
    # Given a closed case and a user who cannot see it
    place(ready_case, c.Stage.CLOSED)
    user = request.getfixturevalue(who)
    # When they try an action impossible at that stage, or a possible one
    for action in ("begin_assessment", "reopen", "no_such_action"):
        with pytest.raises(Http404) as info:
            case_transition(actor=user, case=ready_case, action=action, reason="r")
        # Then the answer is "no such case", and it names no stage
        assert "Closed" not in str(info.value) and "closed" not in str(info.value)
    assert Case.objects.get(pk=ready_case.pk).stage == c.Stage.CLOSED


def test_given_a_detail_with_an_action_key_when_transitioning_then_the_event_keeps_the_real_action(
    ready_case, coordinator
):
    # Given a caller whose detail tries to rename the action and add unrelated keys
    place(ready_case, c.Stage.INITIAL_ASSESSMENT)
    detail = {**ROUTE_B, "action": "close", "narrative": "Not for the event."}
    # When the case is routed
    case_transition(
        actor=coordinator, case=ready_case, action="route_process_b", reason="r", detail=detail
    )
    # Then the event records the real action and only the keys routing defines
    event = CaseEvent.objects.filter(event_type=EventType.TRANSITION).latest("pk")
    assert event.detail == {"action": "route_process_b", "respondent_track": "student"}


def test_given_a_student_respondent_when_an_employee_corrective_action_is_added_then_refused(
    ready_case, coordinator
):
    # Given an employee-track case (set wrongly) whose responsible respondent is a student
    Case.objects.filter(pk=ready_case.pk).update(
        respondent_track=c.RespondentTrack.EMPLOYEE, stage=c.Stage.REMEDIES
    )
    respondent = ready_case.parties.get(role=c.PartyRole.RESPONDENT)
    # When an employee corrective action is chosen for the student, then it is refused
    with pytest.raises(ValidationError, match="corrective actions for employees"):
        determinations.sanction_add(
            actor=coordinator,
            case=ready_case,
            respondent=respondent,
            intervention=intervention("written-warning"),
        )
    assert not ready_case.sanctions.exists()


def test_given_the_depicted_person_when_a_sanction_is_added_for_them_then_refused(
    ready_case, coordinator
):
    Case.objects.filter(pk=ready_case.pk).update(
        respondent_track=c.RespondentTrack.STUDENT, stage=c.Stage.REMEDIES
    )
    depicted = ready_case.parties.get(role=c.PartyRole.DEPICTED)
    with pytest.raises(ValidationError, match="for a respondent"):
        determinations.sanction_add(
            actor=coordinator,
            case=ready_case,
            respondent=depicted,
            intervention=intervention("ncii-education"),
        )
