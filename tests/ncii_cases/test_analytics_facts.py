"""The kept analytics facts: after any sequence of service calls (intake, transitions,
measures, takedowns, parties, corrections and withdrawals, closure) the figures aggregated
from the kept facts equal the figures worked out afresh from the case records, and every
kept row equals its case's facts computed anew."""

import datetime as dt
import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.analytics_facts import (
    FACT_FIELDS,
    case_facts_compute,
    case_facts_refresh_all,
    case_facts_refresh_stale,
)
from ncii_cases.errors import TransitionNotAllowed
from ncii_cases.models import (
    Case,
    CaseFacts,
    CaseMeasure,
    CaseParty,
    ReferenceCounter,
    TakedownRequest,
)
from ncii_cases.selectors.analytics import (
    AnalyticsFilters,
    analytics_scope_for_user,
    district_analytics_for_user,
    district_analytics_fresh,
)
from ncii_cases.services import cases as case_services
from ncii_cases.services import measures, takedowns
from ncii_cases.services.cases import PartyInput
from ncii_cases.services.corrections import record_withdraw
from ncii_cases.workflow import case_transition
from tests.factories_workflow import measure, platform

from .conftest import place

REFUSED = (ValidationError, TransitionNotAllowed, PermissionDenied, Http404)
KINDS = [value for value, _ in c.NciiKind.choices]
AFFILIATIONS = [value for value, _ in c.Affiliation.choices]


def assert_kept_equals_fresh(user, filters=None):
    kept = district_analytics_for_user(user=user, filters=filters)
    fresh = district_analytics_fresh(scope=analytics_scope_for_user(user=user), filters=filters)
    assert sum(t.reported for t in kept.trends) == kept.total
    kept.trends = []
    assert kept == fresh
    district = analytics_scope_for_user(user=user).district_id
    rows = {f.case_id: f for f in CaseFacts.objects.filter(district_id=district)}
    ids = list(Case.objects.filter(district_id=district).values_list("pk", flat=True))
    for computed in case_facts_compute(ids):
        kept_row = rows[computed.case_id]
        assert not kept_row.stale
        for name in FACT_FIELDS:
            assert getattr(kept_row, name) == getattr(computed, name), (computed.case_id, name)


class Operations:
    """Random service calls of a coordinator on the cases of a district."""

    def __init__(self, rng, actor, schools):
        self.rng, self.actor, self.schools = rng, actor, schools

    def cases(self):
        return list(Case.objects.filter(district_id=self.actor.district_id).order_by("pk"))

    def pick(self, rows):
        return self.rng.choice(rows) if rows else None

    def create(self):
        case_services.case_create(
            actor=self.actor,
            school=self.rng.choice(self.schools),
            title="Shared images",
            narrative="Images were shared in a group chat.",
            reported_at=timezone.now() - dt.timedelta(hours=self.rng.randint(0, 24 * 90)),
            ncii_kind=self.rng.choice(KINDS),
            platforms=[platform("snapchat")] if self.rng.random() < 0.5 else [],
            parties=[
                PartyInput(
                    role=c.PartyRole.DEPICTED,
                    description="the student shown",
                    affiliation=c.Affiliation.STUDENT,
                    is_minor=False,
                    age_in_imagery=c.AgeInImagery.ADULT,
                )
            ],
        )

    def transition(self):
        case = self.pick([k for k in self.cases() if k.stage == c.Stage.INTAKE])
        if case:
            case_transition(actor=self.actor, case=case, action="begin_assessment")

    def offer(self):
        party = self.pick(
            list(
                CaseParty.objects.current().filter(
                    role=c.PartyRole.DEPICTED,
                    case__stage__in=[c.Stage.INTAKE, c.Stage.INITIAL_ASSESSMENT],
                )
            )
        )
        if party:
            measures.measure_add(
                actor=self.actor,
                case=party.case,
                party=party,
                kind=CaseMeasure.Kind.SUPPORTIVE,
                measure=measure(self.rng.choice(["counseling", "take-it-down-guidance"])),
                party_choice="offered",
            )

    def respondent(self):
        case = self.pick([k for k in self.cases() if k.stage != c.Stage.CLOSED])
        if case:
            case_services.case_party_add(
                actor=self.actor,
                case=case,
                party=PartyInput(
                    role=c.PartyRole.RESPONDENT,
                    description="the sender",
                    affiliation=self.rng.choice(AFFILIATIONS),
                ),
            )

    def correct(self):
        party = self.pick(list(CaseParty.objects.current().filter(role=c.PartyRole.RESPONDENT)))
        if party:
            case_services.case_party_correct(
                actor=self.actor,
                party=party,
                version=party.version,
                reason="Entered with the wrong affiliation.",
                affiliations=[self.rng.choice(AFFILIATIONS)],
            )

    def withdraw(self):
        record = self.pick(
            [
                *CaseMeasure.objects.current(),
                *CaseParty.objects.current().filter(role=c.PartyRole.RESPONDENT),
                *TakedownRequest.objects.current(),
            ]
        )
        if record:
            record_withdraw(
                actor=self.actor, record=record, version=record.version, reason="Entered in error."
            )

    def takedown(self):
        case = self.pick([k for k in self.cases() if k.stage != c.Stage.CLOSED])
        if not case:
            return
        request = takedowns.takedown_request_create(
            actor=self.actor,
            case=case,
            platform=platform("snapchat"),
            location="a group",
            route=self.rng.choice([TakedownRequest.Route.PLATFORM, TakedownRequest.Route.STOPNCII]),
        )
        if request.route != TakedownRequest.Route.PLATFORM:
            return
        request = takedowns.takedown_request_submit(
            actor=self.actor,
            takedown=request,
            submitted_at=timezone.now() - dt.timedelta(hours=self.rng.randint(1, 100)),
            has_signature=True,
            identifies_content=True,
            good_faith_statement=True,
            has_contact_information=True,
        )
        if self.rng.random() < 0.6:
            takedowns.takedown_request_update(
                actor=self.actor, takedown=request, status=TakedownRequest.Status.REMOVED
            )

    def reclassify(self):
        case = self.pick([k for k in self.cases() if k.stage != c.Stage.CLOSED])
        if case:
            case_services.case_facts_update(
                actor=self.actor,
                case=case,
                reason="Classified again.",
                ncii_kind=self.rng.choice(KINDS),
            )

    def run(self, steps):
        names = [
            "create",
            "create",
            "transition",
            "offer",
            "respondent",
            "correct",
            "withdraw",
            "takedown",
            "reclassify",
        ]
        done = []
        for _ in range(steps):
            name = self.rng.choice(names)
            try:
                getattr(self, name)()
                done.append(name)
            except REFUSED:
                pass  # a step the workflow refuses changes nothing
        return done


@pytest.mark.parametrize("seed", range(4))
def test_kept_figures_equal_fresh_ones_after_random_service_calls(
    seed, coordinator, school, other_school, ready_case
):
    # Service references after the factories' ones.
    for year in (timezone.now().year - 1, timezone.now().year):
        ReferenceCounter.objects.create(district=school.district, year=year, last_number=900)
    # A case closed through the workflow, and a reopened one.
    place(ready_case, c.Stage.MONITORING)
    case_transition(actor=coordinator, case=ready_case, action="close", reason="Resolved.")
    ops = Operations(random.Random(seed), coordinator, [school, other_school])
    for _ in range(3):
        ops.create()
    done = ops.run(25)
    assert len(set(done)) >= 4, done
    assert_kept_equals_fresh(coordinator)
    since = timezone.localdate() - dt.timedelta(days=30)
    assert_kept_equals_fresh(coordinator, AnalyticsFilters(date_from=since, school=school))
    done = ops.run(15)
    if seed == 0:
        case_transition(
            actor=coordinator, case=ready_case, action="reopen", reason="New images surfaced."
        )
    assert_kept_equals_fresh(coordinator)


def intake(coordinator, school):
    ReferenceCounter.objects.get_or_create(
        district=school.district, year=timezone.now().year, defaults={"last_number": 900}
    )
    return case_services.case_create(
        actor=coordinator,
        school=school,
        title="Shared images",
        narrative="Images were shared.",
        reported_at=timezone.now(),
    )


def test_a_service_call_marks_its_case_stale_and_the_next_read_refreshes_it(coordinator, school):
    case = intake(coordinator, school)
    case_facts_refresh_all()
    assert CaseFacts.objects.filter(stale=True).count() == 0
    case_services.case_facts_update(
        actor=coordinator, case=case, reason="Classified.", ncii_kind=c.NciiKind.SYNTHETIC
    )
    # Stale, with the column it copies from the case already current (the trigger on the
    # case table); the rest is worked out by the next read.
    facts = CaseFacts.objects.get(case=case)
    assert facts.stale and facts.ncii_kind == c.NciiKind.SYNTHETIC
    assert case_facts_refresh_stale(district_id=case.district_id) == 1
    facts.refresh_from_db()
    assert (facts.stale, facts.ncii_kind) == (False, c.NciiKind.SYNTHETIC)
    # Nothing stale: nothing written.
    assert case_facts_refresh_stale(district_id=case.district_id) == 0


def test_a_case_created_through_the_intake_has_facts_before_any_reconcile(coordinator, school):
    case = intake(coordinator, school)
    assert CaseFacts.objects.get(case=case).stale
    assert district_analytics_for_user(user=coordinator).total == 1


def test_the_reconcile_picks_up_cases_written_outside_the_services(coordinator, school):
    from tests.factories import CaseFactory

    case = CaseFactory(school=school)
    # The database wrote its row with the case, stale; the hourly reconcile works it out.
    assert CaseFacts.objects.get(case=case).stale
    assert case_facts_refresh_all() == 1
    assert not CaseFacts.objects.get(case=case).stale
    assert district_analytics_for_user(user=coordinator).total == 1


def test_every_case_has_its_facts_row_from_the_database_whoever_writes_it(coordinator, school):
    """A case written outside the services (a bulk load, a data fix in SQL) has its row at
    once, stale, from the trigger on the case table; a change of a column the row copies
    marks it stale again; the read works out the reader's district only."""
    from django.db import connection

    from tests.factories import CaseFactory

    case = CaseFactory(school=school, ncii_kind=c.NciiKind.SYNTHETIC)
    elsewhere = CaseFactory()
    assert elsewhere.district_id != case.district_id
    facts = CaseFacts.objects.get(case=case)
    assert facts.stale
    assert (facts.district_id, facts.school_id, facts.stage, facts.ncii_kind) == (
        case.district_id,
        school.pk,
        c.Stage.INTAKE,
        c.NciiKind.SYNTHETIC,
    )
    figures = district_analytics_for_user(user=coordinator)
    assert figures.total == 1
    assert not CaseFacts.objects.get(case=case).stale
    assert CaseFacts.objects.get(case=elsewhere).stale
    assert_kept_equals_fresh(coordinator)
    # A change of a column the facts copy, in SQL: stale again, and read afresh.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ncii_cases_case SET stage = %s WHERE id = %s", [c.Stage.CLOSED, case.pk]
        )
    assert CaseFacts.objects.get(case=case).stale
    assert case_facts_refresh_stale(district_id=case.district_id) == 1
    assert CaseFacts.objects.get(case=case).stage == c.Stage.CLOSED
    # A change of a column the facts do not copy leaves the row as it is.
    Case.objects.filter(pk=case.pk).update(title="Renamed")
    assert not CaseFacts.objects.get(case=case).stale
    assert_kept_equals_fresh(coordinator)


def test_a_case_moved_to_another_district_is_counted_by_that_district(
    coordinator, outsider, school, other_district
):
    """Not something the application does (a case moves between schools of its district);
    a data fix in SQL could: the row follows the case, and the new district's next read
    works it out."""
    from tests.factories import CaseFactory, SchoolFactory

    case = CaseFactory(school=school)
    case_facts_refresh_all()
    far = SchoolFactory(district=other_district, code="moved")
    Case.objects.filter(pk=case.pk).update(district=other_district, school=far)
    facts = CaseFacts.objects.get(case=case)
    assert (facts.stale, facts.district_id, facts.school_id) == (True, other_district.pk, far.pk)
    assert case_facts_refresh_stale(district_id=other_district.pk) == 1
    assert district_analytics_for_user(user=outsider).total == 1
    assert district_analytics_for_user(user=coordinator).total == 0
    assert_kept_equals_fresh(outsider)


def test_the_read_with_nothing_stale_is_one_query_on_the_stale_rows(coordinator, school):
    """Nothing is stale: the read looks at the index of the stale rows and nothing else
    (no search over every case of the district for cases without a row)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import CaseFactory

    for _ in range(3):
        CaseFactory(school=school)
    assert case_facts_refresh_stale(district_id=school.district_id) == 3
    with CaptureQueriesContext(connection) as ctx:
        assert case_facts_refresh_stale(district_id=school.district_id) == 0
    sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(sql) == 1, sql
    assert '"ncii_cases_casefacts"' in sql[0] and '"ncii_cases_case"' not in sql[0], sql


def test_the_facts_trigger_writes_every_column_that_needs_a_value():
    """The trigger of 0029 names the columns of the row it writes: a column added to
    ``CaseFacts`` later that needs a value (NOT NULL, no database default) must be added to
    it, or every new case would be refused."""
    import importlib

    from ncii_cases.models_analytics import CaseFacts as Facts

    migration = importlib.import_module("ncii_cases.migrations.0029_case_facts_row_with_every_case")
    listed = migration.FACTS_INSERT.split("(", 1)[1].split(")")[0]
    named = {name.strip() for name in listed.split(",")}
    needed = {
        f.column
        for f in Facts._meta.concrete_fields
        if not f.null and getattr(f, "db_default", None) in (None, models.NOT_PROVIDED)
    }
    assert needed <= named, sorted(needed - named)


def test_the_migration_writes_a_stale_row_for_each_case_without_one(school):
    import importlib

    from django.db import connection

    from tests.factories import CaseFactory

    migration = importlib.import_module("ncii_cases.migrations.0029_case_facts_row_with_every_case")
    kept, lost = CaseFactory(school=school), CaseFactory(school=school)
    case_facts_refresh_all()
    CaseFacts.objects.filter(case=lost).delete()
    with connection.cursor() as cursor:
        cursor.execute(migration.BACKFILL)
    assert not CaseFacts.objects.get(case=kept).stale
    assert CaseFacts.objects.get(case=lost).stale


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "index"),
    [("first_action_after", "casefacts_first_action"), ("closure_after", "casefacts_closure")],
)
def test_each_median_reads_the_middle_of_its_index(field, index, district):
    """The medians' query (the measured durations of a district in order, read at the middle
    offset) matches an index of the kept facts, so PostgreSQL reads half an index instead of
    sorting every measured case. SQLite keeps its plain sort."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")
    durations = (
        CaseFacts.objects.filter(district_id=district.pk, **{f"{field}__isnull": False})
        .order_by(field)
        .values_list(field, flat=True)
    )
    sql, params = durations[10:12].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan


def test_a_missing_facts_generation_is_stored_once_and_shared():
    """With no generation in the shared cache (never set, evicted, restarted), the first read
    stores a new one that later reads share (so kept figures are reused), and a refresh moves
    it on."""
    from django.core.cache import cache

    from ncii_cases.analytics_facts import GENERATION_KEY, _generation_advance, facts_generation

    key = GENERATION_KEY % 987654
    cache.delete(key)
    try:
        first = facts_generation(987654)
        assert not first.startswith("new-")
        assert facts_generation(987654) == first
        _generation_advance([987654])
        assert facts_generation(987654) != first
    finally:
        cache.delete(key)
