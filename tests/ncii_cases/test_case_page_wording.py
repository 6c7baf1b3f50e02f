"""The case page reads naturally: who reported it, and how we heard, in plain words; the
help box lists only resources someone can reach (a phone or an address)."""

import re

import pytest
from django.urls import reverse

from ncii_cases.models import AccessEvent
from policies.models import Resource
from tests.access.helpers import login_verified


def summary_of(client, case, django_assert_max_num_queries) -> str:
    with django_assert_max_num_queries(15):
        response = client.get(reverse("ncii_cases:case_detail", args=[case.pk]))
    assert response.status_code == 200
    entry = AccessEvent.objects.order_by("pk").last()
    assert (entry.action, entry.case_id) == ("case_detail", case.pk)
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize(
    ("name", "anonymous", "shown"),
    [
        ("", False, "<dd>A parent (name not recorded)</dd>"),
        ("", True, "<dd>A parent (asked to stay anonymous)</dd>"),
        ("Jordan Example", False, "<dd>Jordan Example, a parent</dd>"),
    ],
)
def test_who_reported_it_reads_as_one_plain_phrase(
    client, case, coordinator, name, anonymous, shown, django_assert_max_num_queries
):
    case.reported_by_name = "a parent"  # as typed at intake
    case.reporter_name = name
    case.reporter_anonymous = anonymous
    case.reported_via = "Email to the principal"
    case.save()
    login_verified(client, coordinator)
    html = summary_of(client, case, django_assert_max_num_queries)
    assert shown in html
    assert "<dt>How we heard</dt><dd>Email to the principal</dd>" in html
    assert "Name not recorded," not in html


def test_the_help_box_lists_no_resource_without_a_contact(
    client, case, coordinator, django_assert_max_num_queries
):
    login_verified(client, coordinator)
    html = summary_of(client, case, django_assert_max_num_queries)
    # The shipped counseling slot is a placeholder without a contact: not listed.
    assert "District counseling services" not in html
    assert "1-800-843-5678" in html
    # Once the district fills it in, it is listed with its contact.
    Resource.objects.create(
        district=case.district,
        slug="district-counseling",
        name="District counseling services",
        kind=Resource.Kind.COUNSELING,
        phone="555-0142",
    )
    html = summary_of(client, case, django_assert_max_num_queries)
    assert "<strong>District counseling services</strong>: 555-0142" in html
