"""Reads for district analytics: raw counts and durations over the cases a user may count,
computed by the database in a fixed number of aggregate queries (about a dozen, whatever the
number of cases). Nothing here loops over cases in Python.

Who may read them, and how exactly, is the permission policy's answer (``permissions``):
users with the ANALYTICS right read the cases of the schools where they hold it (the
district's coordinator: every school; a school administrator: their own schools); everyone
else gets Http404. Figures are *exact* for a user who may read every case of the district
anyway (``user_can_on_every_case(VIEW)``) and small-cell suppressed for everyone else, and
for everything that leaves the office (the CSV, the board report) by ``reporting.suppression``.

The figures are aggregated from the kept per-case facts (``models_analytics.CaseFacts``,
``analytics_facts``), whose stale rows are worked out again first, so they are fresh as of the
last committed change. ``district_analytics_fresh`` is the same figures worked out from the
case records themselves: the reference the kept facts are tested against. See
docs/analytics.md for the definition of every measure.
"""

import datetime as dt
from collections import defaultdict
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
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ncii_cases import analytics_months as months
from ncii_cases import choices as c
from ncii_cases import clocks
from ncii_cases.analytics_facts import (
    HASH_ROUTES,
    TAKEDOWN_GUIDANCE_SLUG,
    case_facts_refresh_stale,
    facts_generation_advance,
    first_actions,
    supportive_offers,
)
from ncii_cases.models import (
    AnalyticsMonth,
    Case,
    CaseFacts,
    CaseParty,
    District,
    School,
    TakedownRequest,
)
from ncii_cases.permissions import Action, schools_where, user_can_anywhere, user_can_on_every_case
from ncii_cases.school_calendar import zone_named
from policies.models import Platform

# The durations of a trend month counted as a prompt first action.
PROMPT_FIRST_ACTION = months.PROMPT_FIRST_ACTION

TD = TakedownRequest.Status


@dataclass(frozen=True)
class AnalyticsFilters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    school: School | None = None


@dataclass(frozen=True)
class AnalyticsScope:
    """Which cases a user's figures count and how they may be shown: the district, the
    schools (None: every school of the district) and whether figures are exact."""

    district_id: int
    school_ids: tuple[int, ...] | None
    exact: bool

    @property
    def cache_part(self) -> str:
        schools = "all" if self.school_ids is None else ",".join(map(str, self.school_ids))
        return f"{self.district_id}|{schools}|{'exact' if self.exact else 'suppressed'}"


@dataclass
class Duration:
    """How many durations were measured and, from at least one, their median."""

    measured: int
    median: dt.timedelta | None


@dataclass
class TrendMonth:
    """One month of cases by the month reported (``month``: its first day), and the takedown
    requests whose 48-hour clock started in it."""

    month: dt.date
    reported: int = 0
    closed: int = 0
    prompt_first_action: int = 0
    no_first_action: int = 0
    removed_in_time: int = 0
    removed_late: int = 0
    overdue: int = 0


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
    trends: list[TrendMonth] = field(default_factory=list)


def user_may_see_analytics(user) -> bool:
    """Whether the user may read analytics somewhere (the ANALYTICS right)."""
    return user_can_anywhere(user, Action.ANALYTICS) and user.district_id is not None


def analytics_scope_for_user(*, user) -> AnalyticsScope:
    """Returns the cases the user's figures count and whether they are exact; raises Http404
    for a user without the ANALYTICS right. No query beyond the user's schools."""
    if not user_may_see_analytics(user):
        raise Http404("No such page.")
    exact = user_can_on_every_case(user, Action.VIEW)
    if exact:
        return AnalyticsScope(user.district_id, None, True)
    schools = schools_where(user, Action.ANALYTICS).filter(district_id=user.district_id)
    school_ids = tuple(sorted(schools.values_list("pk", flat=True)))
    return AnalyticsScope(user.district_id, school_ids, False)


def analytics_schools_for_user(*, user) -> QuerySet[School]:
    """Returns the schools the user may filter analytics by; raises Http404 for a user
    without the ANALYTICS right."""
    if not user_may_see_analytics(user):
        raise Http404("No such page.")
    return (
        schools_where(user, Action.ANALYTICS).filter(district_id=user.district_id).order_by("name")
    )


def _check(scope: AnalyticsScope, filters: AnalyticsFilters) -> None:
    school = filters.school
    if school is not None and (
        school.district_id != scope.district_id
        or (scope.school_ids is not None and school.pk not in scope.school_ids)
    ):
        raise Http404("No such school.")


def _in_scope(rows: QuerySet, scope: AnalyticsScope, filters: AnalyticsFilters) -> QuerySet:
    rows = rows.filter(district_id=scope.district_id)
    if scope.school_ids is not None:
        rows = rows.filter(school_id__in=scope.school_ids)
    if filters.date_from:
        rows = rows.filter(reported_at__date__gte=filters.date_from)
    if filters.date_to:
        rows = rows.filter(reported_at__date__lte=filters.date_to)
    if filters.school is not None:
        rows = rows.filter(school_id=filters.school.pk)
    return rows.order_by()


def _median(durations: QuerySet, measured: int) -> Duration:
    """The median of an ordered queryset of durations, read by the database at
    the middle offset (one query, no list of all durations); no query when none is measured."""
    if measured < 1:
        return Duration(measured, None)
    low = (measured - 1) // 2
    middle = list(durations[low : low + 2])
    values = middle[:1] if measured % 2 else middle[:2]
    return Duration(measured, sum(values, dt.timedelta()) / len(values))


def months_of_period(
    *, seen: list[dt.date], filters: AnalyticsFilters, today: dt.date
) -> list[dt.date]:
    """Returns the first day of every month of the period, in order: from the month of
    ``filters.date_from`` (else the first month in ``seen``) to the month of
    ``filters.date_to`` (else today's month; never past today's), widened to every month in
    ``seen`` (a takedown clock may start after the last month reported). Empty when there is
    neither a start date nor any month seen."""
    seen = sorted({day.replace(day=1) for day in seen})
    first = filters.date_from.replace(day=1) if filters.date_from else None
    if seen:
        first = min(first, seen[0]) if first else seen[0]
    if first is None:
        return []
    last = min(filters.date_to or today, today).replace(day=1)
    if seen:
        last = max(last, seen[-1])
    listed = []
    month = first
    while month <= last:
        listed.append(month)
        month = months.next_month(month)
    return listed


def _months_filled(result: "DistrictAnalytics", filters: AnalyticsFilters, now) -> None:
    """Lists every month of the period in the trends and in the "month" breakdown, with zeros
    where nothing happened: a month without a case is a figure, not a gap."""
    by_month = {trend.month: trend for trend in result.trends}
    reported = dict(result.breakdowns.get("month", []))
    seen = [*by_month, *(dt.date.fromisoformat(f"{label}-01") for label in reported)]
    today = timezone.localdate(now)
    months = months_of_period(seen=seen, filters=filters, today=today)
    result.trends = [by_month.get(month) or TrendMonth(month) for month in months]
    # Cases by month reported: the months of the period only (the trends go on to the months
    # where a takedown clock of the period's cases started, after the period's end).
    last = min(filters.date_to or today, today).replace(day=1)
    result.breakdowns["month"] = [
        (month.strftime("%Y-%m"), reported.get(month.strftime("%Y-%m"), 0))
        for month in months
        if month <= last or month.strftime("%Y-%m") in reported
    ]


def _takedowns(case_ids: QuerySet, now: dt.datetime, result: DistrictAnalytics) -> None:
    """The 48-hour duty: covered platforms' own routes, from a valid request (its clock
    start): the outcomes, the median time to removal and the monthly trend."""
    requests = TakedownRequest.objects.current().filter(
        case_id__in=case_ids,
        covered_by_48h_rule=True,
        submitted_at__isnull=False,
        due_at__isnull=False,
    )
    # Running or overdue by the clock's own rule (``clocks``): a refused or reappeared request
    # has no running clock (a new request starts a new one) and is counted apart.
    clock_open = clocks.takedown_open_q()
    in_time = Q(status=TD.REMOVED) & clocks.done_in_time_q("resolved_at")
    late = Q(status=TD.REMOVED) & ~clocks.done_in_time_q("resolved_at")
    overdue = clock_open & clocks.overdue_q("due_at", now)
    # One pass, by the month the clock started: the trend, and the totals summed from it.
    names = ("in_time", "late", "overdue", "running", "stopped", "waived")
    t = dict.fromkeys(names, 0)
    by_month = {trend.month: trend for trend in result.trends}
    for month, *counts in (
        requests.annotate(month=TruncMonth("submitted_at"))
        .values_list("month")
        .annotate(
            in_time=Count("pk", filter=in_time),
            late=Count("pk", filter=late),
            overdue=Count("pk", filter=overdue),
            running=Count("pk", filter=clock_open & clocks.running_q("due_at", now)),
            stopped=Count("pk", filter=Q(status__in=(TD.REFUSED, TD.REAPPEARED))),
            waived=Count("pk", filter=Q(status=TD.WAIVED)),
        )
        .order_by("month")
    ):
        for name, n in zip(names, counts, strict=True):
            t[name] += n
        if counts[0] or counts[1] or counts[2]:
            day = month.date() if isinstance(month, dt.datetime) else month
            trend = by_month.setdefault(day, TrendMonth(day))
            trend.removed_in_time, trend.removed_late, trend.overdue = counts[:3]
    result.trends = sorted(by_month.values(), key=lambda trend: trend.month)
    result.takedown_outcomes = _outcomes(t)
    result.takedown_removal = _median(
        requests.filter(status=TD.REMOVED, resolved_at__isnull=False)
        .annotate(d=ExpressionWrapper(F("resolved_at") - F("submitted_at"), DurationField()))
        .order_by("d")
        .values_list("d", flat=True),
        t["in_time"] + t["late"],
    )


def district_analytics_for_user(
    *, user, filters: AnalyticsFilters | None = None, check_only: bool = False
) -> DistrictAnalytics | None:
    """Returns the raw counts and durations of the cases the user may count (optionally for a
    reported-date range and one school), from the kept facts after working out their stale
    rows again; raises Http404 for a user without the ANALYTICS right, or for a school
    outside their scope. With ``check_only`` it only checks (no query beyond the scope)."""
    scope = analytics_scope_for_user(user=user)
    filters = filters or AnalyticsFilters()
    _check(scope, filters)
    if check_only:
        return None
    case_facts_refresh_stale(district_id=scope.district_id)
    return district_analytics_from_facts(scope=scope, filters=filters)


# Bounds past which no case is reported: a period beyond them is bounded there (the month
# arithmetic would run past the calendar's last day).
LAST_MONTH = dt.date(9999, 11, 1)


def _bounded(filters: AnalyticsFilters) -> AnalyticsFilters:
    """The filters with a date in the calendar's last month moved to its start (``date_to``:
    no bound; ``date_from``: the start of ``LAST_MONTH``'s next month, after every case)."""
    date_from, date_to = filters.date_from, filters.date_to
    if date_to is not None and date_to >= LAST_MONTH:
        date_to = None
    if date_from is not None and date_from > LAST_MONTH:
        date_from = dt.date(9999, 12, 1)
    return AnalyticsFilters(date_from=date_from, date_to=date_to, school=filters.school)


def _whole_months(filters: AnalyticsFilters) -> tuple[dt.date | None, dt.date | None]:
    """The first whole month of the period and the month after its last whole month (None:
    no bound): the months whose kept tallies count in full (``filters`` already
    ``_bounded``)."""
    first = cut = None
    if filters.date_from is not None:
        day = filters.date_from
        first = day if day.day == 1 else months.next_month(day)
    if filters.date_to is not None:
        cut = (filters.date_to + dt.timedelta(days=1)).replace(day=1)
    return first, cut


def _month_tallies(
    scope: AnalyticsScope, filters: AnalyticsFilters, zone_name: str, zone, rebuilt=False
) -> tuple[list[tuple[int | None, dt.date, dict]], QuerySet | None]:
    """The tallies counted in the figures, as (school id, month, tally): the kept tallies of
    the whole months of the period (the district's own, school id None, when every school
    counts; else the schools'), and those of its cut first and last months worked out from
    the kept facts of the days in the period (at most two months of cases; with their
    samples, keys ``samples:*``). And the kept rows read (None: none), for their samples."""
    filters = _bounded(filters)
    rows = AnalyticsMonth.objects.filter(district_id=scope.district_id)
    if scope.school_ids is None and filters.school is None:
        rows = rows.filter(school__isnull=True)  # the district's own: one row a month
    else:
        rows = rows.filter(school__isnull=False)
        if scope.school_ids is not None:
            rows = rows.filter(school_id__in=scope.school_ids)
        if filters.school is not None:
            rows = rows.filter(school_id=filters.school.pk)
    first, cut = _whole_months(filters)
    if first is not None:
        rows = rows.filter(month__gte=first)
    if cut is not None:
        rows = rows.filter(month__lt=cut)
    whole = first is None or cut is None or first < cut
    kept = list(rows.values_list("school_id", "month", "time_zone", "tally")) if whole else []
    if not rebuilt and any(row[2] != zone_name for row in kept):
        # The district's time zone changed since: its months are counted again in the new one
        # (once: a zone changed again meanwhile is the next read's), figures kept dropped.
        months.months_rebuild(scope.district_id)
        facts_generation_advance([scope.district_id])
        return _month_tallies(scope, filters, zone_name, zone, rebuilt=True)
    tallies = [(school_id, month, tally) for school_id, month, _zone, tally in kept]
    rows = rows if whole else None
    if filters.date_from is None and filters.date_to is None:
        return tallies, rows
    cuts = Q()
    start = months.local_midnight(filters.date_from, zone) if filters.date_from else None
    end = (
        months.local_midnight(filters.date_to + dt.timedelta(days=1), zone)
        if filters.date_to
        else None
    )
    if not whole:
        cuts = Q(reported_at__gte=start) & Q(reported_at__lt=end)
    else:
        if start is not None:
            cuts |= Q(reported_at__gte=start, reported_at__lt=months.local_midnight(first, zone))
        if end is not None:
            cuts |= Q(reported_at__gte=months.local_midnight(cut, zone), reported_at__lt=end)
    facts = _in_scope(CaseFacts.objects.all(), scope, AnalyticsFilters(school=filters.school))
    for (school_id, month), tally in months.tally_records(facts.filter(cuts), zone).items():
        tallies.append((school_id, month, tally))
    return tallies, rows


def _names(model, ids, counts: dict[int, int]) -> list[tuple[str, int]]:
    """Counts by id as (name, count) in the database's order of the names (its collation, as
    the figures worked out afresh), counts of one name added."""
    by_name: dict[str, int] = {}
    for pk, name in model.objects.filter(pk__in=ids).order_by("name").values_list("pk", "name"):
        by_name[name] = by_name.get(name, 0) + counts[pk]
    return list(by_name.items())


def _binned_median(bins: dict[int, int], measured: int, middle_values) -> Duration:
    """``_median`` from the counts of ``measured`` durations by bin
    (``analytics_months.DURATION_BINS``): finds the bin that holds the middle one and asks
    ``middle_values(bin, offset, n, count)`` for the ``n`` (1 or 2) smallest durations from
    the ``offset``-th of those at or above the bin's floor, in order (``count``: how many the
    bin holds). No read when none is measured."""
    if measured < 1:
        return Duration(measured, None)
    low = (measured - 1) // 2
    need = 1 if measured % 2 else 2
    seen = 0
    for index in sorted(bins):
        if seen + bins[index] > low:
            values = middle_values(index, low - seen, need, bins[index])
            total = sum(values, dt.timedelta())
            return Duration(measured, total / len(values) if values else None)
        seen += bins[index]
    return Duration(measured, None)


def _equal_or(bounds: dict[str, int], prefix: str, middle_values):
    """``middle_values`` that answers without a read when the values asked for all lie in one
    bin whose shortest and longest durations are equal (a district whose durations are mostly
    one value would otherwise read the whole bin)."""

    def answer(index: int, offset: int, n: int, count: int) -> list[dt.timedelta]:
        low = bounds.get(f"{prefix}_lo:{index}")
        if low is not None and low == bounds.get(f"{prefix}_hi:{index}") and offset + n <= count:
            return [dt.timedelta(microseconds=low)] * n
        return middle_values(index, offset, n)

    return answer


def _facts_middle(facts: QuerySet, name: str):
    """``middle_values`` of a median read from the kept facts' index on ``name``: the index
    from the bin's floor on (the entries of about one bin instead of half the district)."""

    def middle_values(index: int, offset: int, n: int) -> list[dt.timedelta]:
        rows = facts.filter(**{f"{name}__isnull": False})
        floor = months.bin_floor(index)
        if floor is not None:
            rows = rows.filter(**{f"{name}__gte": floor})
        return list(rows.order_by(name).values_list(name, flat=True)[offset : offset + n])

    return middle_values


def _samples_middle(prefix: str, bins: dict[int, int], kept: QuerySet | None, cut: dict):
    """``middle_values`` of a median whose durations the tallies keep: the samples of the
    bin (and of the next one with any, for a middle pair across two) from the kept rows
    read (one query, those keys only) and from the cut months' tallies ``cut``."""

    def middle_values(index: int, offset: int, n: int) -> list[dt.timedelta]:
        wanted = [index, *[b for b in sorted(bins) if b > index and bins[b]][:1]]
        values = [v for b in wanted for v in cut.get(f"{prefix}:{b}", [])]
        if kept is not None:
            keys = {f"b{b}": KeyTransform(f"{prefix}:{b}", "samples") for b in wanted}
            for row in kept.annotate(**keys).values_list(*keys):
                for sample in row:
                    values.extend(sample or [])
        values.sort()
        return [dt.timedelta(microseconds=v) for v in values[offset : offset + n]]

    return middle_values


def district_analytics_from_facts(
    *, scope: AnalyticsScope, filters: AnalyticsFilters
) -> DistrictAnalytics:
    """The figures of ``scope`` and ``filters`` added up from the kept month tallies
    (``analytics_months``) as they are, with the medians of the first action and of closure
    read from the kept facts' indexes (no refresh, no permission check: callers check first).
    Months are the district's (its time zone); one tally a month district-wide, one a school
    and month for a school's figures, at any number of cases."""
    zone_name = District.objects.values_list("time_zone", flat=True).get(pk=scope.district_id)
    zone = zone_named(zone_name)
    with timezone.override(zone):
        return _from_tallies(scope, filters, zone_name, zone)


def _from_tallies(scope, filters, zone_name, zone) -> DistrictAnalytics:
    now = clocks.now()
    now_us = months.epoch_microseconds(now)
    total: dict[str, int] = defaultdict(int)
    by_school: dict[int, int] = defaultdict(int)
    platforms: dict[int, int] = defaultdict(int)
    trends: dict[dt.date, TrendMonth] = {}
    cut_samples: dict[str, list[int]] = defaultdict(list)
    bounds: dict[str, int] = {}  # the shortest and longest duration of each median's bin
    takedown_months: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    tallies, kept = _month_tallies(scope, filters, zone_name, zone)
    for school_id, month, tally in tallies:
        if not tally.get("total"):
            continue
        if school_id is not None:
            by_school[school_id] += tally["total"]
        trend = trends.setdefault(month, TrendMonth(month))
        trend.reported += tally["total"]
        trend.closed += tally.get("closed", 0)
        trend.prompt_first_action += tally.get("prompt", 0)
        trend.no_first_action += tally.get("waiting", 0)
        for key, value in tally.items():
            if key.startswith("samples:"):
                cut_samples[key[8:]].extend(value)
            elif key.startswith("td_due:"):
                counts = takedown_months[key[7:]]
                overdue = sum(1 for due in value if due <= now_us)
                counts["overdue"] += overdue
                counts["running"] += len(value) - overdue
            elif key.startswith("td:"):
                label, outcome = key[3:].split(":")
                takedown_months[label][outcome] += value
            elif key.startswith("platform:"):
                platforms[int(key[9:])] += value
            elif key.startswith("school:"):
                by_school[int(key[7:])] += value
            elif "_lo:" in key:
                bounds[key] = min(bounds.get(key, value), value)
            elif "_hi:" in key:
                bounds[key] = max(bounds.get(key, value), value)
            else:
                total[key] += value

    result = DistrictAnalytics(total=total["total"], closed=total["closed"])
    result.supportive_offered = total["support"]
    result.takedown_resources = total["resources"]
    result.no_first_action = total["total"] - total["acted"]
    b = result.breakdowns
    for name, pairs in (
        ("ncii_kind", c.NciiKind.choices),
        ("conduct", c.Conduct.choices),
        ("stage", c.Stage.choices),
    ):
        b[name] = [(label, total[f"{name}:{value}"]) for value, label in pairs]
    b["school"] = _names(School, list(by_school), by_school)
    result.trends = [trends[month] for month in sorted(trends)]
    b["month"] = [(trend.month.strftime("%Y-%m"), trend.reported) for trend in result.trends]
    b["platform"] = [
        *_names(Platform, list(platforms), platforms),
        (_("None recorded"), total["no_platform"]),
    ]
    b["respondent_affiliation"] = [
        *((label, total[f"aff:{value}"]) for value, label in c.Affiliation.choices),
        (_("No respondent recorded"), total["no_respondent"]),
    ]
    bins: dict[str, dict[int, int]] = defaultdict(dict)
    for key, value in total.items():
        prefix, _colon, index = key.partition(":")
        if prefix in (*months.MEDIANS, *months.SAMPLED) and value:
            bins[prefix][int(index)] = value
    facts = _in_scope(CaseFacts.objects.all(), scope, filters)
    result.first_action = _binned_median(
        bins["first"],
        total["acted"],
        _equal_or(bounds, "first", _facts_middle(facts, "first_action_after")),
    )
    result.closure = _binned_median(
        bins["closure"],
        total["closed_measured"],
        _equal_or(bounds, "closure", _facts_middle(facts, "closure_after")),
    )
    removal = _equal_or(
        bounds, "removal", _samples_middle("removal", bins["removal"], kept, cut_samples)
    )
    _takedowns_from_tallies(takedown_months, bins["removal"], removal, result)
    _months_filled(result, filters, now)
    return result


def _takedowns_from_tallies(
    by_month: dict[str, dict[str, int]], removal_bins: dict[int, int], removal, result
) -> None:
    """``_takedowns`` from the tallies' counts by the month the clock started."""
    names = ("in_time", "late", "overdue", "running", "stopped", "waived")
    t = dict.fromkeys(names, 0)
    trends = {trend.month: trend for trend in result.trends}
    for label in sorted(by_month):
        counts = by_month[label]
        for name in names:
            t[name] += counts.get(name, 0)
        in_time, late, overdue = (counts.get(name, 0) for name in names[:3])
        if in_time or late or overdue:
            day = dt.date.fromisoformat(f"{label}-01")
            trend = trends.setdefault(day, TrendMonth(day))
            trend.removed_in_time, trend.removed_late, trend.overdue = in_time, late, overdue
    result.trends = sorted(trends.values(), key=lambda trend: trend.month)
    result.takedown_outcomes = _outcomes(t)
    result.takedown_removal = _binned_median(removal_bins, t["in_time"] + t["late"], removal)


def _outcomes(t: dict[str, int]) -> list[tuple[str, int]]:
    return [
        (_("Removed within 48 hours"), t["in_time"]),
        (_("Removed after 48 hours"), t["late"]),
        (_("Not removed, past 48 hours (overdue)"), t["overdue"]),
        (_("Not removed, within 48 hours"), t["running"]),
        (_("Refused or reappeared (a new request is needed)"), t["stopped"]),
        (_("Not pursued"), t["waived"]),
    ]


def district_analytics_fresh(
    *, scope: AnalyticsScope, filters: AnalyticsFilters | None = None
) -> DistrictAnalytics:
    """The same figures as ``district_analytics_from_facts`` (trends aside), worked out from
    the case records with correlated sub-queries per case: slow at a district's scale (seconds
    at 100,000 cases), kept as the reference that the kept facts and tallies are tested
    against. Months and dates are the district's (its time zone)."""
    filters = filters or AnalyticsFilters()
    zone_name = District.objects.values_list("time_zone", flat=True).get(pk=scope.district_id)
    with timezone.override(zone_named(zone_name)):
        return _fresh(scope, filters)


def _fresh(scope: AnalyticsScope, filters: AnalyticsFilters) -> DistrictAnalytics:
    now = clocks.now()
    cases = _in_scope(Case.objects.all(), scope, filters)
    first_action_at = Subquery(
        first_actions().order_by("created_at", "pk").values("created_at")[:1]
    )
    supportive = supportive_offers()
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
        has_action=Exists(first_actions()),
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
    for name, pairs in (
        ("ncii_kind", c.NciiKind.choices),
        ("conduct", c.Conduct.choices),
        ("stage", c.Stage.choices),
    ):
        counts = dict(cases.values_list(name).annotate(n=Count("pk")).order_by())
        b[name] = [(label, counts.get(value, 0)) for value, label in pairs]
    b["school"] = list(
        cases.values_list("school__name").annotate(n=Count("pk")).order_by("school__name")
    )
    b["month"] = [
        (month.strftime("%Y-%m"), n)
        for month, n in cases.annotate(month=TruncMonth("reported_at"))
        .values_list("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    ]
    b["platform"] = [
        *platform_through.objects.filter(case__in=cases)
        .values_list("platform__name")
        .annotate(n=Count("case_id", distinct=True))
        .order_by("platform__name"),
        (_("None recorded"), summary["no_platform"]),
    ]
    affiliations = dict(
        CaseParty.objects.current()
        .filter(case__in=cases, role=c.PartyRole.RESPONDENT)
        .values_list("affiliation")
        .annotate(n=Count("case_id", distinct=True))
        .order_by()
    )
    b["respondent_affiliation"] = [
        *((label, affiliations.get(value, 0)) for value, label in c.Affiliation.choices),
        (_("No respondent recorded"), summary["no_respondent"]),
    ]
    result.first_action = _median(
        cases.annotate(first_action_at=first_action_at)
        .filter(first_action_at__isnull=False)
        .annotate(d=ExpressionWrapper(F("first_action_at") - F("reported_at"), DurationField()))
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
    _takedowns(cases.values("pk"), now, result)
    _months_filled(result, filters, now)
    result.trends = []
    return result
