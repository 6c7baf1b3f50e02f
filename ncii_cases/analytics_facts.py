"""Keeping the analytics facts (``models_analytics.CaseFacts``) equal to the cases' records.

- ``case_facts_mark_stale``: called by ``audit.case_event_record`` in the transaction of every
  event, so every service that changes an input of analytics (intake, transitions, measures,
  takedowns, parties, corrections and withdrawals, closure) marks its case's row stale without
  knowing about analytics.
- ``case_facts_refresh_stale``: works out the stale rows of one district again; the analytics
  read runs it first, so figures are fresh as of the last committed change; in the same
  transaction it counts again the month tallies (``analytics_months``) those rows were
  counted in and now belong to. Every case has a
  row: triggers on the case table write it, stale, with the case, and mark it stale again
  when a column it copies changes, whoever writes (migration
  ``0029_case_facts_row_with_every_case``).
- ``case_facts_refresh_all``: the hourly beat task and ``manage.py analytics_refresh``:
  every case again, in batches, including records written outside the services (a measure
  or takedown added in the admin marks nothing stale; the hourly pass picks it up), then
  every month tally of those districts.
- ``case_facts_compute``: the facts of some cases, worked out from their records: the one
  definition of every per-case fact (docs/analytics.md).

Concurrency: a refresh locks the stale rows it works on with ``SKIP LOCKED``; a row locked by
another transaction belongs to a change not yet committed, which leaves it stale for the next
read. A change committed after the lock waits for the refresh and marks the row stale again.
"""

import datetime as dt
import logging
import secrets
import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from . import choices as c
from .analytics_months import (
    RESPONDENT_FIELDS,
    lock_districts,
    month_of,
    months_ensure,
    months_rebuild,
    months_recount,
)
from .events import EventType
from .models import Case, CaseEvent, CaseMeasure, CaseParty, PartyChoice, TakedownRequest
from .models_analytics import AnalyticsMonth, CaseFacts
from .school_calendar import zone_named

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
OFFER_CHOICES = (PartyChoice.OFFERED, PartyChoice.ACCEPTED, PartyChoice.DECLINED)
BATCH = 1000
logger = logging.getLogger(__name__)
FACT_FIELDS = [
    "district_id",
    "school_id",
    "reported_at",
    "stage",
    "ncii_kind",
    "conduct",
    "closed_at",
    "first_action_after",
    "closure_after",
    "has_support",
    "has_resources",
    "has_platform",
    "has_respondent",
    "respondent_student",
    "respondent_employee",
    "respondent_non_affiliated",
    "respondent_unknown",
]


def first_actions():
    """Events that count as a case's first action: a staff member's, other than the intake
    and the obligations the system adds (correlated on ``OuterRef("pk")``, a case)."""
    return CaseEvent.objects.filter(case=OuterRef("pk"), actor__isnull=False).exclude(
        event_type__in=NOT_A_FIRST_ACTION
    )


def supportive_offers():
    """Current supportive measures offered to a depicted person of the case (withdrawn records
    count nowhere; respondents' and witnesses' own measures are not this measure)."""
    return CaseMeasure.objects.current().filter(
        case=OuterRef("pk"),
        kind=CaseMeasure.Kind.SUPPORTIVE,
        party_choice__in=OFFER_CHOICES,
        party__role=c.PartyRole.DEPICTED,
    )


def _after(later, earlier) -> dt.timedelta | None:
    if later is None or earlier is None:
        return None
    return later - earlier


def case_facts_compute(case_ids: Iterable[int]) -> list[CaseFacts]:
    """Returns unsaved ``CaseFacts`` of the given cases (ids of cases that do not exist are
    skipped), worked out from their current records in three queries."""
    ids = list(case_ids)
    supportive = supportive_offers()
    rows = (
        Case.objects.filter(pk__in=ids)
        .annotate(
            first_action_at=Subquery(
                first_actions().order_by("created_at", "pk").values("created_at")[:1]
            ),
            has_support=Exists(supportive),
            has_resources=Exists(supportive.filter(measure__slug=TAKEDOWN_GUIDANCE_SLUG))
            | Exists(
                TakedownRequest.objects.current().filter(case=OuterRef("pk"), route__in=HASH_ROUTES)
            ),
            has_platform=Exists(Case.platforms.through.objects.filter(case_id=OuterRef("pk"))),
            the_district=F("district_id"),
        )
        .values(
            "pk",
            "the_district",
            "school_id",
            "reported_at",
            "stage",
            "ncii_kind",
            "conduct",
            "closed_at",
            "first_action_at",
            "has_support",
            "has_resources",
            "has_platform",
        )
    )
    affiliations: dict[int, set[str]] = {}
    for case_id, affiliation in (
        CaseParty.objects.current()
        .filter(case_id__in=ids, role=c.PartyRole.RESPONDENT)
        .values_list("case_id", "affiliation")
        .distinct()
    ):
        affiliations.setdefault(case_id, set()).add(affiliation)
    now = timezone.now()
    facts = []
    for row in rows:
        held = affiliations.get(row["pk"], set())
        closed = row["stage"] == c.Stage.CLOSED
        facts.append(
            CaseFacts(
                case_id=row["pk"],
                district_id=row["the_district"],
                school_id=row["school_id"],
                reported_at=row["reported_at"],
                stage=row["stage"],
                ncii_kind=row["ncii_kind"],
                conduct=row["conduct"],
                closed_at=row["closed_at"] if closed else None,
                first_action_after=_after(row["first_action_at"], row["reported_at"]),
                closure_after=_after(row["closed_at"], row["reported_at"]) if closed else None,
                has_support=row["has_support"],
                has_resources=row["has_resources"],
                has_platform=row["has_platform"],
                has_respondent=bool(held),
                **{field: value in held for value, field in RESPONDENT_FIELDS.items()},
                stale=False,
                refreshed_at=now,
            )
        )
    return facts


def _months_assign(facts: list[CaseFacts], zones: dict[int, str]) -> set[int]:
    """Sets each fact's ``counted_in`` to the tally of its school and month reported (created
    when missing) and returns the ids of those tallies (two queries per district). ``zones``:
    the districts whose tally lock the caller holds, with their time zones; the lock of any
    other district is taken here (a case moved to another district by a data fix)."""
    by_district: dict[int, list[CaseFacts]] = {}
    for fact in facts:
        by_district.setdefault(fact.district_id, []).append(fact)
    if not set(by_district) <= set(zones):
        zones.update(lock_districts(set(by_district) - set(zones)))
    used: set[int] = set()
    for district_id, rows in sorted(by_district.items()):
        zone_name = zones.get(district_id) or ""
        zone = zone_named(zone_name)
        keys = {(f.school_id, month_of(f.reported_at, zone)) for f in rows}
        ids = months_ensure(district_id, zone_name, keys)
        for fact in rows:
            fact.counted_in_id = ids[(fact.school_id, month_of(fact.reported_at, zone))]
        used.update(ids.values())
    return used


def _write(facts: list[CaseFacts], *, insert_only: bool = False) -> None:
    if insert_only:
        CaseFacts.objects.bulk_create(facts, batch_size=BATCH, ignore_conflicts=True)
        return
    CaseFacts.objects.bulk_create(
        facts,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["case"],
        update_fields=[*FACT_FIELDS, "stale", "refreshed_at", "counted_in"],
    )


def case_facts_mark_stale(cases: Iterable[Case]) -> None:
    """Marks the facts of the cases stale, creating their rows if they have none (one query).
    Called in the transaction of each event, so it commits or rolls back with the change."""
    rows = [
        CaseFacts(
            case_id=case.pk,
            district_id=case.district_id,
            school_id=case.school_id,
            reported_at=case.reported_at,
            stage=case.stage,
            ncii_kind=case.ncii_kind,
            conduct=case.conduct,
            stale=True,
        )
        for case in {case.pk: case for case in cases}.values()
    ]
    if rows:
        CaseFacts.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["case"],
            # The district and school too: a case moved is worked out by its new district.
            update_fields=["stale", "district_id", "school_id"],
        )


def case_facts_refresh_stale(*, district_id: int) -> int:
    """Works out the stale facts of the district again (and those counted in its tallies that
    a data fix moved to another district) and returns how many rows it wrote (one query when
    none is stale: the index of the stale rows), so a read after it counts every case as of
    the last committed change. Every case has a row from the moment it is written (a trigger
    on the case table, migration ``0029_case_facts_row_with_every_case``, writes it stale),
    so no case is missing. In the same transaction, under the district's tally lock, it
    counts again the month tallies those rows were counted in and now belong to
    (``analytics_months``). Rows locked by an uncommitted change are left stale."""
    stale = CaseFacts.objects.filter(stale=True).filter(
        Q(district_id=district_id) | Q(counted_in__district_id=district_id)
    )
    found = list(stale.values_list("case_id", "district_id", "counted_in__district_id"))
    if not found:
        return 0
    candidates = [case_id for case_id, _, _ in found]
    with transaction.atomic():
        # Every district these rows are in or were counted in, in one call (in id order).
        held = {district_id} | {d for _, now, was in found for d in (now, was) if d is not None}
        zones = lock_districts(held)
        rows = list(
            CaseFacts.objects.filter(case_id__in=candidates, stale=True)
            .select_for_update(skip_locked=True)
            .values_list("case_id", "counted_in_id")
        )
        ids = [case_id for case_id, _ in rows]
        # The months these rows were counted in before, and the ones they belong to now.
        months = {month_id for _, month_id in rows if month_id is not None}
        districts = {district_id}
        written = 0
        for start in range(0, len(ids), BATCH):
            # A case moved to yet another district since the first query stays stale for
            # that district's read (its lock is not held here).
            facts = [
                fact
                for fact in case_facts_compute(ids[start : start + BATCH])
                if fact.district_id in zones
            ]
            months |= _months_assign(facts, zones)
            districts |= {fact.district_id for fact in facts}
            _write(facts)
            written += len(facts)
        # The districts of every month counted again: their kept figures are dropped too.
        districts |= months_recount(months)
        if written:
            transaction.on_commit(lambda: _generation_advance(districts))
    if written:
        # At once too: inside an outer transaction (a test, an atomic request) on_commit
        # waits for it, and figures must not be read again under the old generation; the
        # advance on commit drops anything kept in between.
        _generation_advance(districts)
    return written


# More changed rows than this in one batch of the reconcile: its months are counted at the end
# with the district's (a bulk load, a migration), not batch by batch.
RECOUNT_MAX = 200


def case_facts_refresh_all(*, district_id: int | None = None) -> int:
    """Works out the facts of every case (of one district, or of all) again, in batches of
    ``BATCH`` cases by id, each in its own transaction under the tally lock of its districts;
    returns how many cases it covered. Cases without a row get one; a row locked by an
    uncommitted change is left stale. The tallies of the rows that changed are counted again
    with them (a batch with more than ``RECOUNT_MAX`` changes leaves it to the end); then
    every tally of every district is counted again from its facts (``months_rebuild``: a
    case deleted in the admin leaves its month)."""
    cases = Case.objects.order_by("pk")
    if district_id is not None:
        cases = cases.filter(district_id=district_id)
    last, covered = 0, 0
    rebuild: set[int] = set()
    while True:
        batch = list(cases.filter(pk__gt=last).values_list("pk", "district_id")[:BATCH])
        if not batch:
            tallied = AnalyticsMonth.objects.values_list("district_id", flat=True).distinct()
            if district_id is not None:
                rebuild.add(district_id)
                tallied = tallied.filter(district_id=district_id)
            rebuild |= set(tallied)
            for district in sorted(rebuild):
                months_rebuild(district)
            _generation_advance(rebuild)
            return covered
        ids = [pk for pk, _ in batch]
        last = ids[-1]
        counted_in = set(
            CaseFacts.objects.filter(case_id__in=ids, counted_in__isnull=False)
            .values_list("counted_in__district_id", flat=True)
            .distinct()
        )
        with transaction.atomic():
            # Every district of the batch, and of the tallies its rows are counted in.
            zones = lock_districts({district for _, district in batch} | counted_in)
            before = {
                row["case_id"]: row
                for row in CaseFacts.objects.filter(case_id__in=ids).values(
                    "case_id", "stale", "counted_in_id", *FACT_FIELDS
                )
            }
            locked = set(
                CaseFacts.objects.filter(case_id__in=ids)
                .select_for_update(skip_locked=True)
                .values_list("case_id", flat=True)
            )
            missing = [pk for pk in ids if pk not in before]
            # A case moved to a district not held here since the first query: the next pass.
            facts = [f for f in case_facts_compute(locked) if f.district_id in zones]
            added = [f for f in case_facts_compute(missing) if f.district_id in zones]
            _months_assign(facts + added, zones)
            changed = [
                fact
                for fact in facts
                if before[fact.case_id]["stale"]
                or before[fact.case_id]["counted_in_id"] != fact.counted_in_id
                or any(before[fact.case_id][name] != getattr(fact, name) for name in FACT_FIELDS)
            ]
            _write(facts)
            _write(added, insert_only=True)
            districts = {f.district_id for f in facts + added}
            if len(changed) + len(added) > RECOUNT_MAX:
                rebuild |= districts | counted_in
            else:
                old = {before[f.case_id]["counted_in_id"] for f in changed}
                districts |= months_recount(
                    (old | {f.counted_in_id for f in changed + added}) - {None}
                )
            transaction.on_commit(lambda d=districts: _generation_advance(d))
        _generation_advance(districts)
        covered += len(ids)


GENERATION_KEY = "ncii:analytics-facts-generation:%s"


def _generation_start() -> int:
    """A new generation number: random, so that no figure kept under an earlier generation of
    the same district (before the key was evicted or the cache restarted) is ever reused."""
    return secrets.randbits(62)


def facts_generation(district_id: int) -> str:
    """The district's facts generation in the shared cache: it moves on whenever a refresh
    wrote a row, so figures kept under it are as fresh as the facts. When the cache holds
    none (never set, key evicted, cache restarted) a new random one is stored and shared from
    then on (before, every read made up its own and no figure was ever reused until a case
    changed). Cache down: a new value each time, so nothing older is ever reused."""
    key = GENERATION_KEY % district_id
    try:
        value = cache.get(key)
        if value is None:
            cache.add(key, _generation_start(), timeout=None)
            value = cache.get(key)
    except Exception:  # the shared cache is unreachable
        value = None
    return str(value) if value is not None else f"new-{uuid.uuid4()}"


def facts_generation_advance(district_ids: Iterable[int]) -> None:
    """Moves the districts' facts generation on: figures kept under the old one are not read
    again (after their tallies were counted again outside a refresh: a new time zone)."""
    _generation_advance(district_ids)


def _generation_advance(district_ids: Iterable[int]) -> None:
    for district_id in set(district_ids):
        key = GENERATION_KEY % district_id
        try:
            try:
                cache.incr(key)
            except ValueError:  # no such key yet
                cache.set(key, _generation_start(), timeout=None)
        except Exception:  # the shared cache is unreachable: readers work figures out afresh
            logger.warning("Analytics: the facts generation could not be advanced")
