"""The takedown tracker: route by the depicted person's age, statuses, and the 48-hour clock
of the TAKE IT DOWN Act in calendar hours."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import CaseEvent, TakedownRequest
from ncii_cases.services.takedowns import (
    takedown_request_create,
    takedown_request_submit,
    takedown_request_update,
    takedown_route_suggest,
)
from ncii_cases.workflow import TransitionForbidden
from tests.factories import CasePartyFactory
from tests.factories_workflow import TAKEDOWN_ELEMENTS, platform

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
FRIDAY_5PM = dt.datetime(2026, 11, 20, 17, 0, tzinfo=CHICAGO)
SUNDAY_5PM = dt.datetime(2026, 11, 22, 17, 0, tzinfo=CHICAGO)


@pytest.fixture
def adult(case):
    return CasePartyFactory(
        case=case, role=c.PartyRole.DEPICTED, is_minor=False, age_in_imagery=c.AgeInImagery.ADULT
    )


def test_the_route_follows_the_depicted_persons_age_in_the_imagery(depicted_minor, adult):
    assert takedown_route_suggest(depicted_minor) == TakedownRequest.Route.TAKE_IT_DOWN
    assert takedown_route_suggest(adult) == TakedownRequest.Route.STOPNCII
    # Nobody named: the platform's own notice (a hash service needs the person)
    assert takedown_route_suggest(None) == TakedownRequest.Route.PLATFORM


def test_a_request_for_a_minor_defaults_to_take_it_down_without_a_statutory_clock(
    case, investigator, depicted_minor
):
    request = takedown_request_create(
        actor=investigator,
        case=case,
        platform=platform("snapchat"),
        location="Group chat 'class of 2029'",
        depicted_party=depicted_minor,
    )
    assert request.route == "take_it_down" and request.status == "to_do"
    assert request.covered_by_48h_rule is False
    event = CaseEvent.objects.get(case=case, event_type=EventType.TAKEDOWN_CREATED)
    assert event.detail["suggested_route"] == "take_it_down"


def test_a_request_submitted_friday_5pm_is_overdue_sunday_5pm(case, investigator):
    # Given a platform-route request to a covered platform
    request = takedown_request_create(
        actor=investigator,
        case=case,
        platform=platform("snapchat"),
        location="Group chat",
        route=TakedownRequest.Route.PLATFORM,
    )
    assert request.covered_by_48h_rule is True
    # When it is submitted on Friday at 17:00
    request = takedown_request_submit(
        **TAKEDOWN_ELEMENTS,
        actor=investigator,
        takedown=request,
        submitted_at=FRIDAY_5PM,
        platform_reference="SC-1",
    )
    # Then it is due Sunday at 17:00: calendar hours, weekends included
    assert request.due_at == SUNDAY_5PM
    assert not request.is_overdue(SUNDAY_5PM - dt.timedelta(seconds=1))
    assert request.is_overdue(SUNDAY_5PM)


def test_the_clock_counts_elapsed_hours_across_the_end_of_daylight_saving_time(case, investigator):
    # Given a request submitted on Saturday 31 October 2026 at 17:00 in Chicago (CDT)
    request = takedown_request_create(
        actor=investigator, case=case, platform=platform("youtube"), location="video link"
    )
    submitted = dt.datetime(2026, 10, 31, 17, 0, tzinfo=CHICAGO)
    # When it is submitted
    request = takedown_request_submit(
        **TAKEDOWN_ELEMENTS, actor=investigator, takedown=request, submitted_at=submitted
    )
    # Then it is due 48 real hours later, which is 16:00 on Monday once clocks went back
    assert request.due_at == dt.datetime(2026, 11, 2, 16, 0, tzinfo=CHICAGO)
    assert request.due_at - submitted == dt.timedelta(hours=48)


def test_an_uncovered_platform_has_no_clock(case, investigator):
    request = takedown_request_create(
        actor=investigator,
        case=case,
        platform=platform("airdrop"),
        location="Cafeteria",
        route=TakedownRequest.Route.PLATFORM,
    )
    request = takedown_request_submit(
        **TAKEDOWN_ELEMENTS, actor=investigator, takedown=request, submitted_at=FRIDAY_5PM
    )
    assert request.due_at is None
    assert not request.is_overdue(SUNDAY_5PM + dt.timedelta(days=30))


def test_a_removed_request_is_not_overdue_and_records_it_was_in_time(case, investigator):
    request = takedown_request_create(
        actor=investigator, case=case, platform=platform("instagram"), location="@account"
    )
    request = takedown_request_submit(
        **TAKEDOWN_ELEMENTS, actor=investigator, takedown=request, submitted_at=FRIDAY_5PM
    )
    request = takedown_request_update(
        actor=investigator,
        takedown=request,
        status="removed",
        at=FRIDAY_5PM + dt.timedelta(hours=5),
    )
    assert request.resolved_at is not None
    assert not request.is_overdue(SUNDAY_5PM)
    event = CaseEvent.objects.filter(event_type=EventType.TAKEDOWN_STATUS_CHANGED).get()
    assert event.detail["within_48h"] is True


def test_reappeared_imagery_can_be_submitted_again_with_a_new_clock(case, investigator):
    request = takedown_request_create(
        actor=investigator, case=case, platform=platform("tiktok"), location="@a"
    )
    takedown_request_submit(
        **TAKEDOWN_ELEMENTS, actor=investigator, takedown=request, submitted_at=FRIDAY_5PM
    )
    takedown_request_update(actor=investigator, takedown=request, status="removed")
    takedown_request_update(actor=investigator, takedown=request, status="reappeared")
    again = takedown_request_submit(
        **TAKEDOWN_ELEMENTS, actor=investigator, takedown=request, submitted_at=SUNDAY_5PM
    )
    assert again.status == "submitted" and again.due_at == SUNDAY_5PM + dt.timedelta(hours=48)
    assert again.resolved_at is None


def test_one_request_per_platform_and_location(case, investigator):
    takedown_request_create(
        actor=investigator, case=case, platform=platform("snapchat"), location="Group"
    )
    with pytest.raises(ValidationError, match="already exists"):
        takedown_request_create(
            actor=investigator, case=case, platform=platform("snapchat"), location="Group"
        )
    assert TakedownRequest.objects.filter(case=case).count() == 1


def test_a_submitted_request_cannot_be_submitted_twice(case, investigator):
    request = takedown_request_create(
        actor=investigator, case=case, platform=platform("x"), location="@b"
    )
    takedown_request_submit(**TAKEDOWN_ELEMENTS, actor=investigator, takedown=request)
    with pytest.raises(ValidationError):
        takedown_request_submit(**TAKEDOWN_ELEMENTS, actor=investigator, takedown=request)


def test_support_staff_cannot_open_takedown_requests(case, counselor):
    with pytest.raises(TransitionForbidden):
        takedown_request_create(
            actor=counselor, case=case, platform=platform("snapchat"), location="Group"
        )


def test_given_a_covered_request_missing_elements_when_submitted_then_refused_with_what_is_missing(
    case, investigator
):
    # Given a platform-route request to a covered platform
    request = takedown_request_create(
        actor=investigator, case=case, platform=platform("snapchat"), location="Group chat"
    )
    # When it is submitted without a signature nor a good-faith statement
    with pytest.raises(ValidationError) as info:
        takedown_request_submit(
            actor=investigator,
            takedown=request,
            identifies_content=True,
            has_contact_information=True,
        )
    # Then it is refused, naming both, and no clock runs
    text = " ".join(info.value.messages)
    assert "signature" in text and "good-faith" in text and "contact" not in text
    request.refresh_from_db()
    assert (request.status, request.due_at) == ("to_do", None)


def test_given_all_four_elements_when_submitted_then_they_are_recorded_and_the_clock_starts(
    case, investigator
):
    request = takedown_request_create(
        actor=investigator, case=case, platform=platform("snapchat"), location="Group chat"
    )
    request = takedown_request_submit(
        **TAKEDOWN_ELEMENTS, actor=investigator, takedown=request, submitted_at=FRIDAY_5PM
    )
    assert request.due_at == SUNDAY_5PM
    assert all(getattr(request, name) for name in TAKEDOWN_ELEMENTS)
