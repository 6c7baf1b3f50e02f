"""The kept month tallies (``analytics_months``): the figures added up from them equal the
figures worked out afresh from the case records, for periods that cut months, for a school's
figures and the district's, when a case moves to another school, when a takedown clock runs
out after its month was counted, and when the district's time zone changes; the district-wide
read adds up one row a month."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ncii_cases import clocks
from ncii_cases.analytics_facts import case_facts_refresh_all, case_facts_refresh_stale
from ncii_cases.models import AnalyticsMonth, Case, CaseFacts, District, TakedownRequest
from ncii_cases.selectors.analytics import (
    AnalyticsFilters,
    analytics_scope_for_user,
    district_analytics_for_user,
    district_analytics_fresh,
)
from tests.factories import CaseFactory
from tests.factories_workflow import platform

pytestmark = pytest.mark.django_db
CHICAGO = "America/Chicago"


def kept_and_fresh(user, filters=None):
    kept = district_analytics_for_user(user=user, filters=filters)
    fresh = district_analytics_fresh(scope=analytics_scope_for_user(user=user), filters=filters)
    kept.trends = []
    return kept, fresh


def assert_kept_equals_fresh(user, filters=None):
    kept, fresh = kept_and_fresh(user, filters)
    assert kept == fresh
    return kept


def at(day: str, hour: int, zone=CHICAGO) -> dt.datetime:
    """An aware instant: ``hour`` o'clock on ``day`` (YYYY-MM-DD) in ``zone``."""
    from ncii_cases.school_calendar import zone_named

    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=zone_named(zone))


def takedown(case, submitted, resolved_at=None) -> TakedownRequest:
    """A covered platform request submitted at ``submitted``: running, or removed at
    ``resolved_at``."""
    removed = resolved_at is not None
    return TakedownRequest.objects.create(
        case=case,
        platform=platform("snapchat"),
        location="a group",
        route=TakedownRequest.Route.PLATFORM,
        covered_by_48h_rule=True,
        status=TakedownRequest.Status.REMOVED if removed else TakedownRequest.Status.SUBMITTED,
        submitted_at=submitted,
        due_at=submitted + dt.timedelta(hours=48),
        resolved_at=resolved_at,
    )


@pytest.fixture
def spread(school, other_school):
    """Cases on both sides of month ends (in Chicago), in two schools."""
    made = []
    for day, hour in [
        ("2026-01-31", 23),
        ("2026-02-01", 0),
        ("2026-02-14", 12),
        ("2026-02-28", 23),
        ("2026-03-01", 1),
        ("2026-03-15", 9),
        ("2026-04-30", 22),
    ]:
        for where in (school, other_school):
            made.append(CaseFactory(school=where, reported_at=at(day, hour)))
    case_facts_refresh_all()
    return made


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [
        (None, None),
        ("2026-02-01", None),  # from a month's first day: whole months only
        ("2026-02-14", None),  # cuts February
        (None, "2026-02-28"),  # to a month's last day
        (None, "2026-03-10"),  # cuts March
        ("2026-02-14", "2026-03-10"),  # cuts both
        ("2026-02-02", "2026-02-27"),  # inside one month
        ("2026-03-01", "2026-02-01"),  # an empty period
    ],
)
def test_a_period_that_cuts_months_counts_its_days_exactly(
    spread, coordinator, school, date_from, date_to
):
    filters = AnalyticsFilters(
        date_from=dt.date.fromisoformat(date_from) if date_from else None,
        date_to=dt.date.fromisoformat(date_to) if date_to else None,
    )
    kept = assert_kept_equals_fresh(coordinator, filters)
    assert_kept_equals_fresh(
        coordinator, AnalyticsFilters(filters.date_from, filters.date_to, school=school)
    )
    if date_from is None and date_to is None:
        assert kept.total == len(spread)
        assert dict(kept.breakdowns["month"])["2026-02"] == 6  # 1 Feb 00:00 is February


def test_a_school_administrator_adds_up_the_school_tallies(spread, school_admin, school):
    kept = assert_kept_equals_fresh(school_admin)
    assert kept.total == len(spread) // 2
    assert [name for name, _ in kept.breakdowns["school"]] == [school.name]


def test_the_district_wide_read_adds_up_one_row_a_month(spread, coordinator):
    with CaptureQueriesContext(connection) as queries:
        district_analytics_for_user(user=coordinator)
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and '"ncii_cases_analyticsmonth"."tally"' in q["sql"]
    ]
    assert len(reads) == 1
    assert '"ncii_cases_analyticsmonth"."school_id" IS NULL' in reads[0]
    district_rows = AnalyticsMonth.objects.filter(
        district_id=coordinator.district_id, school__isnull=True
    )
    assert sorted(row.month.isoformat() for row in district_rows) == [
        "2026-01-01",
        "2026-02-01",
        "2026-03-01",
        "2026-04-01",
    ]
    # Each holds every school's total for the breakdown by school.
    february = district_rows.get(month=dt.date(2026, 2, 1)).tally
    assert sum(v for k, v in february.items() if k.startswith("school:")) == february["total"]


def test_a_case_moved_to_another_school_and_month_leaves_its_old_tallies(
    spread, coordinator, school, other_school
):
    case = spread[0]  # 31 January, the first school
    # A data fix in SQL: the trigger marks its facts stale with the new school and date.
    Case.objects.filter(pk=case.pk).update(school=other_school, reported_at=at("2026-04-02", 10))
    assert CaseFacts.objects.get(case=case).stale
    kept = assert_kept_equals_fresh(coordinator)
    assert dict(kept.breakdowns["month"])["2026-01"] == 1
    assert dict(kept.breakdowns["month"])["2026-04"] == 3
    old = AnalyticsMonth.objects.get(school=school, month=dt.date(2026, 1, 1))
    assert old.tally == {}
    assert CaseFacts.objects.get(case=case).counted_in.school_id == other_school.pk


def test_a_clock_counted_before_it_was_due_is_overdue_when_read_after(
    coordinator, school, monkeypatch
):
    case = CaseFactory(school=school)
    takedown(case, timezone.now() - dt.timedelta(hours=2))
    case_facts_refresh_all()
    outcomes = dict(assert_kept_equals_fresh(coordinator).takedown_outcomes)
    assert outcomes["Not removed, within 48 hours"] == 1
    # Nothing changes; the clock runs out.
    later = timezone.now() + dt.timedelta(hours=47)
    monkeypatch.setattr(clocks, "now", lambda: later)
    assert case_facts_refresh_stale(district_id=school.district_id) == 0
    outcomes = dict(assert_kept_equals_fresh(coordinator).takedown_outcomes)
    assert outcomes["Not removed, past 48 hours (overdue)"] == 1
    assert outcomes["Not removed, within 48 hours"] == 0


def test_a_new_district_time_zone_counts_every_month_again(spread, coordinator):
    before = assert_kept_equals_fresh(coordinator)
    assert dict(before.breakdowns["month"])["2026-01"] == 2
    # 31 January 23:00 in Chicago is 1 February in UTC: January is empty there.
    District.objects.filter(pk=coordinator.district_id).update(time_zone="UTC")
    after = assert_kept_equals_fresh(coordinator)
    assert dict(after.breakdowns["month"]).get("2026-01", 0) == 0
    assert set(
        AnalyticsMonth.objects.filter(district_id=coordinator.district_id).values_list(
            "time_zone", flat=True
        )
    ) == {"UTC"}


@pytest.mark.parametrize(
    "hours",
    [
        [5, 5, 5, 5],  # one value: the bin's shortest and longest answer, no read
        [1, 10],  # the middle pair in two bins
        [1, 1, 5, 5, 5, 30],
        [0.5, 2, 2.1, 2.2, 48, 49, 200],
    ],
)
def test_each_median_is_exact_from_the_bins(coordinator, school, other_school, hours):
    from ncii_cases import choices as c

    for i, h in enumerate(hours):
        where = school if i % 2 else other_school
        case = CaseFactory(school=where, reported_at=at("2026-02-10", 9))
        Case.objects.filter(pk=case.pk).update(
            stage=c.Stage.CLOSED, closed_at=case.reported_at + dt.timedelta(hours=h * 3)
        )
        submitted = case.reported_at + dt.timedelta(hours=1)
        takedown(case, submitted, resolved_at=submitted + dt.timedelta(hours=h, microseconds=i))
    case_facts_refresh_all()
    kept = assert_kept_equals_fresh(coordinator)
    assert kept.closure.measured == len(hours) and kept.closure.median is not None
    assert kept.takedown_removal.measured == len(hours)
    # A school's, and a period that cuts the month (its facts tallied directly).
    assert_kept_equals_fresh(coordinator, AnalyticsFilters(school=school))
    assert_kept_equals_fresh(coordinator, AnalyticsFilters(date_from=dt.date(2026, 2, 9)))


def test_a_refresh_after_a_time_zone_change_counts_the_district_again(spread, coordinator):
    """A change read first by a month-filtered page after the district's zone changed: the
    refresh finds tallies of the old zone and counts the whole district again, instead of
    adding up a month that no tally of the new zone holds yet."""
    District.objects.filter(pk=coordinator.district_id).update(time_zone="UTC")
    Case.objects.filter(pk=spread[2].pk).update(conduct="threat")  # 14 February, stale
    february = AnalyticsFilters(date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 2, 28))
    kept = assert_kept_equals_fresh(coordinator, february)
    assert kept.total == 6  # 31 Jan 23:00 Chicago is 1 Feb UTC; 28 Feb 23:00 is 1 Mar
    assert_kept_equals_fresh(coordinator)


def test_a_case_moved_to_another_district_leaves_the_old_one_at_once(
    spread, coordinator, outsider, other_district
):
    """A data fix moves a case to another district: the old district's next read drops it,
    whichever district reads first."""
    from tests.factories import SchoolFactory

    far = SchoolFactory(district=other_district, code="moved")
    Case.objects.filter(pk=spread[0].pk).update(district=other_district, school=far)
    assert district_analytics_for_user(user=coordinator).total == len(spread) - 1
    assert_kept_equals_fresh(coordinator)
    assert district_analytics_for_user(user=outsider).total == 1
    assert_kept_equals_fresh(outsider)


def test_a_case_moved_twice_before_its_refresh_is_counted_in_one_month(spread, coordinator, school):
    """Tallies count the facts counted in them: a month counted while a moved row waits for
    its refresh does not take the row, so a second move leaves nothing behind."""
    from ncii_cases.analytics_months import months_recount

    case = spread[0]  # 31 January
    Case.objects.filter(pk=case.pk).update(reported_at=at("2026-03-20", 10))
    march = AnalyticsMonth.objects.get(school=school, month=dt.date(2026, 3, 1))
    months_recount([march.pk])  # another refresh counts March meanwhile
    Case.objects.filter(pk=case.pk).update(reported_at=at("2026-04-20", 10))
    kept = assert_kept_equals_fresh(coordinator)
    assert dict(kept.breakdowns["month"])["2026-03"] == 4
    assert dict(kept.breakdowns["month"])["2026-04"] == 3


def test_the_reconcile_counts_the_months_of_what_changed_with_each_batch(
    spread, coordinator, monkeypatch
):
    """A change written outside the services (a platform added in the admin: no event, no
    stale mark) is counted by the hourly reconcile's batch itself, not only by the rebuild at
    its end, so a read during the reconcile is already right."""
    from ncii_cases import analytics_facts

    monkeypatch.setattr(analytics_facts, "months_rebuild", lambda district_id: 0)
    Case.platforms.through.objects.create(case_id=spread[3].pk, platform=platform("snapchat"))
    analytics_facts.case_facts_refresh_all()
    kept = assert_kept_equals_fresh(coordinator)
    assert dict(kept.breakdowns["platform"])["None recorded"] == len(spread) - 1


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [(None, "9999-12-31"), ("9999-12-15", None), ("9999-12-01", "9999-12-31")],
)
def test_a_period_at_the_end_of_the_calendar_is_counted_not_an_error(
    spread, coordinator, date_from, date_to
):
    filters = AnalyticsFilters(
        date_from=dt.date.fromisoformat(date_from) if date_from else None,
        date_to=dt.date.fromisoformat(date_to) if date_to else None,
    )
    kept = assert_kept_equals_fresh(coordinator, filters)
    assert kept.total == (len(spread) if date_from is None else 0)


def test_a_district_with_a_thousand_school_months_finds_them_in_parts(district):
    """SQLite refuses an expression of a thousand terms: tallies are found 200 keys at a time."""
    from ncii_cases.analytics_months import months_ensure
    from tests.factories import SchoolFactory

    schools = [SchoolFactory(district=district, code=f"s{i}") for i in range(50)]
    keys = {(s.pk, dt.date(2024 + m // 12, m % 12 + 1, 1)) for s in schools for m in range(24)}
    ids = months_ensure(district.pk, CHICAGO, keys)
    assert set(ids) == keys and len(set(ids.values())) == 1200


def test_a_case_moved_away_drops_the_old_district_kept_figures(
    spread, coordinator, outsider, other_district
):
    """The new district reads first: it counts the old district's month again, and the old
    district's kept figures (under its facts generation) are not read again."""
    from django.core.cache import cache

    from ncii_cases.analytics_facts import facts_generation
    from tests.factories import SchoolFactory

    cache.clear()
    before = facts_generation(coordinator.district_id)
    assert facts_generation(coordinator.district_id) == before  # kept while nothing changes
    far = SchoolFactory(district=other_district, code="moved")
    Case.objects.filter(pk=spread[0].pk).update(district=other_district, school=far)
    assert case_facts_refresh_stale(district_id=other_district.pk) == 1
    assert facts_generation(coordinator.district_id) != before
    assert case_facts_refresh_stale(district_id=coordinator.district_id) == 0
    assert district_analytics_for_user(user=coordinator).total == len(spread) - 1


def test_a_new_zone_seen_by_a_school_first_counted_after_the_change_counts_all_again(
    spread, coordinator, school, other_school
):
    """After the zone changes, the first change of a month may be a school without a tally
    of that month yet (nothing of the old zone among the tallies it counts): the refresh
    still sees the district's other tallies of the old zone and counts it all again."""
    from tests.factories import SchoolFactory

    District.objects.filter(pk=coordinator.district_id).update(time_zone="America/New_York")
    third = SchoolFactory(district=school.district, code="third")
    CaseFactory(school=third, reported_at=at("2026-03-15", 12))
    march = AnalyticsFilters(date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31))
    kept = assert_kept_equals_fresh(coordinator, march)
    # The new case, and the pairs of 28 February 23:00 in Chicago (midnight in New York),
    # 1 and 15 March.
    assert kept.total == 1 + 2 + 2 + 2
    assert set(
        AnalyticsMonth.objects.filter(district_id=coordinator.district_id).values_list(
            "time_zone", flat=True
        )
    ) == {"America/New_York"}


def test_a_case_on_two_platforms_of_one_name_counts_once_under_that_name(
    spread, coordinator, district
):
    """A district's own "Snapchat" row replaces the shared one for new cases; a case linked
    to both is one case on Snapchat, in the kept tallies as in the figures worked out afresh
    (which count cases by platform name), and so is a second case on the district's row."""
    from policies.models import Platform

    shared = platform("snapchat")
    own = Platform.objects.create(
        district=district,
        slug="snapchat",
        name=shared.name,
        category=shared.category,
        reporting_route="The district's own route.",
        take_it_down_act_covered=True,
    )
    Case.platforms.through.objects.create(case_id=spread[3].pk, platform=shared)
    Case.platforms.through.objects.create(case_id=spread[3].pk, platform=own)
    Case.platforms.through.objects.create(case_id=spread[5].pk, platform=own)
    case_facts_refresh_all()
    kept = assert_kept_equals_fresh(coordinator)
    assert dict(kept.breakdowns["platform"])[shared.name] == 2
    assert dict(kept.breakdowns["platform"])["None recorded"] == len(spread) - 2
