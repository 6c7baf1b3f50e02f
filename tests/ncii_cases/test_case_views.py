"""The working pages without a browser: each POST calls its service and redirects to the case,
a guard failure or a refusal comes back as a plain message, and nothing is written then."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import Case, CaseEvent, EvidenceItem
from tests.access.helpers import login_verified
from tests.factories_workflow import platform
from tests.ncii_cases.test_evidence_uploads import png_plain_color
from tests.recorded import Event, records


def url(name, case, **kwargs):
    return reverse(f"ncii_cases:{name}", kwargs={"pk": case.pk, **kwargs})


def test_intake_creates_the_case_in_intake_with_each_person_shown(client, coordinator, school):
    login_verified(client, coordinator)
    snapchat = platform("snapchat")
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
        queries=92,
    ):
        response = client.post(
            reverse("ncii_cases:intake"),
            {
                "school": school.pk,
                "title": "Images shared in a chat",
                "narrative": "A parent emailed the principal.",
                "reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
                "ncii_kind": "synthetic",
                "conduct": "distribution",
                "location": "off_campus",
                "timing": "out_of_hours",
                "reach": "group",
                "platforms": [snapchat.pk],
                "depicted": "Student A\nStudent B",
                "depicted_minor": "yes",
                "depicted_affiliation": "student",
                "respondent": "",
                "respondent_affiliation": "unknown",
            },
        )
    case = Case.objects.get(title="Images shared in a chat")
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert case.stage == c.Stage.INTAKE
    assert [p.is_minor for p in case.parties.all()] == [True, True]
    assert CaseEvent.objects.filter(case=case, event_type=EventType.CASE_CREATED).count() == 1


def test_a_guard_failure_is_shown_in_plain_words_and_the_stage_stays(client, coordinator, case):
    login_verified(client, coordinator)
    with records(Event(EventType.TRANSITION, coordinator, {"action"}), queries=26):
        client.post(url("case_transition", case, action="begin_assessment"))
    with records(queries=19):
        response = client.post(
            url("case_transition", case, action="route_process_b"),
            {"reason": "Student respondent.", "respondent_track": "student"},
        )
    case.refresh_from_db()
    assert response.status_code == 200
    assert case.stage == c.Stage.INITIAL_ASSESSMENT
    assert "Record that the conduct is within the district&#x27;s jurisdiction" in (
        response.content.decode()
    )


def test_a_step_that_is_not_theirs_is_refused_with_a_message(client, school_admin, case):
    login_verified(client, school_admin)
    case.stage = c.Stage.MONITORING
    case.save(update_fields=["stage"])
    with records(queries=11):
        response = client.post(url("case_transition", case, action="close"), {"reason": "Done."})
    case.refresh_from_db()
    assert response.status_code == 200
    assert "you may not take it on this case" in response.content.decode()
    assert case.stage == c.Stage.MONITORING


def test_a_step_at_the_wrong_stage_says_so(client, coordinator, case):
    login_verified(client, coordinator)
    response = client.get(url("case_transition", case, action="close"))
    assert "is not a step of Intake, where the case is now" in response.content.decode()
    assert b'<form method="post" class="stacked-form' not in response.content


def test_an_unknown_step_is_404(client, coordinator, case):
    login_verified(client, coordinator)
    assert client.get(url("case_transition", case, action="no_such_step")).status_code == 404


def test_an_image_uploaded_as_evidence_is_refused_and_no_evidence_row_is_left(
    client, investigator, case, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    settings.MEDIA_ROOT = tmp_path
    login_verified(client, investigator)
    page = client.get(url("case_evidence_add", case)).content.decode()
    assert "Pictures and videos are refused" in page
    with records(queries=40):
        response = client.post(
            url("case_evidence_add", case),
            {
                "description": "A post in a group chat.",
                "document": SimpleUploadedFile("statement.pdf", png_plain_color()),
            },
        )
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not EvidenceItem.objects.filter(case=case).exists()
    assert list(tmp_path.rglob("*")) == []


def test_a_counselor_is_offered_only_supportive_measures_and_remedies(client, counselor, case):
    login_verified(client, counselor)
    page = client.get(url("case_measure_add", case)).content.decode()
    assert 'value="supportive"' in page and 'value="remedy"' in page
    assert 'value="interim"' not in page


def test_the_takedown_board_partial_answers_htmx_with_the_board_alone(client, coordinator, case):
    login_verified(client, coordinator)
    response = client.get(url("case_takedowns", case), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="takedown-board"' in body and 'hx-trigger="every 60s"' in body
    assert "<html" not in body


@pytest.mark.parametrize("sort", ["reference", "-reported", "due", "-harm", "stage"])
def test_the_queue_sorts_and_filters(client, coordinator, case, sort):
    login_verified(client, coordinator)
    response = client.get(reverse("ncii_cases:home"), {"sort": sort, "stage": "intake"})
    assert response.status_code == 200
    assert case.reference in response.content.decode()
    other = client.get(reverse("ncii_cases:home"), {"stage": "closed"}).content.decode()
    assert case.reference not in other.split("All cases you may see")[1]


def test_sorting_by_stage_follows_the_process_not_the_alphabet(coordinator, school):
    """The stage sort lists intake first and closed last, in the order a case goes through
    Process B (``choices.STAGE_PROCESS_ORDER``): alphabetically, appeal came first and
    intake after harm assessment. The stored ``stage_rank`` follows a stage change at once."""
    from django.http import QueryDict

    from ncii_cases.selectors.queue import case_queue
    from tests.factories import CaseFactory

    stages = [
        c.Stage.CLOSED,
        c.Stage.APPEAL,
        c.Stage.INTAKE,
        c.Stage.DETERMINATION,
        c.Stage.HARM_ASSESSMENT,
        c.Stage.REFERRED,
    ]
    made = {stage: CaseFactory(school=school, stage=stage) for stage in stages}
    expected = [s for s in c.STAGE_PROCESS_ORDER if s in made]
    assert expected[0] == c.Stage.INTAKE and expected[-1] == c.Stage.CLOSED
    for sort, order in (("stage", expected), ("-stage", expected[::-1])):
        queue = case_queue(user=coordinator, params=QueryDict(f"sort={sort}"), with_lists=False)
        listed = [case.stage for case in queue.rows[0:25]]
        assert listed == order, sort
    # A stage changed through save is ranked anew by the database
    moved = made[c.Stage.APPEAL]
    moved.stage = c.Stage.INITIAL_ASSESSMENT
    moved.save()
    moved.refresh_from_db()
    assert moved.stage_rank == c.STAGE_PROCESS_ORDER.index(c.Stage.INITIAL_ASSESSMENT) == 1


def test_the_auditor_queue_has_no_content_filters_nor_titles(client, auditor, case):
    login_verified(client, auditor)
    # A search by title finds nothing for a metadata-only user, and no title is listed.
    body = client.get(reverse("ncii_cases:home"), {"q": case.title}).content.decode()
    assert "0 cases match these filters" in body
    listed = client.get(reverse("ncii_cases:home")).content.decode()
    assert case.reference in listed and case.title not in listed
    assert 'name="harm_level"' not in body and 'name="ncii_kind"' not in body
