"""Password sign-in switched off per district: its accounts sign in only with single sign-on;
the deployment operator's break-glass account (a superuser) keeps its password."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ncii_cases.models import AccessEvent, District
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery-staple"  # noqa: S105  # the factories' password


def password_off(district):
    District.objects.filter(pk=district.pk).update(password_sign_in=False)


def test_a_correct_password_is_refused_when_the_district_switched_passwords_off(
    client, coordinator, district, django_assert_max_num_queries
):
    password_off(district)

    with django_assert_max_num_queries(25):
        response = client.post(reverse("login"), {"username": "coordinator", "password": PASSWORD})

    assert response.status_code == 200
    assert b"single sign-on only" in response.content
    assert "_auth_user_id" not in client.session
    [entry] = AccessEvent.objects.filter(action="sign_in_password_refused")
    assert (entry.user, entry.allowed, entry.district_id) == (coordinator, False, district.pk)
    assert not AccessEvent.objects.filter(action="sign_in_password").exists()


def test_a_wrong_password_says_nothing_about_the_switch(client, coordinator, district):
    password_off(district)

    response = client.post(reverse("login"), {"username": "coordinator", "password": "wrong"})

    assert b"did not match" in response.content
    assert b"single sign-on only" not in response.content


def test_the_break_glass_operator_keeps_the_password(client, district):
    password_off(district)
    UserFactory(username="operator", district=None, is_superuser=True, is_staff=True)

    response = client.post(reverse("login"), {"username": "operator", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login_verify"))


def test_another_district_keeps_its_passwords(client, district, outsider):
    password_off(district)

    response = client.post(reverse("login"), {"username": outsider.username, "password": PASSWORD})

    assert response.status_code == 302


def test_passwords_cannot_be_switched_off_without_an_enabled_provider(district):
    district.password_sign_in = False

    with pytest.raises(ValidationError) as error:
        district.full_clean()

    assert "password_sign_in" in error.value.message_dict


def test_passwords_can_be_switched_off_once_a_provider_is_enabled(district):
    from ncii_cases.models import SsoProvider

    SsoProvider.objects.create(
        district=district,
        name="Staff account",
        slug="staff",
        issuer="https://accounts.google.com",
        client_id="c",
        client_secret="s",  # noqa: S106
        allowed_domains="district.example",
    )
    district.password_sign_in = False

    district.full_clean()
