import pytest

from ncii_cases.models import SsoIdentity, SsoProvider
from tests.sso.fixtures import DOMAIN, oidc_provider  # noqa: F401


@pytest.fixture
def sso_provider(district, oidc_provider):  # noqa: F811
    """The district's provider: the test provider, with the district's domain."""
    return SsoProvider.objects.create(
        district=district,
        name="Riverbend staff account",
        slug="riverbend",
        kind=SsoProvider.Kind.OTHER,
        issuer=oidc_provider.issuer,
        client_id=oidc_provider.client_id,
        client_secret=oidc_provider.client_secret,
        allowed_domains=DOMAIN,
    )


def link(user, provider, subject):
    """Links ``user`` to the provider's person ``subject`` (as a first sign-in would)."""
    return SsoIdentity.objects.create(
        provider=provider, user=user, issuer=provider.issuer, subject=subject, how_linked="email"
    )
