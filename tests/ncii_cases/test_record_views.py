"""The record views that no other view test records through (the determination, an
assignment and its end, a measure's update, a takedown's update, a withdrawal, a sanction's
status): each records through its service with its event, in a measured number of queries,
and a refused POST writes nothing."""

from django.urls import reverse

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import (
    CaseAssignment,
    CaseMeasure,
    Determination,
    Sanction,
    SanctionStatus,
    TakedownRequest,
)
from ncii_cases.services.measures import measure_add
from ncii_cases.services.takedowns import takedown_request_create
from tests.access.helpers import login_verified
from tests.factories import CasePartyFactory, PersonFactory
from tests.factories_workflow import TAKEDOWN_ELEMENTS, platform
from tests.factories_workflow import measure as catalog
from tests.ncii_cases.conftest import place
from tests.recorded import Event, records


def url(name, case, **kwargs):
    return reverse(f"ncii_cases:{name}", kwargs={"pk": case.pk, **kwargs})


def a_takedown(case, actor):
    return takedown_request_create(
        actor=actor,
        case=case,
        platform=platform("snapchat"),
        location="Group chat",
        route=TakedownRequest.Route.PLATFORM,
    )


def test_the_investigator_records_a_takedown_submitted_on_the_update_page(
    client, case, investigator
):
    # Given a platform-route request still to do
    takedown = a_takedown(case, investigator)
    login_verified(client, investigator)
    data = {
        "takedown": takedown.pk,
        "status": "submitted",
        "platform_reference": "SC-1",
        "version": takedown.version,
        "version_for": takedown.pk,
        **{k: "on" for k, v in TAKEDOWN_ELEMENTS.items() if v is True},
    }
    # When the investigator records that it was submitted
    with records(
        Event(
            EventType.TAKEDOWN_SUBMITTED, investigator, {"due_at", "submitted_at", "takedown_id"}
        ),
        queries=31,
        case=case,
    ):
        response = client.post(url("case_takedown_update", case), data)
    # Then the request is submitted and its clock runs
    assert response.status_code == 302
    takedown.refresh_from_db()
    assert takedown.status == TakedownRequest.Status.SUBMITTED
    assert takedown.platform_reference == "SC-1"


def test_not_pursuing_a_takedown_without_a_reason_is_refused_and_writes_nothing(
    client, case, investigator
):
    takedown = a_takedown(case, investigator)
    login_verified(client, investigator)
    data = {"takedown": takedown.pk, "status": "waived", "waiver_reason": "  "}
    with records(queries=24):
        response = client.post(url("case_takedown_update", case), data)
    assert response.status_code == 200
    takedown.refresh_from_db()
    assert takedown.status == TakedownRequest.Status.TO_DO


def test_the_coordinator_ends_an_assignment_on_its_page(client, case, coordinator, counselor):
    # Given the counselor assigned as support staff
    assignment = CaseAssignment.objects.get(case=case, user=counselor, ended_at=None)
    login_verified(client, coordinator)
    # When the coordinator ends it
    with records(
        Event(EventType.UNASSIGNED, coordinator, {"role", "user_id"}), queries=30, case=case
    ):
        response = client.post(
            url("case_unassign", case), {"assignment": assignment.pk, "reason": "Moved school."}
        )
    # Then it has ended and the counselor no longer holds the case
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.ended_at is not None


def test_an_investigator_may_not_end_an_assignment_and_nothing_is_written(
    client, case, investigator, counselor
):
    assignment = CaseAssignment.objects.get(case=case, user=counselor, ended_at=None)
    login_verified(client, investigator)
    with records(queries=11):
        response = client.post(url("case_unassign", case), {"assignment": assignment.pk})
    assert response.status_code == 404
    assignment.refresh_from_db()
    assert assignment.ended_at is None


def test_the_investigator_withdraws_a_person_entered_by_mistake(client, case, investigator):
    # Given a witness entered on the wrong case
    witness = CasePartyFactory(case=case, role=c.PartyRole.WITNESS, description="A classmate")
    login_verified(client, investigator)
    data = {"record": witness.pk, "version": witness.version, "reason": "Entered on the wrong case"}
    # When the investigator withdraws them with the reason
    with records(
        Event(EventType.RECORD_WITHDRAWN, investigator, {"label", "record", "record_id"}),
        queries=33,
    ):
        response = client.post(url("case_record_withdraw", case, kind="party"), data)
    # Then the record stays, marked withdrawn with the reason
    assert response.status_code == 302
    witness.refresh_from_db()
    assert witness.withdrawn_at is not None
    assert witness.withdrawn_reason == "Entered on the wrong case"


def test_a_withdrawal_of_a_record_changed_since_the_page_opened_writes_nothing(
    client, case, investigator
):
    witness = CasePartyFactory(case=case, role=c.PartyRole.WITNESS, description="A classmate")
    login_verified(client, investigator)
    stale = {"record": witness.pk, "version": witness.version - 1, "reason": "Duplicate"}
    with records(queries=22):
        response = client.post(url("case_record_withdraw", case, kind="party"), stale)
    assert response.status_code == 200
    witness.refresh_from_db()
    assert witness.withdrawn_at is None


def test_the_coordinator_puts_a_sanction_in_effect_on_its_page(client, decided, coordinator):
    # Given a planned suspension after the determination
    case, _, sanction = decided
    login_verified(client, coordinator)
    data = {
        "sanction": sanction.pk,
        "status": SanctionStatus.IN_EFFECT,
        "version": sanction.version,
        "version_for": sanction.pk,
    }
    # When the coordinator records that it is in effect
    with records(
        Event(
            EventType.SANCTION_STATUS_CHANGED,
            coordinator,
            {"from", "intervention", "sanction_id", "to"},
        ),
        queries=27,
        case=case,
    ):
        response = client.post(url("case_sanction_status", case), data)
    # Then the sanction is in effect
    assert response.status_code == 302
    assert Sanction.objects.get(pk=sanction.pk).status == SanctionStatus.IN_EFFECT


def test_vacating_a_sanction_without_a_reason_is_refused_and_writes_nothing(
    client, decided, coordinator
):
    case, _, sanction = decided
    login_verified(client, coordinator)
    data = {"sanction": sanction.pk, "status": SanctionStatus.VACATED, "reason": ""}
    with records(queries=20):
        response = client.post(url("case_sanction_status", case), data)
    assert response.status_code == 200
    assert Sanction.objects.get(pk=sanction.pk).status == SanctionStatus.PLANNED


def test_the_coordinator_records_the_determination_on_its_page(client, case, coordinator):
    # Given a case at determination with one identified respondent
    respondent = CasePartyFactory(
        case=case,
        role=c.PartyRole.RESPONDENT,
        person=PersonFactory(district=case.district),
        affiliation=c.Affiliation.STUDENT,
    )
    place(case, c.Stage.DETERMINATION)
    login_verified(client, coordinator)
    data = {
        "respondent": respondent.pk,
        "finding": Determination.Finding.RESPONSIBLE,
        "standard_of_evidence": Determination.Standard.PREPONDERANCE,
        "rationale": "Messages and witness statements show the respondent shared the imagery.",
        "submission_token": "6b1c1d3e-1b7a-4a8e-9c43-1a2b3c4d5e6f",
    }
    # When the coordinator records the finding
    with records(
        Event(
            EventType.DETERMINATION_RECORDED,
            coordinator,
            {"determination_id", "finding", "respondent_id", "standard"},
        ),
        queries=34,
        case=case,
    ):
        response = client.post(url("case_determination", case), data)
    # Then the determination is the case's, signed by the coordinator
    assert response.status_code == 302
    determination = Determination.objects.get(case=case)
    assert determination.respondent == respondent and determination.decided_by == coordinator


def test_the_coordinator_assigns_an_investigator_on_the_assign_page(
    client, case, coordinator, unassigned_investigator
):
    login_verified(client, coordinator)
    data = {"user": unassigned_investigator.pk, "role": c.AssignmentRole.INVESTIGATOR}
    with records(
        Event(EventType.ASSIGNED, coordinator, {"assignment_id", "role", "user_id"}),
        queries=41,
        case=case,
    ):
        response = client.post(url("case_assign", case), data)
    assert response.status_code == 302
    assert CaseAssignment.objects.filter(
        case=case, user=unassigned_investigator, ended_at=None
    ).exists()


def test_the_counselor_records_the_persons_answer_to_a_measure(
    client, case, counselor, depicted_minor
):
    # Given a supportive measure offered to the depicted student
    measure = measure_add(
        actor=counselor,
        case=case,
        party=depicted_minor,
        kind=CaseMeasure.Kind.SUPPORTIVE,
        measure=catalog("counseling"),
    )
    login_verified(client, counselor)
    data = {
        "measure": measure.pk,
        "op": "choice",
        "choice": "accepted",
        "version": measure.version,
        "version_for": measure.pk,
    }
    # When the counselor records that the student accepted it
    with records(
        Event(EventType.MEASURE_CHOICE_RECORDED, counselor, {"choice", "measure_id"}),
        queries=29,
        case=case,
    ):
        response = client.post(url("case_measure_update", case), data)
    # Then the measure holds the answer
    assert response.status_code == 302
    measure.refresh_from_db()
    assert measure.party_choice == "accepted"
