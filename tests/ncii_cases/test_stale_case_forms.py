"""Stale forms on the case's own rows and withdrawn records in counts.

Every form that changes a record carries the version it was opened on: the harm assessment,
the respondent track and the case's school join the corrections, updates and facts forms. A
save from a page opened before someone else's change is refused with "someone changed this
since you opened it" and the current values, and nothing is written (no lost update, no event
blaming the second user). Withdrawn records (entered by mistake) are counted nowhere: not in
the analytics, not in the queue's search or filters."""

import re

import pytest
from django.urls import reverse

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import (
    Case,
    CaseEvent,
    CaseMeasure,
    HarmAssessment,
    PartyChoice,
    TakedownRequest,
)
from ncii_cases.selectors.analytics import district_analytics_for_user
from ncii_cases.services.cases import case_move_school
from ncii_cases.services.corrections import StaleRecord, record_withdraw
from ncii_cases.services.determinations import case_respondent_track_set
from ncii_cases.services.harm import HarmAnswers, harm_assessment_record
from tests.access.helpers import login_verified
from tests.factories import CaseFactory, CasePartyFactory
from tests.factories_records import CaseMeasureFactory, TakedownRequestFactory
from tests.factories_workflow import measure, platform
from tests.recorded import Event, records

STALE = "Someone changed this since you opened it"
HARM_FORM = {
    "reach": c.Reach.GROUP,
    "platform_count": 2,
    "circulation": HarmAssessment.Circulation.ONGOING,
    "identifiability": HarmAssessment.Identifiability.CLEARLY,
    "safety_risk": HarmAssessment.SafetyRisk.LOW,
    "impact": HarmAssessment.Impact.SIGNIFICANT,
    "impact_statement": "",
}


def harm_answers(**changes) -> HarmAnswers:
    values = {k: v for k, v in HARM_FORM.items() if k != "impact_statement"}
    return HarmAnswers(**{**values, **changes})


def hidden_version(body: str) -> int:
    marker = 'name="version" value="'
    start = body.index(marker) + len(marker)
    return int(body[start : body.index('"', start)])


# --- Harm assessment -------------------------------------------------------------------------


def test_a_first_harm_assessment_saved_meanwhile_makes_the_open_form_stale(
    client, case, investigator, coordinator
):
    url = reverse("ncii_cases:case_harm", args=[case.pk])
    login_verified(client, investigator)
    opened = client.get(url).content.decode()
    assert hidden_version(opened) == 0
    # The coordinator records the assessment while the investigator's page is open.
    harm_assessment_record(
        actor=coordinator, case=case, answers=harm_answers(safety_risk="elevated")
    )
    with records(queries=32):
        response = client.post(url, {**HARM_FORM, "version": 0})
    body = response.content.decode()
    assert response.status_code == 200 and STALE in body
    # The current answer is shown (the radio button ticked)
    assert re.search(r'name="safety_risk" value="elevated"[^>]*checked', body)
    assessment = HarmAssessment.objects.get(case=case)
    assert assessment.safety_risk == "elevated" and assessment.version == 1
    assert CaseEvent.objects.filter(case=case, event_type=EventType.HARM_ASSESSED).count() == 1


def test_a_stale_harm_form_does_not_undo_a_newer_answer(client, case, investigator, coordinator):
    harm_assessment_record(actor=investigator, case=case, answers=harm_answers())
    url = reverse("ncii_cases:case_harm", args=[case.pk])
    login_verified(client, investigator)
    opened_version = hidden_version(client.get(url).content.decode())
    harm_assessment_record(
        actor=coordinator, case=case, answers=harm_answers(impact="severe"), version=1
    )
    with records(queries=32):
        response = client.post(url, {**HARM_FORM, "version": opened_version})
    assert STALE in response.content.decode()
    assert HarmAssessment.objects.get(case=case).impact == "severe"


def test_a_current_harm_form_saves_and_moves_the_version_on(client, case, investigator):
    url = reverse("ncii_cases:case_harm", args=[case.pk])
    login_verified(client, investigator)
    with records(
        Event(EventType.HARM_ASSESSED, investigator, {"completed", "factors", "level"}), queries=50
    ):
        assert client.post(url, {**HARM_FORM, "version": 0}).status_code == 302
    assessment = HarmAssessment.objects.get(case=case)
    assert assessment.version == 1
    second = {**HARM_FORM, "impact": "severe", "version": 1}
    with records(
        Event(EventType.HARM_ASSESSED, investigator, {"completed", "factors", "level"}), queries=41
    ):
        assert client.post(url, second).status_code == 302
    assessment.refresh_from_db()
    assert assessment.impact == "severe" and assessment.version == 2


def test_the_harm_service_refuses_a_stale_version(case, investigator):
    harm_assessment_record(actor=investigator, case=case, answers=harm_answers())
    with pytest.raises(StaleRecord):
        harm_assessment_record(actor=investigator, case=case, answers=harm_answers(), version=0)


# --- The case's own rows: track and school -----------------------------------------------------


def test_a_stale_track_form_is_refused_and_writes_nothing(client, case, coordinator):
    url = reverse("ncii_cases:case_track", args=[case.pk])
    login_verified(client, coordinator)
    opened = hidden_version(client.get(url).content.decode())
    case_respondent_track_set(
        actor=coordinator, case=case, track=c.RespondentTrack.EMPLOYEE, reason="An aide"
    )
    with records(queries=19):
        response = client.post(
            url, {"track": c.RespondentTrack.STUDENT, "reason": "A student", "version": opened}
        )
    assert response.status_code == 200 and STALE in response.content.decode()
    case.refresh_from_db()
    assert case.respondent_track == c.RespondentTrack.EMPLOYEE
    assert CaseEvent.objects.filter(case=case, event_type=EventType.TRACK_SET).count() == 1


def test_a_current_track_form_saves(client, case, coordinator):
    url = reverse("ncii_cases:case_track", args=[case.pk])
    login_verified(client, coordinator)
    opened = hidden_version(client.get(url).content.decode())
    with records(Event(EventType.TRACK_SET, coordinator, {"from", "to"}), queries=24):
        response = client.post(
            url, {"track": c.RespondentTrack.STUDENT, "reason": "A student", "version": opened}
        )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.respondent_track == c.RespondentTrack.STUDENT


def test_a_stale_move_school_form_is_refused(client, case, coordinator, other_school):
    url = reverse("ncii_cases:case_move_school", args=[case.pk])
    login_verified(client, coordinator)
    opened = hidden_version(client.get(url).content.decode())
    case_respondent_track_set(
        actor=coordinator, case=case, track=c.RespondentTrack.STUDENT, reason="A student"
    )
    with records(queries=20):
        response = client.post(
            url, {"school": other_school.pk, "reason": "She moved.", "version": opened}
        )
    assert response.status_code == 200 and STALE in response.content.decode()
    assert Case.objects.get(pk=case.pk).school_id == case.school_id
    assert not CaseEvent.objects.filter(case=case, event_type=EventType.SCHOOL_CHANGED).exists()


def test_the_move_service_refuses_a_stale_version(case, coordinator, other_school):
    with pytest.raises(StaleRecord):
        case_move_school(
            actor=coordinator,
            case=case,
            school=other_school,
            reason="She moved.",
            version=case.version - 1,
        )


# --- Withdrawn records count nowhere -----------------------------------------------------------


def analytics_figures(client, coordinator):
    # The selector itself: the page keeps its figures for a while (ANALYTICS_CACHE_SECONDS).
    return district_analytics_for_user(user=coordinator)


def withdraw(record, actor):
    record_withdraw(actor=actor, record=record, version=record.version, reason="Entered by mistake")


def test_analytics_do_not_count_withdrawn_measures_respondents_or_takedowns(
    client, coordinator, school
):
    cases = [CaseFactory(school=school) for _ in range(6)]
    for case in cases:
        depicted = CasePartyFactory(case=case, role=c.PartyRole.DEPICTED)
        CaseMeasureFactory(
            case=case,
            party=depicted,
            kind=CaseMeasure.Kind.SUPPORTIVE,
            measure=measure("take-it-down-guidance"),
            party_choice=PartyChoice.OFFERED,
        )
        CasePartyFactory(case=case, role=c.PartyRole.RESPONDENT, affiliation=c.Affiliation.EMPLOYEE)
    before = analytics_figures(client, coordinator)
    assert before.supportive_offered == 6 and before.takedown_resources == 6
    affiliation = dict(before.breakdowns["respondent_affiliation"])
    assert affiliation[c.Affiliation.EMPLOYEE.label] == 6

    for case in cases[:2]:
        withdraw(CaseMeasure.objects.get(case=case), coordinator)
        withdraw(case.parties.get(role=c.PartyRole.RESPONDENT), coordinator)
    after = analytics_figures(client, coordinator)
    assert after.supportive_offered == 4 and after.takedown_resources == 4
    affiliation = dict(after.breakdowns["respondent_affiliation"])
    assert affiliation[c.Affiliation.EMPLOYEE.label] == 4
    assert affiliation["No respondent recorded"] == 2


def test_analytics_do_not_count_a_withdrawn_takedown_request(client, coordinator, school):
    from django.utils import timezone

    cases = [CaseFactory(school=school) for _ in range(5)]
    requests = []
    for case in cases:
        submitted = timezone.now() - timezone.timedelta(hours=3)
        requests.append(
            TakedownRequestFactory(
                case=case,
                platform=platform("snapchat"),
                location="Server of a class",
                route=TakedownRequest.Route.TAKE_IT_DOWN,
                status=TakedownRequest.Status.SUBMITTED,
                submitted_at=submitted,
                covered_by_48h_rule=False,
            )
        )
    assert analytics_figures(client, coordinator).takedown_resources == 5
    withdraw(requests[0], coordinator)
    assert analytics_figures(client, coordinator).takedown_resources == 4


def listing(client, user, **params) -> str:
    login_verified(client, user)
    response = client.get(reverse("ncii_cases:home"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_the_queue_does_not_find_or_filter_by_a_withdrawn_party(client, case, coordinator):
    respondent = CasePartyFactory(
        case=case,
        role=c.PartyRole.RESPONDENT,
        affiliation=c.Affiliation.EMPLOYEE,
        person__last_name="Wrongsurname",
    )
    assert "1 case matches" in listing(client, coordinator, q="Wrongsurname")
    assert "1 case matches" in listing(client, coordinator, respondent_affiliation="employee")
    withdraw(respondent, coordinator)
    assert "0 cases match" in listing(client, coordinator, q="Wrongsurname")
    assert "0 cases match" in listing(client, coordinator, respondent_affiliation="employee")


def test_a_lead_handed_over_meanwhile_makes_the_lead_form_stale(
    client, case, coordinator, investigator, unassigned_investigator, district
):
    from ncii_cases.models import CaseAssignment
    from ncii_cases.services.cases import case_assign, case_lead_change
    from tests.factories import UserFactory

    lead = c.AssignmentRole.LEAD
    case_assign(actor=coordinator, case=case, user=investigator, role=lead)
    third = UserFactory(username="investigator3", district=district, role=c.Role.INVESTIGATOR)
    url = reverse("ncii_cases:case_lead_change", args=[case.pk])
    login_verified(client, coordinator)
    shown = client.get(url).context["form"].initial["lead_shown"]
    # Someone else hands the lead to the second investigator while the page is open.
    case_lead_change(actor=coordinator, case=case, user=unassigned_investigator, reason="Leave")
    with records(queries=24):
        response = client.post(url, {"user": third.pk, "reason": "Caseload", "lead_shown": shown})
    assert response.status_code == 200 and STALE in response.content.decode()
    current = CaseAssignment.objects.get(case=case, role=lead, ended_at__isnull=True)
    assert current.user == unassigned_investigator
