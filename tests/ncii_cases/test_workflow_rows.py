"""A workflow row says everything about its step, by keyword: a positional row fails, every
stage the rows reach has a declared clock rule, the step's form has exactly the row's detail
fields, and what a row sets on the case names real fields of the case."""

import dataclasses
import datetime as dt

import pytest

from ncii_cases import choices as c
from ncii_cases import clocks
from ncii_cases.forms import TransitionForm
from ncii_cases.models import Case
from ncii_cases.permissions import Action
from ncii_cases.workflow import BY_ACTION, TRANSITIONS, Transition, case_transition
from tests.ncii_cases.conftest import READY_DETAIL, place

S = c.Stage
NOW = dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)


def test_a_row_written_positionally_is_refused():
    # When a row is written as the table once was, with a bare True for the reason
    # Then it is refused when built (so at import of the table), not silently misread
    with pytest.raises(TypeError):
        Transition(
            "close",
            (S.MONITORING,),
            S.CLOSED,
            Action.DECIDE,
            (),
            True,
            "Close the case",
        )


def test_a_row_by_keyword_keeps_each_value_and_cannot_change():
    row = Transition(
        action="close",
        sources=(S.MONITORING,),
        target=S.CLOSED,
        permission=Action.DECIDE,
        needs_reason=True,
    )
    assert (row.action, row.sources, row.target, row.needs_reason) == (
        "close",
        (S.MONITORING,),
        S.CLOSED,
        True,
    )
    assert (row.guards, row.detail_fields, row.sets) == ((), (), None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.needs_reason = False


def test_every_stage_has_a_clock_rule_and_a_stage_without_a_clock_is_declared_with_why():
    # Every stage, reached by a row or not (intake is where a case starts), has a rule
    assert set(clocks.STAGE_CLOCKS) == set(S.values)
    assert {t.target for t in TRANSITIONS} <= set(clocks.STAGE_CLOCKS)
    # A stage without a clock is declared as such, with the reason
    without = {s for s, rule in clocks.STAGE_CLOCKS.items() if rule.span is None}
    assert without == {S.PROCESS_A, S.CLOSED}
    assert all(clocks.STAGE_CLOCKS[s].no_clock.strip() for s in without)
    # And what the clocks read is worked out from the rules
    assert set(clocks.STAGES_WITHOUT_CLOCK) == without
    scaled = {s for s, rule in clocks.STAGE_CLOCKS.items() if rule.priority_scaled}
    assert scaled == {S.INTERIM_ACTIONS, S.INVESTIGATION}
    assert scaled == clocks.PRIORITY_SCALED_STAGES


def test_a_stage_left_out_of_the_clock_rules_is_refused():
    # Given the rules with the investigation left out
    rules = {s: r for s, r in clocks.STAGE_CLOCKS.items() if s != S.INVESTIGATION}
    # Then the check names it
    with pytest.raises(ValueError, match="investigation"):
        clocks.stage_clocks_checked(rules)


def test_a_stage_without_a_clock_needs_its_reason():
    rules = {**clocks.STAGE_CLOCKS, S.MONITORING: clocks.StageClock(None)}
    with pytest.raises(ValueError, match="monitoring"):
        clocks.stage_clocks_checked(rules)
    assert clocks.stage_clocks_checked(clocks.STAGE_CLOCKS) is clocks.STAGE_CLOCKS


@pytest.mark.parametrize("transition", TRANSITIONS, ids=[t.action for t in TRANSITIONS])
def test_the_step_form_has_exactly_the_rows_detail_fields(transition):
    # When the step's form is built for the row
    form = TransitionForm(transition=transition)
    # Then its fields are the row's detail fields, and the reason when the step needs one
    expected = set(transition.detail_fields) | ({"reason"} if transition.needs_reason else set())
    assert set(form.fields) == expected


def test_every_field_of_the_step_form_belongs_to_a_row():
    used = {name for t in TRANSITIONS for name in t.detail_fields}
    assert set(TransitionForm.base_fields) - {"reason"} == used


@pytest.mark.parametrize("transition", [t for t in TRANSITIONS if t.sets], ids=lambda t: t.action)
def test_what_a_row_sets_names_fields_of_the_case(transition):
    # When the row's side effect is worked out from a full detail
    detail = {k: v for k, v in READY_DETAIL.items() if k in transition.detail_fields}
    fields = transition.sets("The reason.", detail, NOW)
    # Then every name is a concrete field of the case (a misspelt one would be set silently)
    concrete = {f.attname for f in Case._meta.concrete_fields}
    assert fields and set(fields) <= concrete


def test_closing_and_reopening_set_what_their_rows_declare(ready_case, coordinator):
    # Given a case at monitoring
    place(ready_case, S.MONITORING)
    # When it is closed, then reopened
    closed = case_transition(
        actor=coordinator, case=ready_case, action="close", reason="All resolved."
    )
    stored = Case.objects.get(pk=ready_case.pk)
    assert stored.closure_summary == "All resolved." and stored.closed_at == closed.stage_entered_at
    case_transition(actor=coordinator, case=ready_case, action="reopen", reason="New facts.")
    # Then the reopened case is no longer closed and keeps its closure summary
    reopened = Case.objects.get(pk=ready_case.pk)
    assert reopened.closed_at is None and reopened.closure_summary == "All resolved."
    assert BY_ACTION["reopen"].sets("x", {}, NOW) == {"closed_at": None}


@pytest.mark.parametrize("transition", TRANSITIONS, ids=lambda t: t.action)
def test_every_row_carries_the_due_time_rule_of_its_target(transition):
    # Given a workflow row
    rule = transition.clock
    # Then its due-time rule is its target stage's, with a span or a reason for none
    assert rule is clocks.STAGE_CLOCKS[transition.target]
    assert (rule.span is None) == bool(rule.no_clock)
    # And taking the step sets a due time exactly when the rule has a span
    due = clocks.stage_due_at(transition.target, c.Level.MODERATE, NOW)
    assert (due is None) == (rule.span is None)
