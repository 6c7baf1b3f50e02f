"""Extensions for good cause: a stage (the investigation's) or appeal deadline moves with a
reason and the notice given to the parties, recorded as an event and shown on the page and in
the PDF; the legal clocks cannot be extended and the form says why."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.errors import TransitionForbidden
from ncii_cases.events import EventType
from ncii_cases.models import Case, CaseEvent, DeadlineExtension, Determination
from ncii_cases.services.deadlines import LEGAL_CLOCK_REFUSAL, deadline_extend
from reporting.summary import case_summary_for_user
from tests.access.helpers import login_verified
from tests.factories import CasePartyFactory
from tests.factories_records import DeterminationFactory
from tests.recorded import Event, records

REASON = "A key witness is away on a school trip until next week."
NOTICE = "Both families were told by phone on Monday and by letter the same day."


@pytest.fixture
def investigating(case):
    due = timezone.now() + dt.timedelta(days=3)
    Case.objects.filter(pk=case.pk).update(stage=c.Stage.INVESTIGATION, stage_due_at=due)
    case.refresh_from_db()
    return case


def test_an_investigation_deadline_is_extended_with_reason_notice_and_an_event(
    investigating, coordinator
):
    before = investigating.stage_due_at
    later = before + dt.timedelta(days=5)
    row = deadline_extend(
        actor=coordinator,
        case=investigating,
        clock="stage",
        new_due_at=later,
        reason=REASON,
        notice=NOTICE,
    )
    case = Case.objects.get(pk=investigating.pk)
    assert case.stage_due_at == later and case.next_due_at == later
    assert (row.previous_due_at, row.new_due_at, row.stage) == (before, later, "investigation")
    event = CaseEvent.objects.get(case=case, event_type=EventType.DEADLINE_EXTENDED)
    assert event.reason == REASON and event.detail["extension_id"] == row.pk
    assert event.detail["new_due_at"] == later.isoformat()


@pytest.mark.parametrize("clock", ["takedown", "report"])
def test_legal_clocks_cannot_be_extended(investigating, coordinator, clock):
    with pytest.raises(ValidationError) as error:
        deadline_extend(
            actor=coordinator,
            case=investigating,
            clock=clock,
            new_due_at=timezone.now() + dt.timedelta(days=9),
            reason=REASON,
            notice=NOTICE,
        )
    assert error.value.messages == [LEGAL_CLOCK_REFUSAL]
    assert not DeadlineExtension.objects.exists()


@pytest.mark.parametrize(
    ("reason", "notice", "days", "message"),
    [
        ("", NOTICE, 5, "good cause"),
        (REASON, "", 5, "notice given to the parties"),
        (REASON, NOTICE, -1, "later than the current one"),
    ],
)
def test_an_extension_needs_a_reason_a_notice_and_a_later_time(
    investigating, coordinator, reason, notice, days, message
):
    with pytest.raises(ValidationError, match=message):
        deadline_extend(
            actor=coordinator,
            case=investigating,
            clock="stage",
            new_due_at=investigating.stage_due_at + dt.timedelta(days=days),
            reason=reason,
            notice=notice,
        )
    assert not CaseEvent.objects.filter(event_type=EventType.DEADLINE_EXTENDED).exists()


def test_only_those_who_decide_may_extend(investigating, investigator):
    with pytest.raises(TransitionForbidden):
        deadline_extend(
            actor=investigator,
            case=investigating,
            clock="stage",
            new_due_at=investigating.stage_due_at + dt.timedelta(days=2),
            reason=REASON,
            notice=NOTICE,
        )


def test_an_appeal_window_is_extended(investigating, coordinator):
    respondent = CasePartyFactory(case=investigating, role=c.PartyRole.RESPONDENT)
    determination = DeterminationFactory(
        case=investigating,
        respondent=respondent,
        finding="responsible",
        standard_of_evidence="preponderance",
        rationale="The record shows it.",
        decided_by=coordinator,
        decided_at=timezone.now(),
    )
    closes = determination.appeal_clock.due_at
    deadline_extend(
        actor=coordinator,
        case=investigating,
        clock="appeal",
        determination=determination,
        new_due_at=closes + dt.timedelta(days=3),
        reason=REASON,
        notice=NOTICE,
    )
    assert Determination.objects.get(pk=determination.pk).appeal_clock.due_at == closes + (
        dt.timedelta(days=3)
    )


def test_the_case_page_step_extends_and_the_page_and_pdf_show_it(
    client, investigating, coordinator
):
    login_verified(client, coordinator)
    url = reverse("ncii_cases:case_deadline_extend", args=[investigating.pk])
    form = client.get(url).content.decode()
    assert "cannot be extended" in form and "TAKE IT DOWN Act" in form
    new_due = timezone.localtime(investigating.stage_due_at + dt.timedelta(days=4))
    with records(
        Event(
            EventType.DEADLINE_EXTENDED,
            coordinator,
            {"clock", "determination_id", "extension_id", "new_due_at", "previous_due_at", "stage"},
        ),
        queries=34,
    ):
        response = client.post(
            url,
            {
                "clock": "stage",
                "new_due_at": new_due.strftime("%Y-%m-%dT%H:%M"),
                "reason": REASON,
                "notice": NOTICE,
            },
        )
    assert response.status_code == 302
    assert DeadlineExtension.objects.filter(case=investigating).count() == 1
    page = client.get(investigating.get_absolute_url()).content.decode()
    assert "Deadlines extended for good cause" in page and NOTICE in page
    summary = case_summary_for_user(user=coordinator, pk=investigating.pk, profile="internal")
    assert len(summary.extensions) == 1 and NOTICE in summary.extensions[0]
    redacted = case_summary_for_user(user=coordinator, pk=investigating.pk, profile="redacted")
    assert len(redacted.extensions) == 1


def test_the_form_refuses_a_legal_clock_choice(client, investigating, coordinator):
    login_verified(client, coordinator)
    url = reverse("ncii_cases:case_deadline_extend", args=[investigating.pk])
    with records(queries=11):
        response = client.post(
            url,
            {
                "clock": "takedown",
                "new_due_at": "2030-01-01T09:00",
                "reason": REASON,
                "notice": NOTICE,
            },
        )
    assert response.status_code == 200
    assert not DeadlineExtension.objects.exists()


def test_a_new_harm_level_does_not_undo_an_extension(investigating, coordinator):
    from ncii_cases import clocks

    later = investigating.stage_due_at + dt.timedelta(days=6)
    deadline_extend(
        actor=coordinator,
        case=investigating,
        clock="stage",
        new_due_at=later,
        reason=REASON,
        notice=NOTICE,
    )
    case = Case.objects.get(pk=investigating.pk)
    assert clocks.stage_due_at_for_priority(case, c.Level.CRITICAL) == later
