"""The attacks of an insider of district A through the admin, each refused: reaching district B
through history pages and reverts, district IT taking over a district-B account or school or
settings, and the history revert that changed roles without a record."""

import pytest
from django.urls import reverse

from ncii_cases import choices as c
from ncii_cases.models import AccessEvent, District, School, User
from ncii_cases.permissions import cases_visible_to
from tests.access.helpers import login_verified
from tests.factories import SchoolFactory, UserFactory


@pytest.fixture
def staff_coordinator(district):
    return UserFactory(
        username="staffcoordinator", district=district, role=c.Role.COORDINATOR, is_staff=True
    )


@pytest.fixture
def b_investigator(other_district):
    return UserFactory(username="binvestigator", district=other_district, role=c.Role.INVESTIGATOR)


def first_version(account):
    return account.history.order_by("history_id").values_list("history_id", flat=True).first()


def user_revert_post(client, account, version, **fields):
    """POSTs the history-version form of the account with ``_save=Revert``: what the revert
    button sends, with the version's values."""
    url = reverse("admin:ncii_cases_user_simple_history", args=[account.pk, version])
    data = {
        "username": account.username,
        "first_name": account.first_name,
        "last_name": account.last_name,
        "email": account.email,
        "is_active": "on",
        "date_joined_0": account.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": account.date_joined.strftime("%H:%M:%S"),
        "_save": "Revert",
        **fields,
    }
    return client.post(url, data)


# --- History and revert ----------------------------------------------------------------------


def test_a_coordinator_cannot_open_the_history_of_another_districts_account(
    client, staff_coordinator, b_investigator
):
    login_verified(client, staff_coordinator)
    for url in (
        reverse("admin:ncii_cases_user_history", args=[b_investigator.pk]),
        reverse(
            "admin:ncii_cases_user_simple_history",
            args=[b_investigator.pk, first_version(b_investigator)],
        ),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"binvestigator" not in response.content


def test_a_revert_cannot_reactivate_a_deactivated_account_of_another_district(
    client, staff_coordinator, b_investigator
):
    # Given a district-B account that was active, then deactivated
    version = first_version(b_investigator)
    b_investigator.is_active = False
    b_investigator.save()
    login_verified(client, staff_coordinator)
    # When district A's coordinator posts a revert to its active version
    response = user_revert_post(client, b_investigator, version)
    # Then it does not exist for them, and the account stays deactivated
    assert response.status_code == 404
    b_investigator.refresh_from_db()
    assert not b_investigator.is_active


def test_a_revert_cannot_give_an_account_of_the_district_a_role(
    client, staff_coordinator, district
):
    # Given an account of district A that was a coordinator once, and holds no role now
    account = UserFactory(username="formerlead", district=district, role=c.Role.COORDINATOR)
    version = first_version(account)
    account.role = ""
    account.save()
    changes = AccessEvent.objects.filter(action="role_change").count()
    login_verified(client, staff_coordinator)
    # When the coordinator (or IT) posts a revert to the version with the coordinator role
    response = user_revert_post(client, account, version, role=c.Role.COORDINATOR.value)
    # Then reverting is refused and nothing changed
    assert response.status_code == 403
    account.refresh_from_db()
    assert account.role == "" and not account.groups.exists()
    assert not cases_visible_to(account).exists()
    assert AccessEvent.objects.filter(action="role_change").count() == changes


def test_the_history_version_page_shows_the_version_without_a_revert_button(
    client, staff_coordinator, district
):
    account = UserFactory(username="member", district=district, role=c.Role.INVESTIGATOR)
    login_verified(client, staff_coordinator)
    url = reverse("admin:ncii_cases_user_simple_history", args=[account.pk, first_version(account)])
    response = client.get(url)
    assert response.status_code == 200
    assert b"Revert" not in response.content and b'name="_save"' not in response.content


# --- District IT stays in its district -------------------------------------------------------


@pytest.fixture
def it_a(it_admin):
    return it_admin


def test_it_of_a_district_lists_none_of_another_districts_accounts(client, it_a, b_investigator):
    login_verified(client, it_a)
    listing = client.get(reverse("admin:ncii_cases_user_changelist"))
    assert listing.status_code == 200
    assert b"binvestigator" not in listing.content
    change = client.get(reverse("admin:ncii_cases_user_change", args=[b_investigator.pk]))
    assert change.status_code == 404


def test_it_of_a_district_cannot_reset_the_password_of_another_districts_account(
    client, it_a, b_investigator
):
    # Given district B's investigator, who has not enrolled an authenticator yet
    old_hash = b_investigator.password
    login_verified(client, it_a)
    url = reverse("admin:auth_user_password_change", args=[b_investigator.pk])
    # When IT of district A opens and posts its password form
    assert client.get(url).status_code == 404
    new = "another-long-passphrase-42"
    response = client.post(url, {"password1": new, "password2": new, "usable_password": "true"})
    # Then the account does not exist for them and its password is unchanged
    assert response.status_code == 404
    b_investigator.refresh_from_db()
    assert b_investigator.password == old_hash
    assert not AccessEvent.objects.filter(action="password_reset").exists()


def test_it_of_a_district_cannot_move_another_districts_school_into_its_own(
    client, it_a, district, other_district
):
    b_school = SchoolFactory(district=other_district, name="Far School", code="far")
    login_verified(client, it_a)
    url = reverse("admin:ncii_cases_school_change", args=[b_school.pk])
    response = client.post(
        url, {"district": district.pk, "name": "Taken", "code": "far", "grades": "9-12"}
    )
    assert response.status_code == 404
    b_school.refresh_from_db()
    assert (b_school.district_id, b_school.name) == (other_district.pk, "Far School")


def test_it_of_a_district_cannot_give_its_own_school_to_another_district(
    client, it_a, school, other_district
):
    login_verified(client, it_a)
    url = reverse("admin:ncii_cases_school_change", args=[school.pk])
    response = client.post(
        url, {"district": other_district.pk, "name": school.name, "code": school.code}
    )
    assert response.status_code == 200  # the form says the choice is not valid
    school.refresh_from_db()
    assert school.district_id == it_a.district_id


def test_it_of_a_district_edits_its_own_settings_but_not_another_districts(
    client, it_a, district, other_district
):
    login_verified(client, it_a)
    data = {
        "name": "Renamed",
        "slug": "renamed",
        "state": "IL",
        "reference_prefix": "NCII",
        "time_zone": "America/Chicago",
        "school_day_ends_at": "17:00",
        "federal_holidays": "on",
        "appeal_window_school_days": "5",
        # The boxes as the page shows them (an unticked box is not sent).
        "appeal_stays_sanctions": "on",
        "password_sign_in": "on",
    }
    other = client.post(reverse("admin:ncii_cases_district_change", args=[other_district.pk]), data)
    assert other.status_code == 404
    other_district.refresh_from_db()
    assert other_district.name != "Renamed"
    own = client.post(reverse("admin:ncii_cases_district_change", args=[district.pk]), data)
    assert own.status_code == 302
    district.refresh_from_db()
    assert district.name == "Renamed"
    # ... and creates no district: that is the deployment operator's
    assert client.get(reverse("admin:ncii_cases_district_add")).status_code == 403
    assert not District.objects.filter(name="Renamed").exclude(pk=district.pk).exists()


def test_it_of_a_district_cannot_reach_a_superuser_placed_in_its_district(client, it_a, district):
    root = UserFactory(username="root", district=district, is_staff=True, is_superuser=True)
    login_verified(client, it_a)
    for url in (
        reverse("admin:ncii_cases_user_change", args=[root.pk]),
        reverse("admin:auth_user_password_change", args=[root.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_the_operator_creates_districts_and_reaches_every_districts_accounts(
    client, operator, b_investigator
):
    login_verified(client, operator)
    assert client.get(reverse("admin:ncii_cases_district_add")).status_code == 200
    url = reverse("admin:ncii_cases_user_change", args=[b_investigator.pk])
    assert client.get(url).status_code == 200


def test_an_account_added_by_district_it_is_of_its_district(client, it_a, other_district):
    login_verified(client, it_a)
    response = client.post(
        reverse("admin:ncii_cases_user_add"),
        {
            "username": "newhire",
            "usable_password": "true",
            "password1": "a-long-enough-passphrase-9",
            "password2": "a-long-enough-passphrase-9",
            "district": other_district.pk,  # not a field of theirs: ignored
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="newhire").district_id == it_a.district_id


def test_it_of_a_district_removes_no_authenticator_of_another_district(
    client, it_a, b_investigator
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=b_investigator, name="Phone", confirmed=True)
    login_verified(client, it_a)
    url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    # The page and its post answer as for an authenticator already removed (a double click,
    # the browser's Back): they tell nothing of the other district's device, remove nothing
    for response in (client.get(url, follow=True), client.post(url, {"post": "yes"}, follow=True)):
        assert response.redirect_chain[-1][0] == reverse("admin:otp_totp_totpdevice_changelist")
        assert "That authenticator is not in your list" in response.content.decode()
        assert b_investigator.username not in response.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    # ... nor through the list's "delete selected" action
    client.post(
        reverse("admin:otp_totp_totpdevice_changelist"),
        {"action": "delete_selected", "_selected_action": [device.pk], "post": "yes"},
    )
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_the_case_lists_school_filter_names_no_school_of_another_district(
    client, district, other_district, school
):
    SchoolFactory(district=other_district, name="Faraway High", code="faraway")
    coordinator = UserFactory(district=district, role=c.Role.COORDINATOR, is_staff=True)
    login_verified(client, coordinator)
    response = client.get(reverse("admin:ncii_cases_case_changelist"))
    assert response.status_code == 200
    assert b"Faraway High" not in response.content
    assert School.objects.filter(name="Faraway High").exists()
