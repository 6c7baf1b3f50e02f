"""Single sign-on in Chromium through a real OpenID Connect provider (tests/sso/provider, its
own process on loopback): the sign-in page's button, the provider's own page, back to the
application's code step, then the home page. No part of the exchange is mocked."""

import pytest
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from ncii_cases import choices as c
from ncii_cases.models import AccessEvent, SsoIdentity, SsoProvider
from tests.browser.helpers import AxeChecked, current_code
from tests.factories import DistrictFactory
from tests.sso.fixtures import DOMAIN, PASSWORD, oidc_provider  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def linked_coordinator(transactional_db, oidc_provider):  # noqa: F811
    district = DistrictFactory(name="Riverbend Test District", slug="riverbend-browser")
    provider = SsoProvider.objects.create(
        district=district,
        name="Riverbend staff account",
        slug="riverbend",
        issuer=oidc_provider.issuer,
        client_id=oidc_provider.client_id,
        client_secret=oidc_provider.client_secret,
        allowed_domains=DOMAIN,
        trust_provider_mfa=True,
    )
    user = get_user_model().objects.create_user(
        username="sso-coordinator",
        email=f"coordinator@{DOMAIN}",
        district=district,
        role=c.Role.COORDINATOR,
    )
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    SsoIdentity.objects.create(
        provider=provider,
        user=user,
        issuer=provider.issuer,
        subject="sub-coordinator",
        how_linked="email",
    )
    return user


def test_a_coordinator_signs_in_with_the_provider_then_the_apps_code(
    live_server,
    tab,
    linked_coordinator,
    oidc_provider,  # noqa: F811
):
    """The provider asserts no MFA ("pwd" only), so the application's code follows, though
    the district trusts the provider's MFA."""
    check = AxeChecked()
    tab.goto(f"{live_server.url}/login/")
    check(tab)
    tab.get_by_role("link", name="Sign in with Riverbend staff account").click()
    # The provider's own sign-in page.
    tab.wait_for_url(lambda url: url.startswith(f"{oidc_provider.base_url}/login/"))
    tab.fill("#id_username", "coordinator")
    tab.fill("#id_password", PASSWORD)
    tab.get_by_role("button", name="Sign in to the provider").click()
    tab.wait_for_url(f"{live_server.url}/login/verify/**")
    check(tab)
    tab.fill("#id_token", current_code(linked_coordinator.username))
    tab.get_by_role("button", name="Verify").click()
    tab.wait_for_url(f"{live_server.url}/")
    assert AccessEvent.objects.filter(
        user=linked_coordinator, action="sign_in_sso", allowed=True
    ).exists()
    assert AccessEvent.objects.filter(user=linked_coordinator, action="sign_in").exists()
