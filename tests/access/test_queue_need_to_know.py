"""Need-to-know in the queue: a search, a filter or a sort tells nothing the user's case page
hides. Support staff (the counselor) never learn who the respondent is nor their affiliation;
the auditor (metadata only) cannot order cases by their harm level.

Each test is written as the attack: what a curious user would type into the address bar."""

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ncii_cases import choices as c
from ncii_cases.permissions import Action, cases_visible_to
from ncii_cases.selectors import cases as selectors
from ncii_cases.selectors.queue import case_queue
from ncii_cases.services.cases import case_assign
from tests.access.helpers import login_verified
from tests.factories import CaseFactory, CasePartyFactory, PersonFactory
from tests.factories_records import HarmAssessmentFactory

RESPONDENT_SURNAME = "Respondentsurname"
RESPONDENT_DESCRIBED = "tall sender with a red backpack"
DEPICTED_SURNAME = "Depictedsurname"


@pytest.fixture
def searched_case(case):
    """The personas' case (the counselor supports it) with a depicted student, a named
    employee respondent and a described one (as intake records a name typed as text)."""
    CasePartyFactory(
        case=case, role=c.PartyRole.DEPICTED, person__last_name=DEPICTED_SURNAME, is_minor=True
    )
    CasePartyFactory(
        case=case,
        role=c.PartyRole.RESPONDENT,
        affiliation=c.Affiliation.EMPLOYEE,
        person__last_name=RESPONDENT_SURNAME,
        is_minor=False,
    )
    CasePartyFactory(
        case=case,
        role=c.PartyRole.RESPONDENT,
        person=None,
        affiliation=c.Affiliation.UNKNOWN,
        description=RESPONDENT_DESCRIBED,
    )
    return case


def listing(client, user, **params) -> str:
    login_verified(client, user)
    response = client.get(reverse("ncii_cases:home"), params)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("term", [RESPONDENT_SURNAME, RESPONDENT_DESCRIBED[:12]])
def test_the_counselor_cannot_find_a_case_by_its_respondent(client, searched_case, counselor, term):
    body = listing(client, counselor, q=term)
    assert "0 cases match" in body
    assert searched_case.reference not in body.split('id="queue-table"')[1]


@pytest.mark.parametrize("persona", ["coordinator", "investigator", "school_admin"])
@pytest.mark.parametrize("term", [RESPONDENT_SURNAME, RESPONDENT_DESCRIBED[:12]])
def test_case_workers_find_the_case_by_its_respondent(
    client, request, searched_case, persona, term
):
    body = listing(client, request.getfixturevalue(persona), q=term)
    assert "1 case matches" in body


def test_the_counselor_still_finds_the_case_by_the_person_they_support(
    client, searched_case, counselor
):
    assert "1 case matches" in listing(client, counselor, q=DEPICTED_SURNAME)


def test_the_counselor_is_not_offered_the_respondent_filter(client, searched_case, counselor):
    body = listing(client, counselor)
    assert 'name="respondent_affiliation"' not in body
    assert "Respondent is" not in body


@pytest.mark.parametrize("affiliation", [c.Affiliation.EMPLOYEE, c.Affiliation.STUDENT])
def test_a_forged_respondent_filter_is_ignored_for_the_counselor(
    client, searched_case, counselor, affiliation
):
    # Whatever the value, the answer is the unfiltered list: it tells nothing.
    body = listing(client, counselor, respondent_affiliation=affiliation)
    assert "1 case matches" in body


def test_the_respondent_filter_works_for_those_who_may_read_respondents(
    client, searched_case, investigator
):
    assert 'name="respondent_affiliation"' in listing(client, investigator)
    assert "1 case matches" in listing(client, investigator, respondent_affiliation="employee")
    assert "0 cases match" in listing(client, investigator, respondent_affiliation="student")


def test_the_auditor_cannot_sort_by_harm_level(school, auditor):
    # Two cases reported in the reverse order of their harm: a harm sort would reorder them.
    low = CaseFactory(school=school, reference="NCII-2026-0101")
    high = CaseFactory(school=school, reference="NCII-2026-0102")
    HarmAssessmentFactory(case=low, level=c.Level.LOW)
    HarmAssessmentFactory(case=high, level=c.Level.HIGH)
    by_reference = case_queue(user=auditor, params=QueryDict("sort=reference"))
    forged = case_queue(user=auditor, params=QueryDict("sort=-harm"))
    forged_asc = case_queue(user=auditor, params=QueryDict("sort=harm"))
    assert [x.pk for x in forged.cases] == [x.pk for x in forged_asc.cases]
    assert [x.pk for x in by_reference.cases] == [low.pk, high.pk]
    assert forged.filterset.form.fields["q"].label == "Reference"
    choices = dict(forged.filterset.form.fields["sort"].choices)
    assert "harm" not in choices and "-harm" not in choices
    assert "reference" in choices


def test_the_coordinator_may_sort_by_harm_level(school, coordinator):
    low = CaseFactory(school=school)
    high = CaseFactory(school=school)
    HarmAssessmentFactory(case=low, level=c.Level.LOW)
    HarmAssessmentFactory(case=high, level=c.Level.HIGH)
    queue = case_queue(user=coordinator, params=QueryDict("sort=-harm"))
    assert [x.pk for x in queue.cases] == [high.pk, low.pk]


@pytest.mark.parametrize(
    "persona",
    ["coordinator", "school_admin", "investigator", "counselor", "auditor", "it_admin"],
)
def test_parties_visible_to_is_the_case_pages_rule_across_cases(
    request, searched_case, other_school_case, persona
):
    CasePartyFactory(case=other_school_case, role=c.PartyRole.RESPONDENT)
    CasePartyFactory(case=other_school_case, role=c.PartyRole.DEPICTED)
    user = request.getfixturevalue(persona)
    expected = set()
    for case in cases_visible_to(user, Action.VIEW_METADATA):
        expected |= set(selectors.case_parties_for_user(user=user, case=case))
    assert set(selectors.parties_visible_to(user)) == expected


def test_a_counselors_search_reads_the_same_number_of_queries_for_3_or_9_cases(
    client, school, coordinator, counselor
):
    def add(n):
        for _ in range(n):
            case = CaseFactory(school=school)
            CasePartyFactory(case=case, role=c.PartyRole.RESPONDENT, person=PersonFactory())
            case_assign(actor=coordinator, case=case, user=counselor, role="support")

    login_verified(client, counselor)
    url = reverse("ncii_cases:home") + "?q=Student&respondent_affiliation=student&sort=-harm"

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    add(3)
    few = count()
    add(6)
    assert count() == few
