"""Reads for the home page of each role (``views.home``): which home a user gets, and what
each home shows. Every read is scoped by the permission policy and costs a constant number of
queries, whatever the number of cases, accounts or log rows.

- The queue (who may open cases: the coordinator, school administrators): the case list of
  ``queue.case_queue`` plus counts per school and stage and the cases due today.
- The caseload (assigned-scope roles: investigators, support staff): the open cases the user
  is assigned to, each with its open clocks the user may read (the tasks).
- The audit overview (the auditor): the latest verification of the audit record and the latest
  entries of the timeline chain and of the access log of the district.
- The console (district IT, the deployment operator): accounts, pending enrollments and
  second-factor resets, roster imports, links to settings. No case content.
- The reports (every other employee): their own staff reports.

Nothing here writes.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ncii_cases import choices as c
from ncii_cases import clocks
from ncii_cases.models import (
    Case,
    CaseAssignment,
    CaseMeasure,
    EnrollmentLink,
    ExternalReport,
    RosterImport,
    School,
    SecondFactorReset,
    TakedownRequest,
    User,
)
from ncii_cases.permissions import (
    Action,
    accounts_where,
    actions_on_every_case_where,
    cases_visible_to,
    districts_for_roster_import,
    districts_where,
    user_can_anywhere,
)
from ncii_cases.school_calendar import district_zone
from ncii_cases.selectors.cases import MEASURES_READ_BY, measures_read_q
from ncii_cases.selectors.queue import ROW_FIELDS, school_stage_counts


class HomeKind:
    """Which home a user lands on. Decided from the permission policy's faces, strongest
    right first, never from a role code."""

    do_not_call_in_templates = True  # templates compare ``kind`` with ``kinds.QUEUE`` and so on

    QUEUE = "queue"  # may open cases (TRIAGE): the coordinator, school administrators
    CASELOAD = "caseload"  # reads the cases assigned to them (VIEW): investigators, support
    AUDIT = "audit"  # reviews the audit record (AUDIT): the auditor
    CONSOLE = "console"  # manages accounts or settings: district IT, the operator
    REPORTS = "reports"  # files staff reports only (FILE_REPORT): a teacher
    NONE = "none"  # an account without a role yet


def home_kind_for_user(user) -> str:
    """Returns the ``HomeKind`` of the user's home."""
    if user_can_anywhere(user, Action.TRIAGE):
        return HomeKind.QUEUE
    if user_can_anywhere(user, Action.VIEW):
        return HomeKind.CASELOAD
    if user_can_anywhere(user, Action.AUDIT):
        return HomeKind.AUDIT
    if user_can_anywhere(user, Action.MANAGE_ACCOUNTS) or user_can_anywhere(
        user, Action.MANAGE_SETTINGS
    ):
        return HomeKind.CONSOLE
    if user_can_anywhere(user, Action.FILE_REPORT):
        return HomeKind.REPORTS
    return HomeKind.NONE


# --- The queue's counts and what is due today ------------------------------------------------


@dataclass
class SchoolStageCounts:
    """The visible cases of one school by stage: ``cells`` follow ``StageTable.stages``."""

    school: School
    cells: list[int]
    total: int


@dataclass
class StageTable:
    """Counts of the visible cases per school and stage. ``stages``: (value, label) of each
    stage column that holds a case, in workflow order; ``totals`` per column."""

    stages: list[tuple[str, str]]
    rows: list[SchoolStageCounts]
    totals: list[int]
    total: int


def stage_counts_by_school(
    *, user, counts: list | None = None, schools: list[School] | None = None
) -> StageTable:
    """Returns the user's visible cases (VIEW_METADATA) counted per school and stage, in two
    queries: one for the counts (``queue.school_stage_counts``: the counts the database
    keeps with the cases, or, for a user who sees assigned cases, a count of those; skipped
    when ``counts``, the (school id, stage, n) rows the queue already read, are given), and
    one for the schools' names (skipped when ``schools``, the district's schools the queue
    already read, name them all). A case moved to another stage or school counts where it
    is now; a closed case counts as closed."""
    if counts is None:
        counts = school_stage_counts(user=user)
    by_school: dict[int, dict[str, int]] = {}
    for school_id, stage, n in counts:
        by_school.setdefault(school_id, {})[stage] = n
    present = {stage for _, stage, _ in counts}
    stages = [(value, label) for value, label in c.Stage.choices if value in present]
    known = {school.pk: school for school in schools or ()}
    if set(by_school) <= set(known):
        named = sorted((known[pk] for pk in by_school), key=lambda school: school.name)
    else:
        named = School.objects.filter(pk__in=list(by_school)).order_by("name")
    rows = []
    for school in named:
        cells = [by_school[school.pk].get(value, 0) for value, _ in stages]
        rows.append(SchoolStageCounts(school=school, cells=cells, total=sum(cells)))
    totals = [sum(row.cells[i] for row in rows) for i in range(len(stages))]
    return StageTable(stages=stages, rows=rows, totals=totals, total=sum(totals))


def local_day_bounds(*, district, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The start and the end (exclusive) of the district's local calendar day containing
    ``now``, as aware datetimes (DESIGN.md: times are shown in the district's time zone). A
    day with a daylight-saving change is 23 or 25 hours long."""
    return day_bounds_in(district_zone(district), now=now)


def day_bounds_in(zone, *, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """``local_day_bounds`` in a time zone given (a ``zoneinfo.ZoneInfo``)."""
    day = now.astimezone(zone).date()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


DUE_TODAY_SHOWN = 25


def cases_due_today(*, user, now: dt.datetime | None = None, zone=None) -> list[Case]:
    """Returns the user's visible open cases whose next due time (``Case.next_due_at``, the
    earliest of its open clocks) falls within today in the district's time zone, earliest
    first (at most ``DUE_TODAY_SHOWN``): those already past today included (they are overdue
    now), those due tomorrow not. One query, on the (district, next_due_at) index. ``zone``:
    the district's time zone when the caller has it already (a request's, activated by
    ``DistrictTimeZoneMiddleware``); otherwise read from the user's district. The cases carry
    the fields a queue row shows (``queue.ROW_FIELDS``), the others deferred."""
    now = now or clocks.now()
    if user.district_id is None:
        return []
    start, end = day_bounds_in(zone or district_zone(user.district), now=now)
    cases = cases_visible_to(user, Action.VIEW_METADATA).exclude(stage=c.Stage.CLOSED)
    rows = (
        cases.filter(next_due_at__gte=start, next_due_at__lt=end)
        .select_related("school")
        .only(*ROW_FIELDS)
        .order_by("next_due_at", "pk")
    )
    return list(rows[:DUE_TODAY_SHOWN])


# --- The caseload ----------------------------------------------------------------------------


@dataclass
class CaseloadRow:
    """One case of a caseload and its open clocks (``clocks.Clock``), soonest first."""

    case: Case
    tasks: list = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        now = clocks.now()
        return any(task.due_at is not None and task.due_at <= now for task in self.tasks)


CASELOAD_SHOWN = 50
# The fields of a case a caseload row reads (its link, reference, title and stage, and its
# stage clock: ``clocks.stage_clock``) and its district (the measures' review clocks), the
# others deferred.
CASELOAD_FIELDS = (
    "reference",
    "title",
    "stage",
    "priority",
    "stage_entered_at",
    "stage_due_at",
    "district",
)


def caseload_for_user(*, user) -> list[CaseloadRow]:
    """Returns the open cases the user holds an active assignment on and may read (VIEW),
    soonest due first (at most ``CASELOAD_SHOWN``), each with its open clocks the user may
    read: the stage's; the takedown requests' and the external reports' where the user may
    see the evidence log (VIEW_EVIDENCE); the measures' reviews of the measures the user may
    read (``selectors.measures_read_q``, the rule of ``selectors.case_measures_for_user``).
    At most four queries, whatever the caseload's size: the cases, then the takedown
    requests, the external reports and the measures of those where some may be read. The
    rights beyond VIEW on the cases listed come from the policy
    (``permissions.actions_on_every_case_where``) without a query when it answers for every
    case, as it does for each role today; otherwise one query each."""
    assigned = CaseAssignment.objects.filter(
        case_id=OuterRef("pk"), user=user, ended_at__isnull=True
    )
    cases = list(
        cases_visible_to(user, Action.VIEW)
        .filter(Exists(assigned))
        .exclude(stage=c.Stage.CLOSED)
        .select_related("district")
        .only(*CASELOAD_FIELDS)
        .order_by(F("next_due_at").asc(nulls_last=True), "-reported_at")[:CASELOAD_SHOWN]
    )
    rows = {case.pk: CaseloadRow(case=case) for case in cases}
    for case in cases:
        stage = clocks.stage_clock(case)
        if stage.open:
            rows[case.pk].tasks.append(stage)
    ids = list(rows)
    if ids:
        where = _rights_on_cases(user, ids, {Action.VIEW_EVIDENCE} | MEASURES_READ_BY)
        evidence_ids = where[Action.VIEW_EVIDENCE]
        if evidence_ids:
            takedowns = TakedownRequest.objects.filter(
                clocks.takedown_open_q(), case_id__in=evidence_ids
            ).select_related("platform")
            for request in takedowns:
                rows[request.case_id].tasks.append(clocks.takedown_clock(request))
            reports = ExternalReport.objects.filter(
                clocks.report_open_q(), case_id__in=evidence_ids
            )
            for report in reports:
                rows[report.case_id].tasks.append(clocks.report_clock(report))
        readable = _measures_readable_q(ids, where)
        if readable is not None:
            measures = (
                CaseMeasure.objects.filter(readable, withdrawn_at__isnull=True)
                .exclude(status="ended")
                .filter(review_on__isnull=False)
                .select_related("measure")
            )
            for measure in measures:
                # The case read above, with its district (the review clock's school day).
                measure.case = rows[measure.case_id].case
                rows[measure.case_id].tasks.append(clocks.measure_review_clock(measure))
    for row in rows.values():
        row.tasks.sort(key=lambda task: task.due_at)
    return list(rows.values())


def _rights_on_cases(user, ids: list[int], actions) -> dict[str, list[int]]:
    """For each of ``actions``, which of the cases ``ids`` (each one the user may VIEW) the
    user may take it on: all of them where the policy says it follows from VIEW, none where
    the user may take it nowhere, otherwise as ``cases_visible_to`` says (one query)."""
    every = actions_on_every_case_where(user, Action.VIEW)
    where = {}
    for action in actions:
        if action in every:
            where[action] = ids
        elif not user_can_anywhere(user, action):
            where[action] = []
        else:
            where[action] = list(
                cases_visible_to(user, action).filter(pk__in=ids).values_list("pk", flat=True)
            )
    return where


def _measures_readable_q(ids: list[int], where: dict[str, list[int]]) -> Q | None:
    """The measures of the cases ``ids`` the user may read, by ``measures_read_q`` on each
    case's rights (``where``: the ids of the cases on which the user may take each action of
    ``MEASURES_READ_BY``), the cases with the same rights under one condition. None: none."""
    held = {action: set(case_ids) for action, case_ids in where.items()}
    by_rights: dict[frozenset, list[int]] = {}
    for pk in ids:
        allowed = frozenset(action for action in MEASURES_READ_BY if pk in held[action])
        by_rights.setdefault(allowed, []).append(pk)
    readable = None
    for allowed, case_ids in by_rights.items():
        rule = measures_read_q(set(allowed))
        if rule is not None:
            part = Q(case_id__in=case_ids) & rule
            readable = part if readable is None else readable | part
    return readable


# --- The audit overview ----------------------------------------------------------------------


AUDIT_LATEST_SHOWN = 10


@dataclass
class AuditOverview:
    """The auditor's home: the latest verification run (``DistrictVerification``) and the
    latest rows of the timeline chain and the access log of the district."""

    verification: object
    events: list
    accesses: list


def audit_overview_for_user(*, user) -> AuditOverview:
    """Returns the audit overview of the user's district (Http404 for users who may not
    audit), with the review's own masking of logged paths. A constant number of queries."""
    from ncii_cases.selectors import audit as sa

    verification = sa.audit_verification_for_user(user=user)
    scope = {"district": user.district_id}
    flt = sa.AuditFilter()
    events = list(sa._event_queryset(scope=scope, flt=flt)[:AUDIT_LATEST_SHOWN])
    accesses = list(sa._access_queryset(scope=scope, flt=flt)[:AUDIT_LATEST_SHOWN])
    show_content = sa.audit_content_visible(user)
    for row in accesses:
        row.path_shown = sa.access_path_shown(row.path, show_content=show_content)
    return AuditOverview(verification=verification, events=events, accesses=accesses)


# --- The IT console --------------------------------------------------------------------------


CONSOLE_SHOWN = 10


@dataclass
class Console:
    """The IT administrator's home: counts of the accounts they manage, the accounts waiting
    to set up a second factor, the second-factor resets waiting for approval, the latest
    roster imports, and the districts whose settings they manage."""

    active_accounts: int
    inactive_accounts: int
    pending_enrollments: list[User]
    pending_resets: list[SecondFactorReset]
    roster_imports: list[RosterImport]
    may_import_roster: bool
    districts: list


def console_for_user(*, user, now: dt.datetime | None = None) -> Console:
    """Returns the console of a user who manages accounts (MANAGE_ACCOUNTS) or settings
    (MANAGE_SETTINGS), over the accounts and districts the policy's "where" faces give them.
    An account waits for enrollment when it is active, has no confirmed authenticator and
    holds an enrollment link that is unused, not revoked and not expired. A constant number
    of queries."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    now = now or timezone.now()
    accounts = accounts_where(user, Action.MANAGE_ACCOUNTS)
    by_state = dict(
        accounts.order_by()
        .values_list("is_active")
        .annotate(n=Count("*"))
        .values_list("is_active", "n")
    )
    open_link = EnrollmentLink.objects.filter(
        user_id=OuterRef("pk"), used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    )
    confirmed = TOTPDevice.objects.filter(user_id=OuterRef("pk"), confirmed=True)
    pending_enrollments = list(
        accounts.filter(Exists(open_link), is_active=True)
        .exclude(Exists(confirmed))
        .order_by("username")[:CONSOLE_SHOWN]
    )
    pending_resets = list(
        SecondFactorReset.objects.filter(
            status=SecondFactorReset.Status.PENDING, user__in=accounts.values("pk")
        )
        .select_related("user", "requested_by")
        .order_by("requested_at")[:CONSOLE_SHOWN]
    )
    import_districts = districts_for_roster_import(user)
    imports = list(
        RosterImport.objects.filter(district__in=import_districts.values("pk"))
        .select_related("started_by")
        .order_by("-started_at", "-pk")[:CONSOLE_SHOWN]
    )
    return Console(
        active_accounts=by_state.get(True, 0),
        inactive_accounts=by_state.get(False, 0),
        pending_enrollments=pending_enrollments,
        pending_resets=pending_resets,
        roster_imports=imports,
        may_import_roster=import_districts.exists(),
        districts=list(districts_where(user, Action.MANAGE_SETTINGS).order_by("name")[:20]),
    )


HOME_TITLES = {
    HomeKind.QUEUE: _("Your queue"),
    HomeKind.CASELOAD: _("Your caseload"),
    HomeKind.AUDIT: _("Audit overview"),
    HomeKind.CONSOLE: _("Accounts and settings"),
    HomeKind.REPORTS: _("Your reports"),
    HomeKind.NONE: _("Welcome"),
}


__all__ = [
    "HomeKind",
    "audit_overview_for_user",
    "caseload_for_user",
    "cases_due_today",
    "console_for_user",
    "home_kind_for_user",
    "local_day_bounds",
    "stage_counts_by_school",
]
