"""Catalog rows shared by every district (no district) are the deployment operator's; a
district edits its own rows only, and its row replaces a shared row of the same slug in what it
sees."""

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse

from ncii_cases import choices as c
from policies.models import ReportingProfile, Resource
from policies.selectors import resources_for_district
from tests.access.helpers import login_verified
from tests.factories import UserFactory


@pytest.fixture
def staff_coordinator(district):
    return UserFactory(district=district, role=c.Role.COORDINATOR, is_staff=True)


def hotline():
    return Resource.objects.get(slug="ncmec-hotline", district__isnull=True)


def posted(row, **changes):
    """The row's change form data, with ``changes``."""
    data = {k: v for k, v in model_to_dict(row).items() if v is not None and k != "id"}
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    data.update(changes)
    return data


@pytest.mark.parametrize("persona", ["staff_coordinator", "it_admin"])
def test_a_district_cannot_edit_the_shared_hotline_every_district_shows(
    client, db, request, persona
):
    # Given the shared NCMEC hotline, shown beside every district's cases
    row = hotline()
    login_verified(client, request.getfixturevalue(persona))
    url = reverse("admin:policies_resource_change", args=[row.pk])
    # When a district's coordinator or IT posts a new phone number and link
    response = client.post(url, posted(row, phone="1-900-555-0100", url="https://example.invalid/"))
    # Then the admin refuses and the row is as it was
    assert response.status_code == 403
    row.refresh_from_db()
    assert (row.phone, row.url) == (
        "1-800-THE-LOST (1-800-843-5678)",
        "https://www.missingkids.org",
    )
    # The page itself is read-only for them
    page = client.get(url)
    assert page.status_code == 200 and b'name="_save"' not in page.content


def test_a_district_cannot_shorten_a_shared_reporting_deadline(client, staff_coordinator):
    # Given the generic reporting profile, which every district without its own reads
    profile = ReportingProfile.objects.get(district__isnull=True)
    line = profile.lines.first()
    hours = line.deadline_hours
    login_verified(client, staff_coordinator)
    url = reverse("admin:policies_reportingprofile_change", args=[profile.pk])
    # When a district's coordinator posts a longer deadline
    data = {
        "name": profile.name,
        "legal_basis": profile.legal_basis,
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-0-id": str(line.pk),
        "lines-0-profile": str(profile.pk),
        "lines-0-obligation": str(line.obligation_id),
        "lines-0-active": "on",
        "lines-0-deadline_hours": str(hours + 100),
    }
    response = client.post(url, data)
    # Then the admin refuses and the deadline is as it was
    assert response.status_code == 403
    line.refresh_from_db()
    assert line.deadline_hours == hours


def test_a_districts_coordinator_sets_its_own_reporting_deadline_and_oral_step(
    client, staff_coordinator
):
    # Given the district's own copy of the generic reporting profile
    from policies.services import reporting_profile_copy_for_district

    profile = reporting_profile_copy_for_district(district=staff_coordinator.district)
    line = profile.lines.get(obligation__slug="child-protection-report")
    login_verified(client, staff_coordinator)
    url = reverse("admin:policies_reportingprofile_change", args=[profile.pk])
    data = {
        "district": str(profile.district_id),
        "name": profile.name,
        "legal_basis": "The state's mandated-reporter statute (cited here).",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "1",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-id": str(line.pk),
        "lines-0-profile": str(profile.pk),
        "lines-0-obligation": str(line.obligation_id),
        "lines-0-active": "on",
        "lines-0-deadline_hours": "36",
        "lines-0-two_step": "on",
        "lines-0-oral_deadline_hours": "",
    }
    # When they ask for an oral step without its deadline, the admin says what is missing
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Give the hours to the oral report" in response.content.decode()
    # With it, the profile is saved: its deadlines are the district's from now on
    data["lines-0-oral_deadline_hours"] = "12"
    response = client.post(url, data)
    assert response.status_code == 302, (
        response.context_data["errors"] if response.status_code == 200 else response
    )
    line.refresh_from_db()
    assert (line.deadline_hours, line.two_step, line.oral_deadline_hours) == (36, True, 12)


def test_the_operator_edits_the_shared_rows(client, operator):
    row = hotline()
    login_verified(client, operator)
    url = reverse("admin:policies_resource_change", args=[row.pk])
    response = client.post(url, posted(row, phone="1-800-843-5678"))
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.phone == "1-800-843-5678"


def test_a_row_a_district_adds_is_its_own_whatever_the_form_says(
    client, staff_coordinator, district, other_district
):
    login_verified(client, staff_coordinator)
    url = reverse("admin:policies_resource_add")
    base = {"name": "District counseling line", "kind": "counseling", "audience": "all"}
    base |= {"sort_order": 10, "active": "on"}
    # A shared row (no district) or another district's row is refused by the form ...
    for district_value in ("", other_district.pk):
        response = client.post(url, {**base, "slug": "line", "district": district_value})
        assert response.status_code == 200
    assert not Resource.objects.filter(slug="line").exists()
    # ... and its own district's row is added
    response = client.post(url, {**base, "slug": "line", "district": district.pk})
    assert response.status_code == 302
    assert Resource.objects.get(slug="line").district_id == district.pk


def test_a_district_edits_its_own_rows_and_never_another_districts(
    client, staff_coordinator, district, other_district
):
    own = Resource.objects.create(
        district=district, name="Our counselor", slug="counselor", kind="counseling"
    )
    theirs = Resource.objects.create(
        district=other_district, name="Their counselor", slug="counselor", kind="counseling"
    )
    login_verified(client, staff_coordinator)
    response = client.post(
        reverse("admin:policies_resource_change", args=[own.pk]),
        posted(own, phone="555-0100", district=district.pk),
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.phone == "555-0100"
    for name in ("change", "history"):
        url = reverse(f"admin:policies_resource_{name}", args=[theirs.pk])
        assert client.get(url).status_code == 404
    response = client.post(
        reverse("admin:policies_resource_change", args=[theirs.pk]),
        posted(theirs, phone="555-0199", district=district.pk),
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.phone == "" and theirs.district_id == other_district.pk


def test_a_districts_row_replaces_the_shared_row_of_the_same_slug(district, other_district, case):
    # Given a district's own hotline row with the shared row's slug
    own = Resource.objects.create(
        district=district,
        name="NCMEC 24-hour hotline (with our district's note)",
        slug="ncmec-hotline",
        kind="hotline",
        phone="1-800-843-5678 (district line 555-0100)",
    )
    # Then the district sees its row instead of the shared one, beside its cases too ...
    shown = list(resources_for_district(district=district).filter(slug="ncmec-hotline"))
    assert shown == [own]
    beside_case = resources_for_district(
        district=case.district, audience=Resource.Audience.ADULTS, reachable=True
    )
    assert list(beside_case.filter(slug="ncmec-hotline")) == [own]
    # ... while every other district still sees the shared row
    assert list(resources_for_district(district=other_district).filter(slug="ncmec-hotline")) == [
        hotline()
    ]
    assert list(resources_for_district(district=None).filter(slug="ncmec-hotline")) == [hotline()]


def test_an_inactive_district_row_retires_the_shared_row_for_that_district_only(
    district, other_district
):
    Resource.objects.create(
        district=district, name="Retired", slug="stopncii", kind="takedown", active=False
    )
    assert not resources_for_district(district=district).filter(slug="stopncii").exists()
    assert resources_for_district(district=other_district).filter(slug="stopncii").exists()
