"""People from the roster: the lookup at intake and on the party form (scoped to the user's
district and, for a school administrator, their schools, with no trace of anyone else), the
same student linked across cases as one person, the earlier cases shown within the user's
own visibility, and the roster import screen."""

import datetime as dt
import io
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from bench.roster_sample import roster_write, roster_zip
from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import AccessEvent, Case, CaseEvent, CaseParty, Person, RosterImport
from tests.access.helpers import login_verified
from tests.factories import CaseFactory, CasePartyFactory, PersonFactory, SchoolFactory
from tests.factories_workflow import all_obligations
from tests.recorded import Event, records

SEARCH = reverse("ncii_cases:people_search")


@pytest.fixture
def obligations(db):
    return all_obligations()


@pytest.fixture
def roster(district, school, other_school, other_district):
    """Two students of the district (one per school), one who left, and a namesake in
    another district."""
    far = SchoolFactory(district=other_district, code="far")
    return {
        "north": PersonFactory(
            district=district,
            school=school,
            first_name="Sage",
            last_name="Larchford",
            grade="09",
            birth_date=dt.date(2011, 4, 2),
            external_id="S000101",
            roster_sourced_id="stu-101",
        ),
        "south": PersonFactory(
            district=district,
            school=other_school,
            first_name="Sage",
            last_name="Larchmore",
            grade="07",
            roster_sourced_id="stu-102",
        ),
        "left": PersonFactory(
            district=district,
            school=school,
            first_name="Sage",
            last_name="Larchgate",
            is_active=False,
            roster_sourced_id="stu-103",
        ),
        "foreign": PersonFactory(
            district=other_district, school=far, first_name="Sage", last_name="Larchwood"
        ),
    }


def _search(client, query, prefix="people-0-"):
    return client.get(SEARCH, {"prefix": prefix, f"{prefix}roster_query": query})


def _intake(school, **people):
    data = {
        "school": school.pk,
        "title": "Image shared in a group chat",
        "narrative": "A student told the counselor.",
        "reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "ncii_kind": "authentic",
        "conduct": "distribution",
        "location": "off_campus",
        "timing": "out_of_hours",
        "reach": "group",
        "depicted": "",
        "respondent": "",
        "respondent_affiliation": "unknown",
        "depicted_affiliation": "student",
        "submission_token": str(uuid.uuid4()),
        "people-TOTAL_FORMS": "1",
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "30",
        "people-0-role": "depicted",
        "people-0-first_name": "",
        "people-0-last_name": "",
        "people-0-is_minor": "",
        "people-0-grade": "",
    }
    data.update({f"people-0-{k}": v for k, v in people.items()})
    return data


# --- The lookup's scope -------------------------------------------------------------------------


def test_the_coordinator_finds_the_districts_people_on_the_roster_only(
    client, coordinator, roster, django_assert_max_num_queries
):
    login_verified(client, coordinator)

    with django_assert_max_num_queries(12):
        response = _search(client, "sage lar")

    body = response.content.decode()
    assert response.status_code == 200
    assert f'value="{roster["north"].pk}"' in body and f'value="{roster["south"].pk}"' in body
    assert "Sage Larchford (student, North High, grade 09, born Apr 2, 2011)" in body
    assert 'name="people-0-person"' in body and 'id="id_people-0-person-results"' in body
    assert "Larchgate" not in body  # left the roster
    assert "Larchwood" not in body  # another district
    entry = AccessEvent.objects.order_by("pk").last()
    assert (entry.action, entry.user, entry.allowed) == ("people_search", coordinator, True)


def test_a_name_written_last_comma_first_finds_the_person(client, coordinator, roster):
    """A name written "Larchford, Sage", as lists show names: the comma is no part of it."""
    login_verified(client, coordinator)

    body = _search(client, "Larchford, Sage").content.decode()

    assert f'value="{roster["north"].pk}"' in body
    assert "Larchwood" not in body  # another district


def test_the_student_number_finds_the_person(client, coordinator, roster):
    login_verified(client, coordinator)

    body = _search(client, "s000101").content.decode()

    assert f'value="{roster["north"].pk}"' in body and "Larchmore" not in body


def test_a_school_administrator_finds_only_the_people_of_their_schools(
    client, school_admin, roster
):
    login_verified(client, school_admin)

    body = _search(client, "Sage").content.decode()

    assert "Larchford" in body
    assert "Larchmore" not in body


def test_someone_out_of_reach_is_answered_exactly_like_nobody(
    client, school_admin, outsider, roster
):
    """Another district's person, another school's person and a name nobody has: the same
    answer, byte for byte."""
    login_verified(client, school_admin)
    other_school = _search(client, "Larchmore").content
    nobody = _search(client, "Zzzyx").content
    login_verified(client, outsider)
    other_district = _search(client, "Larchford").content
    outsider_nobody = _search(client, "Zzzyx").content

    assert other_school == nobody == other_district == outsider_nobody
    assert b"Nobody on the roster matches" in nobody


@pytest.mark.parametrize("persona", ["investigator", "counselor", "auditor", "it_admin"])
def test_roles_that_do_not_open_cases_have_no_lookup(client, request, persona, roster):
    login_verified(client, request.getfixturevalue(persona))

    assert _search(client, "Sage").status_code == 404


def test_a_forged_prefix_is_ignored(client, coordinator, roster):
    login_verified(client, coordinator)

    body = _search(client, "Sage", prefix='"><script>').content.decode()

    assert "<script>" not in body


# --- Picking a person at intake and on the party form ------------------------------------------


def test_a_student_picked_at_intake_is_linked_not_copied(
    client, coordinator, school, roster, obligations
):
    login_verified(client, coordinator)
    person = roster["north"]
    people_before = Person.objects.count()

    with records(
        Event(
            EventType.CASE_CREATED,
            coordinator,
            {"party_ids", "platform_ids", "reference", "school_id"},
        ),
        Event(
            EventType.REPORTS_TRIGGERED,
            coordinator,
            {"agencies", "obligations", "reopened_ids", "report_ids"},
        ),
        queries=93,
    ):
        response = client.post(
            reverse("ncii_cases:intake"),
            _intake(school, roster_query="Larchford", person=person.pk),
        )

    assert response.status_code == 302
    case = Case.objects.get()
    party = case.parties.get()
    assert party.person == person
    assert party.affiliation == c.Affiliation.STUDENT
    assert party.is_minor is True  # from the roster's date of birth
    assert Person.objects.count() == people_before
    created = CaseEvent.objects.get(case=case, event_type=EventType.CASE_CREATED)
    assert created.detail["party_ids"] == [party.pk]


def test_the_same_student_in_a_second_case_is_the_same_person(
    client, coordinator, school, roster, obligations
):
    login_verified(client, coordinator)
    person = roster["north"]
    for _ in range(2):
        with records(
            Event(
                EventType.CASE_CREATED,
                coordinator,
                {"party_ids", "platform_ids", "reference", "school_id"},
            ),
            Event(
                EventType.REPORTS_TRIGGERED,
                coordinator,
                {"agencies", "obligations", "reopened_ids", "report_ids"},
            ),
            queries=93,
        ):
            client.post(
                reverse("ncii_cases:intake"),
                _intake(school, roster_query="Larch", person=person.pk),
            )

    assert Case.objects.count() == 2
    assert set(CaseParty.objects.values_list("person_id", flat=True)) == {person.pk}


def test_a_forged_person_of_another_school_or_district_is_refused(
    client, school_admin, school, roster, obligations
):
    login_verified(client, school_admin)
    for key in ("south", "foreign"):
        with records(queries=18):
            response = client.post(
                reverse("ncii_cases:intake"), _intake(school, person=roster[key].pk)
            )

        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    assert not Case.objects.exists()


def test_without_javascript_find_shows_the_people_found_and_saves_nothing(
    client, coordinator, school, roster, obligations
):
    login_verified(client, coordinator)

    with records(queries=16):
        response = client.post(
            reverse("ncii_cases:intake"),
            {**_intake(school, roster_query="Larchford"), "find_person": "0"},
        )

    body = response.content.decode()
    assert response.status_code == 200
    assert f'name="people-0-person" value="{roster["north"].pk}"' in body
    assert 'value="Larchford"' in body  # the search is kept
    assert not Case.objects.exists()


def test_a_search_without_a_pick_or_a_name_asks_for_one(
    client, coordinator, school, roster, obligations
):
    login_verified(client, coordinator)

    with records(queries=16):
        response = client.post(reverse("ncii_cases:intake"), _intake(school, roster_query="Larch"))

    assert "Pick the person from those found on the roster" in response.content.decode()
    assert not Case.objects.exists()


def test_free_entry_stays_for_someone_not_on_the_roster(
    client, coordinator, school, roster, obligations
):
    login_verified(client, coordinator)

    with records(
        Event(
            EventType.CASE_CREATED,
            coordinator,
            {"party_ids", "platform_ids", "reference", "school_id"},
        ),
        queries=72,
    ):
        client.post(
            reverse("ncii_cases:intake"),
            _intake(school, first_name="Blair", last_name="Oakstone", affiliations=["student"]),
        )

    party = Case.objects.get().parties.get()
    assert party.person.last_name == "Oakstone" and party.person.roster_sourced_id == ""


def test_the_party_form_links_a_picked_person(client, coordinator, case, roster):
    login_verified(client, coordinator)
    url = reverse("ncii_cases:case_party_add", args=[case.pk])
    form = client.get(url).content.decode()
    assert 'name="roster_query"' in form and 'hx-get="/people/search/?prefix="' in form

    with records(
        Event(EventType.PARTY_ADDED, coordinator, {"affiliation", "name", "party_id", "role"}),
        queries=42,
    ):
        response = client.post(
            url,
            {
                "role": "witness",
                "roster_query": "Larchmore",
                "person": roster["south"].pk,
                "first_name": "",
                "last_name": "",
                "description": "",
                "is_minor": "",
                "grade": "",
                "notes": "",
                "submission_token": str(uuid.uuid4()),
            },
        )

    assert response.status_code == 302
    party = case.parties.get(role=c.PartyRole.WITNESS)
    assert party.person == roster["south"]
    event = CaseEvent.objects.filter(case=case, event_type=EventType.PARTY_ADDED).get()
    assert event.detail["party_id"] == party.pk and event.detail["name"] == "Sage Larchmore"


def test_the_party_form_of_an_investigator_has_no_lookup(client, investigator, case, roster):
    login_verified(client, investigator)

    form = client.get(reverse("ncii_cases:case_party_add", args=[case.pk])).content.decode()

    assert "roster_query" not in form and "Larch" not in form


# --- Earlier cases, within visibility -------------------------------------------------------


@pytest.fixture
def earlier(case, other_school, roster):
    """The student of ``case`` is the respondent of an older case of the other school."""
    person = roster["north"]
    CasePartyFactory(case=case, person=person, role=c.PartyRole.DEPICTED)
    older = CaseFactory(
        school=other_school,
        reference="NCII-2025-0042",
        reported_at=timezone.now() - dt.timedelta(days=200),
    )
    CasePartyFactory(case=older, person=person, role=c.PartyRole.RESPONDENT)
    return older


def test_the_coordinator_sees_the_earlier_case_of_a_party(
    client, coordinator, case, earlier, django_assert_max_num_queries
):
    login_verified(client, coordinator)

    with django_assert_max_num_queries(60):
        body = client.get(case.get_absolute_url()).content.decode()

    assert "Also in" in body and "NCII-2025-0042" in body and "(respondent)" in body


@pytest.mark.parametrize("persona", ["school_admin", "investigator", "counselor"])
def test_an_earlier_case_out_of_reach_is_not_shown_or_counted(
    client, request, persona, case, earlier
):
    login_verified(client, request.getfixturevalue(persona))

    body = client.get(case.get_absolute_url()).content.decode()

    assert "NCII-2025-0042" not in body and "Also in" not in body


# --- The import screen --------------------------------------------------------------------------


@pytest.fixture
def export_zip(tmp_path):
    folder = roster_write(tmp_path / "export", schools=2, students=12, staff=2)
    return roster_zip(folder, tmp_path / "oneroster.zip")


def _upload(path, name="oneroster.zip"):
    handle = io.BytesIO(path.read_bytes())
    handle.name = name
    return handle


def test_it_checks_then_imports_an_upload(client, it_admin, district, export_zip):
    login_verified(client, it_admin)
    url = reverse("ncii_cases:roster_import")

    with records(queries=52):
        checked = client.post(url, {"op": "check", "export": _upload(export_zip)})

    assert checked.status_code == 200
    assert "What the import would do (nothing was written)" in checked.content.decode()
    # The file must be chosen again to import it (a browser keeps no chosen file): it says so
    assert "choose the same file again above and select Import" in checked.content.decode()
    assert not Person.objects.exists()
    with records(queries=46):
        applied = client.post(url, {"op": "apply", "export": _upload(export_zip)})
    assert applied.status_code == 302
    assert Person.objects.filter(district=district).count() == 14
    runs = list(RosterImport.objects.order_by("pk").values_list("status", "source"))
    assert runs == [("dry_run", "upload"), ("applied", "upload")]
    logged = AccessEvent.objects.filter(action="roster_import", user=it_admin)
    assert logged.count() == 2 and all(e.allowed for e in logged)
    page = client.get(url).content.decode()
    assert "oneroster.zip" in page and "Applied" in page


def test_a_file_that_is_not_a_roster_export_is_refused_plainly(client, it_admin, district):
    login_verified(client, it_admin)
    not_zip = io.BytesIO(b"sourcedId,name\n1,x\n")
    not_zip.name = "orgs.csv"

    with records(queries=21):
        response = client.post(
            reverse("ncii_cases:roster_import"), {"op": "apply", "export": not_zip}
        )

    body = response.content.decode()
    assert "The export cannot be imported; nothing was written" in body
    assert "neither a folder nor a zip file of a OneRoster export" in body
    assert RosterImport.objects.get().status == "refused"


def test_the_operator_imports_into_the_district_chosen(client, operator, district, export_zip):
    login_verified(client, operator)

    with records(queries=50):
        response = client.post(
            reverse("ncii_cases:roster_import"),
            {"op": "apply", "district": district.pk, "export": _upload(export_zip)},
        )

    assert response.status_code == 302
    assert RosterImport.objects.get().district == district


def test_an_it_administrator_cannot_aim_at_another_district(
    client, it_admin, other_district, export_zip
):
    login_verified(client, it_admin)

    with records(queries=14):
        response = client.post(
            reverse("ncii_cases:roster_import"),
            {"op": "apply", "district": other_district.pk, "export": _upload(export_zip)},
        )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Person.objects.exists() and not RosterImport.objects.exists()
