"""The case services check the actor's right like every other service: opening a case needs
triage rights over its school, parties need WORK, facts and school moves TRIAGE, and
assignments ASSIGN."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.models import Case, CaseAssignment, CaseParty
from ncii_cases.services.cases import (
    PartyInput,
    case_assign,
    case_create,
    case_facts_update,
    case_move_school,
    case_party_add,
    case_unassign,
)
from ncii_cases.workflow import TransitionForbidden


def _create(actor, school, **kwargs):
    kwargs.setdefault("reported_at", timezone.now() - dt.timedelta(hours=1))
    return case_create(actor=actor, school=school, title="t", narrative="n", **kwargs)


def test_given_an_investigator_when_opening_a_case_then_it_is_forbidden(school, investigator):
    with pytest.raises(TransitionForbidden):
        _create(investigator, school)
    assert not Case.objects.exists()


def test_given_a_school_admin_when_opening_cases_then_only_at_their_own_school(
    school, other_school, school_admin
):
    created = _create(school_admin, school)
    assert created.school == school
    with pytest.raises(TransitionForbidden):
        _create(school_admin, other_school)
    assert Case.objects.count() == 1


def test_given_another_districts_coordinator_when_opening_a_case_then_it_is_forbidden(
    school, outsider
):
    with pytest.raises(TransitionForbidden):
        _create(outsider, school)
    assert not Case.objects.exists()


def test_given_a_future_report_time_when_opening_a_case_then_it_is_refused(school, coordinator):
    with pytest.raises(ValidationError, match="cannot be in the future"):
        _create(coordinator, school, reported_at=timezone.now() + dt.timedelta(days=1))
    assert not Case.objects.exists()


def test_given_support_staff_when_adding_a_party_then_it_is_forbidden_but_investigators_may(
    case, counselor, investigator
):
    witness = PartyInput(c.PartyRole.WITNESS, None, c.Affiliation.STUDENT, True, "A classmate")
    with pytest.raises(TransitionForbidden):
        case_party_add(actor=counselor, case=case, party=witness)
    row = case_party_add(actor=investigator, case=case, party=witness)
    assert list(CaseParty.objects.filter(case=case)) == [row]


def test_given_an_investigator_when_changing_facts_or_school_then_it_is_forbidden(
    case, investigator, other_school
):
    with pytest.raises(TransitionForbidden):
        case_facts_update(actor=investigator, case=case, is_intimate_imagery=True)
    with pytest.raises(TransitionForbidden):
        case_move_school(actor=investigator, case=case, school=other_school, reason="Moved.")
    case.refresh_from_db()
    assert case.is_intimate_imagery is None and case.school != other_school


def test_given_an_investigator_when_assigning_or_unassigning_then_it_is_forbidden(
    case, investigator, unassigned_investigator
):
    with pytest.raises(TransitionForbidden):
        case_assign(
            actor=investigator,
            case=case,
            user=unassigned_investigator,
            role=c.AssignmentRole.INVESTIGATOR,
        )
    mine = CaseAssignment.objects.get(case=case, user=investigator)
    with pytest.raises(TransitionForbidden):
        case_unassign(actor=investigator, assignment=mine)
    assert CaseAssignment.objects.get(pk=mine.pk).ended_at is None
    assert not CaseAssignment.objects.filter(user=unassigned_investigator).exists()


def test_given_a_school_admin_when_moving_a_case_then_school_staff_lose_their_assignment(
    case, coordinator, school_admin, other_school
):
    case_assign(actor=coordinator, case=case, user=school_admin, role=c.AssignmentRole.SCHOOL_ADMIN)
    moved = case_move_school(actor=school_admin, case=case, school=other_school, reason="Moved.")
    assert moved.school == other_school
    assert CaseAssignment.objects.get(user=school_admin).ended_at is not None
