"""A closed case takes no new records until it is reopened; support measures may still be
reviewed and ended. Determinations and sanctions belong to their stages, and records passed
with a case must belong to it."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.models import CaseMeasure, PartyNotice, TakedownRequest
from ncii_cases.services import determinations, evidence, measures, notices, takedowns
from ncii_cases.services.cases import PartyInput, case_facts_update, case_party_add
from ncii_cases.services.harm import HarmAnswers, harm_assessment_record
from tests.factories import CaseFactory, CasePartyFactory
from tests.factories_workflow import intervention, measure, platform
from tests.ncii_cases.conftest import place

CLOSED = "This case is closed; reopen it first to record anything."


@pytest.fixture
def closed(ready_case):
    return place(ready_case, c.Stage.CLOSED)


def _writes(case, coordinator):
    depicted = case.parties.get(role=c.PartyRole.DEPICTED)
    respondent = case.parties.get(role=c.PartyRole.RESPONDENT)
    return {
        "evidence": lambda: evidence.evidence_record(
            actor=coordinator, case=case, description="A post seen by a classmate."
        ),
        "takedown": lambda: takedowns.takedown_request_create(
            actor=coordinator, case=case, platform=platform("snapchat"), location="Group"
        ),
        "measure": lambda: measures.measure_add(
            actor=coordinator,
            case=case,
            party=depicted,
            kind=CaseMeasure.Kind.SUPPORTIVE,
            measure=measure("safety-plan"),
        ),
        "notice": lambda: notices.party_notice_record(
            actor=coordinator,
            case=case,
            party=depicted,
            recipient_name="Student",
            kind=PartyNotice.Kind.OUTCOME,
            method=PartyNotice.Method.LETTER,
            summary="Outcome.",
        ),
        "party": lambda: case_party_add(
            actor=coordinator,
            case=case,
            party=PartyInput(c.PartyRole.WITNESS, None, c.Affiliation.STUDENT, True, "A peer"),
        ),
        "facts": lambda: case_facts_update(actor=coordinator, case=case, title="New title"),
        "harm": lambda: harm_assessment_record(actor=coordinator, case=case, answers=HarmAnswers()),
        "sanction": lambda: determinations.sanction_add(
            actor=coordinator,
            case=case,
            respondent=respondent,
            intervention=intervention("ncii-education"),
        ),
    }


@pytest.mark.parametrize(
    "write", ["evidence", "takedown", "measure", "notice", "party", "facts", "harm", "sanction"]
)
def test_given_a_closed_case_when_recording_anything_then_it_is_refused(closed, coordinator, write):
    events = closed.events.count()
    with pytest.raises(ValidationError) as info:
        _writes(closed, coordinator)[write]()
    assert info.value.messages == [CLOSED]
    assert closed.events.count() == events


def test_given_a_closed_case_with_support_continuing_when_reviewing_or_ending_then_it_is_allowed(
    closed, counselor, coordinator
):
    row = CaseMeasure.objects.get(case=closed, kind=CaseMeasure.Kind.SUPPORTIVE)
    reviewed = measures.measure_review(
        actor=coordinator,
        measure=row,
        next_review_on=timezone.localdate() + dt.timedelta(days=30),
    )
    assert reviewed.last_reviewed_at is not None
    ended = measures.measure_status_set(actor=coordinator, measure=row, status="ended")
    assert ended.status == "ended"
    with pytest.raises(ValidationError, match="closed"):
        measures.measure_status_set(actor=coordinator, measure=row, status="active")


def test_given_a_case_in_investigation_when_recording_a_determination_then_it_waits_its_stage(
    ready_case, coordinator
):
    place(ready_case, c.Stage.INVESTIGATION)
    ready_case.determinations.all().delete()
    with pytest.raises(ValidationError, match="determination stage"):
        determinations.determination_record(
            actor=coordinator,
            case=ready_case,
            respondent=ready_case.parties.get(role=c.PartyRole.RESPONDENT),
            finding="responsible",
            standard_of_evidence="preponderance",
            rationale="Admitted.",
        )
    assert not ready_case.determinations.exists()


def test_given_a_case_in_monitoring_when_adding_a_sanction_then_it_is_refused(
    ready_case, coordinator
):
    place(ready_case, c.Stage.MONITORING)
    ready_case.respondent_track = c.RespondentTrack.STUDENT
    ready_case.save()
    with pytest.raises(ValidationError, match="determination or remedies stage"):
        determinations.sanction_add(
            actor=coordinator,
            case=ready_case,
            respondent=ready_case.parties.get(role=c.PartyRole.RESPONDENT),
            intervention=intervention("ncii-education"),
        )
    assert not ready_case.sanctions.exists()


def test_given_a_respondent_when_opening_a_takedown_for_them_then_it_is_refused(
    ready_case, investigator
):
    with pytest.raises(ValidationError, match="depicted person"):
        takedowns.takedown_request_create(
            actor=investigator,
            case=ready_case,
            platform=platform("snapchat"),
            location="Group",
            depicted_party=ready_case.parties.get(role=c.PartyRole.RESPONDENT),
        )
    assert not TakedownRequest.objects.exists()


def test_given_staff_of_another_district_when_made_takedown_owner_then_it_is_refused(
    ready_case, investigator, outsider
):
    with pytest.raises(ValidationError, match="staff of the case's district"):
        takedowns.takedown_request_create(
            actor=investigator,
            case=ready_case,
            platform=platform("snapchat"),
            location="Group",
            owner=outsider,
        )
    assert not TakedownRequest.objects.exists()


def test_given_a_party_of_another_case_when_passed_with_this_case_then_it_is_refused(
    ready_case, coordinator, school
):
    stranger = CasePartyFactory(case=CaseFactory(school=school), role=c.PartyRole.DEPICTED)
    with pytest.raises(ValidationError, match="not a party to this case"):
        takedowns.takedown_request_create(
            actor=coordinator,
            case=ready_case,
            platform=platform("snapchat"),
            location="Group",
            depicted_party=stranger,
        )
