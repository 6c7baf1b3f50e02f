"""Stage steps taken straight from the case page's to-do panel: a step that asks no reason and
no choice of its own, with every condition met, is one button (a POST to the step's view,
carrying the stage the page showed); any other step keeps its link to the step page."""

import re

from django.urls import reverse

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import HarmAssessment
from tests.access.helpers import login_verified
from tests.ncii_cases.conftest import place
from tests.recorded import Event, records


def _step_url(case, action):
    return reverse("ncii_cases:case_transition", args=[case.pk, action])


def _panel(client, case) -> str:
    page = client.get(case.get_absolute_url()).content.decode()
    return page.split('id="todo"', 1)[1].split("</section>", 1)[0]


def _transitions(case):
    return case.events.filter(event_type=EventType.TRANSITION)


def test_a_ready_step_without_a_reason_is_a_button_posting_the_shown_stage(
    client, coordinator, ready_case
):
    login_verified(client, coordinator)
    place(ready_case, c.Stage.HARM_ASSESSMENT)
    panel = _panel(client, ready_case)
    url = _step_url(ready_case, "complete_harm_assessment")
    pattern = rf'<form method="post" action="{re.escape(url)}"[^>]*>(.*?)</form>'
    form = re.search(pattern, panel, re.S)
    assert form, panel
    assert 'name="csrfmiddlewaretoken"' in form.group(1)
    assert 'name="from_stage" value="harm_assessment"' in form.group(1)
    assert '<button type="submit">Harm assessment done: interim actions</button>' in form.group(1)
    assert f'href="{url}"' not in panel


def test_a_step_that_needs_a_reason_or_a_choice_keeps_its_link(client, coordinator, ready_case):
    login_verified(client, coordinator)
    place(ready_case, c.Stage.INITIAL_ASSESSMENT)
    panel = _panel(client, ready_case)
    for action in ("route_process_b", "route_process_a", "refer"):
        url = _step_url(ready_case, action)
        assert f'href="{url}"' in panel
        assert f'action="{url}"' not in panel


def test_a_step_whose_conditions_are_open_keeps_its_link(client, coordinator, ready_case):
    login_verified(client, coordinator)
    place(ready_case, c.Stage.HARM_ASSESSMENT)
    HarmAssessment.objects.filter(case=ready_case).update(completed_at=None)
    panel = _panel(client, ready_case)
    url = _step_url(ready_case, "complete_harm_assessment")
    assert f'class="button secondary" href="{url}"' in panel
    assert f'action="{url}"' not in panel


def test_the_main_path_comes_first_and_only_the_first_ready_step_is_primary(
    client, coordinator, ready_case
):
    login_verified(client, coordinator)
    place(ready_case, c.Stage.INITIAL_ASSESSMENT)
    panel = _panel(client, ready_case)
    order = re.findall(r'class="todo-step" id="todo-([a-z_]+)"', panel)
    assert order[0] == "route_process_b"
    assert set(order) == {"route_process_b", "route_process_a", "refer"}
    primary = re.findall(r'class="button" href="([^"]+)"', panel)
    assert primary == [_step_url(ready_case, "route_process_b")]
    assert panel.count('class="button secondary"') == 2


def test_the_panels_post_moves_the_stage_and_records_the_event(client, coordinator, ready_case):
    # Given a case at harm assessment whose assessment is done, the page open
    login_verified(client, coordinator)
    place(ready_case, c.Stage.HARM_ASSESSMENT)
    client.get(ready_case.get_absolute_url())
    url = _step_url(ready_case, "complete_harm_assessment")
    # When the panel's button is pressed
    with records(Event(EventType.TRANSITION, coordinator, {"action"}), queries=28):
        response = client.post(url, {"from_stage": c.Stage.HARM_ASSESSMENT})
    # Then the case moves, the event is recorded, and the case page says so
    assert response.status_code == 302 and response["Location"] == ready_case.get_absolute_url()
    ready_case.refresh_from_db()
    assert ready_case.stage == c.Stage.INTERIM_ACTIONS
    (event,) = _transitions(ready_case)
    assert event.actor == coordinator
    assert (event.from_stage, event.to_stage) == (c.Stage.HARM_ASSESSMENT, c.Stage.INTERIM_ACTIONS)
    assert event.detail == {"action": "complete_harm_assessment"}
    page = client.get(response["Location"]).content.decode()
    done = "Harm assessment done: interim actions: done. The case is now at Interim actions."
    assert done in page


def test_a_second_post_from_the_same_page_moves_once_and_says_why(client, coordinator, ready_case):
    login_verified(client, coordinator)
    place(ready_case, c.Stage.HARM_ASSESSMENT)
    url = _step_url(ready_case, "complete_harm_assessment")
    with records(Event(EventType.TRANSITION, coordinator, {"action"}), queries=28):
        first = client.post(url, {"from_stage": c.Stage.HARM_ASSESSMENT})
    with records(queries=10):
        second = client.post(url, {"from_stage": c.Stage.HARM_ASSESSMENT})
    assert first.status_code == 302
    assert second.status_code == 200
    assert (
        "Someone else already completed this step; the case is now at Interim actions."
        in second.content.decode()
    )
    ready_case.refresh_from_db()
    assert ready_case.stage == c.Stage.INTERIM_ACTIONS
    assert _transitions(ready_case).count() == 1


def test_a_post_from_a_page_showing_another_stage_records_nothing(client, coordinator, ready_case):
    # Given a page that showed the case at remedies, since moved on by someone else to a
    # stage the step also leaves from (begin_monitoring leaves remedies and referred)
    login_verified(client, coordinator)
    place(ready_case, c.Stage.REFERRED)
    before = _transitions(ready_case).count()
    with records(queries=10):
        response = client.post(
            _step_url(ready_case, "begin_monitoring"), {"from_stage": c.Stage.REMEDIES}
        )
    assert response.status_code == 200
    assert "Someone else already completed this step; the case is now at Referred" in (
        response.content.decode()
    )
    ready_case.refresh_from_db()
    assert ready_case.stage == c.Stage.REFERRED
    assert _transitions(ready_case).count() == before


def test_a_post_whose_condition_is_not_met_is_refused_with_what_is_missing(
    client, coordinator, ready_case
):
    login_verified(client, coordinator)
    place(ready_case, c.Stage.HARM_ASSESSMENT)
    HarmAssessment.objects.filter(case=ready_case).update(completed_at=None)
    with records(queries=16):
        response = client.post(
            _step_url(ready_case, "complete_harm_assessment"),
            {"from_stage": c.Stage.HARM_ASSESSMENT},
        )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Before this step can be taken" in page
    harm = reverse("ncii_cases:case_harm", args=[ready_case.pk])
    assert f'<a href="{harm}">Complete the harm assessment first.</a>' in page
    ready_case.refresh_from_db()
    assert ready_case.stage == c.Stage.HARM_ASSESSMENT
    assert not _transitions(ready_case).exists()


def test_the_step_page_still_opens_with_a_get(client, coordinator, ready_case):
    login_verified(client, coordinator)
    place(ready_case, c.Stage.HARM_ASSESSMENT)
    response = client.get(_step_url(ready_case, "complete_harm_assessment"))
    page = response.content.decode()
    assert response.status_code == 200
    assert '<button type="submit">Harm assessment done: interim actions</button>' in page
    assert 'name="from_stage" value="harm_assessment"' in page
    assert not _transitions(ready_case).exists()
