"""Stage deadlines in school days follow the district's calendar: weekends, US federal
holidays and imported closures are not school days; legal clocks stay in elapsed hours."""

import datetime as dt
import zoneinfo

import pytest
from django.core.management import CommandError, call_command

from ncii_cases import choices as c
from ncii_cases import clocks
from ncii_cases.models import Case, SchoolCalendarEntry
from ncii_cases.school_calendar import SchoolCalendar
from ncii_cases.workflow import case_transition

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")

WINTER_BREAK_ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Riverbend Test District//School calendar//EN
BEGIN:VEVENT
UID:winter-break-2026@riverbend.example
DTSTART;VALUE=DATE:20261221
DTEND;VALUE=DATE:20270102
SUMMARY:Winter break
END:VEVENT
BEGIN:VEVENT
UID:teacher-institute-2026@riverbend.example
DTSTART;VALUE=DATE:20261116
SUMMARY:Teacher institute day (no students)
END:VEVENT
END:VCALENDAR
"""


def local(*args):
    return dt.datetime(*args, tzinfo=CHICAGO)


def test_a_friday_afternoon_intake_is_assessed_by_the_end_of_monday(
    ready_case, coordinator, monkeypatch
):
    # Given a case whose initial assessment starts on Friday at 3 PM
    friday = local(2026, 11, 20, 15, 0)
    monkeypatch.setattr("django.utils.timezone.now", lambda: friday)
    # When it moves to the initial assessment ("one school day")
    moved = case_transition(actor=coordinator, case=ready_case, action="begin_assessment")
    # Then it is due at the end of Monday's school day, not on Saturday
    assert moved.stage_due_at == local(2026, 11, 23, 17, 0)
    assert Case.objects.get(pk=ready_case.pk).next_due_at == local(2026, 11, 23, 17, 0)


def test_the_end_of_the_school_day_is_the_districts_setting(district):
    district.school_day_ends_at = dt.time(15, 30)
    district.save()
    due = clocks.stage_due_at(
        c.Stage.INITIAL_ASSESSMENT, c.Level.MODERATE, local(2026, 11, 20, 15), district=district
    )
    assert due == local(2026, 11, 23, 15, 30)


def test_an_investigation_crossing_winter_break_skips_the_break_and_holidays(district, school):
    # Given the winter break imported for the district
    SchoolCalendarEntry.objects.create(
        district=district,
        name="Winter break",
        starts_on=dt.date(2026, 12, 21),
        ends_on=dt.date(2027, 1, 1),
    )
    # When an investigation (10 school days) starts on Monday 14 December
    due = clocks.stage_due_at(
        c.Stage.INVESTIGATION, c.Level.MODERATE, local(2026, 12, 14, 10), district=district
    )
    # Then: 15-18 December (4), then 4-8 January (9) and Monday 11 January (10)
    assert due == local(2027, 1, 11, 17, 0)
    # Without the break: weekends and Christmas Day (a federal holiday) only
    plain = clocks.stage_due_at(
        c.Stage.INVESTIGATION, c.Level.MODERATE, local(2026, 12, 14, 10), district=None
    )
    assert plain == local(2026, 12, 29, 17, 0)


def test_a_closure_of_one_school_does_not_move_another_schools_deadline(
    district, school, other_school
):
    SchoolCalendarEntry.objects.create(
        district=district,
        school=school,
        name="Building closed",
        starts_on=dt.date(2026, 11, 23),
        ends_on=dt.date(2026, 11, 23),
    )
    start = local(2026, 11, 20, 15)
    assert SchoolCalendar(district, school).add_school_days(start, 1) == local(2026, 11, 24, 17)
    assert SchoolCalendar(district, other_school).add_school_days(start, 1) == local(
        2026, 11, 23, 17
    )


def test_a_make_up_day_counts_as_a_school_day(district):
    SchoolCalendarEntry.objects.create(
        district=district,
        kind=SchoolCalendarEntry.Kind.SCHOOL_DAY,
        name="Make-up day",
        starts_on=dt.date(2026, 11, 21),
        ends_on=dt.date(2026, 11, 21),
    )
    assert SchoolCalendar(district).add_school_days(local(2026, 11, 20, 15), 1) == local(
        2026, 11, 21, 17
    )


def test_legal_clocks_stay_in_elapsed_hours_over_a_break(district):
    SchoolCalendarEntry.objects.create(
        district=district,
        name="Winter break",
        starts_on=dt.date(2026, 12, 21),
        ends_on=dt.date(2027, 1, 1),
    )
    submitted = local(2026, 12, 24, 9)
    assert clocks.takedown_due_at(submitted) == local(2026, 12, 26, 9)
    assert clocks.report_due_at(submitted, 24) == local(2026, 12, 25, 9)


def test_an_icalendar_file_is_imported_and_importing_it_again_updates_it(
    district, tmp_path, capsys
):
    path = tmp_path / "calendar.ics"
    path.write_bytes(WINTER_BREAK_ICS)
    # When the district's calendar is imported twice
    call_command("calendar_import", str(path), "--district", district.slug)
    call_command("calendar_import", str(path), "--district", district.slug)
    out = capsys.readouterr().out
    assert "2 entries created" in out and "2 updated" in out
    # Then each event is one closure, DTEND exclusive (the break ends on 1 January)
    rows = {e.name: (e.starts_on, e.ends_on, e.source) for e in SchoolCalendarEntry.objects.all()}
    assert rows == {
        "Winter break": (dt.date(2026, 12, 21), dt.date(2027, 1, 1), "icalendar"),
        "Teacher institute day (no students)": (
            dt.date(2026, 11, 16),
            dt.date(2026, 11, 16),
            "icalendar",
        ),
    }
    calendar = SchoolCalendar(district)
    assert not calendar.is_school_day(dt.date(2026, 11, 16))
    assert not calendar.is_school_day(dt.date(2027, 1, 1))
    assert calendar.is_school_day(dt.date(2027, 1, 4))


def test_a_file_that_is_not_icalendar_is_refused_with_what_to_do(district, tmp_path):
    path = tmp_path / "calendar.ics"
    path.write_bytes(b"Winter break: Dec 21 to Jan 1\n")
    with pytest.raises(CommandError, match="iCalendar"):
        call_command("calendar_import", str(path), "--district", district.slug)
    assert not SchoolCalendarEntry.objects.exists()


def test_an_unknown_district_is_named_in_the_error(db, tmp_path):
    path = tmp_path / "calendar.ics"
    path.write_bytes(WINTER_BREAK_ICS)
    with pytest.raises(CommandError, match="nowhere"):
        call_command("calendar_import", str(path), "--district", "nowhere")
