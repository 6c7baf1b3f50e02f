"""Every clock of the application, in one place: what starts it, when it is due, what stops
it, whether it runs in elapsed hours or in school days, whether it may be extended, and the
one wording of "time left". The queue, the takedown board, the case page, the PDF summary,
analytics and reminders ask this module; none of them restates a rule. See docs/clocks.md.

The clocks:

- **takedown** (legal): a covered platform's 48 hours from a valid removal request;
- **report** (legal): an external report obligation's deadline in hours from the report;
- **stage**: the time given to the case's current workflow stage (hours or school days);
- **measure review**: a supportive measure's next review date (end of that day's school day);
- **appeal**: the window in which a party may appeal a determination (school days).

One rule for every clock: a clock is *open* from its start until what stops it; an open
clock is *running* while ``now < due_at`` and *overdue* from the due instant on, inclusive
(``now >= due_at``). A clock that is not open is neither running nor overdue.

Each clock has two faces (Django's ``QuerySet.as_manager`` idiom): a queryset method for
"which rows" (``TakedownRequest.objects.overdue(now)``) and a model method for "this row"
(``request.is_overdue(now)``), built from the same ``*_q`` expressions below.
"""

import datetime as dt
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from . import choices as c
from .school_calendar import SchoolCalendar, district_zone, zone_named

HOURS = "hours"
SCHOOL_DAYS = "school_days"

S = c.Stage


def now() -> dt.datetime:
    """The current instant. Every screen, document and task that compares a clock with the
    present asks this function, so that all of them read the same instant in a test."""
    return timezone.now()


# --- The rules --------------------------------------------------------------------------------

# TAKE IT DOWN Act, Pub. L. 119-12 (signed 19 May 2025; platforms bound from 19 May 2026),
# sec. 3(a)(3): upon a valid removal request a covered platform removes the depiction "as soon
# as possible, but not later than 48 hours after receiving such request". A valid request
# (sec. 3(a)(1)(B)) carries a signature, identifies the content, states in good faith that it
# is not consensual, and gives contact information. Elapsed hours: weekends, holidays and
# clock changes do not pause it. NCMEC's Take It Down and StopNCII are voluntary hash
# programmes: a request through them starts no statutory clock.
TAKEDOWN_WINDOW = dt.timedelta(hours=48)


@dataclass(frozen=True)
class Span:
    """A length of time in ``unit``: elapsed ``HOURS`` or ``SCHOOL_DAYS`` (see
    ``school_calendar``: a school-day span ends at the end of the N-th school day)."""

    amount: float
    unit: str

    def scaled(self, factor: float) -> "Span":
        if self.unit == SCHOOL_DAYS:
            return Span(max(1, math.ceil(self.amount * factor)), SCHOOL_DAYS)
        return Span(self.amount * factor, HOURS)

    def after(self, start: dt.datetime, calendar: SchoolCalendar) -> dt.datetime:
        """The due instant of a span started at ``start`` (UTC)."""
        if self.unit == SCHOOL_DAYS:
            return calendar.add_school_days(start, int(self.amount))
        # Hours are added in UTC: adding them to a local time would count wall-clock hours
        # across a daylight-saving change.
        return start.astimezone(dt.UTC) + dt.timedelta(hours=self.amount)

    def __str__(self):
        if self.unit == SCHOOL_DAYS:
            n = int(self.amount)
            return f"{n} school day{'s' if n != 1 else ''}"
        hours = self.amount
        if hours >= 72 and hours % 24 == 0:
            return f"{int(hours // 24)} days"
        return f"{hours:g} hours"


@dataclass(frozen=True)
class StageClock:
    """The due-time rule of a workflow stage: ``span``, the time given to it (None when the
    stage has no clock here, ``no_clock`` saying why); ``priority_scaled``, whether the
    case's harm level scales it (``PRIORITY_SCALE``)."""

    span: Span | None
    priority_scaled: bool = False
    no_clock: str = ""

    @classmethod
    def none(cls, why: str) -> "StageClock":
        """The rule of a stage that has no clock here, and why."""
        return cls(None, no_clock=why)


# The rule of every stage, each declared (a district may change this table): the workflow's
# rows move a case to a stage (``workflow.Transition.target``) and its clock starts from this
# rule; a stage left out fails at import. The Model Policy measures the initial assessment
# ("one school day") and the investigation ("10 school days") in school days: those count the
# district's school days. The other stages keep elapsed time: intake and the harm assessment
# are about safety and run over weekends; the others are counted in calendar days by the
# policy's timeline. The harm level scales the interim-actions and investigation times
# (school days round up).
STAGE_CLOCKS: dict[str, StageClock] = {
    S.INTAKE: StageClock(Span(24, HOURS)),
    S.INITIAL_ASSESSMENT: StageClock(Span(1, SCHOOL_DAYS)),
    S.HARM_ASSESSMENT: StageClock(Span(48, HOURS)),
    S.INTERIM_ACTIONS: StageClock(Span(5 * 24, HOURS), priority_scaled=True),
    S.INVESTIGATION: StageClock(Span(10, SCHOOL_DAYS), priority_scaled=True),
    S.INFORMAL_RESOLUTION: StageClock(Span(20 * 24, HOURS)),
    S.DETERMINATION: StageClock(Span(5 * 24, HOURS)),
    S.REMEDIES: StageClock(Span(10 * 24, HOURS)),
    S.MONITORING: StageClock(Span(30 * 24, HOURS)),
    S.REFERRED: StageClock(Span(30 * 24, HOURS)),
    # The appeal decision: 34 CFR 106.45(b)(1)(v) asks for "reasonably prompt time frames"
    # for appeals and sets no number; 10 school days is this table's default, for a district
    # to change like the others.
    S.APPEAL: StageClock(Span(10, SCHOOL_DAYS)),
    S.PROCESS_A: StageClock.none(
        "Process A runs on the formal grievance timeline of 34 CFR 106.45, kept outside this "
        "application."
    ),
    S.CLOSED: StageClock.none("A closed case has no stage clock."),
}


def stage_clocks_checked(rules: dict[str, StageClock]) -> dict[str, StageClock]:
    """Returns ``rules`` when it declares exactly the stages of ``choices.Stage``, each with a
    span or the reason it has none; raises ``ValueError`` naming the stages missing, unknown
    or without either, so that a stage added to the workflow cannot silently go without a
    clock."""
    problems = []
    missing = [s for s in c.Stage.values if s not in rules]
    unknown = [s for s in rules if s not in c.Stage.values]
    unexplained = [s for s, r in rules.items() if r.span is None and not r.no_clock.strip()]
    if missing:
        problems.append(f"stages without a clock rule: {', '.join(missing)}")
    if unknown:
        problems.append(f"rules for unknown stages: {', '.join(unknown)}")
    if unexplained:
        problems.append(f"stages without a clock and without a reason: {', '.join(unexplained)}")
    if problems:
        raise ValueError("; ".join(problems))
    return rules


stage_clocks_checked(STAGE_CLOCKS)
# What the clocks read, worked out from the rules above.
STAGE_SPANS: dict[str, Span] = {s: r.span for s, r in STAGE_CLOCKS.items() if r.span is not None}
STAGES_WITHOUT_CLOCK = tuple(s for s, r in STAGE_CLOCKS.items() if r.span is None)
PRIORITY_SCALED_STAGES = frozenset(s for s, r in STAGE_CLOCKS.items() if r.priority_scaled)
PRIORITY_SCALE = {
    c.Level.CRITICAL: 0.25,
    c.Level.HIGH: 0.5,
    c.Level.MODERATE: 1.0,
    c.Level.LOW: 1.5,
}
# The appeal window when the district sets none (District.appeal_window_school_days).
DEFAULT_APPEAL_WINDOW_SCHOOL_DAYS = 5
# How long before its due instant a clock's "due soon" reminder goes out, per kind, in hours;
# settings.DEADLINE_REMINDER_LEAD_HOURS overrides any of them.
REMINDER_LEAD_HOURS = {"takedown": 12, "report": 4, "stage": 24, "measure_review": 24, "appeal": 24}

# Clocks that the law sets: no extension for good cause can move them.
LEGAL_KINDS = ("takedown", "report")
# Clocks a coordinator may extend for good cause, with notice to the parties.
EXTENDABLE_KINDS = ("stage", "appeal")


def stage_span(stage: str, priority: str) -> Span | None:
    """The time given to ``stage`` at that harm level/priority; None for a stage without a
    clock here (Process A, closed)."""
    span = STAGE_SPANS.get(stage)
    if span is None:
        return None
    if stage in PRIORITY_SCALED_STAGES:
        span = span.scaled(PRIORITY_SCALE.get(priority, 1.0))
    return span


def stage_due_at(
    stage: str, priority: str, entered_at: dt.datetime, *, district=None, school=None
) -> dt.datetime | None:
    """Returns when work in ``stage`` entered at ``entered_at`` is due (UTC), or None for
    stages with no clock. School-day spans count the school days of the district (and of the
    school); without a district, Monday to Friday less US federal holidays."""
    span = stage_span(stage, priority)
    if span is None:
        return None
    return span.after(entered_at, SchoolCalendar(district=district, school=school))


def stage_due_at_for_priority(case, priority: str) -> dt.datetime | None:
    """The due time of the case's current stage once its priority (harm level) becomes
    ``priority``: recounted from the stage's start for a stage scaled by priority, unchanged
    for other stages and for a deadline extended for good cause in this stage (the extension
    was decided with notice to the parties; a new level does not undo it)."""
    from .models import DeadlineExtension

    if case.stage not in PRIORITY_SCALED_STAGES:
        return case.stage_due_at
    extended = DeadlineExtension.objects.filter(
        case=case, clock="stage", stage=case.stage, extended_at__gte=case.stage_entered_at
    ).exists()
    if extended:
        return case.stage_due_at
    return stage_due_at(
        case.stage, priority, case.stage_entered_at, district=case.district, school=case.school
    )


def takedown_due_at(submitted_at: dt.datetime) -> dt.datetime:
    """Returns the removal deadline: 48 elapsed hours after a valid request (TAKE IT DOWN Act
    sec. 3(a)(3)). Raises ValueError for a naive datetime."""
    if timezone.is_naive(submitted_at):
        raise ValueError("Submission time must be timezone-aware.")
    return submitted_at.astimezone(dt.UTC) + TAKEDOWN_WINDOW


def report_due_at(reported_at: dt.datetime, deadline_hours: int | None) -> dt.datetime | None:
    """Returns an external report's deadline: ``deadline_hours`` elapsed hours after a district
    employee learned of the case (the state's mandated-reporting statute, configured on the
    obligation); None when the obligation sets no deadline."""
    if deadline_hours is None:
        return None
    return reported_at.astimezone(dt.UTC) + dt.timedelta(hours=deadline_hours)


def appeal_window_closes_at(determination, *, case=None, extensions=None) -> dt.datetime:
    """The end of the appeal window of a determination: the district's appeal window in school
    days (``District.appeal_window_school_days``) after the decision, or the latest extension
    recorded for it. ``case`` and ``extensions`` (the case's ``DeadlineExtension`` rows) may be
    given to spare their queries."""
    case = case or determination.case
    if extensions is None:
        extensions = list(case.extensions.filter(clock="appeal", determination=determination))
    mine = [x for x in extensions if x.clock == "appeal" and x.determination_id == determination.pk]
    if mine:
        return max(mine, key=lambda x: (x.extended_at, x.pk)).new_due_at
    days = getattr(case.district, "appeal_window_school_days", None) or (
        DEFAULT_APPEAL_WINDOW_SCHOOL_DAYS
    )
    calendar = SchoolCalendar(district=case.district, school=case.school)
    return Span(days, SCHOOL_DAYS).after(determination.decided_at, calendar)


def dismissal_appeal_window_closes_at(case, dismissed_at: dt.datetime) -> dt.datetime:
    """The end of the appeal window of a dismissal (the case referred outside this policy at
    ``dismissed_at``, UTC): the district's appeal window in school days, as for a
    determination (34 CFR 106.45(b)(8): both may be appealed)."""
    days = getattr(case.district, "appeal_window_school_days", None) or (
        DEFAULT_APPEAL_WINDOW_SCHOOL_DAYS
    )
    calendar = SchoolCalendar(district=case.district, school=case.school)
    return Span(days, SCHOOL_DAYS).after(dismissed_at, calendar)


# 34 CFR 106.45(b)(5)(vi): the parties have at least 10 days to submit a written response to
# the evidence before the investigative report is completed; 106.45(b)(5)(vii): the report is
# sent at least 10 days before the determination. Calendar days (the regulation's words).
PROCESS_A_REVIEW_DAYS = 10


def evidence_review_closes_at(sent_at: dt.datetime) -> dt.datetime:
    """The end of the parties' 10-day evidence review window of Process A (UTC)."""
    return sent_at.astimezone(dt.UTC) + dt.timedelta(days=PROCESS_A_REVIEW_DAYS)


def reminder_lead(kind: str) -> dt.timedelta:
    """How long before its due instant a clock of ``kind`` is "due soon"."""
    hours = {**REMINDER_LEAD_HOURS, **getattr(settings, "DEADLINE_REMINDER_LEAD_HOURS", {})}
    return dt.timedelta(hours=hours.get(kind, 24))


# --- "Which rows": the Q expressions and the queryset faces -----------------------------------


# The takedown statuses in which the 48-hour clock runs (docs/clocks.md: removed, refused,
# reappeared and waived requests have none; "to do" has not started one).
TAKEDOWN_RUNNING_STATUSES = ("submitted",)


def takedown_open_q() -> Q:
    """Takedown requests whose 48-hour clock runs: submitted (a valid request) to a covered
    platform's own route, and not withdrawn (a request entered by mistake runs no clock)."""
    return Q(
        status__in=TAKEDOWN_RUNNING_STATUSES,
        covered_by_48h_rule=True,
        due_at__isnull=False,
        withdrawn_at__isnull=True,
    )


def report_open_q() -> Q:
    """External reports awaiting a decision that have a deadline."""
    return Q(status="pending", due_at__isnull=False)


def stage_open_q(prefix: str = "") -> Q:
    """Cases whose stage clock runs (not closed, not Process A, with a due time)."""
    return ~Q(**{f"{prefix}stage__in": STAGES_WITHOUT_CLOCK}) & Q(
        **{f"{prefix}stage_due_at__isnull": False}
    )


def measure_review_open_q() -> Q:
    """Measures whose review clock runs: a review date, not withdrawn, not ended."""
    return Q(review_on__isnull=False, withdrawn_at__isnull=True) & ~Q(status="ended")


# Where each clock keeps its due time and the instant it last started (the reminder key of
# ``services.reminders.reminder_key``): clock -> (due field, started field).
REMINDER_KEY_FIELDS = {
    "stage": ("stage_due_at", "stage_entered_at"),
    "takedown": ("due_at", "submitted_at"),
    "report": ("due_at", "triggered_at"),
    "measure_review": ("review_on", "last_reviewed_at"),
}


def reminder_marked_q(clock: str, *, overdue: bool) -> Q:
    """The rows of ``clock`` ("stage", "takedown", "report", "measure_review") whose stored
    reminder mark (``reminded_due``, ``reminded_started``, ``reminded_overdue``, written by
    ``tasks.deadlines_remind`` with the reminder) names their current due time and start: a
    reminder was sent for them, the overdue one when ``overdue``, else either. The mark only
    spares the reminder task a search; the ``reminder_sent`` events stay the record."""
    due_field, started_field = REMINDER_KEY_FIELDS[clock]
    started = Q(reminded_started=models.F(started_field)) | Q(
        reminded_started__isnull=True, **{f"{started_field}__isnull": True}
    )
    marked = Q(reminded_due=models.F(due_field)) & started
    return marked & Q(reminded_overdue=True) if overdue else marked


def reminder_pending_q(clock: str, open_q: Q) -> Q:
    """The condition of the partial index that finds ``clock``'s rows still to remind: open
    (``open_q``) and not marked overdue-reminded for their current due time and start. The
    overdue face of the reminder task filters on the same condition, so the index holds
    only the rows a run may still have to remind, however long the backlog reminded before."""
    return open_q & ~reminder_marked_q(clock, overdue=True)


def overdue_q(due_field: str, at: dt.datetime) -> Q:
    """Overdue from the due instant on, inclusive."""
    return Q(**{f"{due_field}__lte": at})


def running_q(due_field: str, at: dt.datetime) -> Q:
    return Q(**{f"{due_field}__gt": at})


def done_in_time(done_at: dt.datetime, due_at: dt.datetime | None) -> bool:
    """Whether what stops a clock came in time: at or before its due instant ("not later than
    48 hours"). A clock without a due time is always met in time."""
    return due_at is None or done_at <= due_at


def done_in_time_q(done_field: str, due_field: str = "due_at") -> Q:
    """The rows whose ``done_field`` is at or before their due instant (``done_in_time``)."""
    return Q(**{f"{done_field}__lte": models.F(due_field)})


class _ClockQuerySet(models.QuerySet):
    due_field = "due_at"
    kind = ""

    def open_q(self) -> Q:  # pragma: no cover (every subclass defines it)
        raise NotImplementedError

    def open(self):
        """Rows whose clock has started and has not stopped (running or overdue)."""
        return self.filter(self.open_q())

    def running(self, now_: dt.datetime | None = None):
        """Rows whose clock runs and is not yet due at ``now_``."""
        return self.open().filter(running_q(self.due_field, now_ or now()))

    def overdue(self, now_: dt.datetime | None = None):
        """Rows whose clock runs and is due at or before ``now_`` (inclusive)."""
        return self.open().filter(overdue_q(self.due_field, now_ or now()))

    def due_for_lead_reminder(self, now_: dt.datetime | None = None):
        """Rows running at ``now_`` whose due instant is within their kind's reminder lead."""
        at = now_ or now()
        return self.running(at).filter(**{f"{self.due_field}__lte": at + reminder_lead(self.kind)})


class TakedownQuerySet(_ClockQuerySet):
    kind = "takedown"

    def open_q(self) -> Q:
        return takedown_open_q()


class ReportQuerySet(_ClockQuerySet):
    kind = "report"

    def open_q(self) -> Q:
        return report_open_q()


class CaseQuerySet(_ClockQuerySet):
    """The stage clock of each case (``open``, ``running``, ``overdue``), and ``any_overdue``
    for any clock of the case, from the stored next due time (``next_due``)."""

    kind = "stage"
    due_field = "stage_due_at"

    def open_q(self) -> Q:
        return stage_open_q()

    def any_overdue(self, now_: dt.datetime | None = None):
        """Cases with at least one overdue clock (stage, takedown or report): their next due
        time, the earliest open clock, is at or before ``now_``."""
        return self.filter(overdue_q("next_due_at", now_ or now()))


class MeasureQuerySet(_ClockQuerySet):
    """Review clocks of measures: due at the end of the school day of ``review_on`` in the
    case's district."""

    kind = "measure_review"

    def open_q(self) -> Q:
        return measure_review_open_q()

    def _due_by(self, at: dt.datetime) -> Q:
        from .models import District

        q = Q(pk__in=[])
        pairs = District.objects.values_list("time_zone", "school_day_ends_at").distinct()
        for zone_name, end in pairs:
            local = at.astimezone(zone_named(zone_name))
            last = local.date() if local.time() >= end else local.date() - dt.timedelta(days=1)
            q |= Q(
                case__district__time_zone=zone_name,
                case__district__school_day_ends_at=end,
                review_on__lte=last,
            )
        return q

    def running(self, now_=None):
        return self.open().exclude(self._due_by(now_ or now()))

    def overdue(self, now_=None):
        return self.open().filter(self._due_by(now_ or now()))

    def due_for_lead_reminder(self, now_=None):
        at = now_ or now()
        return self.running(at).filter(self._due_by(at + reminder_lead(self.kind)))


# --- "This row": one clock ------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """One clock of one row. ``open`` says it started and has not stopped; ``state`` says, in
    plain words, why a clock that is not open is not (for screens)."""

    kind: str
    label: str
    due_at: dt.datetime | None
    started_at: dt.datetime | None = None
    open: bool = False
    legal: bool = False
    unit: str = HOURS
    state: str = ""
    stopped_at: dt.datetime | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def extendable(self) -> bool:
        return self.kind in EXTENDABLE_KINDS

    def is_running(self, now_: dt.datetime | None = None) -> bool:
        """Open and not yet due at ``now_``."""
        return self.open and (now_ or now()) < self.due_at

    def is_overdue(self, now_: dt.datetime | None = None) -> bool:
        """Open and due at or before ``now_`` (inclusive)."""
        return self.open and (now_ or now()) >= self.due_at


TAKEDOWN_STATES = {
    "to_do": "Not submitted yet: the clock starts when a valid request is sent.",
    "removed": "Removed",
    "refused": "Refused by the platform. The clock stopped; a new request starts a new one.",
    "reappeared": "Reappeared. The earlier clock ended; a new request starts a new one.",
    "waived": "Not pursued",
}
REPORT_STATES = {
    "made": "Report made",
    "not_required": "Not required",
    "no_longer_required": "No longer required (the facts changed)",
}
# A record withdrawn (entered by mistake, services/corrections.py) runs no clock.
WITHDRAWN_STATE = "Withdrawn (entered by mistake)"


def takedown_clock(request) -> Clock:
    """The 48-hour clock of a takedown request (see ``takedown_open_q`` for when it runs)."""
    label = f"{request.platform} takedown"
    if request.withdrawn_at is not None:
        return Clock("takedown", label, None, legal=True, state=WITHDRAWN_STATE)
    if not request.covered_by_48h_rule:
        # Only a covered platform's own notice runs the Act's 48 hours (sec. 3(a)(3)); a hash
        # service is not a notice under the Act (takedown_board.py).
        if request.route in ("take_it_down", "stopncii"):
            state = "No legal clock: a hash service is not a notice under the Act"
        else:
            state = "No legal clock: this platform is not covered by the Act"
        if request.status in ("removed", "waived"):
            state = TAKEDOWN_STATES[request.status]
        return Clock(
            "takedown", label, None, legal=True, state=state, stopped_at=request.resolved_at
        )
    is_open = request.status in TAKEDOWN_RUNNING_STATUSES and request.due_at is not None
    return Clock(
        "takedown",
        label,
        request.due_at,
        started_at=request.submitted_at,
        open=is_open,
        legal=True,
        state="" if is_open else TAKEDOWN_STATES.get(request.status, "Not running"),
        stopped_at=None if is_open else request.resolved_at,
    )


def report_clock(report) -> Clock:
    """The deadline of an external report obligation (pending with a due time: open)."""
    is_open = report.status == "pending" and report.due_at is not None
    state = "" if is_open else REPORT_STATES.get(report.status, "No deadline set")
    return Clock(
        "report",
        str(report.agency_label),
        report.due_at,
        started_at=report.triggered_at,
        open=is_open,
        legal=True,
        state=state,
        stopped_at=None if is_open else report.reported_at,
    )


def stage_clock(case) -> Clock:
    """The clock of the case's current stage."""
    span = stage_span(case.stage, case.priority)
    is_open = case.stage not in STAGES_WITHOUT_CLOCK and case.stage_due_at is not None
    if case.stage == S.CLOSED:
        state = "Case closed"
    elif case.stage == S.PROCESS_A:
        state = "Runs on the formal Title IX timeline"
    else:
        state = "" if is_open else "No stage deadline"
    return Clock(
        "stage",
        f"{c.stage_label(case.stage)} stage",
        case.stage_due_at,
        started_at=case.stage_entered_at,
        open=is_open,
        unit=span.unit if span else HOURS,
        state=state,
    )


def measure_review_clock(measure) -> Clock:
    """The review clock of a measure: due at the end of the school day of ``review_on``."""
    if measure.withdrawn_at is not None:
        return Clock("measure_review", f"Review of {measure}", None, state=WITHDRAWN_STATE)
    is_open = measure.review_on is not None and measure.status != "ended"
    due = (
        SchoolCalendar(district=measure.case.district).end_of_school_day(measure.review_on)
        if measure.review_on
        else None
    )
    return Clock(
        "measure_review",
        f"Review of {measure}",
        due,
        started_at=measure.last_reviewed_at,
        open=is_open,
        state="" if is_open else ("Ended" if measure.status == "ended" else "No review date"),
    )


def appeal_clock(determination, *, case=None, extensions=None, appeals=None) -> Clock:
    """The appeal window of a determination. "Overdue" means the window has closed (an appeal
    filed after it is refused, ``services.appeals``); an appeal filed stops the clock.
    ``appeals`` (the case's ``Appeal`` rows) may be given to spare a query."""
    closes = appeal_window_closes_at(determination, case=case, extensions=extensions)
    if appeals is None:
        appeals = list(determination.appeals.all())
    filed = [a for a in appeals if a.determination_id == determination.pk]
    # No name: the label is also printed in the redacted summary.
    label = f"Appeal window ({determination.get_finding_display().lower()} finding)"
    if filed:
        first = min(filed, key=lambda a: a.filed_at)
        return Clock(
            "appeal",
            label,
            closes,
            started_at=determination.decided_at,
            unit=SCHOOL_DAYS,
            state="Appeal filed",
            stopped_at=first.filed_at,
            extra={"determination_id": determination.pk},
        )
    return Clock(
        "appeal",
        label,
        closes,
        started_at=determination.decided_at,
        open=True,
        unit=SCHOOL_DAYS,
        extra={"determination_id": determination.pk},
    )


def dismissal_appeal_clock(case, *, appeals=()) -> Clock | None:
    """The appeal window of the case's dismissal while it is referred outside this policy
    (from the referral, ``stage_entered_at``); None at any other stage. An appeal of the
    dismissal filed since stops it."""
    if case.stage != S.REFERRED:
        return None
    closes = dismissal_appeal_window_closes_at(case, case.stage_entered_at)
    filed = [
        a for a in appeals if a.subject == "dismissal" and a.decision_at >= case.stage_entered_at
    ]
    return Clock(
        "appeal",
        "Appeal window (dismissal)",
        closes,
        started_at=case.stage_entered_at,
        open=not filed,
        unit=SCHOOL_DAYS,
        state="Appeal filed" if filed else "",
        stopped_at=filed[0].filed_at if filed else None,
    )


def next_due_clock(case) -> Clock:
    """The case's earliest open clock, from the stored ``next_due_at`` (queue rows)."""
    return Clock(
        "next_due",
        "Next due",
        case.next_due_at,
        open=case.next_due_at is not None,
        state="" if case.next_due_at else "Nothing due",
    )


def case_clocks(
    case, *, takedowns=(), reports=(), determinations=(), extensions=None, appeals=None
):
    """The open clocks of a case, soonest first: its stage, the given takedown requests,
    external reports and (appeal windows of) determinations. ``appeals`` (the case's
    ``Appeal`` rows, given by a reader who may see discipline) stop the appeal windows they
    appeal, and add the dismissal's appeal window of a referred case."""
    clocks = [stage_clock(case)]
    clocks += [takedown_clock(t) for t in takedowns]
    clocks += [report_clock(r) for r in reports]
    clocks += [
        appeal_clock(d, case=case, extensions=extensions, appeals=appeals) for d in determinations
    ]
    if appeals is not None:
        dismissal = dismissal_appeal_clock(case, appeals=appeals)
        if dismissal is not None:
            clocks.append(dismissal)
    return sorted((k for k in clocks if k.open), key=lambda k: k.due_at)


# --- The one wording ----------------------------------------------------------------------


def _span_words(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 60:
        return "under 1 min"
    hours = int(seconds // 3600)
    if hours >= 72:
        return f"{hours // 24} days"
    if hours >= 1:
        return f"{hours} h"
    return f"{int(seconds // 60)} min"


def time_left(due_at: dt.datetime, now_: dt.datetime | None = None) -> str:
    """How long is left, in plain words: "3 h left", "under 1 min left", or, from the due
    instant on (inclusive), "Overdue by 2 days" / "Overdue by under 1 min"."""
    seconds = (due_at - (now_ or now())).total_seconds()
    if seconds > 0:
        return f"{_span_words(seconds)} left"
    return f"Overdue by {_span_words(seconds)}"


def local_time_text(moment: dt.datetime, zone=None, *, now_: dt.datetime | None = None) -> str:
    """An instant as a person reads it in ``zone`` (the active time zone by default), with
    the zone's abbreviation: "Sun Nov 1, 4:00 PM CST"; the year is added when it is not the
    current one."""
    zone = zone or timezone.get_current_timezone()
    local = moment.astimezone(zone)
    current = (now_ or now()).astimezone(zone).year
    day = f"{local:%a %b} {local.day}" + (f", {local.year}" if local.year != current else "")
    hour = local.hour % 12 or 12
    return f"{day}, {hour}:{local:%M %p} {local.tzname()}"


def dst_change_note(start: dt.datetime | None, end: dt.datetime, zone=None) -> str:
    """A note when the zone's UTC offset changes between ``start`` and ``end`` (a daylight-
    saving change inside the clock's window); an empty string otherwise."""
    if start is None or start >= end:
        return ""
    zone = zone or timezone.get_current_timezone()
    before = start.astimezone(zone).utcoffset()
    if end.astimezone(zone).utcoffset() == before:
        return ""  # no change (a window with two changes, spring and autumn, is not a clock's)
    low, high = start, end
    while high - low > dt.timedelta(minutes=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    local = high.astimezone(zone)
    change = (
        "Daylight saving time ends"
        if local.utcoffset() < before
        else ("Daylight saving time starts")
    )
    return (
        f"{change} on {local:%a %b} {local.day} within this period: the due time above "
        "already counts it."
    )


@dataclass(frozen=True)
class DueText:
    """A due time as shown everywhere: the absolute local time with its zone beside the
    relative words, and a note when a daylight-saving change falls inside the window."""

    absolute: str
    relative: str
    overdue: bool
    note: str
    iso: str

    def __str__(self):
        return f"{self.absolute} \u2014 {self.relative}"


def due_text(
    due_at: dt.datetime,
    *,
    now_: dt.datetime | None = None,
    zone=None,
    started_at: dt.datetime | None = None,
) -> DueText:
    """Describes ``due_at`` at ``now_`` in ``zone`` (the active zone by default). The daylight-
    saving note looks at the clock's window from ``started_at``, or from now when the start is
    not known (the queue)."""
    at = now_ or now()
    zone = zone or timezone.get_current_timezone()
    return DueText(
        absolute=local_time_text(due_at, zone, now_=at),
        relative=time_left(due_at, at),
        overdue=at >= due_at,
        note=dst_change_note(started_at or at, due_at, zone),
        iso=due_at.isoformat(),
    )


def clock_text(clock: Clock, *, now_: dt.datetime | None = None, zone=None) -> str:
    """A clock in one line of plain text (PDF, e-mails): the due text when it is open, its
    state (and when it stopped) otherwise."""
    zone = zone or timezone.get_current_timezone()
    if clock.open:
        text = due_text(clock.due_at, now_=now_, zone=zone, started_at=clock.started_at)
        return f"{text}. {text.note}" if text.note else str(text)
    if clock.stopped_at is not None and clock.state:
        return f"{clock.state} ({local_time_text(clock.stopped_at, zone, now_=now_)})"
    return clock.state


def case_zone(case):
    """The time zone every time of ``case`` is shown in: its district's."""
    return district_zone(case.district)


__all__ = [
    "Clock",
    "DueText",
    "appeal_clock",
    "case_clocks",
    "dismissal_appeal_clock",
    "clock_text",
    "due_text",
    "measure_review_clock",
    "next_due_clock",
    "now",
    "report_clock",
    "stage_clock",
    "stage_due_at",
    "takedown_clock",
    "takedown_due_at",
    "time_left",
]
