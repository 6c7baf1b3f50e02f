"""The case page reads only the sections a case holds a row of (one query says which), and the
to-do panel's guards read what the page already holds; what each user sees does not change."""

import pytest
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.events import REPORT_LINK_EVENTS, EventType
from ncii_cases.selectors.cases import (
    CASE_SECTIONS,
    SCHOOL_KEYS,
    case_detail_for_user,
    case_sections_present,
)
from ncii_cases.workflow import TRANSITIONS, stage_todo
from reporting.models import RedactionReview
from reporting.selectors_redaction import RELEASED_SUMMARIES
from tests.access.helpers import login_verified
from tests.factories_records import RedactionReviewFactory, ResolutionOfferFactory
from tests.ncii_cases.conftest import place
from tests.ncii_cases.test_event_details import SAMPLES, built
from tests.ncii_cases.test_queue_and_case_page_queries import count_queries, fill_case


def test_a_new_case_holds_only_its_parties_and_assignments(case):
    assert case_sections_present(case) <= {"parties", "assignments"}


def test_each_record_added_shows_its_section_and_no_other_case_does(case, coordinator, school):
    from tests.factories import CaseFactory

    other = CaseFactory(school=school)
    before = case_sections_present(other)
    fill_case(case, coordinator, size=1)
    found = case_sections_present(case)
    assert {"parties", "measures", "takedowns", "notices", "evidence", "reports"} <= found
    assert case_sections_present(other) == before


def test_a_released_summary_is_a_section_an_open_review_is_not(case, coordinator):
    # Reporting registers its section from its AppConfig.ready
    assert RELEASED_SUMMARIES in CASE_SECTIONS
    RedactionReviewFactory(case=case, requested_by=coordinator)
    assert RELEASED_SUMMARIES not in case_sections_present(case)
    RedactionReview.objects.filter(case=case).update(status=RedactionReview.Status.RELEASED)
    assert RELEASED_SUMMARIES in case_sections_present(case)


def test_only_report_link_events_make_the_report_links_section(case, coordinator):
    from ncii_cases.audit import case_event_record

    case_event_record(case=case, actor=coordinator, event_type=EventType.FACTS_UPDATED)
    assert "report_links" not in case_sections_present(case)
    case_event_record(
        case=case, actor=coordinator, event_type=sorted(REPORT_LINK_EVENTS)[0], detail={}
    )
    assert "report_links" in case_sections_present(case)


def test_the_sections_are_read_only_for_a_user_who_may_read_the_content(case, auditor):
    detail = case_detail_for_user(user=auditor, pk=case.pk)
    assert detail.sections is None
    assert detail.parties == [] and detail.read_for_guards == {}


@pytest.mark.parametrize("persona", ["coordinator", "investigator", "counselor"])
def test_an_empty_case_page_reads_fewer_queries_than_a_full_one(
    client, request, persona, case, coordinator
):
    user = request.getfixturevalue(persona)
    login_verified(client, user)
    url = reverse("ncii_cases:case_detail", args=[case.pk])
    client.get(url)
    empty = count_queries(client, url)
    fill_case(case, coordinator, size=1)
    full = count_queries(client, url)
    assert empty < full


def test_the_school_keys_the_timeline_reads_are_written_by_the_builders():
    written = {key for event_type, kwargs in SAMPLES for key in built(event_type, kwargs).detail}
    assert set(SCHOOL_KEYS) <= written


@pytest.mark.parametrize("stage", [c.Stage.INVESTIGATION, c.Stage.INTERIM_ACTIONS])
def test_the_panel_is_the_same_from_the_pages_parties_and_offers(
    stage, ready_case, coordinator, django_assert_num_queries
):
    # Given a case with parties and offers (one withdrawn) at a stage whose guards read them
    place(ready_case, stage)
    party = ready_case.parties.first()
    ResolutionOfferFactory(
        case=ready_case, party=party, withdrawn_at=timezone.now(), withdrawn_reason="Twice."
    )
    transitions = [t for t in TRANSITIONS if stage in t.sources]
    read = stage_todo(ready_case, transitions)
    # When the page gives what it read (a coordinator reads every party and offer)
    detail = case_detail_for_user(user=coordinator, pk=ready_case.pk)
    given = stage_todo(detail.case, transitions, **detail.read_for_guards)
    # Then the panel is the same
    assert [(s.transition, s.items) for s in given] == [(s.transition, s.items) for s in read]
    assert set(detail.read_for_guards) == {"parties", "offers"}


def test_support_staff_give_the_panel_nothing_they_read_in_part(ready_case, counselor):
    detail = case_detail_for_user(user=counselor, pk=ready_case.pk)
    assert detail.show_content and not detail.show_discipline
    assert detail.read_for_guards == {}
