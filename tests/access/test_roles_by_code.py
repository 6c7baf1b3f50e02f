"""Roles by a stable code: ``User.role`` decides, groups only mirror the admin rights, and every
change of an account's reach, on any path, is in the access log."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from ncii_cases import choices as c
from ncii_cases.models import AccessEvent, User
from ncii_cases.permissions import cases_visible_to, user_role
from ncii_cases.roles import roles_sync
from tests.access.helpers import login_verified
from tests.factories import SchoolFactory, UserFactory


def changes_of(account):
    return AccessEvent.objects.filter(
        action="role_change", path__contains=f"account={account.pk} "
    ).order_by("pk")


# --- Renaming groups grants nothing -----------------------------------------------------------


def test_nobody_renames_or_repermissions_a_role_group_in_the_admin(client, operator):
    group = Group.objects.get(name=c.Role.COORDINATOR.value)
    login_verified(client, operator)
    url = reverse("admin:auth_group_change", args=[group.pk])
    response = client.post(url, {"name": "renamed", "permissions": []})
    assert response.status_code == 403
    group.refresh_from_db()
    assert group.name == c.Role.COORDINATOR.value and group.permissions.exists()
    assert client.get(reverse("admin:auth_group_add")).status_code == 403


def test_renaming_another_group_to_coordinator_grants_nothing(case, coordinator, auditor):
    # Given the coordinator group renamed, and the auditors' group renamed to "coordinator"
    # (what a superuser could do in the admin before)
    Group.objects.filter(name=c.Role.COORDINATOR.value).update(name="retired")
    Group.objects.filter(name=c.Role.AUDITOR.value).update(name=c.Role.COORDINATOR.value)
    auditor = User.objects.get(pk=auditor.pk)
    coordinator = User.objects.get(pk=coordinator.pk)
    # Then the auditor is still an auditor, who reads no case content ...
    assert user_role(auditor) == c.Role.AUDITOR
    assert not cases_visible_to(auditor).exists()
    # ... and the coordinator still the coordinator
    assert user_role(coordinator) == c.Role.COORDINATOR
    assert list(cases_visible_to(coordinator)) == [case]
    # And the next sync puts the mirror back: each role group holds exactly its role's members
    # and rights, every other group nobody
    groups = roles_sync()
    assert list(groups[c.Role.COORDINATOR.value].user_set.all()) == [coordinator]
    assert list(groups[c.Role.AUDITOR.value].user_set.all()) == [auditor]
    assert not Group.objects.get(name="retired").user_set.exists()
    codes = set(groups[c.Role.COORDINATOR.value].permissions.values_list("codename", flat=True))
    assert "view_case" in codes


def test_a_superuser_is_the_operator_whatever_its_role_says(district, case):
    root = UserFactory(district=district, role=c.Role.COORDINATOR, is_superuser=True)
    assert user_role(root) == c.Role.OPERATOR
    assert not cases_visible_to(root).exists()


# --- Every path writes a role_change entry ----------------------------------------------------


def test_a_role_set_in_a_shell_is_logged_by_system(district):
    account = UserFactory(district=district)
    assert not changes_of(account).exists()  # a new account without a role reaches nothing
    account.role = c.Role.COORDINATOR
    account.save()
    entry = changes_of(account).get()
    assert (entry.user, entry.allowed, entry.district_id) == (None, True, district.pk)
    assert "by=system" in entry.path and "role: '' -> 'coordinator'" in entry.path
    assert list(account.groups.values_list("name", flat=True)) == [c.Role.COORDINATOR.value]


def test_superuser_status_and_district_changes_are_logged(district, other_district):
    account = UserFactory(district=district, role=c.Role.INVESTIGATOR)
    account.is_superuser = True
    account.save()
    account.district = other_district
    account.save()
    paths = [e.path for e in changes_of(account)]
    assert "is_superuser: False -> True" in paths[1]
    assert f"district: {district.pk} -> {other_district.pk}" in paths[2]


def test_a_save_of_other_fields_writes_nothing(district):
    account = UserFactory(district=district, role=c.Role.INVESTIGATOR)
    before = changes_of(account).count()
    account.first_name = "Renamed"
    account.save()
    account.save(update_fields=["last_login"])
    assert changes_of(account).count() == before


def test_school_changes_on_both_sides_of_the_relation_are_logged(district, school):
    account = UserFactory(district=district, role=c.Role.SCHOOL_ADMIN)
    account.schools.add(school)
    school.staff.remove(account)
    school.staff.add(account)
    account.schools.clear()
    paths = [e.path for e in changes_of(account)][1:]  # after the role's own entry
    assert [p.split("; ", 1)[1] for p in paths] == [
        f"schools: [] -> [{school.pk}]",
        f"schools: [{school.pk}] -> []",
        f"schools: [] -> [{school.pk}]",
        f"schools: [{school.pk}] -> []",
    ]


def test_a_school_of_another_district_is_refused_on_every_path(district, other_district):
    account = UserFactory(district=district, role=c.Role.SCHOOL_ADMIN)
    far = SchoolFactory(district=other_district)
    # (each in its own transaction: the refusal rolls back the transaction it happens in)
    with pytest.raises(ValidationError), transaction.atomic():
        account.schools.add(far)
    with pytest.raises(ValidationError), transaction.atomic():
        far.staff.add(account)
    assert not account.schools.exists()


def test_bulk_updates_of_roles_are_refused(district):
    account = UserFactory(district=district)
    with pytest.raises(ValueError, match="one at a time"):
        User.objects.filter(pk=account.pk).update(role=c.Role.COORDINATOR)
    account.role = c.Role.COORDINATOR
    with pytest.raises(ValueError, match="one at a time"):
        User.objects.bulk_update([account], ["role"])
    account.refresh_from_db()
    assert account.role == ""
    User.objects.filter(pk=account.pk).update(first_name="Plain")  # other fields: as ever


def test_a_role_change_in_the_admin_names_who_made_it(client, district, school):
    coordinator = UserFactory(district=district, role=c.Role.COORDINATOR, is_staff=True)
    account = UserFactory(username="member", district=district)
    login_verified(client, coordinator)
    url = reverse("admin:ncii_cases_user_change", args=[account.pk])
    response = client.post(
        url,
        {
            "role": c.Role.SCHOOL_ADMIN.value,
            "schools": [school.pk],
        },
    )
    assert response.status_code == 302
    entries = list(changes_of(account))
    assert [e.user for e in entries] == [coordinator, coordinator]
    assert all(f"by={coordinator.username}" in e.path and url in e.path for e in entries)


def test_the_admin_form_refuses_a_school_of_another_district(client, operator, other_district):
    account = UserFactory(username="member", district=other_district)
    near = SchoolFactory()
    login_verified(client, operator)
    url = reverse("admin:ncii_cases_user_change", args=[account.pk])
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        url,
        {
            "username": "member",
            "district": other_district.pk,
            "role": c.Role.SCHOOL_ADMIN.value,
            "schools": [near.pk],
            "date_joined_0": account.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": account.date_joined.strftime("%H:%M:%S"),
        },
    )
    assert response.status_code == 200
    assert b"only schools of its own district" in response.content
    account.refresh_from_db()
    assert account.role == "" and not account.schools.exists()


# --- The data migration -----------------------------------------------------------------------


def test_the_migration_sets_each_role_from_the_old_group(district):
    migration = importlib.import_module("ncii_cases.migrations.0007_user_role")
    both = UserFactory(district=district)
    both.groups.add(Group.objects.get(name=c.Role.AUDITOR.value))
    both.groups.add(Group.objects.get(name=c.Role.SCHOOL_ADMIN.value))
    none = UserFactory(district=district)
    migration.roles_from_groups(apps, None)
    both.refresh_from_db()
    none.refresh_from_db()
    # The first role in the order the old lookup tried, as before
    assert (both.role, none.role) == (c.Role.SCHOOL_ADMIN, "")


def test_the_operator_reads_no_case_anywhere(client, operator, case, foreign_case):
    login_verified(client, operator)
    home = client.get(reverse("ncii_cases:home"))
    assert home.status_code == 200
    for visible in (case, foreign_case):
        assert visible.reference not in home.content.decode()
        assert client.get(reverse("ncii_cases:case_detail", args=[visible.pk])).status_code == 404
    for name in ("reporting:audit_review", "reporting:analytics"):
        assert client.get(reverse(name)).status_code == 404
