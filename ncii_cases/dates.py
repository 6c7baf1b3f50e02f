"""The date rules of every record, written once: nothing that "happened" is in the future
(a few minutes of clock skew allowed, ``settings.DATE_CLOCK_SKEW_MINUTES``), an end is not
before its start, and a review is not before its start.

It also holds the one way an instant is shown (``MOMENT_FORMAT``, ``moment_text`` and the
``|moment`` template filter): "Nov 30, 2026, 4:11 PM CST", in the district's time zone.

Services call ``dates_check`` before they write, so every path (form, admin action, script)
meets the same rule; forms call it too, so that the message stands next to the field. Errors
are ``ValidationError`` keyed by field name, with a message that names the field.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class DateRule:
    """The date rules of one record type: fields that record something that happened (not in
    the future), and (start, end) pairs whose end may not precede the start."""

    past: tuple[str, ...] = ()
    ordered: tuple[tuple[str, str], ...] = ()


# Field labels as the forms show them, for the messages.
LABELS = {
    "reported_at": _("When a staff member first heard of it"),
    "occurred_at": _("When it happened"),
    "seen_at": _("When it was seen"),
    "sent_at": _("When the notice was given"),
    "submitted_at": _("When it was submitted"),
    "transferred_at": _("When the device changed hands"),
    "decided_at": _("When it was decided"),
    "birth_date": _("Date of birth"),
    "starts_on": _("Starts on"),
    "ends_on": _("Ends on"),
    "review_on": _("Review on"),
    "next_review_on": _("Next review on"),
    "filed_at": _("When the appeal came in"),
    "received_at": _("When the response came in"),
    "notified_at": _("When both parties were told"),
    "delay_until": _("Delay until"),
}

# One row per record type with dates: the forms and services of each name their rule here.
RULES = {
    "case": DateRule(
        past=("reported_at", "occurred_at"), ordered=(("occurred_at", "reported_at"),)
    ),
    "person": DateRule(past=("birth_date",)),
    "evidence": DateRule(past=("seen_at",)),
    "custody": DateRule(past=("transferred_at",)),
    "notice": DateRule(past=("sent_at",)),
    "report": DateRule(past=("reported_at",)),
    "takedown": DateRule(past=("submitted_at",)),
    "determination": DateRule(past=("decided_at",)),
    "measure": DateRule(ordered=(("starts_on", "review_on"),)),
    "measure_review": DateRule(ordered=(("starts_on", "next_review_on"),)),
    "sanction": DateRule(ordered=(("starts_on", "ends_on"),)),
    "takedown_notice": DateRule(past=("authorized_on",)),
    "appeal": DateRule(past=("filed_at",)),
    "appeal_response": DateRule(past=("received_at",)),
    "appeal_decision": DateRule(past=("notified_at",)),
    "process_a_milestone": DateRule(past=("occurred_at",)),
    "parent_decision": DateRule(
        past=("decided_at",), ordered=(("decided_at", "delay_until"), ("decided_at", "review_on"))
    ),
}


def clock_skew() -> dt.timedelta:
    return dt.timedelta(minutes=getattr(settings, "DATE_CLOCK_SKEW_MINUTES", 5))


def _label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


def _is_future(value, now: dt.datetime) -> bool:
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value > now + clock_skew()
    # A day is in the future when it starts after today in the district's (current) zone.
    return value > timezone.localdate(now + clock_skew())


def _before(end, start) -> bool:
    if isinstance(end, dt.datetime) and isinstance(start, dt.datetime):
        return end < start
    end_day = timezone.localdate(end) if isinstance(end, dt.datetime) else end
    start_day = timezone.localdate(start) if isinstance(start, dt.datetime) else start
    return end_day < start_day


def date_errors(rule: str, values: dict, *, now: dt.datetime | None = None) -> dict[str, str]:
    """Returns ``{field: message}`` for each date rule of ``rule`` (a key of ``RULES``) that
    ``values`` breaks; fields absent or empty are not checked."""
    spec = RULES[rule]
    now = now or timezone.now()
    errors: dict[str, str] = {}
    for name in spec.past:
        value = values.get(name)
        if value and _is_future(value, now):
            errors[name] = gettext(
                "%(what)s cannot be in the future; enter when it actually happened."
            ) % {"what": _label(name)}
    for start, end in spec.ordered:
        first, last = values.get(start), values.get(end)
        if first and last and end not in errors and _before(last, first):
            errors[end] = gettext("%(what)s cannot be before %(start)s.") % {
                "what": _label(end),
                "start": str(_label(start)).lower(),
            }
    return errors


def dates_check(rule: str, values: dict, *, now: dt.datetime | None = None) -> None:
    """Raises ``ValidationError({field: message})`` when ``values`` break a date rule of
    ``rule``; returns None otherwise."""
    errors = date_errors(rule, values, now=now)
    if errors:
        raise ValidationError(errors)


# --- How an instant is shown ----------------------------------------------------------------

# The one format of a date and time on every page, PDF and export of the application: "Nov 30,
# 2026, 4:11 PM CST" (a 12-hour clock with AM/PM and the zone's abbreviation, as the clocks
# write due times, ``clocks.local_time_text``), in the district's time zone. Templates use the
# ``moment`` filter (``templatetags/dates_tags``); Python code ``moment_text``.
MOMENT_FORMAT = "M j, Y, g:i A T"
# The same with seconds, where the order of entries a second apart matters (the audit trail).
MOMENT_SECONDS_FORMAT = "M j, Y, g:i:s A T"


def moment_text(value: dt.datetime | None, zone=None, *, seconds: bool = False) -> str:
    """An instant as every screen shows it ("Nov 30, 2026, 4:11 PM CST"; with ``seconds``
    "Nov 30, 2026, 4:11:05 PM CST"), in ``zone`` (the active time zone by default: the
    district's, which the middleware activates); "" for None. A naive value is taken as
    being in the default time zone."""
    from django.utils import formats

    if value is None:
        return ""
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    pattern = MOMENT_SECONDS_FORMAT if seconds else MOMENT_FORMAT
    return formats.date_format(timezone.localtime(value, zone), pattern)


class MomentTexts:
    """``moment_text`` for many instants in one zone (an export's millions of values, a page's
    hundreds of rows), each text exactly what ``moment_text(value, zone, seconds=seconds)``
    writes. Of "M j, Y" only the month's name ("M") and of the time only the hour ("g") and
    AM/PM ("A") need Django's formatter (they are the language's): the month once per month,
    the hour once per hour; the day, the year, the minutes and the seconds are numbers written
    as it writes them ("j", "%04d", "%02d"). Keep one per request or export (the active
    language and zone are read when it is made)."""

    __slots__ = ("zone", "seconds", "dates", "months", "hours")

    def __init__(self, zone=None, *, seconds: bool = False):
        self.zone = zone if zone is not None else timezone.get_current_timezone()
        self.seconds = seconds
        self.dates: dict[dt.date, str] = {}
        self.months: dict[tuple[int, int], str] = {}
        # hour -> ("4", "PM"): Django's "g" and "A" of that hour.
        self.hours: dict[int, tuple[str, str]] = {}

    def __call__(self, value: dt.datetime | None) -> str:
        """The text of ``value`` as ``moment_text(value, zone, seconds=seconds)``; "" for
        None."""
        from django.utils import formats

        if value is None:
            return ""
        if value.utcoffset() is None:  # naive (``timezone.is_naive``)
            value = timezone.make_aware(value)
        local = value.astimezone(self.zone)  # what ``timezone.localtime`` does, checks apart
        name = local.tzname()
        if name is None or local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
            # No zone name, or the hour a change of clocks repeats: Django's formatter writes
            # these its own way (no abbreviation for an ambiguous hour), so it writes them.
            pattern = MOMENT_SECONDS_FORMAT if self.seconds else MOMENT_FORMAT
            return formats.date_format(local, pattern)
        day = local.date()
        date_text = self.dates.get(day)
        if date_text is None:
            month = self.months.get((day.year, day.month))
            if month is None:
                month = self.months[(day.year, day.month)] = formats.date_format(day, "M")
            date_text = self.dates[day] = f"{month} {day.day}, {day.year:04d}"
        hour = self.hours.get(local.hour)
        if hour is None:
            clock = dt.time(local.hour)
            hour = self.hours[local.hour] = (
                formats.date_format(clock, "g"),
                formats.date_format(clock, "A"),
            )
        if self.seconds:
            return f"{date_text}, {hour[0]}:{local.minute:02d}:{local.second:02d} {hour[1]} {name}"
        return f"{date_text}, {hour[0]}:{local.minute:02d} {hour[1]} {name}"
