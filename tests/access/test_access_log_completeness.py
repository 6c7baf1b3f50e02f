"""The access log holds every step of signing in (success, failure, lockout, second-factor
failures, sign-out), and every refusal where a district's auditor reads it: a refusal by an
account without a district is filed in the district whose data was asked for, or shown to
every auditor as installation-level. The admin's access log masks search terms like the audit
review does."""

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ncii_cases import choices as c
from ncii_cases.models import AccessEvent, Case
from ncii_cases.selectors.audit import NOT_SHOWN
from ncii_cases.services.two_factor import recovery_codes_create
from tests.access.helpers import login_verified
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery-staple"


def password_step(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def actions(**filters):
    return list(AccessEvent.objects.filter(**filters).values_list("action", "allowed"))


@pytest.fixture
def operator(db):
    return UserFactory(username="operator", district=None, is_staff=True, is_superuser=True)


@pytest.fixture
def staff_auditor(district):
    """The district's auditor, with staff status: the admin's access log is theirs to read."""
    return UserFactory(
        username="staffauditor", district=district, role=c.Role.AUDITOR, is_staff=True
    )


@pytest.fixture
def staff_coordinator(district):
    return UserFactory(
        username="staffcoordinator", district=district, role=c.Role.COORDINATOR, is_staff=True
    )


@pytest.fixture
def authenticator(coordinator):
    return TOTPDevice.objects.create(user=coordinator, name="Authenticator app", confirmed=True)


def test_a_full_sign_in_and_sign_out_are_logged_in_the_accounts_district(
    client, coordinator, authenticator
):
    password_step(client, "coordinator")
    code = totp(authenticator.bin_key, step=30, t0=0, digits=6)
    client.post(reverse("login_verify"), {"token": f"{code:06d}"})
    client.post(reverse("logout"))
    # (the persona's role_change entry is from setting it up)
    rows = AccessEvent.objects.exclude(action="role_change").order_by("pk")
    assert [(r.action, r.allowed) for r in rows] == [
        ("sign_in_password", True),
        ("sign_in", True),
        ("sign_out", True),
    ]
    assert {(r.user_id, r.district_id) for r in rows} == {(coordinator.pk, coordinator.district_id)}
    assert all("?" not in r.path for r in rows)


def test_a_wrong_password_and_a_lockout_are_logged_with_the_accounts_district(client, coordinator):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(client, "coordinator", "wrong-password")
    failures = AccessEvent.objects.filter(action="sign_in_failed")
    assert failures.count() == settings.AXES_FAILURE_LIMIT
    assert {(f.user_id, f.district_id, f.allowed) for f in failures} == {
        (coordinator.pk, coordinator.district_id, False)
    }
    locked = AccessEvent.objects.filter(action="sign_in_locked")
    assert locked.exists() and locked.first().district_id == coordinator.district_id
    assert not AccessEvent.objects.filter(path__contains="wrong-password").exists()


def test_a_failure_naming_no_account_is_installation_level_and_keeps_no_typed_name(client, db):
    password_step(client, "Jane Student typed here", "wrong-password")
    entry = AccessEvent.objects.get(action="sign_in_failed")
    assert (entry.user, entry.district_id, entry.username) == (None, None, "")
    assert "Jane" not in entry.path


def test_wrong_second_factor_codes_are_logged(client, coordinator, authenticator):
    recovery_codes_create(user=coordinator)
    password_step(client, "coordinator")
    client.post(reverse("login_verify"), {"token": "000000"})
    client.post(reverse("login_verify"), {"token": "notarecoverycode"})
    assert actions(action="second_factor_failed") == [("second_factor_failed", False)] * 2
    entry = AccessEvent.objects.filter(action="second_factor_failed").first()
    assert (entry.user, entry.district_id) == (coordinator, coordinator.district_id)


def test_the_code_page_shows_no_menu_and_no_name_before_the_second_factor(
    client, coordinator, authenticator
):
    coordinator.first_name, coordinator.last_name = "Robin", "Example"
    coordinator.save()
    password_step(client, "coordinator")
    body = client.get(reverse("login_verify")).content.decode()
    assert 'aria-label="Main"' not in body and "Robin Example" not in body
    assert "whoami" not in body


def test_an_operators_refusal_on_a_case_is_filed_in_the_cases_district(client, operator, case):
    login_verified(client, operator)
    assert client.get(reverse("ncii_cases:case_detail", args=[case.pk])).status_code == 404
    entry = AccessEvent.objects.get(action="case_detail")
    assert (entry.allowed, entry.district_id, entry.case) == (False, case.district_id, None)


def test_an_operators_refusal_in_the_admin_is_filed_in_the_objects_district(client, operator, case):
    login_verified(client, operator)
    client.get(reverse("admin:ncii_cases_case_change", args=[case.pk]))
    entry = AccessEvent.objects.get(action="admin_case_change")
    assert (entry.allowed, entry.district_id) == (False, case.district_id)


def test_the_admins_view_on_site_link_is_logged(client, coordinator, operator, case):
    case_type = ContentType.objects.get_for_model(Case).pk
    url = reverse("admin_view_on_site", args=[case_type, case.pk])
    login_verified(client, coordinator)
    assert client.get(url).status_code == 302
    entry = AccessEvent.objects.get(action="admin_view_on_site")
    assert (entry.user, entry.allowed, entry.case) == (coordinator, True, case)
    client.logout()
    login_verified(client, operator)
    assert client.get(url).status_code == 404
    refused = AccessEvent.objects.get(action="admin_view_on_site", allowed=False)
    assert (refused.user, refused.district_id) == (operator, case.district_id)


def test_an_installation_level_refusal_is_shown_to_every_districts_auditor(
    client, operator, staff_auditor
):
    # Given an operator refused a page that names no district's data
    login_verified(client, operator)
    assert client.get(reverse("reporting:audit_review")).status_code == 404
    entry = AccessEvent.objects.get(action="audit_review")
    assert entry.district_id is None
    # Then the district's auditor sees it in the admin's access log, marked installation-level
    client.logout()
    login_verified(client, staff_auditor)
    listing = client.get(reverse("admin:ncii_cases_accessevent_changelist"))
    assert listing.status_code == 200
    body = listing.content.decode()
    assert "operator" in body and "installation-level" in body
    detail = client.get(reverse("admin:ncii_cases_accessevent_change", args=[entry.pk]))
    assert detail.status_code == 200 and "installation-level" in detail.content.decode()


def test_the_admins_access_log_masks_search_terms_like_the_audit_review(
    client, coordinator, staff_auditor, case
):
    # Given the coordinator searched the queue for a student's name
    login_verified(client, coordinator)
    client.get(reverse("ncii_cases:home"), {"q": "Quincy Studentname", "stage": "intake"})
    entry = AccessEvent.objects.get(action="case_search")
    assert "Quincy" in entry.path
    # When the auditor reads the admin's access log, list and row
    client.logout()
    login_verified(client, staff_auditor)
    listing = client.get(reverse("admin:ncii_cases_accessevent_changelist"))
    detail = client.get(reverse("admin:ncii_cases_accessevent_change", args=[entry.pk]))
    review = client.get(reverse("reporting:audit_review"))
    # Then neither shows the search terms, and both show what the audit review shows
    for response in (listing, detail, review):
        body = response.content.decode()
        assert response.status_code == 200
        assert "Quincy" not in body and "Studentname" not in body
        assert NOT_SHOWN in body and "stage=intake" in body
    # And the raw path cannot be probed through the admin's filters
    probe = client.get(
        reverse("admin:ncii_cases_accessevent_changelist"), {"path__contains": "Quincy"}
    )
    assert probe.status_code != 200 or entry.path not in probe.content.decode()
    assert "Quincy" not in probe.content.decode()


def test_the_coordinator_reads_the_search_terms_in_the_admins_access_log(client, staff_coordinator):
    login_verified(client, staff_coordinator)
    client.get(reverse("ncii_cases:home"), {"q": "Quincy"})
    body = client.get(reverse("admin:ncii_cases_accessevent_changelist")).content.decode()
    assert "q=Quincy" in body
