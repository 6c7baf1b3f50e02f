"""The counts of cases per school and stage that the database keeps with the cases
(``CaseStageCount``, migration ``0028_case_stage_counts``): every way a case is written
(the services, ``save``, ``QuerySet.update``, raw SQL, deletion) leaves them equal to a count
of the cases, on SQLite and on PostgreSQL, and the queue reads them for exactly the cases
each user may see."""

import importlib

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ncii_cases import choices as c
from ncii_cases.models import Case, CaseStageCount
from ncii_cases.permissions import Action, case_stage_counts_visible_to, cases_visible_to
from ncii_cases.selectors.queue import case_queue, school_stage_counts
from ncii_cases.services.cases import case_create, case_move_school
from ncii_cases.stage_counts import case_stage_counts_reconcile
from tests.audit_helpers import as_owner
from tests.factories import CaseFactory, SchoolFactory

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("ncii_cases.migrations.0028_case_stage_counts")
STAGES = [value for value, _ in c.Stage.choices]


def as_tables_owner():
    """The owner of the tables, with their triggers on, as ``migrate`` runs."""
    return as_owner(triggers_off=False)


def counted() -> dict[tuple[int, int, str], int]:
    """The cases counted now, per (district, school, stage)."""
    rows = Case.objects.order_by().values_list("district_id", "school_id", "stage")
    return {(d, s, st): n for d, s, st, n in rows.annotate(n=Count("*"))}


def kept() -> dict[tuple[int, int, str], int]:
    """The kept counts above zero, per (district, school, stage)."""
    rows = CaseStageCount.objects.filter(cases__gt=0)
    return {(r.district_id, r.school_id, r.stage): r.cases for r in rows}


def test_every_write_of_a_case_keeps_the_counts(school, other_school, foreign_case):
    assert kept() == counted() == {(foreign_case.district_id, foreign_case.school_id, "intake"): 1}
    a = CaseFactory(school=school)
    b = CaseFactory(school=school, stage=c.Stage.INVESTIGATION)
    assert kept() == counted()
    # save() of a new stage, of another field only, and of nothing new.
    a.stage = c.Stage.HARM_ASSESSMENT
    a.save()
    a.title = "Renamed"
    a.save()
    b.save()
    assert kept() == counted()
    # QuerySet.update of the stage, of the school, and of a field the counts do not follow.
    Case.objects.filter(pk=b.pk).update(stage=c.Stage.CLOSED)
    Case.objects.filter(pk=a.pk).update(school=other_school)
    Case.objects.update(title="Same")
    assert kept() == counted()
    # Raw SQL, as a data fix would.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ncii_cases_case SET stage = %s WHERE id = %s", [c.Stage.MONITORING, b.pk]
        )
    assert kept() == counted()
    # Deletion (a case with no records).
    a.delete()
    assert kept() == counted()
    assert CaseStageCount.objects.get(school=other_school, stage=c.Stage.HARM_ASSESSMENT).cases == 0


def test_the_services_keep_the_counts(school, other_school, coordinator):
    case = case_create(
        actor=coordinator,
        school=school,
        title="Shared images",
        narrative="A report.",
        reported_at=timezone.now(),
    )
    assert kept() == counted() == {(school.district_id, school.pk, "intake"): 1}
    case_move_school(actor=coordinator, case=case, school=other_school, reason="Enrolled there.")
    assert kept() == counted() == {(school.district_id, other_school.pk, "intake"): 1}


def test_a_write_rolled_back_leaves_the_counts_as_they_were(school):
    case = CaseFactory(school=school)
    before = kept()
    with pytest.raises(RuntimeError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(stage=c.Stage.CLOSED)
        CaseFactory(school=school)
        raise RuntimeError("the request failed")
    assert kept() == before == counted()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["create", "save", "update", "move", "move_district", "delete"]),
            st.integers(min_value=0, max_value=50),
            st.sampled_from(STAGES),
        ),
        max_size=12,
    )
)
def test_any_sequence_of_writes_keeps_the_counts(school, other_school, foreign_case, steps):
    schools = [school, other_school, foreign_case.school]
    with transaction.atomic():
        for kind, n, stage in steps:
            ids = list(Case.objects.order_by("pk").values_list("pk", flat=True))
            pk = ids[n % len(ids)]
            if kind == "create":
                CaseFactory(school=schools[n % 3], stage=stage)
            elif kind == "save":
                case = Case.objects.get(pk=pk)
                case.stage = stage
                case.save()
            elif kind == "update":
                Case.objects.filter(pk__in=ids[n % len(ids) :: 2]).update(stage=stage)
            elif kind == "move":
                case = Case.objects.get(pk=pk)
                within = [s for s in schools if s.district_id == case.district_id]
                Case.objects.filter(pk=pk).update(school=within[n % len(within)])
            elif kind == "move_district":
                # Not something the application does; a data fix in SQL could.
                to = schools[n % 3]
                Case.objects.filter(pk=pk).update(school=to, district=to.district_id)
            elif len(ids) > 1:
                Case.objects.filter(pk=pk).delete()
            assert kept() == counted()
        transaction.set_rollback(True)


def test_the_migration_counts_the_cases_already_there(school, other_school, foreign_case):
    CaseFactory(school=school)
    CaseFactory(school=other_school, stage=c.Stage.CLOSED)
    CaseStageCount.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(MIGRATION.BACKFILL)
    assert kept() == counted()
    assert len(kept()) == 3


def test_the_nightly_reconcile_corrects_counts_that_drifted(school, other_school):
    CaseFactory(school=school)
    CaseFactory(school=school, stage=c.Stage.CLOSED)
    CaseFactory(school=other_school)
    assert case_stage_counts_reconcile() == 0
    # A hand edit and a row lost, as a restore of one table without the other would leave.
    CaseStageCount.objects.filter(school=school, stage=c.Stage.INTAKE).update(cases=9)
    CaseStageCount.objects.filter(school=other_school).delete()
    CaseStageCount.objects.create(
        district_id=school.district_id, school=school, stage=c.Stage.APPEAL, cases=2
    )
    assert kept() != counted()
    assert case_stage_counts_reconcile() == 3
    assert kept() == counted()
    assert case_stage_counts_reconcile() == 0


def test_a_count_that_drifted_low_never_stops_a_case_from_moving(school):
    """A count lower than the cases (a table restored alone) goes below zero rather than
    refuse the write; the queue shows none of it and the recount puts it right."""
    case = CaseFactory(school=school)
    CaseStageCount.objects.filter(school=school).update(cases=0)
    Case.objects.filter(pk=case.pk).update(stage=c.Stage.CLOSED)
    assert CaseStageCount.objects.get(school=school, stage=c.Stage.INTAKE).cases == -1
    assert case_stage_counts_reconcile() == 1
    assert kept() == counted()


@pytest.mark.django_db(transaction=True)
def test_the_recount_gives_up_when_the_case_table_stays_busy(school):
    """A write transaction holding the case table longer than 5 seconds: the recount gives
    up, changes nothing and says so, rather than make every case write wait behind it."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    import psycopg2

    from ncii_cases.stage_counts import CaseTableBusy

    CaseFactory(school=school)
    CaseStageCount.objects.update(cases=7)
    params = connection.get_connection_params()
    other = psycopg2.connect(**params)
    try:
        with other.cursor() as cursor:
            cursor.execute("LOCK TABLE ncii_cases_case IN ROW EXCLUSIVE MODE")
        with pytest.raises(CaseTableBusy):
            case_stage_counts_reconcile()
        assert CaseStageCount.objects.get().cases == 7
    finally:
        other.rollback()
        other.close()
    assert case_stage_counts_reconcile() == 1
    assert kept() == counted()


def test_a_truncate_of_the_case_table_empties_the_counts(school):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has no TRUNCATE")
    CaseFactory(school=school)
    assert kept()
    # As the tables' owner (the application role may not TRUNCATE); in the test's
    # transaction, rolled back after it.
    with as_tables_owner(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE ncii_cases_case CASCADE")
    assert not Case.objects.exists()
    assert not CaseStageCount.objects.exists()


# --- What each user reads --------------------------------------------------------------------


def _grouped(user) -> set[tuple[int, str, int]]:
    rows = cases_visible_to(user, Action.VIEW_METADATA).order_by().values_list("school_id", "stage")
    return set(rows.annotate(n=Count("*")))


@pytest.mark.parametrize(
    "persona", ["coordinator", "school_admin", "investigator", "auditor", "outsider", "operator"]
)
def test_each_user_reads_the_counts_of_the_cases_they_may_see(
    request, persona, case, other_school_case, foreign_case, closed_case
):
    user = request.getfixturevalue(persona)
    CaseFactory(school=other_school_case.school, stage=c.Stage.INVESTIGATION)
    assert set(school_stage_counts(user=user)) == _grouped(user)


def test_whole_school_scopes_read_the_kept_counts_and_assigned_scopes_count(
    coordinator, school_admin, investigator, operator
):
    assert case_stage_counts_visible_to(coordinator, Action.VIEW_METADATA) is not None
    assert case_stage_counts_visible_to(school_admin, Action.VIEW_METADATA) is not None
    assert case_stage_counts_visible_to(investigator, Action.VIEW_METADATA) is None
    assert not case_stage_counts_visible_to(operator, Action.VIEW_METADATA).exists()
    # Not a case action: no rows.
    assert not case_stage_counts_visible_to(coordinator, Action.MANAGE_SETTINGS).exists()


def test_the_queue_reads_one_row_per_school_and_stage_not_the_cases(school, coordinator):
    for stage in (c.Stage.INTAKE, c.Stage.INTAKE, c.Stage.CLOSED):
        CaseFactory(school=school, stage=stage)
    with CaptureQueriesContext(connection) as ctx:
        queue = case_queue(user=coordinator, with_lists=False)
    counting = [q["sql"] for q in ctx.captured_queries if "casestagecount" in q["sql"]]
    assert len(counting) == 1
    assert not any("COUNT(" in q["sql"] and "GROUP BY" in q["sql"] for q in ctx.captured_queries), (
        "the counts per school and stage were counted from the cases"
    )
    assert sorted(queue.school_stage_counts) == [
        (school.pk, "closed", 1),
        (school.pk, "intake", 2),
    ]
    assert queue.total == 3


def test_another_districts_cases_never_reach_the_counts(school, coordinator, foreign_case):
    CaseFactory(school=foreign_case.school, stage=c.Stage.CLOSED)
    CaseFactory(school=school)
    assert school_stage_counts(user=coordinator) == [(school.pk, "intake", 1)]


def test_a_new_school_has_no_counts_until_it_has_a_case(district, coordinator):
    new = SchoolFactory(district=district, code="new")
    assert not CaseStageCount.objects.filter(school=new).exists()
    CaseFactory(school=new)
    assert school_stage_counts(user=coordinator) == [(new.pk, "intake", 1)]


def test_a_trigger_lost_with_a_rebuilt_table_is_made_again_after_migrate(school):
    """SQLite rebuilds a table to alter a column, and the old table's triggers go with it;
    after every migrate the missing ones are created again and the counts and facts put
    right (``case_triggers``)."""
    from ncii_cases.case_triggers import TRIGGERS, case_triggers_ensure
    from ncii_cases.models import CaseFacts

    names = [n for group in TRIGGERS[connection.vendor].values() for n in group]
    with as_tables_owner():
        assert case_triggers_ensure() == []
    with as_tables_owner(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER ncii_case_stage_count ON ncii_cases_case")
            cursor.execute("DROP TRIGGER ncii_case_facts_insert ON ncii_cases_case")
        else:
            cursor.execute("DROP TRIGGER ncii_case_stage_count_insert")
            cursor.execute("DROP TRIGGER ncii_case_facts_insert")
    unkept = CaseFactory(school=school)
    assert kept() != counted()
    assert not CaseFacts.objects.filter(case=unkept).exists()
    with as_tables_owner():  # migrate runs as the owner of the tables
        created = case_triggers_ensure()
    assert set(created) == {names[0], "ncii_case_facts_insert"} or (
        connection.vendor == "sqlite"
        and set(created) == {"ncii_case_stage_count_insert", "ncii_case_facts_insert"}
    )
    assert kept() == counted()
    assert CaseFacts.objects.get(case=unkept).stale
    CaseFactory(school=school)
    assert kept() == counted()
