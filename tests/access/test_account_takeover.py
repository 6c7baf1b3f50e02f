"""No account takeover by reset: holding an account's password (for example after IT reset
it) never leads to a signed-in session. An authenticator is set up only through a one-time
link e-mailed to the account; the account is told whenever its password or second factor
changes; removing a coordinator's second factor waits for a second person."""

import datetime as dt
import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ncii_cases import choices as c
from ncii_cases.models import AccessEvent, AccountSession, EnrollmentLink, SecondFactorReset
from ncii_cases.services.two_factor import (
    account_change_notify,
    recovery_codes_create,
    second_factor_reset_request,
)
from tests.access.helpers import login_verified
from tests.factories import UserFactory

NEW_PASSWORD = "a-new-long-passphrase-for-testing-42"
LINK = re.compile(r"https?://\S+/login/enroll/link/(\S+)/")


def code(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def password_step(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def links_in(outbox, user) -> list[str]:
    return [m for mail in outbox if user.email in mail.to for m in LINK.findall(mail.body)]


def link_url(token: str) -> str:
    return reverse("login_enroll_link", args=[token])


@pytest.fixture(autouse=True)
def _after_commit_runs_at_once(monkeypatch):
    """E-mails are sent once the transaction commits; a test's transaction never commits, so
    here each after-commit callback runs at once."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def second_coordinator(district):
    return UserFactory(username="coordinator2", district=district, role=c.Role.COORDINATOR)


@pytest.fixture
def operator(db):
    return UserFactory(username="operator", district=None, is_staff=True, is_superuser=True)


def record_nothing(action, allowed, district_id):
    return None


# --- The reproduction: IT resets a password, then tries to become the account -----------------


def test_it_who_resets_a_password_cannot_sign_in_as_the_account(
    client, it_admin, investigator, case, mailoutbox
):
    # Given IT resets the password of an investigator who has not set up an authenticator
    login_verified(client, it_admin)
    url = reverse("admin:auth_user_password_change", args=[investigator.pk])
    response = client.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )
    assert response.status_code == 302
    # Then the investigator is told by e-mail, and the e-mail holds no secret
    notice = [m for m in mailoutbox if investigator.email in m.to]
    assert len(notice) == 1 and "password" in notice[0].body
    assert NEW_PASSWORD not in notice[0].body
    # When IT signs in as the investigator with the new password
    attacker = Client()
    assert password_step(attacker, "investigator", NEW_PASSWORD).status_code == 302
    # Then the password leads only to an explanation: no set-up page, no key, no case
    page = attacker.get(reverse("login_enroll"))
    assert page.status_code == 200
    assert b"otpauth://" not in page.content and b"<svg" not in page.content
    assert not TOTPDevice.objects.filter(user=investigator).exists()
    for name, args in (
        ("ncii_cases:home", []),
        ("ncii_cases:case_detail", [case.pk]),
        ("recovery_codes", []),
        ("admin:index", []),
        ("second_factor_resets", []),
    ):
        response = attacker.get(reverse(name, args=args))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login_verify")), name
    # And a code typed at the set-up step enrolls nothing
    response = attacker.post(reverse("login_enroll"), {"token": "123456"})
    assert not TOTPDevice.objects.filter(user=investigator, confirmed=True).exists()
    # And asking for a link sends it to the investigator's own address, not to the asker
    mailoutbox.clear()
    attacker.post(reverse("login_enroll"), {"send_link": "1"})
    assert [m.to for m in mailoutbox] == [[investigator.email]]
    # And a guessed link is refused
    assert attacker.get(link_url("guessed-token")).status_code == 410
    assert attacker.get(reverse("login_enroll")).status_code == 200
    assert not TOTPDevice.objects.filter(user=investigator, confirmed=True).exists()


def test_the_e_mailed_link_works_once_then_never_again(investigator, mailoutbox):
    # Given the investigator signs in with the password and asks for a set-up link
    owner = Client()
    password_step(owner, "investigator", "correct-horse-battery-staple")
    owner.post(reverse("login_enroll"), {"send_link": "1"})
    (token,) = links_in(mailoutbox, investigator)
    # The e-mail speaks of the sign-in the owner is finishing
    assert "To finish signing in" in mailoutbox[-1].body
    assert "If you did not try to sign in" in mailoutbox[-1].body
    # Then only its hash is stored
    stored = EnrollmentLink.objects.get(user=investigator)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    # When the link is opened and the code from the new app confirmed
    assert owner.get(link_url(token)).status_code == 302
    page = owner.get(reverse("login_enroll"))
    assert b"otpauth://totp/" in page.content
    device = TOTPDevice.objects.get(user=investigator, confirmed=False)
    response = owner.post(reverse("login_enroll"), {"token": code(device)})
    assert response.status_code == 302 and response["Location"] == reverse("recovery_codes")
    assert owner.get(reverse("ncii_cases:home")).status_code == 200
    # Then the enrollment is logged in the account's district and the account told
    entry = AccessEvent.objects.get(action="second_factor_enrolled")
    assert (entry.user, entry.district_id) == (investigator, investigator.district_id)
    assert any("authenticator app was set up" in m.body for m in mailoutbox)
    # And the same link, opened again anywhere, is refused with a clear message
    again = Client()
    response = again.get(link_url(token))
    assert response.status_code == 410
    assert b"already used" in response.content
    assert AccessEvent.objects.filter(action="enrollment_link_refused", allowed=False).exists()


def test_an_expired_link_fails_with_a_clear_message(investigator, mailoutbox, settings):
    owner = Client()
    password_step(owner, "investigator", "correct-horse-battery-staple")
    owner.post(reverse("login_enroll"), {"send_link": "1"})
    (token,) = links_in(mailoutbox, investigator)
    link = EnrollmentLink.objects.get(user=investigator)
    assert link.expires_at - link.created_at == dt.timedelta(hours=settings.ENROLLMENT_LINK_HOURS)
    EnrollmentLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = owner.get(link_url(token))
    assert response.status_code == 410
    assert b"has expired" in response.content
    assert b"Sign in with your password to have a new link sent" in response.content
    assert not TOTPDevice.objects.filter(user=investigator).exists()


def test_a_link_that_expires_while_enrolling_enrolls_nothing(investigator, mailoutbox):
    owner = Client()
    password_step(owner, "investigator", "correct-horse-battery-staple")
    owner.post(reverse("login_enroll"), {"send_link": "1"})
    (token,) = links_in(mailoutbox, investigator)
    owner.get(link_url(token))
    owner.get(reverse("login_enroll"))
    device = TOTPDevice.objects.get(user=investigator, confirmed=False)
    EnrollmentLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = owner.post(reverse("login_enroll"), {"token": code(device)})
    assert response.status_code == 200 and b"has expired" in response.content
    assert not TOTPDevice.objects.filter(user=investigator, confirmed=True).exists()
    assert owner.get(reverse("ncii_cases:home")).status_code == 302


def test_a_link_opened_before_signing_in_leads_through_the_password_step(investigator, mailoutbox):
    # Given a link sent to the investigator (for example by IT after a reset)
    sender = Client()
    password_step(sender, "investigator", "correct-horse-battery-staple")
    sender.post(reverse("login_enroll"), {"send_link": "1"})
    (token,) = links_in(mailoutbox, investigator)
    # When the owner opens it in a fresh browser, then signs in with the password
    owner = Client()
    response = owner.get(link_url(token))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    sign_in_page = owner.get(reverse("login")).content.decode()
    assert "otpauth://" not in sign_in_page
    # The sign-in page speaks of the set-up that follows, not of a code from an app not there
    assert "you set up your authenticator app" in sign_in_page
    assert "asked for a code from your authenticator app" not in sign_in_page
    assert (
        "asked for a code from your authenticator app"
        in Client().get(reverse("login")).content.decode()
    )
    password_step(owner, "investigator", "correct-horse-battery-staple")
    response = owner.get(reverse("login_verify"))
    assert response["Location"] == reverse("login_enroll")
    # Then the set-up page opens
    assert b"otpauth://totp/" in owner.get(reverse("login_enroll")).content


def test_a_newer_link_replaces_the_older_one(investigator, mailoutbox, settings):
    settings.ENROLLMENT_LINK_RESEND_SECONDS = 0
    owner = Client()
    password_step(owner, "investigator", "correct-horse-battery-staple")
    owner.post(reverse("login_enroll"), {"send_link": "1"})
    owner.post(reverse("login_enroll"), {"send_link": "1"})
    first, second = links_in(mailoutbox, investigator)
    response = Client().get(link_url(first))
    assert response.status_code == 410 and b"newer set-up link" in response.content
    assert owner.get(link_url(second)).status_code == 302


def test_asking_again_within_minutes_sends_no_second_link(investigator, mailoutbox):
    owner = Client()
    password_step(owner, "investigator", "correct-horse-battery-staple")
    owner.post(reverse("login_enroll"), {"send_link": "1"})
    response = owner.post(reverse("login_enroll"), {"send_link": "1"}, follow=True)
    assert len(links_in(mailoutbox, investigator)) == 1
    assert b"sent a few minutes ago" in response.content


def test_a_link_is_refused_to_a_session_of_another_account(
    client, investigator, coordinator, mailoutbox
):
    owner = Client()
    password_step(owner, "investigator", "correct-horse-battery-staple")
    owner.post(reverse("login_enroll"), {"send_link": "1"})
    (token,) = links_in(mailoutbox, investigator)
    login_verified(client, coordinator)
    assert client.get(link_url(token)).status_code == 403
    assert not TOTPDevice.objects.filter(user=investigator).exists()


def test_an_account_without_e_mail_is_told_to_ask_it(client, district):
    UserFactory(username="noemail", email="", district=district, role=c.Role.INVESTIGATOR)
    password_step(client, "noemail", "correct-horse-battery-staple")
    page = client.get(reverse("login_enroll"))
    assert b"has no e-mail address" in page.content


# --- Removing a second factor ----------------------------------------------------------------


def test_it_removes_an_investigators_second_factor_and_the_owner_re_enrolls_by_link(
    it_admin, investigator, mailoutbox
):
    device = TOTPDevice.objects.create(user=investigator, name="Phone", confirmed=True)
    recovery_codes_create(user=investigator)
    reset = second_factor_reset_request(
        actor=it_admin,
        user=investigator,
        base_url="https://cases.example.org/",
        record=record_nothing,
    )
    assert reset.status == SecondFactorReset.Status.APPROVED
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not StaticDevice.objects.filter(user=investigator).exists()
    bodies = [m.body for m in mailoutbox if investigator.email in m.to]
    (removed,) = [b for b in bodies if "were removed" in b]
    assert "nothing to do" not in removed  # a new authenticator is to be set up
    account_change_notify(user=investigator, change="password")  # asks nothing of the owner
    assert "If you expected this, there is nothing to do." in mailoutbox[-1].body
    (token,) = links_in(mailoutbox, investigator)
    # The link's e-mail says why it came: a reset, not the owner's own sign-in
    (link_mail,) = [b for b in bodies if link_url(token) in b]
    assert "was reset" in link_mail and "If you did not expect this reset" in link_mail
    assert "To finish signing in" not in link_mail and "did not try to sign in" not in link_mail
    # IT, who knows nothing of the link, gets only the explanation with the password
    attacker = Client()
    password_step(attacker, "investigator", "correct-horse-battery-staple")
    assert b"otpauth://" not in attacker.get(reverse("login_enroll")).content
    # The owner re-enrolls through the link
    owner = Client()
    owner.get(link_url(token))
    password_step(owner, "investigator", "correct-horse-battery-staple")
    assert b"otpauth://totp/" in owner.get(reverse("login_enroll")).content


def test_a_removed_second_factor_signs_the_account_out_everywhere(
    client, it_admin, investigator, coordinator, second_coordinator, mailoutbox
):
    """A factor is reset because a phone was lost or taken: a browser signed in with it (a
    thief's) must not stay signed in, sent on to set up a new authenticator. Both ways: IT's
    reset in the admin, and the second person's approval of a coordinator's reset."""
    for account in (investigator, coordinator):
        TOTPDevice.objects.create(user=account, name="Phone", confirmed=True)
    browsers = {account.pk: [Client(), Client()] for account in (investigator, coordinator)}
    for account in (investigator, coordinator):
        for browser in browsers[account.pk]:
            login_verified(browser, account)
            assert browser.get(reverse("ncii_cases:home")).status_code == 200
    login_verified(client, it_admin)
    for account in (investigator, coordinator):
        device = TOTPDevice.objects.get(user=account, name="Phone")
        url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
        assert client.post(url, {"post": "yes"}).status_code == 302
    # The investigator's reset was carried out at once: signed out in both browsers (not
    # left half signed in, sent on to set up an authenticator)
    assert not AccountSession.objects.filter(account_id=investigator.pk).exists()
    for browser in browsers[investigator.pk]:
        response = browser.get(reverse("ncii_cases:home"))
        assert response.status_code == 302
        assert response["Location"].split("?")[0] == reverse("login")
    # The coordinator's waits for a second person: still signed in until it is approved
    for browser in browsers[coordinator.pk]:
        assert browser.get(reverse("ncii_cases:home")).status_code == 200
    approver = Client()
    login_verified(approver, second_coordinator)
    reset = SecondFactorReset.objects.get(user=coordinator)
    approver.post(reverse("second_factor_resets"), {"reset": reset.pk, "decision": "approve"})
    assert not AccountSession.objects.filter(account_id=coordinator.pk).exists()
    for browser in browsers[coordinator.pk]:
        response = browser.get(reverse("ncii_cases:home"))
        assert response.status_code == 302
        assert response["Location"].split("?")[0] == reverse("login")
    # IT's own session and the approver's go on
    assert client.get(reverse("admin:index")).status_code == 200
    assert approver.get(reverse("second_factor_resets")).status_code == 200


def test_removing_a_coordinators_second_factor_waits_for_a_second_person(
    client, it_admin, coordinator, second_coordinator, outsider, mailoutbox
):
    # Given IT asks, in the admin, to remove the coordinator's authenticator
    device = TOTPDevice.objects.create(user=coordinator, name="Phone", confirmed=True)
    login_verified(client, it_admin)
    url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and b"the reset waits for a second person" in confirm.content
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    # Then nothing changed yet: the device is there, a request waits, both logged
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    reset = SecondFactorReset.objects.get(user=coordinator)
    assert reset.status == SecondFactorReset.Status.PENDING
    entry = AccessEvent.objects.get(action="second_factor_reset_requested")
    assert (entry.user, entry.district_id) == (it_admin, coordinator.district_id)
    # And the second coordinator is asked by e-mail
    assert any(second_coordinator.email in m.to for m in mailoutbox)
    # When the requester, the coordinator themselves, or another district's coordinator
    # tries to approve, it is refused and nothing changes
    for person in (it_admin, coordinator, outsider):
        other = Client()
        login_verified(other, person)
        response = other.post(
            reverse("second_factor_resets"), {"reset": reset.pk, "decision": "approve"}
        )
        assert response.status_code == 404, person.username
    assert TOTPDevice.objects.filter(user=coordinator, name="Phone").exists()
    assert (
        AccessEvent.objects.filter(action="second_factor_reset_approved", allowed=False).count()
        == 3
    )
    # When the second coordinator approves
    approver = Client()
    login_verified(approver, second_coordinator)
    page = approver.get(reverse("second_factor_resets"))
    assert coordinator.username in page.content.decode()
    mailoutbox.clear()
    response = approver.post(
        reverse("second_factor_resets"), {"reset": reset.pk, "decision": "approve"}
    )
    assert response.status_code == 302
    # Then the authenticator is removed, the coordinator told and sent a set-up link
    assert not TOTPDevice.objects.filter(user=coordinator, name="Phone").exists()
    reset.refresh_from_db()
    assert (reset.status, reset.decided_by) == (
        SecondFactorReset.Status.APPROVED,
        second_coordinator,
    )
    assert len(links_in(mailoutbox, coordinator)) == 1
    approved = AccessEvent.objects.get(action="second_factor_reset_approved", allowed=True)
    assert (approved.user, approved.district_id) == (second_coordinator, coordinator.district_id)
    assert AccessEvent.objects.filter(action="second_factor_removed").exists()


def test_the_deployment_operator_may_approve_a_coordinators_reset(
    it_admin, coordinator, operator, mailoutbox
):
    TOTPDevice.objects.create(user=coordinator, name="Phone", confirmed=True)
    reset = second_factor_reset_request(
        actor=it_admin, user=coordinator, base_url="https://x.example/", record=record_nothing
    )
    client = Client()
    login_verified(client, operator)
    response = client.post(
        reverse("second_factor_resets"), {"reset": reset.pk, "decision": "approve"}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=coordinator, name="Phone").exists()


def test_a_waiting_reset_can_be_cancelled_and_changes_nothing(
    client, it_admin, coordinator, second_coordinator
):
    TOTPDevice.objects.create(user=coordinator, name="Phone", confirmed=True)
    reset = second_factor_reset_request(
        actor=it_admin, user=coordinator, base_url="https://x.example/", record=record_nothing
    )
    login_verified(client, it_admin)
    client.post(reverse("second_factor_resets"), {"reset": reset.pk, "decision": "cancel"})
    reset.refresh_from_db()
    assert reset.status == SecondFactorReset.Status.CANCELLED
    assert TOTPDevice.objects.filter(user=coordinator, name="Phone").exists()
    assert AccessEvent.objects.filter(action="second_factor_reset_cancelled").exists()


# --- Recovery codes need the password again --------------------------------------------------


def test_new_recovery_codes_need_the_password_again(client, coordinator, mailoutbox):
    login_verified(client, coordinator)
    old = recovery_codes_create(user=coordinator)
    response = client.post(reverse("recovery_codes"), {"password": "not-my-password"})
    assert response.status_code == 400 and b"did not match" in response.content
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == sorted(old)
    assert AccessEvent.objects.filter(action="recovery_codes_refused", allowed=False).exists()
    response = client.post(reverse("recovery_codes"), {})
    assert response.status_code == 400
    response = client.post(reverse("recovery_codes"), {"password": "correct-horse-battery-staple"})
    assert response.status_code == 302
    assert not set(old) & set(StaticToken.objects.values_list("token", flat=True))
    entry = AccessEvent.objects.get(action="recovery_codes_regenerated")
    assert (entry.user, entry.district_id, entry.allowed) == (
        coordinator,
        coordinator.district_id,
        True,
    )
    assert any("recovery codes" in m.body for m in mailoutbox if coordinator.email in m.to)


def _account_form(client, account) -> dict:
    """The admin change form of ``account`` as the signed-in user sees it: its editable
    fields with their current values (a browser would send these back)."""
    response = client.get(reverse("admin:ncii_cases_user_change", args=[account.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = getattr(value, "pk", value)
    data.pop("password", None)
    return data


def test_it_cannot_redirect_the_set_up_link_of_an_account_that_reads_cases(
    client, it_admin, investigator, case, mailoutbox
):
    """The reviewers' takeover: IT changed an investigator's e-mail address to one it
    controls, reset the password, asked for a set-up link, enrolled, and read the cases. The
    address of an account that reads case content is not IT's to change: read-only in the
    admin, and a forged field refuses the save with a message; the set-up link still goes to
    the investigator."""
    login_verified(client, it_admin)
    page = client.get(reverse("admin:ncii_cases_user_change", args=[investigator.pk]))
    assert "email" not in page.context["adminform"].form.fields
    data = _account_form(client, investigator)
    data["email"] = "it.personal@attacker.example"
    data["first_name"] = "Renamed"
    url = reverse("admin:ncii_cases_user_change", args=[investigator.pk])
    response = client.post(url, data)
    assert response.status_code == 200
    assert "The e-mail address was not changed" in str(
        response.context["adminform"].form.non_field_errors()
    )
    investigator.refresh_from_db()
    assert investigator.first_name != "Renamed"  # nothing half-saved
    assert investigator.email != "it.personal@attacker.example"
    # Sent again as the page now shows it (no address field), the rest of the form is IT's
    del data["email"]
    assert client.post(url, data).status_code == 302
    investigator.refresh_from_db()
    assert investigator.first_name == "Renamed"
    assert investigator.email != "it.personal@attacker.example"
    client.post(
        reverse("admin:auth_user_password_change", args=[investigator.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    attacker = Client()
    assert password_step(attacker, "investigator", NEW_PASSWORD).status_code == 302
    mailoutbox.clear()
    attacker.post(reverse("login_enroll"), {"send_link": "1"})
    assert [m.to for m in mailoutbox] == [[investigator.email]]


def _address_change(client, account, address: str) -> str:
    """Sends the account's admin form back with ``address`` as its e-mail, as a browser
    would; returns the address the account holds afterwards."""
    data = _account_form(client, account)
    data["email"] = address
    response = client.post(reverse("admin:ncii_cases_user_change", args=[account.pk]), data)
    assert response.status_code == 302
    account.refresh_from_db()
    return account.email


def test_it_changes_the_address_of_an_account_without_case_content(client, it_admin, auditor):
    login_verified(client, it_admin)
    assert _address_change(client, auditor, "auditor.new@district.example") == (
        "auditor.new@district.example"
    )


def test_a_coordinator_changes_the_address_of_an_account_that_reads_cases(
    client, district, investigator
):
    """The coordinator, who reads every case of the district already, keeps the addresses
    of the accounts that read cases; not their own (a second coordinator or the operator
    does: the two-person rule of their second factor)."""
    coordinator = UserFactory(
        username="staffcoordinator", district=district, role=c.Role.COORDINATOR, is_staff=True
    )
    login_verified(client, coordinator)
    assert _address_change(client, investigator, "investigator.new@district.example") == (
        "investigator.new@district.example"
    )


def test_the_former_address_is_told_of_the_new_one_on_every_path(
    client, district, investigator, auditor, mailoutbox
):
    """Whoever changes an account's address (a coordinator in the admin, a shell's save) and
    however (a roster import: tests/ncii_cases/test_roster_import.py), the former address is
    told where the account's e-mail now goes and who changed it: an owner whose address was
    redirected hears of it where they still read their mail."""
    coordinator = UserFactory(
        username="staffcoordinator", district=district, role=c.Role.COORDINATOR, is_staff=True
    )
    login_verified(client, coordinator)
    former = investigator.email
    mailoutbox.clear()
    _address_change(client, investigator, "investigator.new@district.example")
    assert [m.to for m in mailoutbox] == [[former]]
    assert "investigator.new@district.example" in mailoutbox[0].body
    assert "staffcoordinator" in mailoutbox[0].body
    # A save in a shell, on the server
    mailoutbox.clear()
    former = auditor.email
    auditor.email = "auditor.elsewhere@district.example"
    auditor.save()
    assert [m.to for m in mailoutbox] == [[former]]
    assert "command line" in mailoutbox[0].body
    # The same address in other capitals, another field, an address added where there was
    # none: nothing to tell
    mailoutbox.clear()
    auditor.email = auditor.email.upper()
    auditor.save()
    auditor.first_name = "Renamed"
    auditor.save(update_fields=["first_name"])
    newcomer = UserFactory(district=district, email="")
    newcomer.email = "newcomer@district.example"
    newcomer.save()
    assert mailoutbox == []


def _sessions_of(account) -> int:
    from django.contrib.auth import SESSION_KEY

    from ncii_cases.models import AccountSession

    decoded = (s.get_decoded() for s in AccountSession.objects.all())
    return sum(1 for data in decoded if data.get(SESSION_KEY) == str(account.pk))


def test_an_account_given_a_role_that_reads_cases_sets_up_its_second_factor_anew(
    client, district, mailoutbox
):
    """The takeover through a role: district IT makes an account (no role yet; its password
    and address are IT's), sets up an authenticator on it and signs in as it; a coordinator
    then gives it the investigator role. The authenticator, the recovery codes and the
    session IT held end with the grant; the owner is told, and sets up a new one through a
    link sent to the address the coordinator saw on the same page."""
    from ncii_cases.services.two_factor import recovery_codes_create

    account = UserFactory(username="newhire", district=district, role="", is_staff=False)
    TOTPDevice.objects.create(user=account, name="Authenticator", confirmed=True)
    recovery_codes_create(user=account)
    held = Client()
    held.force_login(account)
    assert _sessions_of(account) == 1
    coordinator = UserFactory(
        username="staffcoordinator", district=district, role=c.Role.COORDINATOR, is_staff=True
    )
    login_verified(client, coordinator)
    mailoutbox.clear()
    data = _account_form(client, account)
    data["role"] = c.Role.INVESTIGATOR
    data["email_confirm"] = "on"  # the address is the person's (test_address_confirmation.py)
    response = client.post(reverse("admin:ncii_cases_user_change", args=[account.pk]), data)
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.role == c.Role.INVESTIGATOR
    assert not TOTPDevice.objects.filter(user=account).exists()
    assert not StaticDevice.objects.filter(user=account).exists()
    assert _sessions_of(account) == 0
    assert [m.to for m in mailoutbox] == [[account.email]]
    assert "reads case records" in mailoutbox[0].body
    assert AccessEvent.objects.filter(
        action="second_factor_removed", user=coordinator, district=district
    ).exists()
    # A move between roles that read cases keeps the second factor the holder set up
    device = TOTPDevice.objects.create(user=account, name="Authenticator", confirmed=True)
    account.role = c.Role.SUPPORT_STAFF
    account.save()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    # And district IT's own account made an investigator (a shell's save) starts afresh too,
    # even while disabled (it could be enabled again with the role)
    it_account = UserFactory(district=district, role=c.Role.IT_ADMIN, is_active=False)
    TOTPDevice.objects.create(user=it_account, name="Authenticator", confirmed=True)
    it_account.role = c.Role.INVESTIGATOR
    it_account.save()
    assert not TOTPDevice.objects.filter(user=it_account).exists()


def test_who_may_change_an_address(district, it_admin, investigator, auditor, operator):
    """``permissions.account_email_may_change``, case by case: the rule of the admin and of
    the roster import."""
    from ncii_cases.permissions import account_email_may_change
    from tests.factories import DistrictFactory

    coordinator = UserFactory(district=district, role=c.Role.COORDINATOR)
    second = UserFactory(district=district, role=c.Role.COORDINATOR)
    elsewhere = UserFactory(district=DistrictFactory(), role=c.Role.COORDINATOR)
    other_it = UserFactory(district=elsewhere.district, role=c.Role.IT_ADMIN)
    superuser = UserFactory(district=district, is_superuser=True, role=c.Role.COORDINATOR)
    roleless = UserFactory(district=district)
    assert not account_email_may_change(it_admin, investigator)
    assert not account_email_may_change(it_admin, coordinator)
    assert account_email_may_change(it_admin, auditor)
    assert account_email_may_change(it_admin, roleless)
    assert account_email_may_change(it_admin, it_admin)
    assert account_email_may_change(coordinator, investigator)
    assert account_email_may_change(second, coordinator)
    assert not account_email_may_change(coordinator, coordinator)  # a second person does
    # (whoever may vouch for an address may correct any of the district's, on the form
    # where they give a role: test_address_confirmation.py)
    assert account_email_may_change(coordinator, auditor)
    assert not account_email_may_change(elsewhere, investigator)
    assert not account_email_may_change(other_it, auditor)
    # A superuser placed in a district: the operator's alone.
    assert not account_email_may_change(coordinator, superuser)
    assert not account_email_may_change(it_admin, superuser)
    assert account_email_may_change(operator, superuser)
    assert account_email_may_change(operator, investigator)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sign_in_under_way_while_a_role_is_given_does_not_bring_the_authenticator_back(
    district,
):
    """A race of the takeover through a role: IT holds a password-only session of the account
    it made and sends a code while a coordinator's grant is being saved. django-otp saves the
    device after checking a code, and Django inserts a saved row that it no longer finds: a
    sign-in that read the device before the grant removed it would write it back. The code
    is checked on the device rows locked (django-otp's ``match_token``, ``for_verify``):
    the sign-in waits for the grant to commit, then finds no device and signs no one in."""
    import threading

    from django.db import connection, transaction

    from ncii_cases.models import User

    account = UserFactory(username="newhire", district=district, role="")
    device = TOTPDevice.objects.create(user=account, name="Authenticator", confirmed=True)
    held = Client()
    assert password_step(held, "newhire", "correct-horse-battery-staple").status_code == 302
    token = code(device)
    granted, commit = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def grant():
        try:
            with transaction.atomic():
                account_row = User.objects.get(pk=account.pk)
                account_row.role = c.Role.INVESTIGATOR
                account_row.save()
                granted.set()
                commit.wait(timeout=10)
        finally:
            granted.set()
            connection.close()

    def sign_in():
        try:
            granted.wait(timeout=10)
            outcome["response"] = held.post(reverse("login_verify"), {"token": token})
        finally:
            connection.close()

    threads = [threading.Thread(target=grant), threading.Thread(target=sign_in)]
    for thread in threads:
        thread.start()
    granted.wait(timeout=10)
    threads[1].join(timeout=0.5)  # the sign-in waits on the grant's locks
    commit.set()
    for thread in threads:
        thread.join(timeout=30)
    assert not TOTPDevice.objects.filter(user=account).exists()
    assert User.objects.get(pk=account.pk).role == c.Role.INVESTIGATOR
    # The code is refused (200, the form again) or, the session having been ended by the
    # grant while the sign-in waited, Django refuses to save it again (400,
    # ``SessionInterrupted``); either way no one is signed in.
    assert outcome["response"].status_code in (200, 400)
    assert held.get(reverse("ncii_cases:home")).status_code == 302  # not signed in


def test_only_what_a_save_writes_counts_for_the_account_signals(district, mailoutbox):
    """The save signals act on the columns a save writes: an address set on the instance but
    left out of ``update_fields`` changed nothing and tells no one; a new instance given an
    existing account's primary key updates that account and counts as any other save."""
    from ncii_cases.models import User

    account = UserFactory(username="newhire", district=district, role="", email="a@example.org")
    TOTPDevice.objects.create(user=account, name="Authenticator", confirmed=True)
    account.email = "elsewhere@example.org"
    account.first_name = "Rowan"
    account.save(update_fields=["first_name"])
    assert mailoutbox == []
    assert User.objects.get(pk=account.pk).email == "a@example.org"
    # The same primary key on a fresh instance: an update of the account, its role given
    fresh = User.objects.get(pk=account.pk)
    fresh._state.adding = True
    fresh.role = c.Role.INVESTIGATOR
    fresh.save()
    assert not TOTPDevice.objects.filter(user=account).exists()
    assert [m.to for m in mailoutbox] == [["a@example.org"]]
    assert "reads case records" in mailoutbox[0].body
