"""Kept monthly tallies of the analytics facts (``models_analytics.AnalyticsMonth``): for each
school and month reported (in the district's time zone), every count the analytics page shows
about those cases, so that a district's figures add up a few hundred tallies instead of
aggregating every case (about 0.4 s at 100,000 cases, growing with them).

- ``tally_records``: the one definition of what a tally holds, worked out from the kept facts
  of some cases and their current platforms and takedown requests. The page's figures for a
  date range that cuts a month use it directly on the facts of the cut months.
- ``months_recount``: counts the schools' tallies of some months again from the facts, under a
  lock on their rows, then the district's tallies of those months from its schools' (the
  district-wide read adds up one row per month). ``analytics_facts.case_facts_refresh_stale``
  calls it, in its transaction, for the months of the rows it wrote (the month a row was
  counted in before, ``counted_in``, and the one it belongs to now), so tallies are exactly
  as fresh as the facts.
- ``months_rebuild``: every tally of a district again (the hourly reconcile, a district whose
  time zone changed, the migration that introduced them).

A tally counts the facts counted in it (``CaseFacts.counted_in``): a refresh moves a row to
the tally of its school and month and counts both again, so a row moved twice before its
refresh (or skipped, locked by an uncommitted change) is never counted in two months.

Concurrency: every writer of a district's tallies first takes the district's tally lock
(``lock_districts``: its row, ``FOR NO KEY UPDATE``), so writers of one district run one at a
time and the second counts after the first committed (READ COMMITTED reads each statement
afresh). The services' writes of cases, facts and events are not blocked (two services that
lock their district, a deadline extension and an appeal, wait for a refresh). A fact row
changed by an uncommitted transaction is counted as committed; it is stale, so its next
refresh counts its months again.

What a tally holds (keys of a JSON object; ``docs/analytics.md`` defines each measure):
``total``, ``closed``, ``closed_measured``, ``support``, ``resources``, ``no_respondent``,
``no_platform``, ``acted``, ``prompt``, ``waiting``; ``ncii_kind:<value>``, ``conduct:<value>``,
``stage:<value>``, ``aff:<affiliation>``, ``platform:<platform id>`` (cases; a case once per
platform name, under the smallest id of the name); and, by the month
a takedown request's 48-hour clock started,
``td:<YYYY-MM>:in_time|late|stopped|waived|overdue`` (requests; overdue: running clocks
already past due when counted, which stay so until a change counts them again),
``td_due:<YYYY-MM>`` (due instants of the running clocks not yet due when counted, in
microseconds since the epoch, UTC: overdue or not is read against the time of the read; only
the clocks started in the 48 hours before the count). For the medians, how many durations
fall in each bin of ``DURATION_BINS`` (``first:<bin>``, time to first action;
``closure:<bin>``; ``removal:<bin>``, request to removal), with the shortest and the longest
of each bin (``<median>_lo:<bin>``, ``<median>_hi:<bin>``, microseconds: a bin of equal
durations needs no read). The medians' exact values are read in the bin that holds the
middle: the first action and closure from the facts' indexes, the removals from ``samples``
(``removal:<bin>``: each bin's durations in microseconds, sorted), a second JSON column read
one bin at a time.
"""

import bisect
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import choices as c
from . import clocks
from .models import Case, District, TakedownRequest
from .models_analytics import AnalyticsMonth, CaseFacts
from .school_calendar import zone_named

# The durations counted as a prompt first action (the trends' "within 24 hours").
PROMPT_FIRST_ACTION = dt.timedelta(hours=24)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
TD = TakedownRequest.Status
# Each affiliation a respondent may have, and the fact that says a case has one.
RESPONDENT_FIELDS = {
    c.Affiliation.STUDENT: "respondent_student",
    c.Affiliation.EMPLOYEE: "respondent_employee",
    c.Affiliation.NON_AFFILIATED: "respondent_non_affiliated",
    c.Affiliation.UNKNOWN: "respondent_unknown",
}
FACT_VALUES = (
    "case_id",
    "school_id",
    "reported_at",
    "stage",
    "ncii_kind",
    "conduct",
    "closure_after",
    "first_action_after",
    "has_support",
    "has_resources",
    "has_platform",
    "has_respondent",
    *RESPONDENT_FIELDS.values(),
)

Key = tuple[int, dt.date]  # (school id, first day of the month reported)
# The bins of the medians' durations, in microseconds: a quarter of a doubling each (a bin's
# upper bound is about 19% above its lower), from 1 µs to about two years; bin 0 holds what
# is below 1 µs (negative durations too), the last one everything above.
DURATION_BINS = tuple(sorted({round(2 ** (i / 4)) for i in range(4 * 46)}))
MEDIANS = {"first": "first_action_after", "closure": "closure_after"}
SAMPLED = ("removal",)  # the medians whose values the tallies keep (``samples``)


def duration_bin(value: dt.timedelta) -> int:
    """The bin of ``DURATION_BINS`` that holds a duration."""
    return bisect.bisect_right(DURATION_BINS, microseconds(value))


def bin_floor(index: int) -> dt.timedelta | None:
    """The smallest duration of a bin (None for bin 0: no lower bound)."""
    return dt.timedelta(microseconds=DURATION_BINS[index - 1]) if index > 0 else None


def microseconds(value: dt.timedelta) -> int:
    """A duration in whole microseconds (exact, unlike float seconds)."""
    return value // dt.timedelta(microseconds=1)


def epoch_microseconds(instant: dt.datetime) -> int:
    """An aware instant in microseconds since 1970-01-01 UTC."""
    return microseconds(instant - EPOCH)


def month_of(instant: dt.datetime, zone) -> dt.date:
    """The first day of the month of ``instant`` in the time zone ``zone``."""
    return timezone.localtime(instant, zone).date().replace(day=1)


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def local_midnight(day: dt.date, zone) -> dt.datetime:
    """The aware instant at which ``day`` begins in ``zone``."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def month_label(day: dt.date) -> str:
    return day.strftime("%Y-%m")


def tally_records(facts: QuerySet, zone, *, by_counted_in: bool = False) -> dict:
    """The tallies of the cases whose kept facts ``facts`` (a ``CaseFacts`` queryset) holds,
    by (school id, month reported in ``zone``), or by the tally each is counted in
    (``by_counted_in``: its id): three queries (the facts, the platforms and the takedown
    requests of those cases). Empty ones are absent."""
    tallies: dict = defaultdict(Counter)
    where: dict[int, object] = {}
    for f in facts.order_by().values(*FACT_VALUES, "counted_in_id"):
        if by_counted_in:
            key = f["counted_in_id"]
        else:
            key = (f["school_id"], month_of(f["reported_at"], zone))
        where[f["case_id"]] = key
        t = tallies[key]
        t["total"] += 1
        t["closed"] += f["stage"] == c.Stage.CLOSED
        t["closed_measured"] += f["closure_after"] is not None
        t["support"] += f["has_support"]
        t["resources"] += f["has_resources"]
        t["no_respondent"] += not f["has_respondent"]
        t["no_platform"] += not f["has_platform"]
        for prefix, name in MEDIANS.items():
            if f[name] is not None:
                _bin_count(t, prefix, f[name])
        first = f["first_action_after"]
        t["acted"] += first is not None
        t["waiting"] += first is None
        t["prompt"] += first is not None and first <= PROMPT_FIRST_ACTION
        t[f"ncii_kind:{f['ncii_kind']}"] += 1
        t[f"conduct:{f['conduct']}"] += 1
        t[f"stage:{f['stage']}"] += 1
        for value, name in RESPONDENT_FIELDS.items():
            if f[name]:
                t[f"aff:{value}"] += 1
    if not where:
        return {}
    now = clocks.now()
    case_ids = facts.order_by().values("case_id")
    # A case counts once per platform name, as the figures worked out afresh count it (a
    # district's own "Instagram" and the shared one, both on one case, are one platform
    # there): under the smallest id of the name. The page adds up the ids by their names.
    named: dict[tuple[int, str], int] = {}
    for case_id, platform_id, name in Case.platforms.through.objects.filter(
        case_id__in=case_ids
    ).values_list("case_id", "platform_id", "platform__name"):
        if case_id in where:
            key = (case_id, name)
            named[key] = min(named.get(key, platform_id), platform_id)
    for (case_id, _name), platform_id in named.items():
        tallies[where[case_id]][f"platform:{platform_id}"] += 1
    for case_id, status, submitted, due, resolved in (
        TakedownRequest.objects.current()
        .filter(
            case_id__in=case_ids,
            covered_by_48h_rule=True,
            submitted_at__isnull=False,
            due_at__isnull=False,
        )
        .values_list("case_id", "status", "submitted_at", "due_at", "resolved_at")
    ):
        if case_id not in where:
            continue
        t = tallies[where[case_id]]
        month = month_label(month_of(submitted, zone))
        if status == TD.REMOVED:
            in_time = resolved is not None and clocks.done_in_time(resolved, due)
            t[f"td:{month}:{'in_time' if in_time else 'late'}"] += 1
            if resolved is not None:
                index = _bin_count(t, "removal", resolved - submitted)
                t.setdefault(f"samples:removal:{index}", []).append(
                    microseconds(resolved - submitted)
                )
        elif status in clocks.TAKEDOWN_RUNNING_STATUSES:
            if due <= now:  # clocks.overdue_q: overdue from the due instant on
                t[f"td:{month}:overdue"] += 1
            else:
                t.setdefault(f"td_due:{month}", []).append(epoch_microseconds(due))
        elif status in (TD.REFUSED, TD.REAPPEARED):
            t[f"td:{month}:stopped"] += 1
        elif status == TD.WAIVED:
            t[f"td:{month}:waived"] += 1
    return tallies


def _bin_count(tally: Counter, prefix: str, value: dt.timedelta) -> int:
    """Counts a duration in its bin, with the bin's shortest and longest; returns the bin."""
    index = duration_bin(value)
    tally[f"{prefix}:{index}"] += 1
    us = microseconds(value)
    low, high = f"{prefix}_lo:{index}", f"{prefix}_hi:{index}"
    tally[low] = min(tally[low], us) if low in tally else us
    tally[high] = max(tally[high], us) if high in tally else us
    return index


def lock_districts(district_ids) -> dict[int, str]:
    """Takes the tally lock of the districts (``district_ids``: ids, or a query of ids): their
    rows ``FOR NO KEY UPDATE``, in id order; returns their time zones by id (one query).
    Every writer of a district's tallies holds it before writing any, so they run one at a
    time, in one order, and never wait for each other's tally rows (no deadlock between two
    refreshes, or a refresh and a rebuild). A case, fact or event written meanwhile takes only
    ``KEY SHARE`` on its district and is not blocked (a deadline extension and an appeal,
    which lock their district, wait for it). Callers lock every district they will write in
    one call: a second call for a lower id than one held could deadlock."""
    return dict(
        District.objects.filter(pk__in=district_ids)
        .select_for_update(no_key=True)
        .order_by("pk")
        .values_list("pk", "time_zone")
    )


# Keys per query when finding tallies by (school, month): SQLite refuses deeper expressions.
KEYS_PER_QUERY = 200


def months_ensure(district_id: int, zone_name: str, keys: Iterable[Key]) -> dict[Key, int]:
    """Creates the district's school tallies of ``keys`` that do not exist yet (empty, to be
    counted) and returns the ids of all of them by key (two queries per 200 keys). Callers
    hold the district's tally lock (``lock_districts``)."""
    keys = sorted(set(keys))
    found: dict[Key, int] = {}
    for start in range(0, len(keys), KEYS_PER_QUERY):
        part = keys[start : start + KEYS_PER_QUERY]
        # Without a conflict target: the unique constraints are conditional on the school.
        AnalyticsMonth.objects.bulk_create(
            [
                AnalyticsMonth(district_id=district_id, school_id=s, month=m, time_zone=zone_name)
                for s, m in part
            ],
            ignore_conflicts=True,
        )
        where = Q()
        for school_id, month in part:
            where |= Q(school_id=school_id, month=month)
        found.update(
            ((school_id, month), pk)
            for pk, school_id, month in AnalyticsMonth.objects.filter(district_id=district_id)
            .filter(where)
            .values_list("pk", "school_id", "month")
        )
    return found


def months_recount(month_ids: Iterable[int]) -> set[int]:
    """Counts the school tallies ``month_ids`` again from the facts counted in them
    (``CaseFacts.counted_in``), then the district's tallies of those months, in the current
    transaction (or one of its own), under the districts' tally lock; returns the districts
    whose tallies it counted (their kept figures are to be dropped). A district with any tally
    of another time zone than its own is counted again whole instead (``months_rebuild``)."""
    ids = sorted(set(month_ids))
    if not ids:
        return set()
    with transaction.atomic(savepoint=False):
        zones = lock_districts(
            AnalyticsMonth.objects.filter(pk__in=ids).values("district_id").distinct()
        )
        months = list(AnalyticsMonth.objects.filter(pk__in=ids, school__isnull=False))
        by_district: dict[int, list[AnalyticsMonth]] = defaultdict(list)
        for month in months:
            by_district[month.district_id].append(month)
        now = timezone.now()
        other_zone = {
            district_id
            for district_id, zone_name in AnalyticsMonth.objects.filter(
                district_id__in=list(by_district)
            )
            .values_list("district_id", "time_zone")
            .distinct()
            if zone_name != zones.get(district_id)
        }
        for district_id, rows in sorted(by_district.items()):
            zone_name = zones.get(district_id) or ""
            if district_id in other_zone or any(row.time_zone != zone_name for row in rows):
                months_rebuild(district_id)
                continue
            zone = zone_named(zone_name)
            tallies = tally_records(
                CaseFacts.objects.filter(counted_in_id__in=[row.pk for row in rows]),
                zone,
                by_counted_in=True,
            )
            for row in rows:
                _store(row, tallies.get(row.pk, {}))
                row.counted_at = now
            AnalyticsMonth.objects.bulk_update(
                rows, ["tally", "samples", "counted_at"], batch_size=500
            )
            _district_months_sum(district_id, zone_name, {row.month for row in rows})
    return set(by_district)


def _store(row: AnalyticsMonth, tally: dict) -> None:
    """Puts a tally in its row: the counts in ``tally``, the sorted durations of each median's
    bin (keys ``samples:<median>:<bin>``) in ``samples`` (keys ``<median>:<bin>``)."""
    row.tally = {k: v for k, v in tally.items() if not k.startswith("samples:")}
    row.samples = {k[8:]: sorted(v) for k, v in tally.items() if k.startswith("samples:")}


def tally_add(into: dict, tally: dict) -> None:
    """Adds ``tally`` to ``into``: counts summed, lists joined (``td_due:*``, the clocks; the
    samples, sorted when stored), the bins' shortest and longest kept."""
    for key, value in tally.items():
        if isinstance(value, list):
            into.setdefault(key, []).extend(value)
        elif key not in into:
            into[key] = value
        elif "_lo:" in key:
            into[key] = min(into[key], value)
        elif "_hi:" in key:
            into[key] = max(into[key], value)
        else:
            into[key] += value


def _district_months_sum(district_id: int, zone_name: str, months: Iterable[dt.date]) -> None:
    """Adds up the district's tallies of ``months`` (school id NULL, created when missing) from
    its schools' tallies of those months, each with every school's total (``school:<id>``).
    Called under the district's tally lock, after the schools' tallies were counted."""
    months = sorted(set(months))
    if not months:
        return
    AnalyticsMonth.objects.bulk_create(
        [
            AnalyticsMonth(district_id=district_id, school=None, month=m, time_zone=zone_name)
            for m in months
        ],
        ignore_conflicts=True,
    )
    rows = list(
        AnalyticsMonth.objects.filter(
            district_id=district_id, school__isnull=True, month__in=months
        )
    )
    sums: dict[dt.date, dict] = defaultdict(dict)
    for school_id, month, tally, samples in AnalyticsMonth.objects.filter(
        district_id=district_id, school__isnull=False, month__in=months, time_zone=zone_name
    ).values_list("school_id", "month", "tally", "samples"):
        if tally.get("total"):
            tally_add(sums[month], tally)
            tally_add(sums[month], {f"samples:{k}": v for k, v in samples.items()})
            sums[month][f"school:{school_id}"] = tally["total"]
    now = timezone.now()
    for row in rows:
        _store(row, sums.get(row.month, {}))
        row.time_zone = zone_name
        row.counted_at = now
    AnalyticsMonth.objects.bulk_update(
        rows, ["tally", "samples", "time_zone", "counted_at"], batch_size=500
    )


def months_rebuild(district_id: int) -> int:
    """Every tally of the district again, in its current time zone, in one transaction under
    its tally lock: the tallies of another zone are dropped, every fact row not stale is
    counted in the tally of its school and month (a stale one stays in the month it was last
    counted in, and its refresh counts that month and its new one), and every tally is
    counted from its facts. Returns how many school tallies it counted."""
    with transaction.atomic():
        zone_name = lock_districts([district_id]).get(district_id)
        if zone_name is None:
            return 0
        zone = zone_named(zone_name)
        AnalyticsMonth.objects.filter(district_id=district_id).exclude(time_zone=zone_name).delete()
        facts = list(
            CaseFacts.objects.filter(district_id=district_id, stale=False).values_list(
                "case_id", "school_id", "reported_at", "counted_in_id"
            )
        )
        keyed = [(case_id, (school, month_of(at, zone)), was) for case_id, school, at, was in facts]
        ids = months_ensure(district_id, zone_name, {key for _, key, _ in keyed})
        moved = [
            CaseFacts(case_id=case_id, counted_in_id=ids[key])
            for case_id, key, was in keyed
            if was != ids[key]
        ]
        CaseFacts.objects.bulk_update(moved, ["counted_in"], batch_size=1000)
        rows = list(AnalyticsMonth.objects.filter(district_id=district_id, school__isnull=False))
        tallies = tally_records(
            CaseFacts.objects.filter(counted_in__district_id=district_id), zone, by_counted_in=True
        )
        now = timezone.now()
        for row in rows:
            _store(row, tallies.get(row.pk, {}))
            row.counted_at = now
        AnalyticsMonth.objects.bulk_update(rows, ["tally", "samples", "counted_at"], batch_size=500)
        _district_months_sum(district_id, zone_name, {row.month for row in rows})
    return len(rows)
