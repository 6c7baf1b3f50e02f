"""Times are entered and shown in the district's time zone, not the server's; a 48-hour clock
across a daylight-saving change is counted in elapsed hours and shown with its zone and a note
everywhere (case page, takedown board, queue, PDF)."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases import clocks
from ncii_cases.events import EventType
from ncii_cases.models import Case, ExternalReport
from ncii_cases.next_due import case_next_due_refresh
from ncii_cases.obligations import profile_lines_for_district
from ncii_cases.services.takedowns import takedown_request_create, takedown_request_submit
from reporting import files as reporting_files
from reporting import tasks as reporting_tasks
from reporting.services import pdf_job_request
from tests.access.helpers import login_verified
from tests.factories_workflow import TAKEDOWN_ELEMENTS, all_obligations, platform
from tests.recorded import Event, records
from tests.reporting.pdftext import pdf_pages_text

UTC = dt.UTC
# Friday before the first Sunday of November 2026 (Nov 1) and before the second Sunday of
# March 2026 (Mar 8), at 4 PM local time (both past: a submission cannot be dated ahead):
# 48 elapsed hours later is 3 PM standard time on Sunday in November, 5 PM daylight time on
# Sunday in March.
DST_CASES = [
    ("America/Chicago", dt.datetime(2026, 10, 30, 16), "Sun Nov 1, 3:00 PM CST", "ends"),
    ("America/Los_Angeles", dt.datetime(2026, 10, 30, 16), "Sun Nov 1, 3:00 PM PST", "ends"),
    ("America/Chicago", dt.datetime(2026, 3, 6, 16), "Sun Mar 8, 5:00 PM CDT", "starts"),
    ("America/Los_Angeles", dt.datetime(2026, 3, 6, 16), "Sun Mar 8, 5:00 PM PDT", "starts"),
]


@pytest.fixture
def frozen(monkeypatch):
    def freeze(moment):
        monkeypatch.setattr(clocks, "now", lambda: moment)

    return freeze


@pytest.mark.parametrize(("zone_name", "start", "shown", "change"), DST_CASES)
def test_a_48_hour_clock_across_a_clock_change_is_shown_right_everywhere(
    zone_name,
    start,
    shown,
    change,
    case,
    coordinator,
    investigator,
    client,
    frozen,
    private_root,
):
    # Given a district in that zone and a request submitted on Friday at 4 PM local time
    zone = zoneinfo.ZoneInfo(zone_name)
    case.district.time_zone = zone_name
    case.district.save()
    submitted = start.replace(tzinfo=zone)
    Case.objects.filter(pk=case.pk).update(stage=c.Stage.PROCESS_A, stage_due_at=None)
    request = takedown_request_create(
        actor=investigator, case=case, platform=platform("snapchat"), location="@account"
    )
    request = takedown_request_submit(
        **TAKEDOWN_ELEMENTS, actor=investigator, takedown=request, submitted_at=submitted
    )
    # Then it is due 48 elapsed hours later
    assert request.due_at - submitted == dt.timedelta(hours=48)
    frozen(submitted + dt.timedelta(hours=1))
    expected = f"{shown} \u2014 47 h left"
    note = f"Daylight saving time {change} on {shown.split(',')[0]} within this period"

    login_verified(client, coordinator)
    page = client.get(case.get_absolute_url()).content.decode()
    board = client.get(reverse("ncii_cases:case_takedowns", args=[case.pk])).content.decode()
    home = client.get(reverse("ncii_cases:home")).content.decode()
    for where, body in (("case page", page), ("board", board), ("queue", home)):
        assert expected in body, where
        assert note in body, where

    job, _ = pdf_job_request(user=coordinator, case_pk=case.pk, profile="internal")
    assert reporting_tasks.pdf_render(job.pk) == "ready"
    job.refresh_from_db()
    text = " ".join(pdf_pages_text(reporting_files.pdf_job_content(job)))
    text = " ".join(text.split())
    assert shown in text and "47 h left" in text and note in text


def test_a_district_in_another_zone_than_the_server_round_trips_input_and_display(
    client, school, coordinator, settings, private_root
):
    # Given a district in Los Angeles on a server set to Chicago
    assert settings.TIME_ZONE == "America/Chicago"
    school.district.time_zone = "America/Los_Angeles"
    school.district.save()
    all_obligations()
    login_verified(client, coordinator)
    # When a coordinator enters "09:00" on the intake form
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
        queries=84,
    ):
        response = client.post(
            reverse("ncii_cases:intake"),
            {
                "school": school.pk,
                "title": "Images shared in a chat",
                "narrative": "A parent emailed the principal.",
                "reported_at": "2026-11-16T09:00",
                "ncii_kind": "synthetic",
                "conduct": "distribution",
                "location": "off_campus",
                "timing": "out_of_hours",
                "reach": "group",
                "depicted": "Student A",
                "depicted_minor": "yes",
                "depicted_affiliation": "student",
                "respondent": "",
                "respondent_affiliation": "unknown",
            },
        )
    assert response.status_code == 302
    case = Case.objects.get(title="Images shared in a chat")
    # Then 9:00 in Los Angeles is stored (17:00 UTC), not 9:00 in Chicago (15:00 UTC)
    assert case.reported_at == dt.datetime(2026, 11, 16, 17, 0, tzinfo=UTC)
    # and report deadlines count from it
    lines = {line.obligation_id: line for line in profile_lines_for_district(case.district)}
    for report in ExternalReport.objects.filter(case=case):
        hours = lines[report.obligation_id].deadline_hours
        assert report.due_at == case.reported_at + dt.timedelta(hours=hours)
    # The case page shows 9:00 AM PST, and so does the PDF rendered by the worker
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Nov 16, 2026, 9:00 AM PST" in page
    job, _ = pdf_job_request(user=coordinator, case_pk=case.pk, profile="internal")
    with timezone.override(zoneinfo.ZoneInfo("America/Chicago")):  # the worker's own zone
        assert reporting_tasks.pdf_render(job.pk) == "ready"
    job.refresh_from_db()
    pages = pdf_pages_text(reporting_files.pdf_job_content(job))
    text = " ".join(" ".join(pages).split())
    assert "Nov 16, 2026, 9:00 AM PST" in text


def test_a_user_without_a_district_keeps_the_servers_zone(rf, it_admin):
    from ncii_cases.middleware import DistrictTimeZoneMiddleware

    seen = {}

    def view(request):
        seen["zone"] = timezone.get_current_timezone_name()
        from django.http import HttpResponse

        return HttpResponse()

    request = rf.get("/")
    it_admin.district = None
    request.user = it_admin
    DistrictTimeZoneMiddleware(view)(request)
    assert seen["zone"] == "America/Chicago"


def test_an_unknown_zone_name_is_refused_with_what_to_enter(district):
    from django.core.exceptions import ValidationError

    district.time_zone = "Central Time"
    with pytest.raises(ValidationError, match="America/Chicago"):
        district.full_clean()


def test_the_stored_next_due_time_is_the_clock_shown(case):
    Case.objects.filter(pk=case.pk).update(
        stage=c.Stage.HARM_ASSESSMENT, stage_due_at=dt.datetime(2026, 11, 1, 22, tzinfo=UTC)
    )
    case_next_due_refresh(case.pk)
    stored = Case.objects.get(pk=case.pk)
    assert stored.next_due_clock.due_at == stored.stage_clock.due_at


def test_a_change_of_the_districts_zone_reaches_signed_in_users_within_minutes(
    client, case, coordinator, monkeypatch
):
    import time

    from ncii_cases import middleware

    Case.objects.filter(pk=case.pk).update(reported_at=dt.datetime(2026, 11, 16, 17, tzinfo=UTC))
    login_verified(client, coordinator)
    assert "Nov 16, 2026, 11:00 AM CST" in client.get(case.get_absolute_url()).content.decode()
    case.district.time_zone = "America/Los_Angeles"
    case.district.save()
    later = time.time() + middleware.TIME_ZONE_RECHECK_SECONDS + 1
    monkeypatch.setattr(middleware.time, "time", lambda: later)
    assert "Nov 16, 2026, 9:00 AM PST" in client.get(case.get_absolute_url()).content.decode()
