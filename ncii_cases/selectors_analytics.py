"""Reads for district analytics: raw counts and durations over the cases of one coordinator's
district, computed by the database in a fixed number of aggregate queries (about a dozen,
whatever the number of cases). Nothing here loops over cases in Python.

Only the district's Title IX coordinator may read these (everyone else: Http404). The counts
returned are raw; small-cell suppression is applied by ``reporting.suppression`` before any
figure is shown or exported. See docs/analytics.md for the definition of every measure.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import TruncMonth
from django.http import Http404

from . import choices as c
from . import clocks
from .events import EventType
from .models import Case, CaseEvent, CaseMeasure, CaseParty, PartyChoice, School, TakedownRequest
from .permissions import Action, user_can_anywhere

# Events that the intake itself writes, or that the system writes as a side effect of another
# action (obligations triggered or withdrawn when facts change): none is a first action.
NOT_A_FIRST_ACTION = (
    EventType.CASE_CREATED,
    EventType.REPORTS_TRIGGERED,
    EventType.REPORTS_WITHDRAWN,
)
# The catalog's supportive measure "Help with Take It Down / StopNCII and platform reports".
TAKEDOWN_GUIDANCE_SLUG = "take-it-down-guidance"
HASH_ROUTES = (TakedownRequest.Route.TAKE_IT_DOWN, TakedownRequest.Route.STOPNCII)
# A measure is an offer unless it concerns the respondent (choice "n/a").
OFFER_CHOICES = (PartyChoice.OFFERED, PartyChoice.ACCEPTED, PartyChoice.DECLINED)
# Medians are not computed (not even queried) from fewer durations than this.
MIN_CASES_FOR_MEDIAN = 5

TD = TakedownRequest.Status


@dataclass(frozen=True)
class AnalyticsFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    school: School | None = None


@dataclass
class Duration:
    """How many durations were measured and, from at least five, their median."""

    measured: int
    median: dt.timedelta | None


@dataclass
class DistrictAnalytics:
    total: int
    closed: int
    breakdowns: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    supportive_offered: int = 0
    takedown_resources: int = 0
    first_action: Duration | None = None
    no_first_action: int = 0
    closure: Duration | None = None
    takedown_outcomes: list[tuple[str, int]] = field(default_factory=list)
    takedown_removal: Duration | None = None


def user_may_see_analytics(user) -> bool:
    """Whether the user may read district analytics: the district's Title IX coordinator."""
    return user_can_anywhere(user, Action.ANALYTICS) and user.district_id is not None


def analytics_schools_for_user(*, user) -> QuerySet[School]:
    """Returns the schools of the coordinator's district (for the school filter); raises
    Http404 for everyone else."""
    if not user_may_see_analytics(user):
        raise Http404("No such page.")
    return School.objects.filter(district_id=user.district_id).order_by("name")


def _cases(user, filters: AnalyticsFilters) -> QuerySet[Case]:
    cases = Case.objects.filter(district_id=user.district_id)
    if filters.date_from:
        cases = cases.filter(reported_at__date__gte=filters.date_from)
    if filters.date_to:
        cases = cases.filter(reported_at__date__lte=filters.date_to)
    if filters.school is not None:
        cases = cases.filter(school_id=filters.school.pk)
    return cases.order_by()


def _choice_counts(cases, field_name: str, choices) -> list[tuple[str, int]]:
    counts = dict(cases.values_list(field_name).annotate(n=Count("pk")).order_by())
    return [(label, counts.get(value, 0)) for value, label in choices]


def _median(durations: QuerySet, measured: int) -> Duration:
    """The median of an ordered queryset of durations, read by the database at the middle
    offset (one query, no list of all durations), and only from enough durations."""
    if measured < MIN_CASES_FOR_MEDIAN:
        return Duration(measured, None)
    low = (measured - 1) // 2
    middle = list(durations[low : low + 2])
    values = middle[:1] if measured % 2 else middle[:2]
    return Duration(measured, sum(values, dt.timedelta()) / len(values))


def district_analytics_for_user(
    *, user, filters: AnalyticsFilters | None = None, check_only: bool = False
) -> DistrictAnalytics | None:
    """Returns the raw counts and durations of the coordinator's district (optionally for a
    reported-date range and one school); raises Http404 for everyone else. With
    ``check_only`` it only checks the user and the filters (no query beyond the role)."""
    if not user_may_see_analytics(user):
        raise Http404("No such page.")
    filters = filters or AnalyticsFilters()
    if filters.school is not None and filters.school.district_id != user.district_id:
        raise Http404("No such school.")
    if check_only:
        return None
    now = clocks.now()
    cases = _cases(user, filters)

    first_action_at = Subquery(
        CaseEvent.objects.filter(case=OuterRef("pk"), actor__isnull=False)
        .exclude(event_type__in=NOT_A_FIRST_ACTION)
        .order_by("created_at", "pk")
        .values("created_at")[:1]
    )
    # Support offered to the person shown (respondents and witnesses have their own
    # supportive measures, which this measure does not count); withdrawn records (entered by
    # mistake) count nowhere: ``current()`` is the rows the guards and the report triggers read.
    supportive = CaseMeasure.objects.current().filter(
        case=OuterRef("pk"),
        kind=CaseMeasure.Kind.SUPPORTIVE,
        party_choice__in=OFFER_CHOICES,
        party__role=c.PartyRole.DEPICTED,
    )
    resources = Exists(supportive.filter(measure__slug=TAKEDOWN_GUIDANCE_SLUG)) | Exists(
        TakedownRequest.objects.current().filter(case=OuterRef("pk"), route__in=HASH_ROUTES)
    )
    respondent = CaseParty.objects.current().filter(
        case=OuterRef("pk"), role=c.PartyRole.RESPONDENT
    )
    platform_through = Case.platforms.through

    summary = cases.annotate(
        has_support=Exists(supportive),
        has_resources=resources,
        has_respondent=Exists(respondent),
        has_platform=Exists(platform_through.objects.filter(case_id=OuterRef("pk"))),
        has_action=Exists(
            CaseEvent.objects.filter(case=OuterRef("pk"), actor__isnull=False).exclude(
                event_type__in=NOT_A_FIRST_ACTION
            )
        ),
    ).aggregate(
        total=Count("pk"),
        closed=Count("pk", filter=Q(stage=c.Stage.CLOSED)),
        closed_measured=Count("pk", filter=Q(stage=c.Stage.CLOSED, closed_at__isnull=False)),
        support=Count("pk", filter=Q(has_support=True)),
        resources=Count("pk", filter=Q(has_resources=True)),
        no_respondent=Count("pk", filter=Q(has_respondent=False)),
        no_platform=Count("pk", filter=Q(has_platform=False)),
        acted=Count("pk", filter=Q(has_action=True)),
    )

    result = DistrictAnalytics(total=summary["total"], closed=summary["closed"])
    result.supportive_offered = summary["support"]
    result.takedown_resources = summary["resources"]
    result.no_first_action = summary["total"] - summary["acted"]
    b = result.breakdowns
    b["ncii_kind"] = _choice_counts(cases, "ncii_kind", c.NciiKind.choices)
    b["conduct"] = _choice_counts(cases, "conduct", c.Conduct.choices)
    b["stage"] = _choice_counts(cases, "stage", c.Stage.choices)
    b["school"] = [
        (name, n)
        for name, n in cases.values_list("school__name")
        .annotate(n=Count("pk"))
        .order_by("school__name")
    ]
    b["month"] = [
        (month.strftime("%Y-%m"), n)
        for month, n in cases.annotate(month=TruncMonth("reported_at"))
        .values_list("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    ]
    platform_rows = (
        platform_through.objects.filter(case__in=cases)
        .values_list("platform__name")
        .annotate(n=Count("case_id", distinct=True))
        .order_by("platform__name")
    )
    b["platform"] = [*platform_rows, ("None recorded", summary["no_platform"])]
    affiliations = dict(
        CaseParty.objects.current()
        .filter(case__in=cases, role=c.PartyRole.RESPONDENT)
        .values_list("affiliation")
        .annotate(n=Count("case_id", distinct=True))
        .order_by()
    )
    b["respondent_affiliation"] = [
        *((label, affiliations.get(value, 0)) for value, label in c.Affiliation.choices),
        ("No respondent recorded", summary["no_respondent"]),
    ]

    acted_cases = cases.annotate(first_action_at=first_action_at).filter(
        first_action_at__isnull=False
    )
    result.first_action = _median(
        acted_cases.annotate(
            d=ExpressionWrapper(F("first_action_at") - F("reported_at"), DurationField())
        )
        .order_by("d")
        .values_list("d", flat=True),
        summary["acted"],
    )
    result.closure = _median(
        cases.filter(stage=c.Stage.CLOSED, closed_at__isnull=False)
        .annotate(d=ExpressionWrapper(F("closed_at") - F("reported_at"), DurationField()))
        .order_by("d")
        .values_list("d", flat=True),
        summary["closed_measured"],
    )

    # The 48-hour duty: covered platforms' own routes, from a valid request (its clock start).
    requests = TakedownRequest.objects.current().filter(
        case__in=cases,
        covered_by_48h_rule=True,
        submitted_at__isnull=False,
        due_at__isnull=False,
    )
    # Running or overdue by the clock's own rule (``clocks``): a refused or reappeared request
    # has no running clock (a new request starts a new one) and is counted apart.
    clock_open = clocks.takedown_open_q()
    t = requests.aggregate(
        in_time=Count("pk", filter=Q(status=TD.REMOVED) & clocks.done_in_time_q("resolved_at")),
        late=Count("pk", filter=Q(status=TD.REMOVED) & ~clocks.done_in_time_q("resolved_at")),
        overdue=Count("pk", filter=clock_open & clocks.overdue_q("due_at", now)),
        running=Count("pk", filter=clock_open & clocks.running_q("due_at", now)),
        stopped=Count("pk", filter=Q(status__in=(TD.REFUSED, TD.REAPPEARED))),
        waived=Count("pk", filter=Q(status=TD.WAIVED)),
    )
    result.takedown_outcomes = [
        ("Removed within 48 hours", t["in_time"]),
        ("Removed after 48 hours", t["late"]),
        ("Not removed, past 48 hours (overdue)", t["overdue"]),
        ("Not removed, within 48 hours", t["running"]),
        ("Refused or reappeared (a new request is needed)", t["stopped"]),
        ("Not pursued", t["waived"]),
    ]
    result.takedown_removal = _median(
        requests.filter(status=TD.REMOVED, resolved_at__isnull=False)
        .annotate(d=ExpressionWrapper(F("resolved_at") - F("submitted_at"), DurationField()))
        .order_by("d")
        .values_list("d", flat=True),
        t["in_time"] + t["late"],
    )
    return result
