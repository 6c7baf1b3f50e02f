"""Issue 16, parents and support: parent-notification decisions instead of a forced parent
notice, eligible students (18 or over), guardians' legal authority, supportive measures for
every party with need-to-know, the support record before leaving interim actions, and the
creation-only prompt when routing."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.errors import GuardFailed
from ncii_cases.events import EventType
from ncii_cases.models import (
    CaseEvent,
    CaseMeasure,
    CaseParty,
    ParentNotificationDecision,
    PartyChoice,
    PartyNotice,
    SupportNotOffered,
)
from ncii_cases.parents import party_is_eligible_student, party_is_minor_now
from ncii_cases.selectors.cases import case_measures_for_user
from ncii_cases.services.corrections import StaleRecord, record_correct
from ncii_cases.services.measures import measure_add, measure_choice_record
from ncii_cases.services.notices import party_notice_record
from ncii_cases.services.parents import parent_decision_record, support_not_offered_record
from ncii_cases.services.reports import external_report_record_made, external_reports_sync
from ncii_cases.workflow import case_transition, transition_blockers
from tests.access.helpers import login_verified
from tests.factories import CasePartyFactory, PersonFactory
from tests.factories_records import PartyNoticeFactory
from tests.factories_workflow import measure
from tests.ncii_cases.conftest import place
from tests.recorded import Event, records

D = ParentNotificationDecision.Decision
TODAY = dt.date.today


def blocker_messages(case, action, **kwargs) -> list[str]:
    """The refusal's sentences (each ``Blocker`` also names the form that records it)."""
    return [b.message for b in transition_blockers(case, action, **kwargs)]


def _decide(case, party, actor, approver, decision=D.NOTIFY_NOW, **kwargs):
    values = {"student_wishes": "Asked that a parent be told after school."}
    if decision in (D.DELAY, D.DO_NOT_NOTIFY):
        values.update(explanation="Weighed with the student.", review_on=TODAY() + dt.timedelta(7))
    values.update(kwargs)
    return parent_decision_record(
        actor=actor, case=case, party=party, decision=decision, approved_by=approver, **values
    )


def _parent_notice(case, party, actor, **kwargs):
    return party_notice_record(
        actor=actor,
        case=case,
        party=party,
        recipient_name="Parent or guardian",
        kind=PartyNotice.Kind.PARENT_NOTIFICATION,
        method=PartyNotice.Method.PHONE,
        summary="Told the parent of the report and the support available.",
        **kwargs,
    )


@pytest.fixture
def minor_student(ready_case):
    """A minor student shown in the imagery, added to the ready case (told of the outcome,
    with a supportive measure accepted)."""
    party = CasePartyFactory(
        case=ready_case,
        role=c.PartyRole.DEPICTED,
        person=PersonFactory(district=ready_case.district),
        affiliation=c.Affiliation.STUDENT,
        is_minor=True,
    )
    PartyNoticeFactory(
        case=ready_case,
        party=party,
        recipient_name="The student",
        kind=PartyNotice.Kind.OUTCOME,
        method=PartyNotice.Method.IN_PERSON,
        sent_at=timezone.now(),
        sent_by=_any_user(ready_case),
        summary="Told of the outcome.",
    )
    # The reports a minor shown triggers are made (closure asks for them too).
    coordinator = _any_user(ready_case)
    for number, report in enumerate(external_reports_sync(actor=coordinator, case=ready_case)):
        external_report_record_made(
            actor=coordinator,
            report=report,
            reported_at=timezone.now(),
            reference_number=f"REF-{number}",
        )
    return party


def _any_user(case):
    from ncii_cases.models import User

    return User.objects.get(district=case.district, role=c.Role.COORDINATOR)


# --- Parent notification: the reproductions ---------------------------------------------------


def test_a_decision_not_to_notify_lets_the_case_close_without_a_parent_notice(
    ready_case, minor_student, coordinator, investigator
):
    # Before: closure demanded a logged parent notification for every minor, even when a
    # parent is the respondent. Now the recorded decision (with its risk) is what closure needs.
    _decide(
        ready_case,
        minor_student,
        investigator,
        coordinator,
        D.DO_NOT_NOTIFY,
        risks=[c.NotificationRisk.PARENT_IS_RESPONDENT, c.NotificationRisk.DANGER_AT_HOME],
        explanation="The student's father is the respondent in a related matter.",
    )
    place(ready_case, c.Stage.MONITORING)
    case_transition(actor=coordinator, case=ready_case, action="close", reason="Resolved.")
    ready_case.refresh_from_db()
    assert ready_case.stage == c.Stage.CLOSED
    assert not PartyNotice.objects.filter(
        party=minor_student, kind=PartyNotice.Kind.PARENT_NOTIFICATION
    ).exists()


def test_closure_needs_a_decision_for_every_minor_party(ready_case, minor_student, coordinator):
    place(ready_case, c.Stage.MONITORING)
    witness = CasePartyFactory(
        case=ready_case,
        role=c.PartyRole.WITNESS,
        person=None,
        is_minor=True,
        description="A classmate",
    )
    problems = blocker_messages(ready_case, "close", reason="Resolved.")
    assert any(minor_student.display_name in p and "decision" in p for p in problems)
    assert any("A classmate" in p and "decision" in p for p in problems)
    with pytest.raises(GuardFailed):
        case_transition(actor=coordinator, case=ready_case, action="close", reason="Resolved.")
    assert witness.pk  # the minor witness is counted like the person shown


def test_a_notice_decided_on_must_be_given_before_closure(
    ready_case, minor_student, coordinator, investigator
):
    _decide(ready_case, minor_student, investigator, coordinator, D.NOTIFY_NOW)
    place(ready_case, c.Stage.MONITORING)
    problems = blocker_messages(ready_case, "close", reason="Resolved.")
    assert problems == [
        f"The decision for {minor_student.display_name} was to notify their parent or guardian: "
        "log the notification, or correct the decision with the reason."
    ]
    _parent_notice(ready_case, minor_student, investigator)
    assert blocker_messages(ready_case, "close", reason="Resolved.") == []


def test_a_delay_counts_until_its_day_then_the_notice_is_due(
    ready_case, minor_student, coordinator, investigator
):
    decision = _decide(
        ready_case,
        minor_student,
        investigator,
        coordinator,
        D.DELAY,
        delay_until=TODAY() + dt.timedelta(days=3),
        risks=[c.NotificationRisk.OUTING],
    )
    place(ready_case, c.Stage.MONITORING)
    assert blocker_messages(ready_case, "close", reason="Resolved.") == []
    # The day has come (set directly: a day in the past cannot be entered).
    ParentNotificationDecision.objects.filter(pk=decision.pk).update(delay_until=TODAY())
    problems = blocker_messages(ready_case, "close", reason="Resolved.")
    assert len(problems) == 1 and "by " in problems[0] and "log the notification" in problems[0]


def test_an_adult_student_gets_no_parent_decision_and_no_parent_decision_is_asked(
    ready_case, coordinator, investigator
):
    adult = CasePartyFactory(
        case=ready_case,
        role=c.PartyRole.DEPICTED,
        person=PersonFactory(
            district=ready_case.district, birth_date=TODAY().replace(year=TODAY().year - 19)
        ),
        affiliation=c.Affiliation.STUDENT,
        is_minor=True,  # under 18 when the imagery was shared, 18 or over now
    )
    assert party_is_minor_now(adult) is False and party_is_eligible_student(adult)
    with pytest.raises(ValidationError, match="eligible student"):
        _decide(ready_case, adult, investigator, coordinator)
    place(ready_case, c.Stage.MONITORING)
    assert not any(
        "parent-notification decision" in p
        for p in blocker_messages(ready_case, "close", reason="x")
    )


# --- Parent notification: the rules of a decision ------------------------------------------


@pytest.mark.parametrize(
    ("decision", "values", "field"),
    [
        (D.DELAY, {"review_on": TODAY() + dt.timedelta(9), "explanation": "x"}, "delay_until"),
        (D.DO_NOT_NOTIFY, {"review_on": TODAY() + dt.timedelta(9)}, "explanation"),
        (D.DO_NOT_NOTIFY, {"explanation": "Danger at home."}, "review_on"),
        (D.NOTIFY_NOW, {"student_wishes": "  "}, "student_wishes"),
        (D.NOTIFY_NOW, {"delay_until": TODAY() + dt.timedelta(3)}, "delay_until"),
        (D.NOTIFY_NOW, {"risks": [c.NotificationRisk.OTHER]}, "explanation"),
        (
            D.DELAY,
            {
                "delay_until": TODAY() - dt.timedelta(days=2),
                "explanation": "x",
                "review_on": TODAY() + dt.timedelta(9),
            },
            "delay_until",
        ),
    ],
)
def test_an_incomplete_decision_is_refused_with_the_field_to_fix(
    case, depicted_minor, coordinator, investigator, decision, values, field
):
    kwargs = {"student_wishes": "Wants to tell their mother first."} | values
    with pytest.raises(ValidationError) as caught:
        parent_decision_record(
            actor=investigator,
            case=case,
            party=depicted_minor,
            decision=decision,
            approved_by=coordinator,
            **kwargs,
        )
    assert field in caught.value.message_dict
    assert not ParentNotificationDecision.objects.exists()


def test_the_approver_must_be_a_coordinator_or_administrator_of_the_case(
    case, depicted_minor, investigator, counselor, outsider
):
    for approver in (investigator, counselor, outsider):
        with pytest.raises(ValidationError, match="approver"):
            _decide(case, depicted_minor, investigator, approver)
    assert not ParentNotificationDecision.objects.exists()


def test_one_current_decision_per_party_and_it_is_recorded_with_its_event(
    case, depicted_minor, coordinator, investigator
):
    row = _decide(case, depicted_minor, investigator, coordinator)
    event = CaseEvent.objects.get(case=case, event_type=EventType.PARENT_DECISION_RECORDED)
    assert event.detail["decision_id"] == row.pk and event.detail["decision"] == D.NOTIFY_NOW
    assert event.detail["approved_by_id"] == coordinator.pk and event.actor == investigator
    with pytest.raises(ValidationError, match="correct it"):
        _decide(case, depicted_minor, investigator, coordinator, D.DO_NOT_NOTIFY)


def test_a_party_of_another_case_is_refused(case, other_school_case, coordinator, investigator):
    stranger = CasePartyFactory(case=other_school_case, role=c.PartyRole.DEPICTED, is_minor=True)
    with pytest.raises(ValidationError, match="not a party"):
        _decide(case, stranger, investigator, coordinator)


def test_a_decision_is_corrected_with_its_reason_and_a_stale_form_is_refused(
    case, depicted_minor, coordinator, investigator
):
    row = _decide(
        case,
        depicted_minor,
        investigator,
        coordinator,
        D.DELAY,
        delay_until=TODAY() + dt.timedelta(5),
    )
    with pytest.raises(ValidationError) as caught:
        record_correct(
            actor=investigator,
            record=row,
            version=row.version,
            reason="Plans changed.",
            decision=D.DO_NOT_NOTIFY,
        )
    assert "delay_until" in caught.value.message_dict  # a day only for a delay
    corrected = record_correct(
        actor=investigator,
        record=row,
        version=row.version,
        reason="The student now wants their mother told at once.",
        decision=D.NOTIFY_NOW,
        delay_until=None,
    )
    assert corrected.decision == D.NOTIFY_NOW and corrected.version == row.version + 1
    event = CaseEvent.objects.filter(case=case, event_type=EventType.RECORD_CORRECTED).last()
    assert event.detail["record"] == "parent_decision"
    assert event.detail["changes"]["decision"] == [D.DELAY, D.NOTIFY_NOW]
    with pytest.raises(StaleRecord):
        record_correct(
            actor=investigator, record=row, version=row.version, reason="x", explanation="y"
        )


# --- Eligible students (18 or over) ---------------------------------------------------------


@pytest.fixture
def eligible_student(case):
    return CasePartyFactory(
        case=case,
        role=c.PartyRole.DEPICTED,
        person=PersonFactory(
            district=case.district,
            birth_date=TODAY().replace(year=TODAY().year - 18) - dt.timedelta(1),
        ),
        affiliation=c.Affiliation.STUDENT,
        is_minor=False,
    )


def test_a_parent_notice_about_an_eligible_student_is_refused_without_consent_or_exception(
    case, eligible_student, investigator
):
    # Before: it went through with no prompt, though the student's rights are their own.
    with pytest.raises(ValidationError) as caught:
        _parent_notice(case, eligible_student, investigator)
    assert "eligible student" in caught.value.message_dict["eligible_student_basis"][0]
    assert "eligible_student_note" in caught.value.message_dict
    assert not PartyNotice.objects.filter(case=case).exists()


def test_a_parent_notice_about_an_eligible_student_records_the_consent(
    case, eligible_student, investigator
):
    notice = _parent_notice(
        case,
        eligible_student,
        investigator,
        eligible_student_basis=c.EligibleStudentBasis.CONSENT,
        eligible_student_note="Signed consent given at the meeting on Monday.",
    )
    assert notice.eligible_student_basis == c.EligibleStudentBasis.CONSENT
    event = CaseEvent.objects.get(case=case, event_type=EventType.NOTICE_LOGGED)
    assert event.detail["eligible_student_basis"] == "consent"


def test_a_notice_to_the_parent_is_not_a_notice_to_an_eligible_student(
    ready_case, coordinator, investigator
):
    adult = CasePartyFactory(
        case=ready_case,
        role=c.PartyRole.DEPICTED,
        person=PersonFactory(district=ready_case.district),
        affiliation=c.Affiliation.STUDENT,
        is_minor=False,
    )
    _parent_notice(
        ready_case,
        adult,
        investigator,
        eligible_student_basis=c.EligibleStudentBasis.EMERGENCY,
        eligible_student_note="Threats of self-harm reported on Friday.",
    )
    place(ready_case, c.Stage.MONITORING)
    assert f"Log the notice given to {adult.display_name}." in blocker_messages(
        ready_case, "close", reason="x"
    )


def test_a_minor_parent_notice_needs_no_basis_and_keeps_none(case, depicted_minor, investigator):
    notice = _parent_notice(
        case,
        depicted_minor,
        investigator,
        eligible_student_basis="consent",
        eligible_student_note="x",
    )
    assert notice.eligible_student_basis == "" and notice.eligible_student_note == ""


# --- Support for every party ----------------------------------------------------------------


@pytest.fixture
def respondent(case):
    return CasePartyFactory(
        case=case,
        role=c.PartyRole.RESPONDENT,
        person=PersonFactory(district=case.district),
        affiliation=c.Affiliation.STUDENT,
        is_minor=True,
    )


@pytest.fixture
def witness(case):
    return CasePartyFactory(
        case=case, role=c.PartyRole.WITNESS, person=PersonFactory(district=case.district)
    )


def test_respondents_and_witnesses_get_supportive_measures_from_their_own_catalog(
    case, coordinator, respondent, witness
):
    # Before: a supportive measure for anyone but the person shown was refused.
    for party, slug in (
        (respondent, "respondent-counseling-and-education"),
        (respondent, "counseling"),
        (witness, "witness-check-in"),
    ):
        row = measure_add(
            actor=coordinator,
            case=case,
            party=party,
            kind=CaseMeasure.Kind.SUPPORTIVE,
            measure=measure(slug),
        )
        assert row.party_choice == PartyChoice.OFFERED
    assert CaseEvent.objects.filter(case=case, event_type=EventType.MEASURE_ADDED).count() == 3


@pytest.mark.parametrize(
    ("role", "slug"),
    [
        (c.PartyRole.RESPONDENT, "safety-plan"),  # for the person shown
        (c.PartyRole.RESPONDENT, "witness-check-in"),
        (c.PartyRole.DEPICTED, "respondent-counseling-and-education"),
        (c.PartyRole.WITNESS, "respondent-schedule-change"),
    ],
)
def test_a_supportive_measure_of_another_audience_is_refused(case, coordinator, role, slug):
    party = CasePartyFactory(case=case, role=role, person=PersonFactory(district=case.district))
    with pytest.raises(ValidationError, match="not in the catalog"):
        measure_add(
            actor=coordinator,
            case=case,
            party=party,
            kind=CaseMeasure.Kind.SUPPORTIVE,
            measure=measure(slug),
        )
    assert not CaseMeasure.objects.exists()


def test_support_staff_of_the_person_shown_neither_see_nor_add_the_respondents_support(
    case, coordinator, investigator, counselor, depicted_minor, respondent
):
    # A respondent's support is arranged by staff who may read the respondent (the
    # coordinator, the school administrator, the case's lead).
    theirs = measure_add(
        actor=coordinator,
        case=case,
        party=respondent,
        kind=CaseMeasure.Kind.SUPPORTIVE,
        measure=measure("respondent-counseling-and-education"),
    )
    mine = measure_add(
        actor=counselor,
        case=case,
        party=depicted_minor,
        kind=CaseMeasure.Kind.SUPPORTIVE,
        measure=measure("counseling"),
    )
    assert list(case_measures_for_user(user=counselor, case=case)) == [mine]
    assert set(case_measures_for_user(user=investigator, case=case)) == {mine, theirs}
    with pytest.raises(ValidationError, match="not a party"):
        measure_add(
            actor=counselor,
            case=case,
            party=respondent,
            kind=CaseMeasure.Kind.SUPPORTIVE,
            measure=measure("counseling"),
        )


@pytest.fixture
def interim_case(case, depicted_minor):
    case.conduct = c.Conduct.DISTRIBUTION
    case.save()
    return place(case, c.Stage.INTERIM_ACTIONS)


def test_leaving_interim_actions_needs_support_offered_or_a_reason(
    interim_case, investigator, counselor, depicted_minor
):
    # Before: nothing asked whether the person shown was offered any support.
    with pytest.raises(GuardFailed) as caught:
        case_transition(actor=investigator, case=interim_case, action="begin_investigation")
    assert depicted_minor.display_name in caught.value.messages[0]
    offered = measure_add(
        actor=counselor,
        case=interim_case,
        party=depicted_minor,
        kind=CaseMeasure.Kind.SUPPORTIVE,
        measure=measure("counseling"),
    )
    # Offered with no answer yet is not enough: the person's choice is recorded.
    assert blocker_messages(interim_case, "begin_investigation")
    measure_choice_record(actor=counselor, measure=offered, choice=PartyChoice.DECLINED)
    moved = case_transition(actor=investigator, case=interim_case, action="begin_investigation")
    assert moved.stage == c.Stage.INVESTIGATION


@pytest.mark.parametrize("action", ["begin_investigation", "refer", "route_process_a"])
def test_a_written_reason_also_lets_the_case_leave_interim_actions(
    interim_case, counselor, depicted_minor, action
):
    assert blocker_messages(interim_case, action, reason="x", detail={"referred_to": "x"})
    support_not_offered_record(
        actor=counselor,
        case=interim_case,
        party=depicted_minor,
        reason="The student has moved out of the district; outside resources were given.",
    )
    event = CaseEvent.objects.get(case=interim_case, event_type=EventType.SUPPORT_NOT_OFFERED)
    assert event.actor == counselor and event.detail["party_id"] == depicted_minor.pk
    assert not [
        p
        for p in blocker_messages(interim_case, action, reason="x", detail={"referred_to": "x"})
        if "supportive measure" in p
    ]


def test_a_reason_without_words_or_for_a_respondent_is_refused(case, counselor, respondent):
    depicted = CasePartyFactory(case=case, role=c.PartyRole.DEPICTED)
    with pytest.raises(ValidationError, match="why"):
        support_not_offered_record(actor=counselor, case=case, party=depicted, reason=" ")
    with pytest.raises(ValidationError, match="person shown"):
        support_not_offered_record(actor=counselor, case=case, party=respondent, reason="x")
    assert not SupportNotOffered.objects.exists()


def test_the_summary_shows_the_support_record_and_the_redacted_one_keeps_the_wishes_out(
    case, coordinator, investigator, counselor, depicted_minor
):
    from reporting.summary import case_summary_for_user

    support_not_offered_record(
        actor=counselor, case=case, party=depicted_minor, reason="Not yet reachable."
    )
    _decide(
        case,
        depicted_minor,
        investigator,
        coordinator,
        D.DELAY,
        delay_until=TODAY() + dt.timedelta(5),
        student_wishes="Wants to tell their mother first, on Friday.",
        risks=[c.NotificationRisk.OUTING],
    )
    summary = case_summary_for_user(user=coordinator, pk=case.pk, profile="internal")
    (support,) = summary.support_response
    assert support.status == "None offered: reason recorded"
    assert support.reason == "Not yet reachable."
    (decision,) = summary.parent_decisions
    assert decision.decision == "Delay until a date" and "Friday" in decision.student_wishes
    redacted = case_summary_for_user(user=coordinator, pk=case.pk, profile="redacted")
    (hidden,) = redacted.parent_decisions
    assert hidden.student_wishes == "" and hidden.risks == "" and hidden.explanation == ""
    assert hidden.decision == "Delay until a date"
    assert depicted_minor.display_name not in repr(redacted.support_response)


# --- Creation only ---------------------------------------------------------------------------


@pytest.fixture
def creation_case(case):
    case.conduct = c.Conduct.CREATION_ONLY
    case.jurisdiction = c.Jurisdiction.IN_SCOPE
    case.jurisdiction_reasoning = "Students of the district; made on a school laptop."
    case.is_intimate_imagery = True
    case.save()
    return place(case, c.Stage.INITIAL_ASSESSMENT)


@pytest.mark.parametrize("action", ["route_process_b", "route_process_a"])
def test_routing_a_creation_only_case_asks_why_this_policy_applies(
    creation_case, coordinator, action
):
    # Before: it ran through with no prompt that the policy's focus is distribution.
    detail = {"respondent_track": c.RespondentTrack.UNDETERMINED}
    with pytest.raises(GuardFailed) as caught:
        case_transition(
            actor=coordinator, case=creation_case, action=action, reason="Route.", detail=detail
        )
    assert "creation only" in caught.value.messages[0]
    assert "bullying and harassment" in caught.value.messages[0]
    why = "A threat to share the images came with them; the policy covers threats."
    case_transition(
        actor=coordinator,
        case=creation_case,
        action=action,
        reason="Route.",
        detail={**detail, "creation_only_reason": why},
    )
    event = CaseEvent.objects.filter(case=creation_case, event_type=EventType.TRANSITION).last()
    assert event.detail["creation_only_reason"] == why


def test_a_creation_only_case_may_be_referred_without_the_confirmation(creation_case, coordinator):
    moved = case_transition(
        actor=coordinator,
        case=creation_case,
        action="refer",
        reason="Nothing was shared: the technology use policy applies.",
        detail={"referred_to": "Technology use policy"},
    )
    assert moved.stage == c.Stage.REFERRED


def test_other_conduct_is_routed_without_the_creation_only_reason(creation_case, coordinator):
    creation_case.conduct = c.Conduct.DISTRIBUTION
    creation_case.save()
    moved = case_transition(
        actor=coordinator,
        case=creation_case,
        action="route_process_b",
        reason="Route.",
        detail={"respondent_track": c.RespondentTrack.UNDETERMINED},
    )
    assert moved.stage == c.Stage.HARM_ASSESSMENT


# --- Pages -----------------------------------------------------------------------------------


def test_the_decision_page_records_one_decision_for_a_double_submit(
    client, case, coordinator, investigator, depicted_minor
):
    login_verified(client, investigator)
    url = reverse("ncii_cases:case_parent_decision_add", args=[case.pk])
    form = client.get(url).context["form"]
    assert depicted_minor in [row.party for row in form.rows]
    assert list(form.fields["approved_by"].queryset) == [coordinator]
    row = f"p{depicted_minor.pk}"
    data = {
        f"{row}-decision": D.DO_NOT_NOTIFY,
        f"{row}-student_wishes": "Asked that nobody at home be told.",
        f"{row}-risks": [c.NotificationRisk.DANGER_AT_HOME],
        f"{row}-explanation": "A safety plan is in place with the counselor.",
        "approved_by": coordinator.pk,
        f"{row}-review_on": (TODAY() + dt.timedelta(14)).isoformat(),
        "submission_token": form.initial["submission_token"],
    }
    with records(
        Event(
            EventType.PARENT_DECISION_RECORDED,
            investigator,
            {
                "approved_by_id",
                "decision",
                "decision_id",
                "delay_until",
                "party_id",
                "review_on",
                "risks",
            },
        ),
        queries=48,
    ):
        response = client.post(url, data)
    assert response.status_code == 302
    with records(queries=19):
        again = client.post(url, data)
    assert again.status_code == 302
    assert ParentNotificationDecision.objects.filter(case=case).count() == 1
    event = CaseEvent.objects.get(case=case, event_type=EventType.PARENT_DECISION_RECORDED)
    assert event.actor == investigator and event.detail["risks"] == ["danger_at_home"]
    page = client.get(reverse("ncii_cases:case_detail", args=[case.pk])).content.decode()
    assert "Parent and guardian notification decisions" in page
    assert "Asked that nobody at home be told." in page
    assert "recorded the parent-notification decision for" in page


def test_the_decision_page_shows_the_date_rule_next_to_the_field(
    client, case, coordinator, investigator, depicted_minor
):
    login_verified(client, investigator)
    url = reverse("ncii_cases:case_parent_decision_add", args=[case.pk])
    row = f"p{depicted_minor.pk}"
    with records(queries=19):
        response = client.post(
            url,
            {
                f"{row}-decision": D.DELAY,
                f"{row}-delay_until": (TODAY() - dt.timedelta(days=3)).isoformat(),
                f"{row}-student_wishes": "Wants to wait.",
                f"{row}-explanation": "Exams this week.",
                "approved_by": coordinator.pk,
                f"{row}-review_on": (TODAY() + dt.timedelta(14)).isoformat(),
            },
        )
    assert response.status_code == 200
    assert f"{row}-delay_until" in response.context["form"].errors
    assert not ParentNotificationDecision.objects.exists()


def test_the_support_reason_page_records_once_and_answers_404_to_another_district(
    client, case, counselor, outsider, depicted_minor
):
    url = reverse("ncii_cases:case_support_not_offered", args=[case.pk])
    login_verified(client, outsider)
    assert client.get(url).status_code == 404
    client.logout()
    login_verified(client, counselor)
    form = client.get(url).context["form"]
    data = {
        "party": depicted_minor.pk,
        "reason": "Not reachable yet; the family was given the outside resources.",
        "submission_token": form.initial["submission_token"],
    }
    with records(
        Event(EventType.SUPPORT_NOT_OFFERED, counselor, {"party_id", "record_id"}), queries=38
    ):
        assert client.post(url, data).status_code == 302
    with records(queries=14):
        client.post(url, data)
    assert SupportNotOffered.objects.filter(case=case).count() == 1
    assert (
        CaseEvent.objects.filter(case=case, event_type=EventType.SUPPORT_NOT_OFFERED).count() == 1
    )


def test_a_forged_party_id_is_refused_on_the_decision_page(
    client, case, other_school_case, coordinator, investigator, depicted_minor
):
    stranger = CasePartyFactory(case=other_school_case, role=c.PartyRole.DEPICTED, is_minor=True)
    login_verified(client, investigator)
    url = reverse("ncii_cases:case_parent_decision_add", args=[case.pk])
    # The rows are the case's own students: a row named by another case's party is not one.
    with records(queries=19):
        response = client.post(
            url,
            {
                f"p{stranger.pk}-decision": D.NOTIFY_NOW,
                f"p{stranger.pk}-student_wishes": "x",
                "approved_by": coordinator.pk,
            },
        )
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert not ParentNotificationDecision.objects.exists()


def test_a_guardian_records_their_legal_authority(client, case, investigator):
    login_verified(client, investigator)
    url = reverse("ncii_cases:case_party_add", args=[case.pk])
    form = client.get(url).context["form"]
    with records(
        Event(EventType.PARTY_ADDED, investigator, {"affiliation", "name", "party_id", "role"}),
        queries=42,
    ):
        response = client.post(
            url,
            {
                "role": c.PartyRole.PARENT,
                "description": "The student's father",
                "guardian_authority": c.GuardianAuthority.RESTRICTED,
                "guardian_authority_notes": "Protective order of March 2026: no contact with the "
                "student.",
                "submission_token": form.initial["submission_token"],
            },
        )
    assert response.status_code == 302
    parent = CaseParty.objects.get(case=case, role=c.PartyRole.PARENT)
    assert parent.guardian_authority == c.GuardianAuthority.RESTRICTED
    page = client.get(reverse("ncii_cases:case_detail", args=[case.pk])).content.decode()
    assert "a court order restricts contact or information" in page


def test_the_summary_shows_a_guardians_authority_and_the_redacted_one_leaves_it_out(
    case, coordinator
):
    from reporting.summary import case_summary_for_user

    CasePartyFactory(
        case=case,
        role=c.PartyRole.PARENT,
        person=None,
        is_minor=False,
        description="The student's father",
        guardian_authority=c.GuardianAuthority.RESTRICTED,
        guardian_authority_notes="Protective order: no contact with the student.",
    )
    internal = case_summary_for_user(user=coordinator, pk=case.pk, profile="internal")
    (parent,) = [p for p in internal.parties if p.authority]
    assert parent.authority.startswith("A court order restricts contact or information")
    redacted = case_summary_for_user(user=coordinator, pk=case.pk, profile="redacted")
    assert not any(p.authority for p in redacted.parties)


def test_the_measure_form_offers_respondents_and_witnesses_only_to_who_may_read_them(
    client, case, coordinator, counselor, depicted_minor, respondent, witness
):
    url = reverse("ncii_cases:case_measure_add", args=[case.pk])
    login_verified(client, coordinator)
    offered = set(client.get(url).context["form"].fields["party"].queryset)
    assert offered == {depicted_minor, respondent, witness}
    client.logout()
    login_verified(client, counselor)
    assert list(client.get(url).context["form"].fields["party"].queryset) == [depicted_minor]
