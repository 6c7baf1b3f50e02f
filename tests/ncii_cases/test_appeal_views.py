"""The appeal and Process A pages: each records through its service with its event, in a bounded
number of queries; the decision-maker form refuses an earlier role with the reason; another
district's case is 404; the case page and the PDF summary show the appeal."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases import clocks
from ncii_cases.events import EventType
from ncii_cases.models import (
    Appeal,
    AppealOutcome,
    CaseEvent,
    CaseParty,
    Determination,
    PartyNotice,
    ProcessAMilestone,
)
from ncii_cases.services import appeals
from reporting.pdf import summary_pdf_build
from reporting.summary import case_summary_for_user
from tests.access.helpers import login_verified
from tests.ncii_cases.test_appeals import at_process_a
from tests.recorded import Event, records
from tests.reporting.pdftext import pdf_pages_text


def url(name, case):
    return reverse(f"ncii_cases:{name}", kwargs={"pk": case.pk})


def local_input(moment, case):
    """The instant as the form's field takes it: in the district's time zone."""
    return moment.astimezone(clocks.case_zone(case)).strftime("%Y-%m-%dT%H:%M")


def test_the_coordinator_records_an_appeal_on_its_page(client, decided, coordinator):
    case, respondent, sanction = decided
    login_verified(client, coordinator)
    page = client.get(url("case_appeal_file", case))
    token = page.context["form"].initial["submission_token"]
    data = {
        "appellant": respondent.pk,
        "determination": Determination.objects.get(case=case).pk,
        "grounds": ["procedural-irregularity", "new-evidence"],
        "statement": "A message that clears the respondent was found after the decision.",
        "submission_token": token,
    }
    with records(
        Event(
            EventType.APPEAL_FILED,
            coordinator,
            {
                "appeal_id",
                "appellant_id",
                "determination_id",
                "grounds",
                "sanctions_stayed",
                "subject",
            },
        ),
        Event(EventType.TRANSITION, coordinator, {"action"}),
        queries=58,
    ):
        response = client.post(url("case_appeal_file", case), data)
    assert response.status_code == 302
    appeal = Appeal.objects.get(case=case)
    assert appeal.grounds == ["new-evidence", "procedural-irregularity"]
    event = CaseEvent.objects.filter(case=case, event_type=EventType.APPEAL_FILED).get()
    assert event.actor == coordinator and event.detail["appeal_id"] == appeal.pk
    # The same form sent again records nothing new
    with records(queries=14):
        client.post(url("case_appeal_file", case), data)
    assert Appeal.objects.filter(case=case).count() == 1
    # The case page shows the appeal and the stayed sanction
    detail = client.get(case.get_absolute_url())
    body = detail.content.decode()
    assert "Appeal of a determination" in body
    assert "Stayed while the appeal is pending" in body
    # and the timeline reads it as a sentence
    assert f"{coordinator} recorded an appeal by {respondent.display_name} of a determination" in (
        body
    )
    assert "Appeal window" not in "".join(k.label for k in detail.context["d"].deadlines)


def test_the_decision_maker_form_refuses_the_original_decision_maker_with_the_reason(
    client, decided, coordinator, appeal_officer
):
    case, _, _ = decided
    appeals_file(case, coordinator)
    login_verified(client, coordinator)
    before = CaseEvent.objects.filter(case=case).count()
    with records(queries=15):
        response = client.post(
            url("case_appeal_decision_maker", case), {"decision_maker": coordinator.pk}
        )
    assert response.status_code == 200
    assert "made the original determination" in response.content.decode()
    assert CaseEvent.objects.filter(case=case).count() == before
    with records(
        Event(EventType.APPEAL_DECISION_MAKER_SET, coordinator, {"appeal_id", "user_id"}),
        queries=31,
    ):
        response = client.post(
            url("case_appeal_decision_maker", case), {"decision_maker": appeal_officer.pk}
        )
    assert response.status_code == 302
    event = CaseEvent.objects.filter(case=case).latest("pk")
    assert event.event_type == EventType.APPEAL_DECISION_MAKER_SET
    assert event.detail["user_id"] == appeal_officer.pk


def appeals_file(case, coordinator):
    respondent = CaseParty.objects.get(case=case, role=c.PartyRole.RESPONDENT)
    return appeals.appeal_file(
        actor=coordinator,
        case=case,
        appellant=respondent,
        determination=Determination.objects.get(case=case),
        grounds=["conflict-or-bias"],
        statement="The investigator coaches the other party's team.",
    )


def test_the_named_decision_maker_decides_on_the_page_and_both_parties_are_notified(
    client, decided, coordinator, appeal_officer
):
    case, _, _ = decided
    appeals_file(case, coordinator)
    appeals.appeal_decision_maker_set(actor=coordinator, case=case, user=appeal_officer)
    decide = {
        "outcome": AppealOutcome.AFFIRM,
        "rationale": "No bias was shown; the finding stands.",
        "notice_method": PartyNotice.Method.LETTER,
        "notified_at": local_input(timezone.now() + dt.timedelta(minutes=1), case),
        "notice_summary": "The decision and its reasons, sent to both.",
    }
    # The coordinator who decided the case cannot record the appeal's decision
    login_verified(client, coordinator)
    with records(queries=19):
        refused = client.post(url("case_appeal_decide", case), decide)
    assert "Only the appeal decision-maker named" in refused.content.decode()
    client.logout()
    login_verified(client, appeal_officer)
    with records(
        Event(
            EventType.APPEAL_DECIDED,
            appeal_officer,
            {"appeal_id", "notice_ids", "outcome", "party_ids"},
        ),
        Event(EventType.TRANSITION, appeal_officer, {"action"}),
        queries=59,
    ):
        response = client.post(url("case_appeal_decide", case), decide)
    assert response.status_code == 302, response.context["form"].errors
    case.refresh_from_db()
    assert case.stage == c.Stage.REMEDIES
    notices = PartyNotice.objects.filter(case=case, kind=PartyNotice.Kind.APPEAL)
    assert notices.count() == 2 and len({n.sent_at for n in notices}) == 1
    assert CaseEvent.objects.filter(case=case, event_type=EventType.APPEAL_DECIDED).count() == 1


def test_another_districts_coordinator_gets_404_on_every_appeal_page(client, decided, outsider):
    case, _, _ = decided
    login_verified(client, outsider)
    for name in (
        "case_appeal_file",
        "case_appeal_decision_maker",
        "case_appeal_response",
        "case_appeal_decide",
        "case_process_a_milestone",
    ):
        assert client.get(url(name, case)).status_code == 404, name
        with records(queries=10):
            assert client.post(url(name, case), {}).status_code == 404, name
    assert not Appeal.objects.exists()


def test_a_process_a_step_is_recorded_on_its_page(client, ready_case, coordinator):
    ready_case.reported_at = timezone.now() - dt.timedelta(days=20)
    ready_case.save()
    case = at_process_a(ready_case, coordinator)
    login_verified(client, coordinator)
    token = (
        client.get(url("case_process_a_milestone", case))
        .context["form"]
        .initial["submission_token"]
    )
    with records(
        Event(EventType.PROCESS_A_MILESTONE, coordinator, {"kind", "milestone_id", "on"}),
        queries=33,
    ):
        response = client.post(
            url("case_process_a_milestone", case),
            {
                "kind": ProcessAMilestone.Kind.FORMAL_COMPLAINT,
                "occurred_at": local_input(timezone.now() - dt.timedelta(days=10), case),
                "note": "Signed by the complainant.",
                "submission_token": token,
            },
        )
    assert response.status_code == 302
    assert ProcessAMilestone.objects.filter(case=case).count() == 1
    event = CaseEvent.objects.filter(case=case).latest("pk")
    assert event.event_type == EventType.PROCESS_A_MILESTONE
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Formal complaint signed" in page
    assert "Dismiss from Process A" in page


def test_the_internal_pdf_summary_contains_the_appeal(decided, coordinator, appeal_officer):
    case, _, _ = decided
    appeals_file(case, coordinator)
    appeals.appeal_decision_maker_set(actor=coordinator, case=case, user=appeal_officer)
    summary = case_summary_for_user(user=coordinator, pk=case.pk, profile="internal")
    rendered = summary_pdf_build(summary, generated_by=coordinator, generated_at=timezone.now())
    text = " ".join(" ".join(pdf_pages_text(rendered.content)).split())
    assert "Appeals" in text
    assert "Appeal of a determination by" in text
    assert "Conflict of interest or bias that affected the outcome" in text
    assert "stayed while the appeal is pending" in text
    assert str(appeal_officer) in text
