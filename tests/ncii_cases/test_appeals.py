"""Appeals (34 CFR 106.45(b)(8)) and the milestones of Process A, at the service level: who may
appeal and when, who may decide, the other party's response, the decision notified to both
parties together, the stay of sanctions, and the case's way through the workflow table."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases import clocks
from ncii_cases.errors import TransitionForbidden
from ncii_cases.events import EventType
from ncii_cases.models import (
    Appeal,
    AppealOutcome,
    CaseEvent,
    CaseMeasure,
    CaseParty,
    Determination,
    PartyNotice,
    ProcessAMilestone,
    Sanction,
    SanctionStatus,
)
from ncii_cases.services import appeals
from ncii_cases.services import determinations as det
from ncii_cases.services.cases import case_lead_change
from ncii_cases.workflow import case_transition
from tests.factories import UserFactory
from tests.factories_records import BareCasePartyFactory
from tests.factories_workflow import intervention
from tests.ncii_cases.conftest import place

GROUNDS = ["procedural-irregularity"]


def parties(case):
    depicted = CaseParty.objects.get(case=case, role=c.PartyRole.DEPICTED)
    respondent = CaseParty.objects.get(case=case, role=c.PartyRole.RESPONDENT)
    return depicted, respondent


def file_by_respondent(case, coordinator, **kwargs):
    _, respondent = parties(case)
    return appeals.appeal_file(
        actor=coordinator,
        case=case,
        appellant=respondent,
        determination=Determination.objects.get(case=case),
        grounds=kwargs.pop("grounds", GROUNDS),
        statement="The interview notes were not shared before the decision.",
        **kwargs,
    )


def test_responsible_then_appeal_by_the_respondent_ends_in_a_modified_sanction(
    decided, coordinator, appeal_officer, investigator
):
    case, respondent, sanction = decided
    depicted, _ = parties(case)

    # When the respondent appeals within the window
    appeal = file_by_respondent(case, coordinator)

    # Then the case is at the appeal stage, the sanction is stayed and the window stops
    case.refresh_from_db()
    assert case.stage == c.Stage.APPEAL and case.stage_due_at is not None
    assert appeal.sanctions_stayed and appeals.stayed_sanction_ids(case) == {sanction.pk}
    filed = CaseEvent.objects.filter(case=case, event_type=EventType.APPEAL_FILED).get()
    assert filed.detail["appellant_id"] == respondent.pk and filed.detail["sanctions_stayed"]
    window = clocks.appeal_clock(Determination.objects.get(case=case))
    assert not window.open and window.state == "Appeal filed"

    # The original decision-maker (also the case's lead) and the investigator are refused
    for barred, words in (
        (coordinator, "made the original determination"),
        (coordinator, "were the case's lead"),
        (investigator, "investigated it"),
    ):
        with pytest.raises(ValidationError) as refused:
            appeals.appeal_decision_maker_set(actor=coordinator, case=case, user=barred)
        assert "106.45(b)(8)(iii)(B)" in str(refused.value)
        assert words in str(refused.value)
    appeals.appeal_decision_maker_set(actor=coordinator, case=case, user=appeal_officer)

    # The depicted person responds
    received = timezone.now()
    appeals.appeal_response_record(
        actor=coordinator,
        case=case,
        party=depicted,
        response="The notes were offered and declined.",
        received_at=received,
    )

    # When the appeal decision-maker modifies the outcome
    appeal = appeals.appeal_decide(
        actor=appeal_officer,
        case=case,
        outcome=AppealOutcome.MODIFY,
        rationale="The finding stands; the suspension is reduced to a restorative meeting.",
        notice_method=PartyNotice.Method.LETTER,
        notified_at=timezone.now(),
        notice_summary="The appeal decision and its reasons.",
    )

    # Then both parties were notified by notices written together, at the same instant
    notices = list(PartyNotice.objects.filter(case=case, kind=PartyNotice.Kind.APPEAL))
    assert {n.party_id for n in notices} == {depicted.pk, respondent.pk}
    assert len({n.sent_at for n in notices}) == 1
    decided_event = CaseEvent.objects.filter(case=case, event_type=EventType.APPEAL_DECIDED).get()
    assert sorted(decided_event.detail["notice_ids"]) == sorted(n.pk for n in notices)
    assert appeal.response_at == received and appeal.response_party == depicted
    # and the case is back at remedies, the stay lifted
    case.refresh_from_db()
    assert case.stage == c.Stage.REMEDIES
    assert appeals.stayed_sanction_ids(case) == set()
    last = CaseEvent.objects.filter(case=case).latest("pk")
    assert (last.event_type, last.detail["action"]) == (EventType.TRANSITION, "appeal_upheld")

    # When the coordinator carries out the modification
    det.sanction_status_set(
        actor=coordinator,
        sanction=sanction,
        status=SanctionStatus.VACATED,
        reason="Modified on appeal.",
    )
    det.sanction_add(
        actor=coordinator,
        case=case,
        respondent=respondent,
        intervention=intervention("restorative-justice"),
    )
    # Then the suspension is vacated and the restorative meeting planned
    statuses = dict(Sanction.objects.filter(case=case).values_list("intervention__slug", "status"))
    assert statuses == {
        "student-suspension": SanctionStatus.VACATED,
        "restorative-justice": SanctionStatus.PLANNED,
    }


def test_the_cases_lead_coordinator_may_not_decide_its_appeal(decided, coordinator, district):
    case, _, _ = decided
    # The lead (the case's coordinator) is refused whoever made the decision
    lead = UserFactory(username="lead2", district=district, role=c.Role.COORDINATOR)
    case_lead_change(actor=coordinator, case=case, user=lead, reason="Workload.")
    file_by_respondent(case, coordinator)
    with pytest.raises(ValidationError) as refused:
        appeals.appeal_decision_maker_set(actor=coordinator, case=case, user=lead)
    assert "were the case's lead (its coordinator)" in str(refused.value)
    assert Appeal.objects.get(case=case).decision_maker is None


def test_only_the_named_decision_maker_records_the_decision(
    decided, coordinator, appeal_officer, district
):
    case, _, _ = decided
    file_by_respondent(case, coordinator)
    appeals.appeal_decision_maker_set(actor=coordinator, case=case, user=appeal_officer)
    other = UserFactory(username="thirdcoord", district=district, role=c.Role.COORDINATOR)
    with pytest.raises(ValidationError) as refused:
        appeals.appeal_decide(
            actor=other,
            case=case,
            outcome=AppealOutcome.AFFIRM,
            rationale="Stands.",
            notice_method=PartyNotice.Method.EMAIL,
            notified_at=timezone.now(),
            notice_summary="Decision sent.",
        )
    assert "Only the appeal decision-maker named" in str(refused.value)
    assert Appeal.objects.get(case=case).is_pending


def test_an_appeal_after_the_window_closed_is_refused_with_the_date(decided, coordinator):
    case, _, _ = decided
    determination = Determination.objects.get(case=case)
    closes = clocks.appeal_window_closes_at(determination)
    # Given a determination decided long ago (its window closed)
    Determination.objects.filter(pk=determination.pk).update(
        decided_at=timezone.now() - dt.timedelta(days=30)
    )
    with pytest.raises(ValidationError) as refused:
        file_by_respondent(case, coordinator)
    assert "The appeal window closed on" in str(refused.value)
    assert not Appeal.objects.filter(case=case).exists()
    case.refresh_from_db()
    assert case.stage == c.Stage.REMEDIES
    assert closes > timezone.now()  # the window of a fresh decision was still open


def test_the_window_counts_the_districts_school_days(decided, coordinator):
    case, _, _ = decided
    determination = Determination.objects.get(case=case)
    friday = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)  # a Friday, 9 AM in Chicago
    determination.decided_at = friday
    closes = clocks.appeal_window_closes_at(determination, case=case)
    # Five school days: Mon 23 to Wed 25, then the Thanksgiving holiday (26th) and the
    # weekend; Fri 27 and Mon 30 complete the five, ending at the end of Monday's school day.
    assert closes.astimezone(clocks.case_zone(case)).date() == dt.date(2026, 11, 30)


def test_a_district_may_let_sanctions_run_during_an_appeal(decided, coordinator, district):
    case, _, sanction = decided
    district.appeal_stays_sanctions = False
    district.save()
    appeal = file_by_respondent(case, coordinator)
    assert not appeal.sanctions_stayed
    det.sanction_status_set(actor=coordinator, sanction=sanction, status=SanctionStatus.IN_EFFECT)
    assert Sanction.objects.get(pk=sanction.pk).status == SanctionStatus.IN_EFFECT


def test_a_stayed_sanction_cannot_take_effect_but_support_continues(decided, coordinator):
    case, _, sanction = decided
    file_by_respondent(case, coordinator)
    with pytest.raises(ValidationError) as refused:
        det.sanction_status_set(
            actor=coordinator, sanction=sanction, status=SanctionStatus.IN_EFFECT
        )
    assert "stayed while the appeal" in str(refused.value)
    support = CaseMeasure.objects.get(case=case, kind=CaseMeasure.Kind.SUPPORTIVE)
    assert support.status == "active"


def test_the_complainant_may_appeal_and_a_remand_sends_the_case_back(
    decided, coordinator, appeal_officer
):
    case, _, _ = decided
    depicted, _ = parties(case)
    appeals.appeal_file(
        actor=coordinator,
        case=case,
        appellant=depicted,
        determination=Determination.objects.get(case=case),
        grounds=["new-evidence"],
        statement="A witness has come forward.",
    )
    appeals.appeal_decision_maker_set(actor=coordinator, case=case, user=appeal_officer)
    appeals.appeal_decide(
        actor=appeal_officer,
        case=case,
        outcome=AppealOutcome.REMAND,
        rationale="The new witness must be heard.",
        notice_method=PartyNotice.Method.EMAIL,
        notified_at=timezone.now(),
        notice_summary="Sent back to the investigation.",
    )
    case.refresh_from_db()
    assert case.stage == c.Stage.INVESTIGATION


def test_a_second_appeal_while_one_is_pending_and_a_witness_appellant_are_refused(
    decided, coordinator
):
    case, _, _ = decided
    depicted, _ = parties(case)
    witness = BareCasePartyFactory(case=case, role=c.PartyRole.WITNESS)
    with pytest.raises(ValidationError):
        appeals.appeal_file(
            actor=coordinator,
            case=case,
            appellant=witness,
            determination=Determination.objects.get(case=case),
            grounds=GROUNDS,
            statement="x",
        )
    file_by_respondent(case, coordinator)
    with pytest.raises(ValidationError) as refused:
        file_by_respondent(case, coordinator)
    assert "already pending" in str(refused.value)
    assert Appeal.objects.filter(case=case).count() == 1


def test_grounds_come_from_the_districts_catalog(decided, coordinator, other_district):
    from policies.models import AppealGround

    case, _, _ = decided
    AppealGround.objects.create(district=other_district, slug="elsewhere", name="Elsewhere")
    own = AppealGround.objects.create(
        district=case.district, slug="sanction-disproportionate", name="Disproportionate"
    )
    with pytest.raises(ValidationError):
        file_by_respondent(case, coordinator, grounds=["elsewhere"])
    appeal = file_by_respondent(case, coordinator, grounds=[own.slug])
    assert appeal.grounds == [own.slug]


def test_a_dismissal_may_be_appealed_and_reversed(ready_case, coordinator, appeal_officer):
    case = case_transition(
        actor=coordinator,
        case=place(ready_case, c.Stage.INITIAL_ASSESSMENT),
        action="refer",
        reason="Outside the policy.",
        detail={"referred_to": "Bullying policy"},
    )
    depicted, _ = parties(case)
    appeal = appeals.appeal_file(
        actor=coordinator,
        case=case,
        appellant=depicted,
        grounds=GROUNDS,
        statement="The images were shared at school.",
    )
    assert appeal.subject == Appeal.Subject.DISMISSAL and not appeal.sanctions_stayed
    appeals.appeal_decision_maker_set(actor=coordinator, case=case, user=appeal_officer)
    appeals.appeal_decide(
        actor=appeal_officer,
        case=case,
        outcome=AppealOutcome.MODIFY,
        rationale="The conduct affected school.",
        notice_method=PartyNotice.Method.EMAIL,
        notified_at=timezone.now(),
        notice_summary="The case is assessed again.",
    )
    case.refresh_from_db()
    assert case.stage == c.Stage.INITIAL_ASSESSMENT


def test_another_districts_coordinator_cannot_file_and_cannot_be_named(
    decided, coordinator, outsider
):
    case, _, _ = decided
    with pytest.raises((TransitionForbidden, Http404)):
        file_by_respondent(case, outsider)
    file_by_respondent(case, coordinator)
    with pytest.raises(ValidationError) as refused:
        appeals.appeal_decision_maker_set(actor=coordinator, case=case, user=outsider)
    assert "this district" in str(refused.value)


# --- Process A ---------------------------------------------------------------------------------


def at_process_a(case, coordinator):
    place(case, c.Stage.INITIAL_ASSESSMENT)
    return case_transition(
        actor=coordinator,
        case=case,
        action="route_process_a",
        reason="An employee respondent: the formal process.",
        detail={"respondent_track": c.RespondentTrack.STUDENT},
    )


def test_process_a_milestones_are_recorded_in_order_with_the_ten_day_windows(
    ready_case, coordinator
):
    ready_case.reported_at = timezone.now() - dt.timedelta(days=30)
    ready_case.save()
    case = at_process_a(ready_case, coordinator)
    start = case.reported_at + dt.timedelta(hours=1)
    record = appeals.process_a_milestone_record
    M = ProcessAMilestone.Kind

    with pytest.raises(ValidationError) as refused:
        record(actor=coordinator, case=case, kind=M.NOTICE_OF_ALLEGATIONS, occurred_at=start)
    assert "first" in str(refused.value)
    record(actor=coordinator, case=case, kind=M.FORMAL_COMPLAINT, occurred_at=start)
    record(actor=coordinator, case=case, kind=M.NOTICE_OF_ALLEGATIONS, occurred_at=start)
    with pytest.raises(ValidationError) as future:
        record(
            actor=coordinator,
            case=case,
            kind=M.EVIDENCE_REVIEW,
            occurred_at=timezone.now() + dt.timedelta(days=2),
        )
    assert "cannot be in the future" in str(future.value)
    record(actor=coordinator, case=case, kind=M.EVIDENCE_REVIEW, occurred_at=start)
    with pytest.raises(ValidationError) as early:
        record(
            actor=coordinator,
            case=case,
            kind=M.INVESTIGATION_REPORT,
            occurred_at=start + dt.timedelta(days=3),
        )
    assert "106.45(b)(5)(vi)" in str(early.value)
    assert ProcessAMilestone.objects.filter(case=case).count() == 3
    event = CaseEvent.objects.filter(case=case, event_type=EventType.PROCESS_A_MILESTONE).last()
    assert event.detail["kind"] == M.EVIDENCE_REVIEW


def test_a_process_a_case_dismissed_continues_under_process_b(ready_case, coordinator):
    case = at_process_a(ready_case, coordinator)
    from ncii_cases.workflow import GuardFailed

    with pytest.raises(GuardFailed):
        case_transition(
            actor=coordinator, case=case, action="dismiss_to_process_b", reason="Withdrawn."
        )
    case = case_transition(
        actor=coordinator,
        case=case,
        action="dismiss_to_process_b",
        reason="The complainant withdrew the formal complaint in writing on Monday.",
        detail={"dismissal_ground": c.DismissalGround.WITHDRAWN},
    )
    assert (case.stage, case.process) == (c.Stage.HARM_ASSESSMENT, c.Process.PROCESS_B)
    assert "Dismissed from Process A" in case.routing_reasoning
    event = CaseEvent.objects.filter(case=case).latest("pk")
    assert event.detail == {
        "dismissal_ground": c.DismissalGround.WITHDRAWN,
        "action": "dismiss_to_process_b",
    }
