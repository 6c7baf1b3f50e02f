"""Single sign-on through a real OpenID Connect provider (tests/sso/provider, its own process
on loopback): the rules of docs/sso.md, one behaviour per test. The token exchange, the keys
and the discovery are real HTTP calls to the provider; nothing is mocked."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ncii_cases import choices as c
from ncii_cases.models import AccessEvent, SsoIdentity, User
from tests.factories import UserFactory
from tests.sso.conftest import link
from tests.sso.fixtures import DOMAIN, provider_answer

CALLBACK = "/login/sso/callback/"
# Queries of the callback: the session, the provider, the link, the account, the access log
# entries (each appends to its hash chain) and the login itself.
CALLBACK_QUERIES = 40


def entries(action):
    return list(AccessEvent.objects.filter(action=action).order_by("pk"))


def signed_in_user(client):
    return client.session.get(SESSION_KEY)


def current_code(device):
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:0{device.digits}d}"


@pytest.fixture
def coordinator_sso(district):
    user = UserFactory(
        username="sso-coordinator",
        district=district,
        role=c.Role.COORDINATOR,
        email=f"coordinator@{DOMAIN}",
    )
    return user


def test_the_start_sends_the_browser_to_the_provider_with_pkce_state_and_nonce(
    client, sso_provider, oidc_provider
):
    response = client.get(reverse("sso_start", args=[sso_provider.slug]))

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}" == oidc_provider.base_url
    query = parse_qs(location.query)
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [oidc_provider.client_id]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0] in client.session["oidc_states"]
    assert query["nonce"][0] == client.session["oidc_states"][query["state"][0]]["nonce"]
    assert query["redirect_uri"] == ["http://testserver/login/sso/callback/"]


def test_a_coordinator_whose_provider_asserts_no_mfa_must_give_the_apps_code(
    client, sso_provider, oidc_provider, coordinator_sso, django_assert_max_num_queries
):
    """Given a district that trusts its provider's MFA, when the token says only "pwd", the
    application's own code step follows, and no page opens before it."""
    sso_provider.trust_provider_mfa = True
    sso_provider.save()
    link(coordinator_sso, sso_provider, "sub-coordinator")
    device = TOTPDevice.objects.create(user=coordinator_sso, name="Authenticator app")
    answer = provider_answer(client, oidc_provider, sso_provider.slug, "coordinator")

    with django_assert_max_num_queries(CALLBACK_QUERIES):
        response = client.get(answer)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login_verify"))
    assert signed_in_user(client) == str(coordinator_sso.pk)
    assert client.get(reverse("ncii_cases:home"))["Location"].startswith(reverse("login_verify"))
    [entry] = entries("sign_in_sso")
    assert (entry.user, entry.allowed, entry.district_id) == (
        coordinator_sso,
        True,
        coordinator_sso.district_id,
    )
    assert entry.path == f"{CALLBACK} provider=riverbend"
    assert entries("sign_in") == []
    # The app's code finishes the sign-in.
    response = client.post(reverse("login_verify"), {"token": current_code(device)})
    assert response.status_code == 302
    assert client.get(reverse("ncii_cases:home")).status_code == 200
    assert len(entries("sign_in")) == 1


def test_a_provider_asserting_mfa_that_the_district_trusts_skips_the_apps_code(
    client, sso_provider, oidc_provider, coordinator_sso, django_assert_max_num_queries
):
    sso_provider.trust_provider_mfa = True
    sso_provider.save()
    link(coordinator_sso, sso_provider, "sub-coordinator-mfa")
    answer = provider_answer(client, oidc_provider, sso_provider.slug, "coordinator-mfa")

    with django_assert_max_num_queries(CALLBACK_QUERIES):
        response = client.get(answer)

    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get(reverse("ncii_cases:home")).status_code == 200
    [entry] = entries("sign_in")
    assert entry.user == coordinator_sso and entry.allowed
    assert entry.path == f"{CALLBACK} provider=riverbend reason=provider_mfa"
    assert not TOTPDevice.objects.filter(user=coordinator_sso).exists()


def test_a_provider_asserting_mfa_that_the_district_does_not_trust_still_needs_the_code(
    client, sso_provider, oidc_provider, coordinator_sso
):
    link(coordinator_sso, sso_provider, "sub-coordinator-mfa")
    answer = provider_answer(client, oidc_provider, sso_provider.slug, "coordinator-mfa")

    response = client.get(answer)

    assert response["Location"].startswith(reverse("login_verify"))
    assert client.get(reverse("ncii_cases:home"))["Location"].startswith(reverse("login_verify"))


def test_a_token_issued_for_another_application_is_refused(
    client, sso_provider, oidc_provider, coordinator_sso
):
    """Wrong audience: the ID token names another client id; nobody is signed in."""
    link(coordinator_sso, sso_provider, "sub-coordinator")
    answer = provider_answer(client, oidc_provider, sso_provider.slug, "wrong-audience")

    response = client.get(answer)

    assert response.status_code == 400
    assert signed_in_user(client) is None
    [entry] = entries("sign_in_sso_failed")
    assert entry.path == f"{CALLBACK} provider=riverbend reason=audience"
    assert entry.allowed is False and entry.district_id == sso_provider.district_id
    assert entries("sign_in_sso") == []


def test_a_replayed_answer_is_refused(client, sso_provider, oidc_provider, coordinator_sso):
    """The state is used once: the same answer again (after signing out, or in another
    browser) signs nobody in."""
    link(coordinator_sso, sso_provider, "sub-coordinator")
    answer = provider_answer(client, oidc_provider, sso_provider.slug, "coordinator")
    assert client.get(answer).status_code == 302
    client.logout()

    response = client.get(answer)

    assert response.status_code == 400
    assert b"already used" in response.content
    assert signed_in_user(client) is None
    [entry] = entries("sign_in_sso_failed")
    assert entry.path == f"{CALLBACK} reason=state"
    assert len(entries("sign_in_sso")) == 1


def test_an_answer_opened_in_another_browser_is_refused(
    client, sso_provider, oidc_provider, coordinator_sso
):
    link(coordinator_sso, sso_provider, "sub-coordinator")
    answer = provider_answer(client, oidc_provider, sso_provider.slug, "coordinator")
    other_browser = Client()

    response = other_browser.get(answer)

    assert response.status_code == 400
    assert other_browser.session.get(SESSION_KEY) is None
    assert entries("sign_in_sso") == []


def test_a_started_sign_in_expires(client, settings, sso_provider, oidc_provider, coordinator_sso):
    link(coordinator_sso, sso_provider, "sub-coordinator")
    answer = provider_answer(client, oidc_provider, sso_provider.slug, "coordinator")
    session = client.session
    for flow in session["oidc_states"].values():
        flow["added_on"] = time.time() - settings.SSO_STATE_MAX_AGE_SECONDS - 1
    session.save()

    response = client.get(answer)

    assert response.status_code == 400
    assert signed_in_user(client) is None


def test_a_person_of_another_domain_is_refused(client, sso_provider, oidc_provider):
    sso_provider.create_accounts = True
    sso_provider.save()
    accounts = User.objects.count()
    answer = provider_answer(client, oidc_provider, sso_provider.slug, "stranger")

    response = client.get(answer)

    assert response.status_code == 403
    assert b"not one of the district" in response.content
    assert User.objects.count() == accounts
    [entry] = entries("sign_in_sso_refused")
    assert entry.path == f"{CALLBACK} provider=riverbend reason=domain"
    assert entry.user is None and entry.district_id == sso_provider.district_id


def test_an_unknown_person_gets_no_account_without_creation_switched_on(
    client, sso_provider, oidc_provider
):
    accounts = User.objects.count()
    answer = provider_answer(client, oidc_provider, sso_provider.slug, "newcomer")

    response = client.get(answer)

    assert response.status_code == 403
    assert b"no account for you" in response.content
    assert User.objects.count() == accounts
    assert not SsoIdentity.objects.exists()
    [entry] = entries("sign_in_sso_refused")
    assert entry.path == f"{CALLBACK} provider=riverbend reason=unknown"


def test_an_unknown_person_gets_a_staff_reporter_account_when_the_district_allows(
    client, sso_provider, oidc_provider, django_assert_max_num_queries
):
    sso_provider.create_accounts = True
    sso_provider.save()
    answer = provider_answer(client, oidc_provider, sso_provider.slug, "newcomer")

    with django_assert_max_num_queries(CALLBACK_QUERIES + 20):
        response = client.get(answer)

    account = User.objects.get(email=f"newcomer@{DOMAIN}")
    assert (account.role, account.district_id, account.is_superuser, account.is_staff) == (
        "staff_reporter",
        sso_provider.district_id,
        False,
        False,
    )
    assert not account.has_usable_password()
    identity = SsoIdentity.objects.get(user=account)
    assert (identity.issuer, identity.subject, identity.how_linked) == (
        oidc_provider.issuer,
        "sub-newcomer",
        "created",
    )
    [entry] = entries("sso_account_created")
    assert entry.user == account and entry.allowed
    # Even an account that reads no case gives the application's code before any page.
    assert response["Location"].startswith(reverse("login_verify"))


def test_an_existing_account_is_linked_by_verified_email_once_when_the_district_allows(
    client, sso_provider, oidc_provider, district
):
    sso_provider.link_by_email = True
    sso_provider.save()
    account = UserFactory(district=district, role=c.Role.INVESTIGATOR, email=f"existing@{DOMAIN}")
    answer = provider_answer(client, oidc_provider, sso_provider.slug, "existing")

    client.get(answer)

    assert signed_in_user(client) == str(account.pk)
    identity = SsoIdentity.objects.get(user=account)
    assert (identity.subject, identity.how_linked) == ("sub-existing", "email")
    assert len(entries("sso_account_linked")) == 1


def test_an_email_address_alone_never_signs_in_to_an_existing_account(
    client, sso_provider, oidc_provider, district
):
    """Linking by e-mail is off: the same address on an account is not enough."""
    UserFactory(district=district, role=c.Role.INVESTIGATOR, email=f"existing@{DOMAIN}")
    answer = provider_answer(client, oidc_provider, sso_provider.slug, "existing")

    response = client.get(answer)

    assert response.status_code == 403
    assert signed_in_user(client) is None
    assert not SsoIdentity.objects.exists()


def test_an_unverified_email_address_links_no_account(
    client, sso_provider, oidc_provider, district
):
    sso_provider.link_by_email = True
    sso_provider.save()
    UserFactory(district=district, role=c.Role.INVESTIGATOR, email=f"unverified@{DOMAIN}")
    answer = provider_answer(client, oidc_provider, sso_provider.slug, "unverified")

    response = client.get(answer)

    assert response.status_code == 403
    assert not SsoIdentity.objects.exists()


def test_a_deactivated_account_is_refused(client, sso_provider, oidc_provider, coordinator_sso):
    link(coordinator_sso, sso_provider, "sub-coordinator")
    coordinator_sso.is_active = False
    coordinator_sso.save()
    answer = provider_answer(client, oidc_provider, sso_provider.slug, "coordinator")

    response = client.get(answer)

    assert response.status_code == 403
    assert signed_in_user(client) is None
    [entry] = entries("sign_in_sso_refused")
    assert entry.path == f"{CALLBACK} provider=riverbend reason=inactive"
    assert entry.user == coordinator_sso


def test_a_link_of_another_districts_provider_signs_in_nobody_here(
    client, sso_provider, oidc_provider, other_district
):
    """The same person (issuer and subject) linked in district A cannot enter through
    district B's provider."""
    from ncii_cases.models import SsoProvider

    foreign = UserFactory(district=other_district, role=c.Role.COORDINATOR)
    link(foreign, sso_provider, "sub-coordinator")
    other = SsoProvider.objects.create(
        district=other_district,
        name="Elsewhere staff account",
        slug="elsewhere",
        issuer=oidc_provider.issuer,
        client_id=oidc_provider.client_id,
        client_secret=oidc_provider.client_secret,
        allowed_domains=DOMAIN,
    )
    answer = provider_answer(client, oidc_provider, other.slug, "coordinator")

    response = client.get(answer)

    assert response.status_code == 403
    assert signed_in_user(client) is None


def test_a_disabled_provider_has_no_sign_in(client, sso_provider):
    sso_provider.enabled = False
    sso_provider.save()

    assert client.get(reverse("sso_start", args=[sso_provider.slug])).status_code == 404
    assert b"Riverbend staff account" not in client.get(reverse("login")).content


def test_the_sign_in_page_offers_the_providers(client, sso_provider):
    page = client.get(reverse("login")).content.decode()

    assert "Sign in with Riverbend staff account" in page
    assert reverse("sso_start", args=[sso_provider.slug]) in page


def test_the_page_asked_for_is_opened_after_the_sign_in_and_another_site_never(
    client, sso_provider, oidc_provider, coordinator_sso
):
    sso_provider.trust_provider_mfa = True
    sso_provider.save()
    link(coordinator_sso, sso_provider, "sub-coordinator-mfa")
    answer = provider_answer(
        client, oidc_provider, sso_provider.slug, "coordinator-mfa", next_url="/reporting/"
    )
    assert client.get(answer)["Location"] == "/reporting/"
    client.logout()

    answer = provider_answer(
        client, oidc_provider, sso_provider.slug, "coordinator-mfa", next_url="https://evil.test/"
    )

    assert client.get(answer)["Location"] == "/"


def test_a_provider_that_declines_signs_in_nobody(client, sso_provider):
    start = client.get(reverse("sso_start", args=[sso_provider.slug]))
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]

    response = client.get(CALLBACK, {"state": state, "error": "access_denied"})

    assert response.status_code == 400
    assert signed_in_user(client) is None
    [entry] = entries("sign_in_sso_failed")
    assert entry.path == f"{CALLBACK} provider=riverbend reason=provider_error"
    # The state is gone with the refusal: it cannot be used afterwards.
    assert state not in client.session["oidc_states"]
