"""Per-case rights through django-guardian's direct foreign-key table: granted by assignment,
revoked when the assignment ends or when the case moves to a school its holder does not serve.
"""

import pytest
from django.core.exceptions import ValidationError
from guardian.utils import get_user_obj_perms_model

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import CaseAssignment, CaseEvent, CaseUserObjectPermission
from ncii_cases.permissions import Action, cases_visible_to, user_can
from ncii_cases.services.cases import case_assign, case_move_school, case_unassign
from tests.factories import UserFactory


def grants(user, case):
    return set(
        CaseUserObjectPermission.objects.filter(user=user, content_object=case).values_list(
            "permission__codename", flat=True
        )
    )


def test_guardian_uses_the_direct_foreign_key_table_for_cases(case):
    assert get_user_obj_perms_model(case) is CaseUserObjectPermission


def test_assignment_grants_the_rights_of_its_role(case, investigator, counselor):
    assert grants(investigator, case) == {"view_case_content", "work_case"}
    assert grants(counselor, case) == {"view_case_content", "support_case"}
    assert user_can(investigator, Action.WORK, case)
    assert not user_can(counselor, Action.WORK, case)
    assert user_can(counselor, Action.SUPPORT, case)


def test_ending_the_assignment_revokes_the_rights(case, coordinator, investigator):
    assignment = CaseAssignment.objects.get(case=case, user=investigator)
    case_unassign(actor=coordinator, assignment=assignment, reason="Reassigned.")
    assert grants(investigator, case) == set()
    assert not cases_visible_to(investigator).filter(pk=case.pk).exists()
    assert not user_can(investigator, Action.VIEW, case)


def test_a_remaining_assignment_keeps_its_own_rights(case, coordinator, investigator):
    lead = case_assign(actor=coordinator, case=case, user=investigator, role=c.AssignmentRole.LEAD)
    assert "support_case" in grants(investigator, case)
    case_unassign(actor=coordinator, assignment=lead)
    assert grants(investigator, case) == {"view_case_content", "work_case"}


def test_the_role_bounds_what_a_grant_allows(case, coordinator, counselor):
    # A counselor can no longer be assigned as investigator (the assignment would not give
    # what it says); a work_case grant that exists anyway (written outside the services)
    # still gives support staff no WORK nor evidence: the role's rights bound the grant.
    from guardian.shortcuts import assign_perm

    with pytest.raises(ValidationError):
        case_assign(
            actor=coordinator, case=case, user=counselor, role=c.AssignmentRole.INVESTIGATOR
        )
    assign_perm("ncii_cases.work_case", counselor, case)
    assert "work_case" in grants(counselor, case)
    assert not user_can(counselor, Action.WORK, case)
    assert not user_can(counselor, Action.VIEW_EVIDENCE, case)


def test_model_wide_permissions_and_superuser_grant_no_case(case, district):
    from django.contrib.auth.models import Permission

    user = UserFactory(district=district, is_superuser=True, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_case", "work_case"]))
    assert user.has_perm("ncii_cases.view_case_content", case)  # guardian says yes to root...
    assert not user_can(user, Action.VIEW, case)  # ...the policy does not
    assert not cases_visible_to(user).exists()


def test_an_inactive_user_sees_nothing(case, investigator):
    investigator.is_active = False
    investigator.save()
    assert not cases_visible_to(investigator).exists()


def test_moving_a_case_ends_assignments_of_staff_of_the_old_school(
    case, coordinator, investigator, school, other_school, school_admin, other_school_admin
):
    school_counselor = UserFactory(district=case.district, role=c.Role.SUPPORT_STAFF)
    school_counselor.schools.add(school)
    case_assign(actor=coordinator, case=case, user=school_counselor, role=c.AssignmentRole.SUPPORT)
    assert user_can(school_admin, Action.VIEW, case)
    case_move_school(actor=coordinator, case=case, school=other_school, reason="Student moved.")
    case.refresh_from_db()
    assert case.school == other_school
    # The school-based counselor's assignment and grants end; the district investigator stays.
    assert grants(school_counselor, case) == set()
    assert not user_can(school_counselor, Action.VIEW, case)
    assert user_can(investigator, Action.WORK, case)
    # School administrators follow the school.
    assert not user_can(school_admin, Action.VIEW, case)
    assert user_can(other_school_admin, Action.VIEW, case)
    event = CaseEvent.objects.filter(case=case).order_by("pk").last()
    assert event.event_type == EventType.SCHOOL_CHANGED and event.reason == "Student moved."
    assert event.detail["from_school_id"] == school.pk
    assert len(event.detail["ended_assignment_ids"]) == 1
    assert CaseEvent.objects.filter(case=case, event_type=EventType.UNASSIGNED).count() == 1


def test_a_case_cannot_move_to_another_district(case, coordinator, foreign_case):
    with pytest.raises(ValidationError):
        case_move_school(
            actor=coordinator, case=case, school=foreign_case.school, reason="Wrong district."
        )


def test_a_move_needs_a_reason(case, coordinator, other_school):
    with pytest.raises(ValidationError):
        case_move_school(actor=coordinator, case=case, school=other_school, reason=" ")


def test_assignments_cannot_be_written_in_the_admin(rf, coordinator):
    # Grants follow assignments only when the services write them.
    from django.contrib import admin

    from ncii_cases.admin import AssignmentInline

    request = rf.get("/")
    request.user = coordinator
    model_admin = admin.site._registry[CaseAssignment]
    inline = AssignmentInline(CaseAssignment, admin.site)
    for checker in (model_admin, inline):
        assert not checker.has_add_permission(request)
        assert not checker.has_change_permission(request)
        assert not checker.has_delete_permission(request)


def test_a_superuser_put_in_the_coordinator_group_still_reads_no_case(case, district):
    root = UserFactory(district=district, role=c.Role.COORDINATOR, is_superuser=True)
    assert not cases_visible_to(root, Action.VIEW_METADATA).exists()
    assert not user_can(root, Action.VIEW, case)
