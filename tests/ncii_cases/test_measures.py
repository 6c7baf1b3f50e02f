"""Supportive and interim measures from the catalogs, the complainant's choices, resolution
offers, notices to parties, and the informal resolution path."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import CaseEvent, CaseMeasure, PartyNotice
from ncii_cases.services.measures import (
    measure_add,
    measure_choice_record,
    measure_review,
    resolution_offer_decide,
    resolution_offer_record,
)
from ncii_cases.services.notices import party_notice_record
from ncii_cases.workflow import TransitionForbidden, case_transition
from tests.factories import CasePartyFactory, PersonFactory
from tests.factories_workflow import measure
from tests.ncii_cases.conftest import place

K = CaseMeasure.Kind


@pytest.fixture
def respondent(case):
    return CasePartyFactory(
        case=case,
        role=c.PartyRole.RESPONDENT,
        person=PersonFactory(district=case.district),
        is_minor=True,
    )


def test_a_supportive_measure_is_offered_then_the_choice_is_recorded(
    case, counselor, depicted_minor
):
    # Given counseling offered to the depicted student, with an owner and a review date
    review = timezone.localdate() + dt.timedelta(days=7)
    row = measure_add(
        actor=counselor,
        case=case,
        party=depicted_minor,
        kind=K.SUPPORTIVE,
        measure=measure("counseling"),
        owner=counselor,
        review_on=review,
    )
    assert (row.status, row.party_choice, row.owner, row.review_on) == (
        "planned",
        "offered",
        counselor,
        review,
    )
    # When the student accepts
    row = measure_choice_record(actor=counselor, measure=row, choice="accepted")
    # Then it is in place from today, and both steps are on the timeline
    assert (row.status, row.party_choice, row.starts_on) == (
        "active",
        "accepted",
        timezone.localdate(),
    )
    assert list(
        CaseEvent.objects.filter(case=case, event_type__startswith="measure").values_list(
            "event_type", flat=True
        )
    ) == [EventType.MEASURE_ADDED, EventType.MEASURE_CHOICE_RECORDED]
    assert row.history.count() == 2 and row.history.first().history_user == counselor


def test_a_declined_measure_ends_and_the_choice_stays_on_record(case, counselor, depicted_minor):
    row = measure_add(
        actor=counselor,
        case=case,
        party=depicted_minor,
        kind=K.SUPPORTIVE,
        measure=measure("schedule-change"),
    )
    row = measure_choice_record(actor=counselor, measure=row, choice="declined")
    assert (row.status, row.party_choice) == ("ended", "declined")


def test_an_interim_measure_concerns_the_respondent_and_is_not_an_offer(
    case, investigator, respondent
):
    row = measure_add(
        actor=investigator,
        case=case,
        party=respondent,
        kind=K.INTERIM,
        measure=measure("class-removal"),
        status="active",
    )
    assert row.party_choice == "n/a"
    with pytest.raises(ValidationError):
        measure_choice_record(actor=investigator, measure=row, choice="accepted")


def test_measures_come_from_the_right_catalog_for_the_right_party(
    case, investigator, depicted_minor, respondent
):
    with pytest.raises(ValidationError, match="not in the catalog"):
        measure_add(
            actor=investigator,
            case=case,
            party=respondent,
            kind=K.INTERIM,
            measure=measure("counseling"),
        )
    with pytest.raises(ValidationError, match="interim measures concern the respondent"):
        measure_add(
            actor=investigator,
            case=case,
            party=depicted_minor,
            kind=K.INTERIM,
            measure=measure("class-removal"),
        )
    assert not CaseMeasure.objects.exists()


def test_support_staff_arrange_support_but_not_interim_measures(case, counselor, respondent):
    with pytest.raises(TransitionForbidden):
        measure_add(
            actor=counselor,
            case=case,
            party=respondent,
            kind=K.INTERIM,
            measure=measure("class-removal"),
        )


def test_a_measure_kept_open_needs_its_next_review_date(case, counselor, depicted_minor):
    row = measure_add(
        actor=counselor,
        case=case,
        party=depicted_minor,
        kind=K.SUPPORTIVE,
        measure=measure("safety-plan"),
    )
    with pytest.raises(ValidationError):
        measure_review(actor=counselor, measure=row)
    ended = measure_review(actor=counselor, measure=row, end=True, note="No longer needed.")
    assert ended.status == "ended" and ended.last_reviewed_at is not None


def test_a_notice_logs_who_when_how_and_what(case, investigator, depicted_minor):
    sent = timezone.now() - dt.timedelta(hours=1)
    notice = party_notice_record(
        actor=investigator,
        case=case,
        party=depicted_minor,
        recipient_name="Mother of the student",
        kind=PartyNotice.Kind.PARENT_NOTIFICATION,
        method=PartyNotice.Method.PHONE,
        summary="Explained what happened, the support offered and the next steps.",
        sent_at=sent,
    )
    assert (notice.sent_by, notice.sent_at, notice.method) == (investigator, sent, "phone")
    event = CaseEvent.objects.get(case=case, event_type=EventType.NOTICE_LOGGED)
    assert event.detail["kind"] == "parent" and "Mother" not in str(event.detail)


def test_support_staff_may_log_support_information_but_not_other_notices(
    case, counselor, depicted_minor
):
    party_notice_record(
        actor=counselor,
        case=case,
        party=depicted_minor,
        recipient_name="Student",
        kind=PartyNotice.Kind.SUPPORT,
        method=PartyNotice.Method.IN_PERSON,
        summary="Gave the hotline and Take It Down information.",
    )
    with pytest.raises(TransitionForbidden):
        party_notice_record(
            actor=counselor,
            case=case,
            party=depicted_minor,
            recipient_name="Student",
            kind=PartyNotice.Kind.OUTCOME,
            method=PartyNotice.Method.LETTER,
            summary="Outcome.",
        )


def test_the_informal_path_runs_on_acceptance_and_returns_if_it_fails(
    case, coordinator, investigator, depicted_minor, respondent
):
    # Given an investigation in which the depicted student accepts a restorative process
    place(case, c.Stage.INVESTIGATION)
    offer = resolution_offer_record(
        actor=investigator, case=case, party=depicted_minor, option="restorative"
    )
    offer = resolution_offer_decide(actor=investigator, offer=offer, choice="accepted")
    assert offer.decided_at is not None
    resolution_offer_record(
        actor=investigator,
        case=case,
        party=respondent,
        option="restorative",
        choice="accepted",
    )
    # When the coordinator starts it and it fails, the case returns to the investigation
    case_transition(
        actor=coordinator, case=case, action="begin_informal_resolution", reason="Accepted."
    )
    back = case_transition(
        actor=investigator,
        case=case,
        action="informal_resolution_failed",
        reason="The student withdrew.",
    )
    assert back.stage == c.Stage.INVESTIGATION
    # When it is tried again and an agreement is reached, the case moves on to remedies
    case_transition(actor=coordinator, case=case, action="begin_informal_resolution", reason="r")
    done = case_transition(
        actor=coordinator,
        case=case,
        action="informal_agreement_reached",
        reason="Apology, deletion confirmed, no-contact agreed.",
    )
    assert done.stage == c.Stage.REMEDIES


@pytest.mark.parametrize("choice", ["declined", "offered"])
def test_given_a_support_measure_not_accepted_when_put_in_place_then_it_is_refused(
    case, counselor, depicted_minor, choice
):
    from ncii_cases.services.measures import measure_status_set

    # Given an offered measure the person declined or has not answered
    row = measure_add(
        actor=counselor,
        case=case,
        party=depicted_minor,
        kind=K.SUPPORTIVE,
        measure=measure("schedule-change"),
    )
    if choice == "declined":
        row = measure_choice_record(actor=counselor, measure=row, choice="declined")
    # When staff try to put it in place, then it is refused: the choice is the person's
    with pytest.raises(ValidationError, match="choice is theirs"):
        measure_status_set(actor=counselor, measure=row, status="active")
    assert CaseMeasure.objects.get(pk=row.pk).status != "active"


def test_given_a_respondent_who_has_not_accepted_when_informal_resolution_begins_then_refused(
    case, coordinator, investigator, depicted_minor, respondent
):
    place(case, c.Stage.INVESTIGATION)
    offer = resolution_offer_record(
        actor=investigator, case=case, party=depicted_minor, option="restorative"
    )
    resolution_offer_decide(actor=investigator, offer=offer, choice="accepted")
    from ncii_cases.workflow import GuardFailed

    with pytest.raises(GuardFailed) as info:
        case_transition(
            actor=coordinator, case=case, action="begin_informal_resolution", reason="r"
        )
    assert len(info.value.messages) == 1 and "(respondent)" in info.value.messages[0]


def test_given_an_employee_respondent_and_a_student_depicted_when_informal_then_refused(
    case, coordinator, investigator, depicted_minor
):
    # Given an employee respondent and a depicted student who both accepted
    place(case, c.Stage.INVESTIGATION)
    employee = CasePartyFactory(
        case=case,
        role=c.PartyRole.RESPONDENT,
        person=PersonFactory(district=case.district, affiliation=c.Affiliation.EMPLOYEE),
        affiliation=c.Affiliation.EMPLOYEE,
        is_minor=False,
    )
    for party in (depicted_minor, employee):
        resolution_offer_record(
            actor=investigator, case=case, party=party, option="informal", choice="accepted"
        )
    from ncii_cases.workflow import GuardFailed

    # When informal resolution begins, then it is refused with the reason
    with pytest.raises(GuardFailed) as info:
        case_transition(
            actor=coordinator, case=case, action="begin_informal_resolution", reason="r"
        )
    assert any("employee is alleged" in m for m in info.value.messages)
    case.refresh_from_db()
    assert case.stage == c.Stage.INVESTIGATION
