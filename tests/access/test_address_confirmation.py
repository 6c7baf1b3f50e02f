"""Where an account's set-up links go, once it reads case content: an address a coordinator
(or the operator) confirmed, never one district IT chose alone.

The takeover this closes: district IT makes an account with no role, gives it an address IT
reads and a password IT knows. A coordinator gives it the investigator role; the grant
removes the authenticator IT had set up (test_account_takeover.py), but IT then asks for a
new set-up link, which went to IT's address, and signed in as the investigator. Now the
coordinator confirms the address on the form of the grant (and may correct it there), an
address IT changes is no longer confirmed, and no set-up link goes to an unconfirmed address
of an account that reads cases."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ncii_cases import choices as c
from ncii_cases.models import AccessEvent, EnrollmentLink, SecondFactorReset, User
from ncii_cases.permissions import account_email_may_change, account_email_may_confirm
from ncii_cases.services.accounts import email_confirmation_decide
from ncii_cases.services.two_factor import (
    EnrollmentAddressUnconfirmed,
    enrollment_address_unconfirmed,
    enrollment_link_create,
)
from tests.access.helpers import login_verified
from tests.access.test_account_takeover import (
    _account_form,
    link_url,
    links_in,
    password_step,
)
from tests.factories import DistrictFactory, UserFactory

IT_PASSWORD = "it-knows-this-long-passphrase-77"
IT_MAILBOX = "helpdesk.queue@district.example"
OWN_ADDRESS = "r.okafor@district.example"
LINK = re.compile(r"https?://\S+/login/enroll/link/(\S+)/")


@pytest.fixture(autouse=True)
def _after_commit_runs_at_once(monkeypatch):
    """E-mails go out once the transaction commits; a test's transaction never commits."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def staff_coordinator(district):
    return UserFactory(
        username="staffcoordinator", district=district, role=c.Role.COORDINATOR, is_staff=True
    )


def _it_makes_an_account(it_client) -> User:
    """District IT, in the admin: a new account with a password IT chose, then an address IT
    reads (the account has no role, so the address is IT's to set)."""
    response = it_client.post(
        reverse("admin:ncii_cases_user_add"),
        {
            "username": "newhire",
            "usable_password": "true",
            "password1": IT_PASSWORD,
            "password2": IT_PASSWORD,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    account = User.objects.get(username="newhire")
    data = _account_form(it_client, account)
    data.update(email=IT_MAILBOX, first_name="Rosa", last_name="Okafor", is_active="on")
    response = it_client.post(reverse("admin:ncii_cases_user_change", args=[account.pk]), data)
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.email == IT_MAILBOX and account.is_active
    assert account.email_confirmed_at is None  # IT's choice, vouched for by nobody
    return account


def _change(client, account, **changes):
    data = _account_form(client, account)
    data.update(changes)
    return client.post(reverse("admin:ncii_cases_user_change", args=[account.pk]), data)


def test_it_cannot_become_an_investigator_through_the_grant_and_a_new_link(
    client, district, it_admin, staff_coordinator, mailoutbox
):
    """The reproduction, end to end in the admin and the sign-in pages."""
    it_client = Client()
    login_verified(it_client, it_admin)
    account = _it_makes_an_account(it_client)
    # The coordinator gives the investigator role without looking at the address: refused,
    # and the refusal names the address the link would go to
    login_verified(client, staff_coordinator)
    response = _change(client, account, role=c.Role.INVESTIGATOR)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert IT_MAILBOX in str(errors["email_confirm"])
    account.refresh_from_db()
    assert account.role == ""  # nothing changed
    # The coordinator corrects the address to the person's own and confirms it
    response = _change(
        client, account, role=c.Role.INVESTIGATOR, email=OWN_ADDRESS, email_confirm="on"
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.role == c.Role.INVESTIGATOR and account.email == OWN_ADDRESS
    assert account.email_confirmed_by == staff_coordinator
    # IT, holding the password, asks for a set-up link: it goes to the person, not to IT
    mailoutbox.clear()
    attacker = Client()
    assert password_step(attacker, "newhire", IT_PASSWORD).status_code == 302
    attacker.post(reverse("login_enroll"), {"send_link": "1"})
    assert [m.to for m in mailoutbox] == [[OWN_ADDRESS]]
    assert not any(IT_MAILBOX in m.to for m in mailoutbox)
    # And IT cannot move the address back: the account reads cases now
    response = _change(it_client, account, email=IT_MAILBOX)
    account.refresh_from_db()
    assert account.email == OWN_ADDRESS


def test_a_coordinator_who_confirms_it_s_address_vouches_for_it(
    client, district, it_admin, staff_coordinator, mailoutbox
):
    """A coordinator who confirms IT's address as the person's own has vouched for it: the
    link goes there, and the account's page says who confirmed it and when."""
    it_client = Client()
    login_verified(it_client, it_admin)
    account = _it_makes_an_account(it_client)
    login_verified(client, staff_coordinator)
    assert (
        _change(client, account, role=c.Role.SUPPORT_STAFF, email_confirm="on").status_code == 302
    )
    account.refresh_from_db()
    assert account.email_confirmed_by == staff_coordinator
    assert account.email_confirmed_at is not None
    page = client.get(reverse("admin:ncii_cases_user_change", args=[account.pk]))
    assert f"Confirmed by {staff_coordinator}, " in page.content.decode()


def test_no_set_up_link_goes_to_an_address_nobody_confirmed(
    district, it_admin, staff_coordinator, mailoutbox
):
    """Any path that gives a role that reads cases without a confirmation (here a service
    naming the coordinator, who ticked nothing) leaves the address unconfirmed: the page
    says whom to ask, the button sends nothing, and the refusal is logged."""
    account = UserFactory(username="newhire", district=district, role="", email=IT_MAILBOX)
    account.set_password(IT_PASSWORD)
    account.save()
    assert account.email_confirmed_at is None  # made with no role: nothing to confirm yet
    account.role = c.Role.INVESTIGATOR
    account._history_user = staff_coordinator
    account.save()
    account.refresh_from_db()
    assert account.email_confirmed_at is None
    assert enrollment_address_unconfirmed(account)
    with pytest.raises(EnrollmentAddressUnconfirmed):
        enrollment_link_create(user=account, actor=account, base_url="https://cases.example")
    attacker = Client()
    assert password_step(attacker, "newhire", IT_PASSWORD).status_code == 302
    page = attacker.get(reverse("login_enroll"))
    assert "nobody who may has confirmed" in page.content.decode()
    assert b'name="send_link"' not in page.content
    mailoutbox.clear()
    attacker.post(reverse("login_enroll"), {"send_link": "1"})  # a forged click
    assert mailoutbox == []
    assert not EnrollmentLink.objects.filter(user=account).exists()
    assert AccessEvent.objects.filter(
        action="enrollment_link_refused", user=account, allowed=False
    ).exists()
    # The coordinator confirms the address (the box alone, no other change); the link goes
    client = Client()
    login_verified(client, staff_coordinator)
    assert _change(client, account, email_confirm="on").status_code == 302
    account.refresh_from_db()
    assert account.email_confirmed_by == staff_coordinator
    attacker.post(reverse("login_enroll"), {"send_link": "1"})
    assert [m.to for m in mailoutbox] == [[IT_MAILBOX]]


def test_district_it_never_sees_nor_forges_the_confirmation(
    client, district, it_admin, auditor, investigator
):
    """IT's form shows the state of the confirmation, never the box; a posted box is
    ignored, and an address IT changes is unconfirmed."""
    login_verified(client, it_admin)
    page = client.get(reverse("admin:ncii_cases_user_change", args=[auditor.pk]))
    form = page.context["adminform"].form
    assert "email_confirm" not in form.fields and "email" in form.fields
    assert "Address confirmed" in page.content.decode()
    auditor.email_confirmed_at = timezone.now()
    auditor.save()
    response = _change(client, auditor, email="auditor.two@district.example", email_confirm="on")
    assert response.status_code == 302
    auditor.refresh_from_db()
    assert auditor.email == "auditor.two@district.example"
    assert auditor.email_confirmed_at is None and auditor.email_confirmed_by is None
    # On an account that reads cases, the box posted by IT confirms nothing either
    investigator.email_confirmed_at = None
    investigator.save(update_fields=["email_confirmed_at"])
    assert _change(client, investigator, email_confirm="on").status_code == 302
    investigator.refresh_from_db()
    assert investigator.email_confirmed_at is None


def test_a_stale_grant_form_saves_the_address_the_coordinator_saw(
    client, district, it_admin, staff_coordinator, mailoutbox
):
    """The coordinator opens the grant form; meanwhile IT changes the address. The posted
    form carries the address the coordinator saw and confirmed, and that one is saved."""
    it_client = Client()
    login_verified(it_client, it_admin)
    account = _it_makes_an_account(it_client)
    login_verified(client, staff_coordinator)
    seen = _account_form(client, account)
    assert seen["email"] == IT_MAILBOX
    assert _change(it_client, account, email="another.queue@district.example").status_code == 302
    seen.update(role=c.Role.INVESTIGATOR, email_confirm="on")
    response = client.post(reverse("admin:ncii_cases_user_change", args=[account.pk]), seen)
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.email == IT_MAILBOX  # what the coordinator saw, not IT's later change
    assert account.email_confirmed_by == staff_coordinator


def test_a_reset_by_it_sends_no_link_to_an_unconfirmed_address(
    client, district, it_admin, investigator, staff_coordinator, mailoutbox
):
    """IT removes the second factor of an investigator whose address nobody confirmed (for
    example, one the upgrade left unconfirmed): the removal happens and the owner is told,
    but no link is sent, and IT is told why."""
    TOTPDevice.objects.create(user=investigator, name="Authenticator app", confirmed=True)
    User.objects.filter(pk=investigator.pk).update(email_confirmed_at=None)
    investigator.refresh_from_db()
    login_verified(client, it_admin)
    device = TOTPDevice.objects.get(user=investigator)
    mailoutbox.clear()
    response = client.post(
        reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert "No set-up link was sent" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=investigator).exists()
    assert SecondFactorReset.objects.filter(user=investigator, status="approved").exists()
    assert links_in(mailoutbox, investigator) == []
    assert any("were removed" in m.body for m in mailoutbox if investigator.email in m.to)


def test_a_new_address_ends_the_links_sent_to_the_former_one(
    client, district, investigator, staff_coordinator, mailoutbox
):
    """A link sent to the former address stops working when the coordinator corrects the
    address: the former mailbox may be the one that should not have it."""
    enrollment_link_create(user=investigator, actor=investigator, base_url="https://x.example")
    (token,) = links_in(mailoutbox, investigator)
    login_verified(client, staff_coordinator)
    assert _change(client, investigator, email=OWN_ADDRESS).status_code == 302
    investigator.refresh_from_db()
    assert investigator.email_confirmed_by == staff_coordinator  # the coordinator typed it
    assert Client().get(link_url(token)).status_code == 410


def test_a_confirmation_lost_after_a_link_was_sent_stops_the_link(
    district, investigator, mailoutbox
):
    """A link already sent is refused once the address it went to is no longer confirmed
    (a roster import changed it, or the upgrade left it unconfirmed)."""
    enrollment_link_create(user=investigator, actor=investigator, base_url="https://x.example")
    (token,) = links_in(mailoutbox, investigator)
    User.objects.filter(pk=investigator.pk).update(email_confirmed_at=None)
    response = Client().get(link_url(token))
    assert response.status_code == 410
    assert "nobody who may has confirmed" in response.content.decode()


def test_the_confirmation_rule_path_by_path(district, it_admin, investigator, operator):
    """``services.accounts.email_confirmation_decide``: True confirms, False empties, None
    leaves the confirmation as it is."""
    coordinator = UserFactory(district=district, role=c.Role.COORDINATOR)
    account = UserFactory(district=district, role=c.Role.INVESTIGATOR, email="a@district.example")
    decide = email_confirmation_decide

    def rule(actor, *, ticked=False, email_changed=False, granted=False, command_line=False):
        return decide(
            account=account,
            actor=actor,
            command_line=command_line,
            ticked=ticked,
            email_changed=email_changed,
            granted=granted,
        )

    # A grant: confirmed only by someone who may vouch and ticked the box (or the shell)
    assert rule(coordinator, granted=True, ticked=True) is True
    assert rule(coordinator, granted=True) is False
    assert rule(operator, granted=True, ticked=True) is True
    assert rule(it_admin, granted=True, ticked=True) is False
    assert rule(None, granted=True, command_line=True) is True
    assert rule(None, granted=True) is False  # a request with nobody signed in
    # An address changed: confirmed when by someone who may vouch, emptied otherwise
    assert rule(coordinator, email_changed=True) is True
    assert rule(it_admin, email_changed=True) is False
    assert rule(None, email_changed=True) is False
    assert rule(None, email_changed=True, command_line=True) is True
    # The box alone
    assert rule(coordinator, ticked=True) is True
    assert rule(it_admin, ticked=True) is None
    assert rule(coordinator) is None
    # Nothing to vouch for without an address
    account.email = ""
    assert rule(coordinator, granted=True, ticked=True) is False


def test_who_may_vouch_for_an_address(district, it_admin, investigator, auditor, operator):
    """``permissions.account_email_may_confirm``: someone who cannot set the account's
    password: its district's coordinator (not for their own account) or the operator."""
    coordinator = UserFactory(district=district, role=c.Role.COORDINATOR)
    second = UserFactory(district=district, role=c.Role.COORDINATOR)
    elsewhere = UserFactory(district=DistrictFactory(), role=c.Role.COORDINATOR)
    school_admin = UserFactory(district=district, role=c.Role.SCHOOL_ADMIN)
    superuser = UserFactory(district=district, is_superuser=True)
    roleless = UserFactory(district=district)
    inactive = UserFactory(district=district, role=c.Role.COORDINATOR, is_active=False)
    assert account_email_may_confirm(coordinator, investigator)
    assert account_email_may_confirm(coordinator, roleless)
    assert account_email_may_confirm(coordinator, auditor)
    assert account_email_may_confirm(second, coordinator)
    assert account_email_may_confirm(operator, investigator)
    assert not account_email_may_confirm(coordinator, coordinator)
    assert not account_email_may_confirm(it_admin, investigator)
    assert not account_email_may_confirm(it_admin, roleless)
    assert not account_email_may_confirm(school_admin, investigator)
    assert not account_email_may_confirm(elsewhere, investigator)
    assert not account_email_may_confirm(coordinator, superuser)
    assert not account_email_may_confirm(inactive, investigator)
    assert not account_email_may_confirm(None, investigator)
    # And so the coordinator may correct any address of the district on the grant form
    assert account_email_may_change(coordinator, roleless)
    assert account_email_may_change(it_admin, roleless)
    assert not account_email_may_change(it_admin, investigator)


def test_bulk_changes_of_an_address_never_keep_its_confirmation(district, investigator):
    """A queryset ``update`` of the address empties the confirmation; a ``bulk_update`` of
    the address must write it too."""
    assert investigator.email_confirmed_at is not None  # made on the command line
    User.objects.filter(pk=investigator.pk).update(email="elsewhere@district.example")
    investigator.refresh_from_db()
    assert investigator.email_confirmed_at is None
    with pytest.raises(ValueError, match="email_confirmed_at"):
        User.objects.bulk_update([investigator], ["email"])


def test_a_save_writing_only_the_address_writes_its_confirmation_too(
    district, investigator, staff_coordinator
):
    """``save(update_fields=["email"])`` by someone who may not vouch: the confirmation is
    emptied in the database, not only on the instance."""
    it_actor = UserFactory(district=district, role=c.Role.IT_ADMIN)
    investigator.email = "moved@district.example"
    investigator._history_user = it_actor
    investigator.save(update_fields=["email"])
    assert User.objects.get(pk=investigator.pk).email_confirmed_at is None
    investigator.email = "back@district.example"
    investigator._history_user = staff_coordinator
    investigator.save(update_fields=["email"])
    row = User.objects.get(pk=investigator.pk)
    assert row.email_confirmed_by == staff_coordinator and row.email_confirmed_at is not None
    # The history row of the save says so too
    assert investigator.history.first().email_confirmed_by_id == staff_coordinator.pk


def test_the_upgrade_confirms_only_accounts_that_already_set_up_an_authenticator(district):
    """Migration 0033: an account that reads cases and has an authenticator needs no link
    and is marked confirmed; one without, which a takeover may have left waiting for a
    link, is not; accounts that read no case are not."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("ncii_cases.migrations.0033_user_email_confirmed")
    enrolled = UserFactory(district=district, role=c.Role.INVESTIGATOR)
    waiting = UserFactory(district=district, role=c.Role.SUPPORT_STAFF)
    it_account = UserFactory(district=district, role=c.Role.IT_ADMIN)
    TOTPDevice.objects.create(user=enrolled, name="Authenticator app", confirmed=True)
    TOTPDevice.objects.create(user=it_account, name="Authenticator app", confirmed=True)
    User.objects.update(email_confirmed_at=None)
    migration.confirm_enrolled(apps, None)
    assert User.objects.get(pk=enrolled.pk).email_confirmed_at is not None
    assert User.objects.get(pk=waiting.pk).email_confirmed_at is None
    assert User.objects.get(pk=it_account.pk).email_confirmed_at is None


def test_an_address_of_another_account_cannot_be_confirmed_as_this_person_s_own(
    client, district, it_admin, staff_coordinator
):
    """The helper's careless tick: IT gives the new account IT's own address, and the
    coordinator ticks the box without noticing. An address another account uses is nobody's
    own: the tick is refused, naming that account, and nothing changes."""
    it_client = Client()
    login_verified(it_client, it_admin)
    account = _it_makes_an_account(it_client)
    assert _change(it_client, account, email=it_admin.email.upper()).status_code == 302
    login_verified(client, staff_coordinator)
    response = _change(client, account, role=c.Role.INVESTIGATOR, email_confirm="on")
    assert response.status_code == 200
    error = str(response.context["adminform"].form.errors["email_confirm"])
    assert it_admin.username in error and "cannot be confirmed" in error
    account.refresh_from_db()
    assert account.role == "" and account.email_confirmed_at is None
    # With the person's own address, the same form goes through
    response = _change(
        client, account, role=c.Role.INVESTIGATOR, email=OWN_ADDRESS, email_confirm="on"
    )
    assert response.status_code == 302


def test_a_link_revoked_with_the_former_address_does_not_hold_back_the_owner_s_link(
    client, district, it_admin, staff_coordinator, mailoutbox
):
    """IT asked for a link as the new account (to IT's address); minutes later the
    coordinator corrects the address and gives the role. The owner asking for a link at once
    gets one: the revoked link does not count as "sent a few minutes ago"."""
    it_client = Client()
    login_verified(it_client, it_admin)
    account = _it_makes_an_account(it_client)
    it_session = Client()
    password_step(it_session, "newhire", IT_PASSWORD)
    it_session.post(reverse("login_enroll"), {"send_link": "1"})
    assert [m.to for m in mailoutbox][-1] == [IT_MAILBOX]
    login_verified(client, staff_coordinator)
    _change(client, account, role=c.Role.INVESTIGATOR, email=OWN_ADDRESS, email_confirm="on")
    mailoutbox.clear()
    owner = Client()
    password_step(owner, "newhire", IT_PASSWORD)
    owner.post(reverse("login_enroll"), {"send_link": "1"})
    assert [m.to for m in mailoutbox] == [[OWN_ADDRESS]]
    account.refresh_from_db()
    assert len(links_in(mailoutbox, account)) == 1


@pytest.mark.parametrize("confirmed", [True, False], ids=["confirmed", "unconfirmed"])
def test_the_case_access_e_mail_promises_a_link_only_to_a_confirmed_address(
    client, district, it_admin, staff_coordinator, mailoutbox, confirmed
):
    """The e-mail of a grant (its authenticator removed) tells the owner what comes next: a
    set-up link when the address was confirmed with the grant; otherwise that a coordinator
    must confirm the address first (it said "ask for a set-up link, which is sent to this
    address", which the sign-in page then refused)."""
    account = UserFactory(username="newhire", district=district, role="", email=IT_MAILBOX)
    TOTPDevice.objects.create(user=account, name="Authenticator app", confirmed=True)
    mailoutbox.clear()
    if confirmed:
        login_verified(client, staff_coordinator)
        response = _change(client, account, role=c.Role.INVESTIGATOR, email_confirm="on")
        assert response.status_code == 302
    else:  # a service naming the coordinator, who ticked nothing
        account.role = c.Role.INVESTIGATOR
        account._history_user = staff_coordinator
        account.save()
    account.refresh_from_db()
    assert not TOTPDevice.objects.filter(user=account).exists()
    assert enrollment_address_unconfirmed(account) is not confirmed
    (notice,) = [m for m in mailoutbox if "given a role that reads case records" in m.body]
    assert notice.to == [IT_MAILBOX]
    if confirmed:
        assert "ask for a set-up link, which is sent to this address" in notice.body
        assert "No set-up link can be sent yet" not in notice.body
    else:
        assert "No set-up link can be sent yet" in notice.body
        assert "Title IX coordinator to check the address on your account" in notice.body
        assert "which is sent to this address" not in notice.body
    # It asks the owner to act: it does not close with "there is nothing to do"
    assert "nothing to do" not in notice.body
    assert "If you did not expect this, tell your district's Title IX coordinator" in notice.body


def test_it_s_stale_form_cannot_change_the_address_a_grant_took_from_it(
    client, district, it_admin, staff_coordinator
):
    """IT opens an account's form while it reads no case (the address editable), a
    coordinator gives it the investigator role, IT saves a new address: the save is refused
    with a message that says why and that nothing was saved (the address was left as it was
    while the rest saved under "changed successfully"). The district, read-only for an
    account that holds a role, is refused the same way."""
    account = UserFactory(
        username="newhire", district=district, role="", email=OWN_ADDRESS, first_name="Rae"
    )
    login_verified(client, it_admin)
    stale = _account_form(client, account)
    assert "email" in stale and "district" in stale
    coordinator = Client()
    login_verified(coordinator, staff_coordinator)
    granted = _change(coordinator, account, role=c.Role.INVESTIGATOR, email_confirm="on")
    assert granted.status_code == 302
    url = reverse("admin:ncii_cases_user_change", args=[account.pk])
    other = DistrictFactory()
    for changes, message in [
        ({"email": IT_MAILBOX}, "The e-mail address was not changed"),
        ({"district": str(other.pk)}, "The district was not changed"),
    ]:
        response = client.post(url, {**stale, "first_name": "Changed", **changes})
        assert response.status_code == 200
        assert message in response.content.decode()
        account.refresh_from_db()
        assert (account.email, account.district_id) == (OWN_ADDRESS, district.pk)
        assert account.first_name == "Rae"
        assert account.email_confirmed_by == staff_coordinator
    # The same address sent back unchanged (capitals aside) is no change: the save goes on
    response = client.post(url, {**stale, "first_name": "Changed", "email": OWN_ADDRESS.upper()})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.first_name == "Changed" and account.email == OWN_ADDRESS
