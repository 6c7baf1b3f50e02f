"""Configuring single sign-on in the admin: district IT sets up its own district's providers;
the client secret is typed in and never shown back, in no page, nor its history. (Every admin
URL × persona: tests/access/test_admin_permission_matrix.py.)"""

from django.urls import reverse

from ncii_cases.models import SsoProvider
from tests.access.helpers import login_verified

SECRET = "ZZ-typed-client-secret-9f3a"  # noqa: S105


def form(district, **changes):
    data = {
        "district": district.pk,
        "name": "Riverbend staff account",
        "slug": "riverbend",
        "kind": "entra",
        "issuer": "https://login.microsoftonline.com/0000-tenant/v2.0",
        "client_id": "client-1",
        "client_secret": SECRET,
        "client_secret_env": "",
        "allowed_domains": "riverbend.example, staff.riverbend.example",
        "scopes": "openid email profile",
        "enabled": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_district_it_adds_a_provider_to_its_own_district_only(
    client, it_admin, district, other_district, django_assert_max_num_queries
):
    login_verified(client, it_admin)

    with django_assert_max_num_queries(40):
        response = client.post(reverse("admin:ncii_cases_ssoprovider_add"), form(other_district))

    # Another district is not a choice; the form says so and nothing is saved.
    assert response.status_code == 200
    assert not SsoProvider.objects.exists()
    response = client.post(reverse("admin:ncii_cases_ssoprovider_add"), form(district))
    assert response.status_code == 302
    provider = SsoProvider.objects.get()
    assert (provider.district, provider.secret()) == (district, SECRET)
    assert provider.history.count() == 1


def test_the_secret_is_never_shown_and_kept_when_left_empty(client, it_admin, district):
    login_verified(client, it_admin)
    client.post(reverse("admin:ncii_cases_ssoprovider_add"), form(district))
    provider = SsoProvider.objects.get()
    change = reverse("admin:ncii_cases_ssoprovider_change", args=[provider.pk])

    assert SECRET not in client.get(change).content.decode()
    response = client.post(change, form(district, client_secret="", name="Renamed"))

    assert response.status_code == 302
    provider.refresh_from_db()
    assert (provider.name, provider.client_secret) == ("Renamed", SECRET)
    history = reverse("admin:ncii_cases_ssoprovider_history", args=[provider.pk])
    assert SECRET not in client.get(history).content.decode()
    version = provider.history.order_by("history_id").first()
    page = client.get(
        reverse(
            "admin:ncii_cases_ssoprovider_simple_history", args=[provider.pk, version.history_id]
        )
    )
    assert page.status_code == 200
    assert SECRET not in page.content.decode()


def test_a_provider_needs_a_secret_or_its_environment_variable(client, it_admin, district):
    login_verified(client, it_admin)

    response = client.post(
        reverse("admin:ncii_cases_ssoprovider_add"), form(district, client_secret="")
    )

    assert response.status_code == 200
    assert b"Enter the client secret" in response.content
    response = client.post(
        reverse("admin:ncii_cases_ssoprovider_add"),
        form(district, client_secret="", client_secret_env="NO_SUCH_VARIABLE_SET_HERE"),
    )
    assert b"No such environment variable" in response.content
    assert not SsoProvider.objects.exists()


def test_the_issuer_must_be_https(client, it_admin, district, settings):
    settings.SSO_ALLOW_HTTP_ISSUERS = False
    login_verified(client, it_admin)

    response = client.post(
        reverse("admin:ncii_cases_ssoprovider_add"),
        form(district, issuer="http://login.example.test"),
    )

    assert b"must be an https" in response.content
    assert not SsoProvider.objects.exists()
