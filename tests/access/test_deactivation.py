"""Deactivating an account ends its sessions, its case assignments (with their per-case rights
and an event per case) and its case e-mail, on every path: the service, the admin's form, and
``user.is_active = False; user.save()`` in a shell."""

import datetime as dt

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import (
    AccountSession,
    Case,
    CaseAssignment,
    CaseEvent,
    CaseUserObjectPermission,
    TakedownRequest,
)
from ncii_cases.permissions import Action, cases_visible_to, user_can
from ncii_cases.services.accounts import DEACTIVATED_REASON, user_deactivate
from ncii_cases.services.cases import case_assign
from ncii_cases.tasks import case_staff_users, deadlines_remind, transition_notify
from tests.access.helpers import login_verified
from tests.factories import CaseFactory, UserFactory
from tests.factories_workflow import platform


def sessions_of(user) -> int:
    """The user's sessions, found by decoding every one (not by the column under test)."""
    return sum(
        1 for s in AccountSession.objects.all() if s.get_decoded().get(SESSION_KEY) == str(user.pk)
    )


@pytest.fixture
def busy_investigator(case, other_school_case, closed_case, coordinator, investigator, client):
    """The investigator: assigned to ``case`` (from the personas), also as its lead, and to
    another school's case and a closed case; signed in."""
    case_assign(actor=coordinator, case=case, user=investigator, role=c.AssignmentRole.LEAD)
    case_assign(
        actor=coordinator,
        case=other_school_case,
        user=investigator,
        role=c.AssignmentRole.INVESTIGATOR,
    )
    # A closed case keeps the assignments made while it was open.
    Case.objects.filter(pk=closed_case.pk).update(stage=c.Stage.INTAKE)
    case_assign(
        actor=coordinator, case=closed_case, user=investigator, role=c.AssignmentRole.INVESTIGATOR
    )
    Case.objects.filter(pk=closed_case.pk).update(stage=c.Stage.CLOSED)
    login_verified(client, investigator)
    assert sessions_of(investigator) == 1
    return investigator


def assert_access_ended(user, cases, actor):
    assert not CaseAssignment.objects.filter(user=user, ended_at__isnull=True).exists()
    assert not CaseUserObjectPermission.objects.filter(user=user).exists()
    assert sessions_of(user) == 0
    for case in cases:
        events = CaseEvent.objects.filter(case=case, event_type=EventType.ASSIGNEE_DEACTIVATED)
        assert events.count() == 1, case
        event = events.get()
        assert event.reason == DEACTIVATED_REASON and event.actor == actor
        assert event.detail["user_id"] == user.pk
    # Reactivated, the account has no case: nothing comes back by itself.
    type(user).objects.filter(pk=user.pk).update(is_active=True)
    fresh = type(user).objects.get(pk=user.pk)
    assert not cases_visible_to(fresh, Action.VIEW_METADATA).exists()


def test_a_shell_save_ends_sessions_assignments_and_rights(
    busy_investigator, case, other_school_case, closed_case
):
    busy_investigator.is_active = False
    busy_investigator.save()
    assert_access_ended(busy_investigator, [case, other_school_case, closed_case], actor=None)


def test_the_event_names_every_role_ended_on_the_case(busy_investigator, case):
    busy_investigator.is_active = False
    busy_investigator.save()
    event = CaseEvent.objects.get(case=case, event_type=EventType.ASSIGNEE_DEACTIVATED)
    assert sorted(event.detail["roles"]) == ["investigator", "lead"]
    assert len(event.detail["assignment_ids"]) == 2


def test_the_service_ends_everything_and_names_who_deactivated(
    busy_investigator, case, other_school_case, closed_case, it_admin
):
    ended = user_deactivate(actor=it_admin, user=busy_investigator)
    assert ended.sessions == 1 and ended.assignments == 4
    assert ended.case_ids == sorted([case.pk, other_school_case.pk, closed_case.pk])
    assert_access_ended(busy_investigator, [case, other_school_case, closed_case], it_admin)


def test_the_admin_form_ends_assignments_too(busy_investigator, case, it_admin):
    admin_client = Client()
    login_verified(admin_client, it_admin)
    url = reverse("admin:ncii_cases_user_change", args=[busy_investigator.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "groups": [g.pk for g in busy_investigator.groups.all()],
            "schools": [],
            "user_permissions": [],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": busy_investigator.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": busy_investigator.date_joined.strftime("%H:%M:%S"),
        }
    )
    data.pop("is_active")
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert_access_ended(busy_investigator, [case], actor=it_admin)


def test_a_right_left_without_an_assignment_is_revoked(case, other_school_case, counselor):
    assign_perm("ncii_cases.view_case_content", counselor, other_school_case)
    counselor.is_active = False
    counselor.save()
    assert not CaseUserObjectPermission.objects.filter(user=counselor).exists()
    # No assignment ended on that case, so no event there.
    assert not CaseEvent.objects.filter(
        case=other_school_case, event_type=EventType.ASSIGNEE_DEACTIVATED
    ).exists()


def test_saving_an_inactive_account_again_writes_nothing(case, investigator):
    investigator.is_active = False
    investigator.save()
    before = CaseEvent.objects.count()
    investigator.first_name = "Renamed"
    investigator.save()
    assert CaseEvent.objects.count() == before


def test_other_saves_of_an_active_account_end_nothing(case, investigator):
    investigator.last_login = timezone.now()
    investigator.save(update_fields=["last_login"])
    investigator.title = "Lead investigator"
    investigator.save()
    assert user_can(investigator, Action.WORK, case)


# --- Case e-mail ------------------------------------------------------------------------------


def test_an_inactive_assignee_receives_no_case_email(case, coordinator, investigator):
    # Deactivated behind the app's back (a queryset update writes no signal): the assignment
    # is still there, the e-mail rule still skips the account.
    case_assign(actor=coordinator, case=case, user=investigator, role=c.AssignmentRole.LEAD)
    type(investigator).objects.filter(pk=investigator.pk).update(is_active=False)
    assert investigator not in case_staff_users(case)
    # With no active assignee left, the district's coordinators are told instead.
    assert case_staff_users(case) == [coordinator]


def test_the_transition_email_skips_inactive_assignees(case, investigator, counselor):
    type(counselor).objects.filter(pk=counselor.pk).update(is_active=False)
    from ncii_cases.audit import case_event_record

    event = case_event_record(
        case=case, actor=None, event_type=EventType.TRANSITION, to_stage="initial_assessment"
    )
    transition_notify(event.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [investigator.email]


def test_an_inactive_coordinator_is_not_the_fallback(school, coordinator, district):
    other = UserFactory(district=district, role=c.Role.COORDINATOR)
    type(coordinator).objects.filter(pk=coordinator.pk).update(is_active=False)
    lone = CaseFactory(school=school, stage_due_at=timezone.now() - dt.timedelta(hours=1))
    deadlines_remind()
    assert [m.to for m in mail.outbox] == [[other.email]]
    assert lone.reference in mail.outbox[0].subject


def test_an_inactive_owner_is_not_reminded_the_case_staff_are(case, coordinator, investigator):
    # Given an overdue takedown request whose owner was deactivated behind the app's back
    owner = UserFactory(district=case.district, role=c.Role.SUPPORT_STAFF)
    type(owner).objects.filter(pk=owner.pk).update(is_active=False)
    now = timezone.now()
    row = TakedownRequest.objects.create(
        case=case,
        platform=platform("snapchat"),
        location="@account",
        route=TakedownRequest.Route.PLATFORM,
        status=TakedownRequest.Status.SUBMITTED,
        covered_by_48h_rule=True,
        submitted_at=now - dt.timedelta(hours=50),
        due_at=now - dt.timedelta(hours=2),
        owner=owner,
    )
    # When the reminders run
    deadlines_remind()
    # Then the takedown's reminder goes to the case staff and the coordinators, not the owner
    sent = CaseEvent.objects.get(
        case=case, event_type=EventType.REMINDER_SENT, detail__clock="takedown"
    )
    assert sent.detail["item_id"] == row.pk
    told = {r["id"] for r in sent.detail["recipients"]}
    assert told == {investigator.pk, coordinator.pk}
    assert all(owner.email not in m.to for m in mail.outbox)
