"""Every (stage, action) pair of the workflow table: allowed pairs move the case and write one
transition event; every other pair raises TransitionNotAllowed and changes nothing."""

import pytest

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import Case, CaseEvent
from ncii_cases.workflow import TRANSITIONS, TransitionNotAllowed, case_transition
from tests.ncii_cases.conftest import READY_DETAIL, appeal_for, place

PAIRS = [(stage, t) for stage in c.Stage.values for t in TRANSITIONS]


@pytest.mark.parametrize(("stage", "transition"), PAIRS, ids=[f"{s}-{t.action}" for s, t in PAIRS])
def test_each_stage_action_pair_moves_only_when_the_table_allows_it(
    ready_case, coordinator, stage, transition
):
    # Given a case at the stage, whose records meet every guard (for an appeal step, the
    # appeal it needs)
    place(ready_case, stage)
    appeal_for(ready_case, transition.action, coordinator)
    events_before = CaseEvent.objects.filter(case=ready_case).count()
    history_before = ready_case.history.count()

    if stage in transition.sources:
        # When the coordinator takes an allowed action
        moved = case_transition(
            actor=coordinator,
            case=ready_case,
            action=transition.action,
            reason="Recorded reason.",
            detail=READY_DETAIL,
        )
        # Then the case is at the target stage with exactly one transition event
        assert moved.stage == transition.target
        assert Case.objects.get(pk=ready_case.pk).stage == transition.target
        event = CaseEvent.objects.filter(case=ready_case).latest("pk")
        assert CaseEvent.objects.filter(case=ready_case).count() == events_before + 1
        assert (event.event_type, event.from_stage, event.to_stage) == (
            EventType.TRANSITION,
            stage,
            transition.target,
        )
        assert event.actor == coordinator and event.detail["action"] == transition.action
    else:
        # When the action is not possible from this stage, then it is refused
        with pytest.raises(TransitionNotAllowed):
            case_transition(
                actor=coordinator,
                case=ready_case,
                action=transition.action,
                reason="Recorded reason.",
                detail=READY_DETAIL,
            )
        # and nothing changed: stage, events and history rows
        assert Case.objects.get(pk=ready_case.pk).stage == stage
        assert CaseEvent.objects.filter(case=ready_case).count() == events_before
        assert ready_case.history.count() == history_before


def test_an_unknown_action_is_not_allowed(ready_case, coordinator):
    with pytest.raises(TransitionNotAllowed):
        case_transition(actor=coordinator, case=ready_case, action="skip_to_the_end")
    assert Case.objects.get(pk=ready_case.pk).stage == c.Stage.INTAKE


def test_every_stage_is_reachable_and_every_open_stage_has_a_way_out():
    targets = {t.target for t in TRANSITIONS}
    sources = {s for t in TRANSITIONS for s in t.sources}
    assert set(c.Stage.values) - {c.Stage.INTAKE} <= targets
    assert set(c.Stage.values) <= sources


def test_appeal_steps_need_their_appeal(ready_case, coordinator):
    from ncii_cases.workflow import GuardFailed

    place(ready_case, c.Stage.REMEDIES)
    with pytest.raises(GuardFailed) as refused:
        case_transition(actor=coordinator, case=ready_case, action="begin_appeal")
    assert "Record the appeal first" in refused.value.messages[0]
    place(ready_case, c.Stage.APPEAL)
    appeal_for(ready_case, "appeal_remanded", coordinator)
    # A remanded appeal of a determination does not lead back to remedies
    with pytest.raises(GuardFailed):
        case_transition(actor=coordinator, case=ready_case, action="appeal_upheld")
    assert Case.objects.get(pk=ready_case.pk).stage == c.Stage.APPEAL


def test_every_stage_has_a_due_time_rule_or_is_named_without_one():
    from ncii_cases import clocks

    for stage in c.Stage.values:
        assert (stage in clocks.STAGE_SPANS) != (stage in clocks.STAGES_WITHOUT_CLOCK), stage
