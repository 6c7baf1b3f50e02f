"""School days of a district (and optionally of one school): which dates are school days, the
end of a school day, counting N school days, and importing closures from an iCalendar file.

What belongs here: the calendar arithmetic and the import. What does not: which deadlines
count school days (``clocks``), and the rows themselves (``models.SchoolCalendarEntry``).

A date is a school day when an explicit school-day entry (a make-up day) covers it, or, failing
that, when it is a Monday to Friday that no closure entry covers and that is not a US federal
holiday (when the district uses federal holidays as its default; the dates come from the
``holidays`` package, whose US data follows 5 U.S.C. 6103). Entries of the whole district
apply to every school; entries of one school apply to that school only.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from functools import cached_property, lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

DEFAULT_END_OF_DAY = dt.time(17, 0)
# No policy deadline runs longer than this: the counting stops with an error instead of
# looping over a calendar that has no school day left (every date closed).
MAX_SEARCH_DAYS = 400


def zone_named(name: str | None) -> zoneinfo.ZoneInfo:
    """The IANA zone of that name; the server's default zone (settings.TIME_ZONE) when the
    name is empty or unknown."""
    try:
        return zoneinfo.ZoneInfo(name) if name else zoneinfo.ZoneInfo(settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def district_zone(district) -> zoneinfo.ZoneInfo:
    """The district's time zone (every time of its cases is read and shown in it)."""
    return zone_named(getattr(district, "time_zone", None))


@lru_cache(maxsize=1)
def federal_holidays():
    """US federal holidays (5 U.S.C. 6103, with observed days), from the ``holidays`` package;
    years are added as they are asked for."""
    import holidays

    return holidays.country_holidays("US")


@dataclass
class SchoolCalendar:
    """The school days of ``district`` (None: Monday to Friday without federal holidays, for
    callers that have no district, such as the benchmark seed) and optionally ``school``."""

    district: object = None
    school: object = None

    @cached_property
    def zone(self) -> zoneinfo.ZoneInfo:
        return district_zone(self.district)

    @cached_property
    def end_of_day(self) -> dt.time:
        return getattr(self.district, "school_day_ends_at", None) or DEFAULT_END_OF_DAY

    @cached_property
    def _entries(self) -> list[tuple[str, dt.date, dt.date]]:
        from django.db.models import Q

        from .models import SchoolCalendarEntry

        if self.district is None or self.district.pk is None:
            return []
        scope = Q(school__isnull=True)
        if self.school is not None:
            scope |= Q(school_id=self.school.pk)
        return list(
            SchoolCalendarEntry.objects.filter(scope, district_id=self.district.pk).values_list(
                "kind", "starts_on", "ends_on"
            )
        )

    @cached_property
    def _holidays(self):
        if self.district is not None and not getattr(self.district, "federal_holidays", True):
            return {}
        return federal_holidays()

    def is_school_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a school day (see the module's rule)."""
        from .models import SchoolCalendarEntry

        kinds = {kind for kind, start, end in self._entries if start <= day <= end}
        if SchoolCalendarEntry.Kind.SCHOOL_DAY in kinds:
            return True
        if SchoolCalendarEntry.Kind.CLOSURE in kinds or day.weekday() >= 5:
            return False
        return day not in self._holidays

    def end_of_school_day(self, day: dt.date) -> dt.datetime:
        """The instant the school day ``day`` ends (the district's end-of-day local time),
        in UTC."""
        return dt.datetime.combine(day, self.end_of_day, tzinfo=self.zone).astimezone(dt.UTC)

    def add_school_days(self, start: dt.datetime, count: int) -> dt.datetime:
        """The end of the ``count``-th school day after the local date of ``start`` (the day
        of the start itself is not counted, as for any period in days: one school day from
        Friday afternoon is the end of Monday, if Monday is a school day). Raises
        ValueError when no school day is found within a year and a month."""
        if count < 1:
            raise ValueError("Count at least one school day.")
        day = start.astimezone(self.zone).date()
        counted = 0
        for _step in range(MAX_SEARCH_DAYS):
            day += dt.timedelta(days=1)
            if self.is_school_day(day):
                counted += 1
                if counted == count:
                    return self.end_of_school_day(day)
        raise ValueError("The school calendar has no school day left in the coming year.")


# --- iCalendar import -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    skipped: int


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def calendar_import(
    *, district, content: bytes, school=None, kind: str | None = None
) -> ImportResult:
    """Reads the VEVENTs of an iCalendar file (RFC 5545) as days without school (or, with
    ``kind`` "school_day", as school days) of the district (or of one of its schools), and
    returns how many entries were created, updated (same UID imported again) and skipped
    (events without a date). An event's DTEND is exclusive, as the format says: an all-day
    event from Dec 21 to Jan 5 covers Dec 21 to Jan 4. Raises ValidationError when the file
    is not an iCalendar file or when the school is not the district's."""
    import icalendar

    from .models import SchoolCalendarEntry

    kind = kind or SchoolCalendarEntry.Kind.CLOSURE
    if school is not None and school.district_id != district.pk:
        raise ValidationError(_("Choose a school of this district."))
    try:
        calendar = icalendar.Calendar.from_ical(content)
    except (ValueError, IndexError) as error:
        raise ValidationError(
            _(
                "This file could not be read as an iCalendar (.ics) file. Export the school "
                "calendar as iCalendar and try again."
            )
        ) from error
    created = updated = skipped = 0
    with transaction.atomic():
        for event in calendar.walk("VEVENT"):
            start = event.get("DTSTART")
            if start is None:
                skipped += 1
                continue
            starts_on = _as_date(start.dt)
            end = event.get("DTEND")
            if end is not None:
                last = _as_date(end.dt)
                # DTEND is exclusive for dates; for a timed event its own date counts.
                ends_on = (
                    last - dt.timedelta(days=1) if not isinstance(end.dt, dt.datetime) else last
                )
            else:
                ends_on = starts_on
            ends_on = max(ends_on, starts_on)
            uid = str(event.get("UID", "")).strip()[:255]
            name = str(event.get("SUMMARY", "")).strip()[:200] or "School calendar entry"
            values = {
                "kind": kind,
                "name": name,
                "starts_on": starts_on,
                "ends_on": ends_on,
                "source": SchoolCalendarEntry.Source.ICALENDAR,
            }
            if uid:
                _entry, was_created = SchoolCalendarEntry.objects.update_or_create(
                    district=district, school=school, uid=uid, defaults=values
                )
            else:
                SchoolCalendarEntry.objects.create(district=district, school=school, **values)
                was_created = True
            created += was_created
            updated += not was_created
    return ImportResult(created=created, updated=updated, skipped=skipped)
