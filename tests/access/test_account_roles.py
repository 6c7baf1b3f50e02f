"""Roles of accounts: IT manages accounts but never gives anyone case access; a coordinator of
the account's district sets its role and schools; every change (and refused attempt) of a role
is in the access log."""

import pytest
from django.urls import reverse

from ncii_cases import choices as c
from ncii_cases.models import AccessEvent
from tests.access.helpers import login_verified
from tests.factories import UserFactory


@pytest.fixture
def newcomer(district):
    return UserFactory(username="newcomer", district=district)


@pytest.fixture
def staff_coordinator(district):
    return UserFactory(
        username="staffcoordinator", district=district, role=c.Role.COORDINATOR, is_staff=True
    )


def change_form_post(client, account, **changes):
    url = reverse("admin:ncii_cases_user_change", args=[account.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form.initial.get(name)
        if name in ("password", "last_login", "date_joined") or value is None:
            continue
        if name in ("schools",):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif hasattr(value, "pk"):
            data[name] = value.pk
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = value
    if "date_joined" in form.fields:
        data["date_joined_0"] = account.date_joined.strftime("%Y-%m-%d")
        data["date_joined_1"] = account.date_joined.strftime("%H:%M:%S")
    data.update(changes)
    return client.post(url, data)


def role_changes(account, **filters):
    return AccessEvent.objects.filter(
        action="role_change", path__contains=f"account={account.pk} ", **filters
    )


def test_it_cannot_put_an_account_in_a_case_reading_role(client, it_admin, newcomer):
    # Given IT in the admin and an account without a role
    login_verified(client, it_admin)
    # When IT posts the account's form with the coordinator role
    response = change_form_post(
        client, newcomer, role=c.Role.COORDINATOR.value, first_name="Renamed"
    )
    # Then the other changes are saved but the account holds no role ...
    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.first_name == "Renamed"
    assert newcomer.role == "" and not newcomer.groups.exists()
    # ... and the attempt is in the access log as refused, naming who and which account
    entry = role_changes(newcomer).get()
    assert (entry.user, entry.allowed) == (it_admin, False)
    assert "coordinator" in entry.path


def test_it_cannot_give_itself_a_role_or_superuser_status(client, it_admin):
    login_verified(client, it_admin)
    response = change_form_post(client, it_admin, role=c.Role.COORDINATOR.value, is_superuser="on")
    assert response.status_code == 302
    it_admin.refresh_from_db()
    assert not it_admin.is_superuser
    assert it_admin.role == c.Role.IT_ADMIN
    assert list(it_admin.groups.values_list("name", flat=True)) == [c.Role.IT_ADMIN.value]


def test_the_role_fields_are_read_only_for_it(rf, it_admin, newcomer):
    from django.contrib import admin

    from ncii_cases.models import User

    request = rf.get("/")
    request.user = it_admin
    readonly = admin.site._registry[User].get_readonly_fields(request, newcomer)
    assert {"role", "schools", "is_superuser"} <= set(readonly)
    fields = {
        f
        for _, opts in admin.site._registry[User].get_fieldsets(request, newcomer)
        for f in opts["fields"]
    }
    # Groups only mirror the role: nobody edits them, or model-wide rights, in a form.
    assert not {"groups", "user_permissions"} & fields


def test_a_coordinator_sets_the_role_of_an_account_of_the_district(
    client, staff_coordinator, newcomer, school
):
    # Given a coordinator in the admin and an account of their district
    login_verified(client, staff_coordinator)
    # When they give it the investigator role and a school, confirming its address (a role
    # that reads cases: tests/access/test_address_confirmation.py)
    response = change_form_post(
        client, newcomer, role=c.Role.INVESTIGATOR.value, schools=[school.pk], email_confirm="on"
    )
    # Then it holds them (its group mirrors the role), and each change is logged with who,
    # which account and what
    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.role == c.Role.INVESTIGATOR
    assert list(newcomer.groups.values_list("name", flat=True)) == [c.Role.INVESTIGATOR.value]
    assert list(newcomer.schools.all()) == [school]
    entries = list(role_changes(newcomer).order_by("pk"))
    assert [(e.user, e.allowed) for e in entries] == [(staff_coordinator, True)] * 2
    assert "role: '' -> 'investigator'" in entries[0].path
    assert f"schools: [] -> [{school.pk}]" in entries[1].path
    assert all(f"by={staff_coordinator.username}" in e.path for e in entries)


def test_a_coordinator_changes_nothing_else_and_no_password(client, staff_coordinator, newcomer):
    login_verified(client, staff_coordinator)
    change_form_post(client, newcomer, username="hijacked", is_superuser="on")
    newcomer.refresh_from_db()
    assert newcomer.username == "newcomer" and not newcomer.is_superuser
    url = reverse("admin:auth_user_password_change", args=[newcomer.pk])
    assert client.get(url).status_code == 403


def test_a_coordinator_cannot_reach_accounts_of_another_district(
    client, staff_coordinator, outsider
):
    login_verified(client, staff_coordinator)
    response = client.get(reverse("admin:ncii_cases_user_change", args=[outsider.pk]))
    assert response.status_code == 404  # another district's account does not exist here
    listing = client.get(reverse("admin:ncii_cases_user_changelist"))
    assert outsider.username not in listing.content.decode()


def test_a_password_reset_by_it_is_logged_in_the_accounts_district(client, it_admin, newcomer):
    # Given IT resets the password of an account of its district
    login_verified(client, it_admin)
    url = reverse("admin:auth_user_password_change", args=[newcomer.pk])
    new = "another-long-passphrase-42"
    response = client.post(url, {"password1": new, "password2": new, "usable_password": "true"})
    assert response.status_code == 302
    entry = AccessEvent.objects.get(action="password_reset")
    # Then the reset is in that district's access log, naming IT
    assert (entry.user, entry.allowed, entry.path) == (it_admin, True, url)
    assert entry.district_id == newcomer.district_id


def test_the_reset_confirmation_says_what_the_reset_does(
    client, it_admin, investigator, coordinator
):
    """The device's "delete" page is the second-factor reset: it says what happens (at once,
    or after a second person's approval for a coordinator), not Django's "delete ... related
    items"; nothing is removed by opening it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    login_verified(client, it_admin)
    phone = TOTPDevice.objects.create(user=investigator, name="Phone", confirmed=True)
    # The device's own page names its action the reset, and links to the confirmation
    view = client.get(reverse("admin:otp_totp_totpdevice_change", args=[phone.pk]))
    delete_url = reverse("admin:otp_totp_totpdevice_delete", args=[phone.pk])
    assert view.status_code == 200
    assert (
        f'<a href="{delete_url}" class="deletelink">Reset second factor</a>'
        in view.content.decode()
    )
    assert ">Delete<" not in view.content.decode()
    page = client.get(reverse("admin:otp_totp_totpdevice_delete", args=[phone.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert f"Reset {investigator.username}&#x27;s second factor?" in body
    assert "removed at once" in body and "Yes, reset the second factor" in body
    assert "related items" not in body and "Are you sure you want to delete" not in body
    coordinators_phone = TOTPDevice.objects.create(user=coordinator, name="Phone", confirmed=True)
    body = client.get(
        reverse("admin:otp_totp_totpdevice_delete", args=[coordinators_phone.pk])
    ).content.decode()
    assert "waits for a second person" in body and "Yes, ask for the reset" in body
    assert "removed at once" not in body
    assert TOTPDevice.objects.filter(pk__in=[phone.pk, coordinators_phone.pk]).count() == 2


def test_removing_someones_authenticator_is_logged(client, it_admin, investigator):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=investigator, name="Phone", confirmed=True)
    login_verified(client, it_admin)
    url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    entry = AccessEvent.objects.get(action="second_factor_removed")
    assert (entry.user, entry.allowed) == (it_admin, True)
    assert f"account={investigator.pk}" in entry.path
    # A double click's second "Yes", or the browser's Back to the confirmation: the list with
    # a word, no second reset, no 404
    for again in (client.post(url, {"post": "yes"}, follow=True), client.get(url, follow=True)):
        assert again.status_code == 200
        assert "it may have been removed already" in again.content.decode()
    assert AccessEvent.objects.filter(action="second_factor_removed").count() == 1
