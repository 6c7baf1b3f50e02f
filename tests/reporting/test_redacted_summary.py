"""The redacted case summary, field by field: nothing typed about a person (the reporter's
name, an account handle or URL of a takedown) survives into it."""

import pytest

from ncii_cases import choices as c
from ncii_cases.models import TakedownRequest
from reporting.summary import case_summary_for_user
from tests.factories import CasePartyFactory
from tests.factories_records import TakedownRequestFactory
from tests.factories_workflow import platform

pytestmark = pytest.mark.django_db

REPORTER = "Rowena Ashcombe"  # a neighbour: named as the reporter, not a party of the case
DEPICTED = ("Quillon", "Harrowby")


def summary_text(summary) -> str:
    return repr(summary)


@pytest.fixture
def typed_case(case):
    party = CasePartyFactory(
        case=case,
        role=c.PartyRole.DEPICTED,
        person__first_name=DEPICTED[0],
        person__last_name=DEPICTED[1],
    )
    case.reporter_name = REPORTER
    case.reported_by_name = "a neighbour"
    case.narrative = "Rowena Ashcombe called the office; Ashcombe saw the post herself."
    case.jurisdiction_reasoning = "Per Ms. ASHCOMBE the posts were made at school."
    case.save()
    TakedownRequestFactory(
        case=case,
        platform=platform("snapchat"),
        location="https://snap.example/add/quillon_harrowby2011",
        depicted_party=party,
        route=TakedownRequest.Route.PLATFORM,
    )
    return case


def test_the_reporters_name_is_scrubbed_from_every_free_text(typed_case, coordinator):
    # Given the reporter's name in its own field and a description of them in "who told us".
    summary = case_summary_for_user(user=coordinator, pk=typed_case.pk, profile="redacted")
    text = summary_text(summary)
    assert "Ashcombe" not in text and "ASHCOMBE" not in text and "Rowena" not in text
    assert "Reporter called the office" in summary.narrative
    assert summary.reporter == "Reporter" and summary.reported_by == "a neighbour"
    internal = case_summary_for_user(user=coordinator, pk=typed_case.pk, profile="internal")
    assert "Rowena Ashcombe called" in internal.narrative


def test_a_takedowns_location_is_left_out_like_the_evidence_handles(typed_case, coordinator):
    summary = case_summary_for_user(user=coordinator, pk=typed_case.pk, profile="redacted")
    text = summary_text(summary).lower()
    assert "quillon" not in text and "harrowby" not in text
    assert summary.takedowns[0].depicted == "Complainant"
    internal = case_summary_for_user(user=coordinator, pk=typed_case.pk, profile="internal")
    assert internal.takedowns[0].location.endswith("quillon_harrowby2011")


def test_names_of_parties_the_reader_may_not_see_are_withheld_too(case, coordinator, counselor):
    # Given a respondent that support staff may not see, named in the narrative
    CasePartyFactory(
        case=case,
        role=c.PartyRole.RESPONDENT,
        person__first_name="Fenwick",
        person__last_name="Oldacre",
    )
    case.narrative = "Fenwick Oldacre sent it; Oldacre later deleted it."
    case.save()
    # The counselor's summary names no respondent, not even by role
    summary = case_summary_for_user(user=counselor, pk=case.pk, profile="redacted")
    assert summary.narrative == "[name withheld] sent it; [name withheld] later deleted it."
    assert summary.parties == []
    # The coordinator's names the respondent by role
    summary = case_summary_for_user(user=coordinator, pk=case.pk, profile="redacted")
    assert summary.narrative == "Respondent sent it; Respondent later deleted it."
