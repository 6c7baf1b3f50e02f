"""The case page's to-do panel and the refusal at transition time come from the same guards;
the page's messages use the coordinator's words; the page costs the same however long the
case's history."""

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ncii_cases import choices as c
from ncii_cases.audit import case_event_record
from ncii_cases.case_views import TIMELINE_NEWEST, case_todo
from ncii_cases.errors import GuardFailed
from ncii_cases.events import EventType
from ncii_cases.models import HarmAssessment
from ncii_cases.workflow import (
    BY_ACTION,
    STEP_FORM,
    TRANSITIONS,
    Blocker,
    case_transition,
    stage_todo,
    transition_blockers,
    transition_detail_from_case,
)
from tests.access.helpers import login_verified
from tests.ncii_cases.conftest import place
from tests.recorded import Event, records

ACTIONS = [t.action for t in TRANSITIONS]


def panel_blockers(case, action) -> list[Blocker]:
    (step,) = stage_todo(case, [BY_ACTION[action]])
    return [b for item in step.items for b in item.blockers]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", ["bare", "ready"])
def test_the_panel_lists_exactly_what_the_transition_refuses_with(
    request, action, state, coordinator, case, depicted_minor
):
    # Given a case at the first stage the action leaves from, bare or with every record
    the_case = request.getfixturevalue("ready_case") if state == "ready" else case
    place(the_case, BY_ACTION[action].sources[0])
    detail = transition_detail_from_case(the_case, action)
    # Then the panel's open items are the blockers, message and form alike
    expected = transition_blockers(the_case, action, detail=detail)
    assert panel_blockers(the_case, action) == expected
    # And taking the step refuses with the same items (or takes it when none is open)
    if expected:
        with pytest.raises(GuardFailed) as refused:
            case_transition(actor=coordinator, case=the_case, action=action, detail=detail)
        assert refused.value.blockers == expected
        assert refused.value.messages == [b.message for b in expected]


def test_every_guard_has_a_title_and_every_form_it_names_exists(case):
    for t in TRANSITIONS:
        for check in t.guards:
            assert str(check.title).strip(), check.__name__
            target = check.target
            if target is not None:
                assert target.url(case, t.action).startswith("/cases/")


def test_an_open_item_links_to_the_form_that_records_it(ready_case):
    # Given a case at harm assessment whose assessment is not completed
    place(ready_case, c.Stage.HARM_ASSESSMENT)
    HarmAssessment.objects.filter(case=ready_case).update(completed_at=None)
    # Then the panel's item for the next step is open, and links to the harm form
    (step,) = case_todo(ready_case, [BY_ACTION["complete_harm_assessment"]])
    (item,) = step["items"]
    assert not item["done"] and not step["ready"]
    assert item["blockers"] == [
        {
            "message": "Complete the harm assessment first.",
            "url": reverse("ncii_cases:case_harm", args=[ready_case.pk]),
        }
    ]
    # And once it is completed, the item is done
    HarmAssessment.objects.filter(case=ready_case).update(completed_at=ready_case.reported_at)
    (step,) = case_todo(ready_case, [BY_ACTION["complete_harm_assessment"]])
    assert step["items"][0]["done"] and step["ready"]


def test_the_reason_and_the_steps_own_choices_link_to_the_step_form(ready_case):
    place(ready_case, c.Stage.INITIAL_ASSESSMENT)
    (step,) = case_todo(ready_case, [BY_ACTION["refer"]])
    urls = {b["url"] for item in step["items"] for b in item["blockers"]}
    assert reverse("ncii_cases:case_transition", args=[ready_case.pk, "refer"]) in urls
    assert STEP_FORM.url(ready_case, "refer") in urls


def test_a_refused_step_links_each_missing_item_to_its_form(client, coordinator, case):
    login_verified(client, coordinator)
    place(case, c.Stage.INITIAL_ASSESSMENT)
    with records(queries=19):
        response = client.post(
            reverse("ncii_cases:case_transition", args=[case.pk, "route_process_b"]),
            {"reason": "Student respondent.", "respondent_track": "student"},
        )
    page = response.content.decode()
    assert response.status_code == 200
    assert "data-error-summary" in page and 'role="alert"' in page
    facts = reverse("ncii_cases:case_facts", args=[case.pk])
    assert f'<a href="{facts}">Record that the conduct is within the district' in page


def test_a_lost_race_says_someone_else_completed_the_step_in_stage_labels(
    client, coordinator, ready_case
):
    # Given two pages open on the same step of a case at harm assessment
    login_verified(client, coordinator)
    place(ready_case, c.Stage.HARM_ASSESSMENT)
    url = reverse("ncii_cases:case_transition", args=[ready_case.pk, "complete_harm_assessment"])
    with records(Event(EventType.TRANSITION, coordinator, {"action"}), queries=26):
        first = client.post(url)
    assert first.status_code == 302
    # When the second page is sent too
    with records(queries=10):
        second = client.post(url)
    page = second.content.decode()
    # Then it says what happened, in the coordinator's words, and nothing else about stages
    assert second.status_code == 200
    assert "Someone else already completed this step; the case is now at Interim actions." in page
    assert "complete_harm_assessment" not in page.replace(url, "")
    assert "The case is at" not in page
    assert ready_case.events.filter(event_type=EventType.TRANSITION).count() == 1


def test_a_done_step_is_announced_with_its_label_and_the_new_stage(client, coordinator, case):
    login_verified(client, coordinator)
    with records(Event(EventType.TRANSITION, coordinator, {"action"}), queries=50):
        response = client.post(
            reverse("ncii_cases:case_transition", args=[case.pk, "begin_assessment"]), follow=True
        )
    text = response.content.decode()
    assert "Start the initial assessment: done. The case is now at Initial assessment." in text
    assert "begin_assessment" not in text.split("<main", 1)[1].split("</main>")[0].replace(
        reverse("ncii_cases:case_transition", args=[case.pk, "begin_assessment"]), ""
    )


def _events(case, coordinator, n):
    for i in range(n):
        case_event_record(
            case=case, actor=coordinator, event_type=EventType.FACTS_UPDATED, reason=f"Note {i}"
        )


def _page_queries(client, case) -> tuple[int, str]:
    url = reverse("ncii_cases:case_detail", args=[case.pk])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


@pytest.mark.parametrize("stage", [c.Stage.INTAKE, c.Stage.MONITORING])
def test_the_case_page_reads_the_same_queries_for_5_or_500_events(
    client, coordinator, ready_case, stage
):
    # Given a case (at a stage with no guard, and at one with the closure's five)
    login_verified(client, coordinator)
    place(ready_case, stage)
    _events(ready_case, coordinator, 5)
    _page_queries(client, ready_case)  # the session's first page reads a little more
    few, page = _page_queries(client, ready_case)
    assert "Every entry, page by page" not in page
    # When it has 500 events, the newest of the same kinds as before (the names a sentence
    # needs are read once per kind of event shown, however many are shown)
    earlier = list(ready_case.events.exclude(event_type=EventType.FACTS_UPDATED))
    _events(ready_case, coordinator, 495)
    for e in earlier:
        case_event_record(case=ready_case, actor=e.actor, event_type=e.event_type, detail=e.detail)
    many, page = _page_queries(client, ready_case)
    # Then the page reads as many queries, shows the newest entries and links to the rest
    assert few == many
    assert page.count("<time datetime=") == TIMELINE_NEWEST
    assert "Note 494" in page and "Note 400" not in page
    assert reverse("reporting:case_audit", args=[ready_case.pk]) in page


def test_the_case_page_has_its_sections_and_the_to_do_panel(client, coordinator, ready_case):
    login_verified(client, coordinator)
    place(ready_case, c.Stage.MONITORING)
    _queries, page = _page_queries(client, ready_case)
    for section in (
        "summary",
        "people",
        "support",
        "takedowns",
        "reports",
        "evidence",
        "decisions",
        "notices",
        "documents",
        "timeline",
    ):
        assert f'<section id="{section}" class="case-section"' in page
        assert f'<a href="#{section}">' in page
    assert 'id="todo"' in page and "To do at Monitoring" in page
    assert "Close the case" in page


def test_favicon_is_linked_and_served(client, coordinator):
    login_verified(client, coordinator)
    page = client.get(reverse("ncii_cases:home")).content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
    assert finders.find("favicon.svg")
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
