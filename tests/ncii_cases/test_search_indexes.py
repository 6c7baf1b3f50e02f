"""The queue's search is served by trigram indexes on PostgreSQL: each part of the search
(reference and title, a party's first or last name, a described party) matches the expression
of its index, so the planner can read the few matching rows instead of every row. SQLite keeps
its plain scan."""

import pytest
from django.db import connection
from django.http import QueryDict

from ncii_cases.filters import SORT_ORDER
from ncii_cases.models import Case
from ncii_cases.permissions import Action, cases_visible_to
from ncii_cases.selectors.queue import case_queue
from tests.factories import CasePartyFactory

pytestmark = pytest.mark.django_db

TRIGRAM_INDEXES = {
    "ncii_case_reference_trgm",
    "ncii_case_title_trgm",
    "ncii_person_first_name_trgm",
    "ncii_person_last_name_trgm",
    "ncii_caseparty_description_trgm",
}


def needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://...")


def test_the_trigram_indexes_exist():
    needs_postgresql()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%%_trgm'")
        found = {row[0] for row in cursor.fetchall()}
    assert found >= TRIGRAM_INDEXES


@pytest.mark.parametrize(
    ("model_name", "field", "index"),
    [
        ("Case", "reference", "ncii_case_reference_trgm"),
        ("Case", "title", "ncii_case_title_trgm"),
        ("Person", "first_name", "ncii_person_first_name_trgm"),
        ("Person", "last_name", "ncii_person_last_name_trgm"),
        ("CaseParty", "description", "ncii_caseparty_description_trgm"),
    ],
)
def test_each_part_of_the_search_can_use_its_trigram_index(model_name, field, index):
    """The search's ``icontains`` on each column matches its index's expression, so the
    planner can serve it from the index (which plan it picks for the whole query depends on
    the data: on a few rows it rightly reads the tables)."""
    needs_postgresql()
    from django.apps import apps

    model = apps.get_model("ncii_cases", model_name)
    sql, params = model.objects.filter(
        **{f"{field}__icontains": "Searchable"}
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan


def test_the_search_finds_a_case_by_reference_title_name_or_description(case, coordinator):
    CasePartyFactory(case=case, person__last_name="Okonkwo-Reyes", description="")
    CasePartyFactory(case=case, person=None, description="sender with a red backpack")
    Case.objects.filter(pk=case.pk).update(title="Photo shared in the gym")
    for term in (case.reference, "gym", "okonkwo", "red backpack"):
        queue = case_queue(user=coordinator, params={"q": term})
        assert list(queue.cases.values_list("pk", flat=True)) == [case.pk], term
        assert queue.count == 1, term


@pytest.mark.parametrize("persona", ["coordinator", "counselor"])
def test_the_search_checks_the_found_parties_cases_not_a_list_of_every_case(request, case, persona):
    """Need-to-know is a condition on each found party's own case (a join by primary key), so
    the cost follows the matches: no hashed list of every visible case of the district."""
    needs_postgresql()
    user = request.getfixturevalue(persona)
    CasePartyFactory(case=case, person__last_name="Okonkwo-Reyes", description="")
    queue = case_queue(user=user, params={"q": "okonkwo"})
    sql, params = queue.cases.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "hashed SubPlan" not in plan, plan


def test_the_parties_rule_is_unchanged_for_each_role(request, case, other_school_case):
    """The join form of ``parties_visible_to`` reads the same parties as the rule of the case
    page (``case_parties_for_user``) for each persona."""
    from ncii_cases import choices as c
    from ncii_cases.selectors.cases import case_parties_for_user, parties_visible_to

    for kase in (case, other_school_case):
        for role in (c.PartyRole.DEPICTED, c.PartyRole.RESPONDENT, c.PartyRole.WITNESS):
            CasePartyFactory(case=kase, role=role)
    for persona in (
        "coordinator",
        "investigator",
        "unassigned_investigator",
        "counselor",
        "auditor",
    ):
        user = request.getfixturevalue(persona)
        found = set(parties_visible_to(user).values_list("pk", flat=True))
        expected = set()
        for kase in (case, other_school_case):
            expected |= {p.pk for p in case_parties_for_user(user=user, case=kase)}
        assert found == expected, persona


def _search_rows(user, term: str):
    from django.core.paginator import Paginator

    queue = case_queue(user=user, params={"q": term})
    page = Paginator(queue.rows, 25).get_page(1)
    return queue, [case.pk for case in page.object_list]


def test_a_search_reads_its_matches_once_for_the_count_and_the_page(case, school, coordinator):
    """The matches' ids are listed once, sorted: the pager's count and the page come from
    that list, in the order the database sorts the filtered cases."""
    from django.test.utils import CaptureQueriesContext

    from tests.factories import CaseFactory

    others = [CaseFactory(school=school) for _ in range(3)]
    for kase in [case, *others]:
        CasePartyFactory(case=kase, person__last_name="Okonkwo-Reyes", description="")
    CaseFactory(school=school)  # not a match
    with CaptureQueriesContext(connection) as queries:
        queue, rows = _search_rows(coordinator, "okonkwo")
    expected = list(queue.cases.values_list("pk", flat=True))
    assert len(expected) == 4
    assert rows == expected
    assert queue.count == 4
    searches = [q["sql"] for q in queries.captured_queries if "OKONKWO" in q["sql"].upper()]
    assert len(searches) == 1, searches


def test_a_search_without_a_match_reads_no_rows(case, coordinator):
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        queue, rows = _search_rows(coordinator, "no such name anywhere")
    assert (queue.count, rows) == (0, [])
    # The page's rows are read by primary key; with no match, no such read.
    rows_reads = [
        q["sql"]
        for q in queries.captured_queries
        if '"ncii_cases_case"."id" IN (' in q["sql"] and '"is_overdue"' in q["sql"]
    ]
    assert rows_reads == []


def test_a_search_broader_than_the_list_is_counted_and_paged_by_the_database(
    case, school, coordinator, monkeypatch
):
    from ncii_cases.selectors import queue as queue_module
    from tests.factories import CaseFactory

    monkeypatch.setattr(queue_module, "SEARCH_IDS_LISTED", 2)
    others = [CaseFactory(school=school) for _ in range(2)]
    for kase in [case, *others]:
        CasePartyFactory(case=kase, person__last_name="Okonkwo-Reyes", description="")
    queue, rows = _search_rows(coordinator, "okonkwo")
    assert queue.count == 3
    assert rows == list(queue.cases.values_list("pk", flat=True))


@pytest.mark.parametrize("persona", ["counselor", "auditor"])
def test_a_listed_search_keeps_need_to_know(request, case, persona):
    """A counselor's search matches only the parties they may read (not a respondent's
    name); the auditor's only references."""
    from ncii_cases import choices as c

    user = request.getfixturevalue(persona)
    CasePartyFactory(
        case=case, role=c.PartyRole.RESPONDENT, person__last_name="Okonkwo-Reyes", description=""
    )
    queue, rows = _search_rows(user, "okonkwo")
    assert (queue.count, rows) == (0, [])
    # The depicted student's name: the counselor, who may read it, finds the case; the
    # auditor, who reads no names, does not.
    CasePartyFactory(
        case=case, role=c.PartyRole.DEPICTED, person__last_name="Vantongeren", description=""
    )
    queue, rows = _search_rows(user, "vantongeren")
    assert (queue.count, rows) == ((1, [case.pk]) if persona == "counselor" else (0, []))
    queue, rows = _search_rows(user, case.reference)
    visible = persona == "auditor" or case_visible(user, case)
    assert (queue.count, rows) == ((1, [case.pk]) if visible else (0, []))


def test_a_search_by_a_user_who_may_see_no_case_finds_nothing(school, district):
    """A school administrator whose schools are not recorded yet sees no case: a search
    answers with no match, not an error."""
    from ncii_cases import choices as c
    from tests.factories import UserFactory

    newcomer = UserFactory(username="newadmin", district=district, role=c.Role.SCHOOL_ADMIN)
    queue, rows = _search_rows(newcomer, "okonkwo")
    assert (queue.count, rows) == (0, [])


@pytest.mark.parametrize(
    "term",
    ["Jordan Thorncombe", "thorncombe jordan", "Thorncombe, Jordan", "  jor   THORN ", "Jordan T"],
)
def test_a_search_by_a_full_name_finds_the_party_in_either_order(case, school, coordinator, term):
    """A coordinator types the student's whole name: every word in the first or the last
    name of one party finds the case (commas and extra spaces aside), in the queue's count
    and page alike."""
    from tests.factories import CaseFactory

    CasePartyFactory(
        case=case, person__first_name="Jordan", person__last_name="Thorncombe", description=""
    )
    other = CaseFactory(school=school)
    CasePartyFactory(
        case=other, person__first_name="Jordan", person__last_name="Okafor", description=""
    )
    queue, rows = _search_rows(coordinator, term)
    assert (queue.count, rows) == (1, [case.pk]), term
    assert list(queue.cases.values_list("pk", flat=True)) == [case.pk], term


def test_a_name_with_a_comma_and_a_term_longer_than_a_name(case, coordinator):
    """A last name with the comma of "Last, First" still finds its party; a term of more
    words than a name has (``SEARCH_NAME_WORDS``) is no one's full name, rather than a name
    whose extra words are dropped."""
    from ncii_cases.filters import SEARCH_NAME_WORDS

    CasePartyFactory(
        case=case, person__first_name="Jordan", person__last_name="Thorncombe", description=""
    )
    assert _search_rows(coordinator, "Thorncombe,")[1] == [case.pk]
    assert _search_rows(coordinator, " , Thorncombe ,")[1] == [case.pk]
    longer = " ".join(["Jordan"] * SEARCH_NAME_WORDS + ["Zzzzz"])
    assert _search_rows(coordinator, longer)[0].count == 0


def test_a_full_name_matches_one_party_not_the_words_of_two(case, coordinator):
    """A full name is one person: a case with a Jordan and, apart, a Thorncombe is not
    a match."""
    CasePartyFactory(
        case=case, person__first_name="Jordan", person__last_name="Okafor", description=""
    )
    CasePartyFactory(
        case=case, person__first_name="Riley", person__last_name="Thorncombe", description=""
    )
    assert _search_rows(coordinator, "Jordan Thorncombe")[0].count == 0
    assert _search_rows(coordinator, "Riley Thorncombe")[1] == [case.pk]


def test_a_full_name_search_keeps_need_to_know(case, counselor):
    """The counselor finds a depicted student by full name, never a respondent (whose name
    support staff do not read)."""
    from ncii_cases import choices as c

    CasePartyFactory(
        case=case,
        role=c.PartyRole.RESPONDENT,
        person__first_name="Casey",
        person__last_name="Okonkwo",
        description="",
    )
    assert _search_rows(counselor, "Casey Okonkwo")[0].count == 0
    CasePartyFactory(
        case=case,
        role=c.PartyRole.DEPICTED,
        person__first_name="Avery",
        person__last_name="Vantongeren",
        description="",
    )
    assert case_visible(counselor, case)  # the personas' counselor works on this case
    assert _search_rows(counselor, "Avery Vantongeren")[1] == [case.pk]


def test_a_full_name_search_reads_the_trigram_indexes_of_both_names():
    """Each word of a full name is looked up in the first-name and last-name trigram indexes
    (their matches combined), not by reading every person."""
    needs_postgresql()
    from ncii_cases.models import Person

    condition = Person.name_words_q(["Jordan", "Thorncombe"])
    sql, params = Person.objects.filter(condition).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ncii_person_first_name_trgm" in plan, plan
    assert "ncii_person_last_name_trgm" in plan, plan
    assert "Seq Scan" not in plan, plan


def case_visible(user, case) -> bool:
    from ncii_cases.permissions import Action, cases_visible_to

    return cases_visible_to(user, Action.VIEW_METADATA).filter(pk=case.pk).exists()


def test_the_current_parties_of_a_person_are_read_from_one_index():
    """A search by name finds people by the trigram index, then each person's current parties
    with their case and role (what need-to-know asks) from the index alone."""
    needs_postgresql()
    from ncii_cases.models import CaseParty

    sql, params = (
        CaseParty.objects.current().filter(person_id=1).order_by().values("case_id", "role")
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Only Scan using caseparty_person_current" in plan, plan


def test_the_listed_search_runs_without_parallel_workers(case):
    """The search's list of ids is a few milliseconds of index probes: starting a parallel
    worker for it cost more than the work, so it runs without one (PostgreSQL)."""
    needs_postgresql()
    from ncii_cases.selectors.queue import ids_listed

    with connection.cursor() as cursor:
        # A parallel plan wherever one may be used (the setting's name since PostgreSQL 16,
        # and before).
        cursor.execute("SELECT current_setting('server_version_num')::int >= 160000")
        setting = "debug_parallel_query" if cursor.fetchone()[0] else "force_parallel_mode"
        cursor.execute(f"SET LOCAL {setting} = on")
        cursor.execute('EXPLAIN SELECT "id" FROM "ncii_cases_case"')
        assert "Gather" in "\n".join(row[0] for row in cursor.fetchall())
    plan = ids_listed('EXPLAIN SELECT "id" FROM "ncii_cases_case"', ())
    assert plan and "Gather" not in "\n".join(plan), plan


@pytest.mark.parametrize(
    "sort",
    [[], *([param] for param in SORT_ORDER), ["-due", "stage"], ["harm", "-reference"]],
)
def test_the_search_lists_its_matches_in_the_order_of_every_sort(case, school, coordinator, sort):
    """The search's ids (one UNION of its parts, sorted outside) come in the order the queue
    sorts the same cases, for every sort and a combination, nulls and ties included."""
    import datetime as dt

    from django.utils import timezone

    from ncii_cases.selectors.queue import ids_listed
    from tests.factories import CaseFactory

    now = timezone.now()
    kases = [case, *(CaseFactory(school=school) for _ in range(5))]
    for i, kase in enumerate(kases):
        Case.objects.filter(pk=kase.pk).update(
            # Two cases without a due time, two with the same one, the same report instant
            # for two: the tiebreaks decide.
            next_due_at=None if i < 2 else now + dt.timedelta(hours=min(i, 3)),
            reported_at=now - dt.timedelta(hours=1 if i in (1, 4) else i + 2),
            harm_rank=i % 2,
        )
        # Matched by a party's name, one also by its title.
        CasePartyFactory(case=kase, person__last_name="Okonkwo-Reyes", description="")
    Case.objects.filter(pk=kases[3].pk).update(title="Okonkwo group chat")
    CaseFactory(school=school)  # not a match
    params = QueryDict(mutable=True)
    params["q"] = "okonkwo"
    params.setlist("sort", sort)
    queue = case_queue(user=coordinator, params=params)
    order = queue.cases.query.order_by
    unsearched = queue.filterset.filter_unsorted(
        cases_visible_to(coordinator, Action.VIEW_METADATA).order_by(), skip=("q",)
    )
    listed = ids_listed(*queue.filterset.search_sorted_sql(unsearched, order, limit=10))
    expected = list(queue.cases.values_list("pk", flat=True))
    assert len(expected) == len(kases)
    assert listed == expected


def test_a_listed_search_never_matches_another_districts_people(case, coordinator):
    """Another district's person of the same name, in a case of that district, is not
    listed, nor counted."""
    from tests.factories import CaseFactory

    CasePartyFactory(case=case, person__last_name="Okonkwo-Reyes", description="")
    elsewhere = CaseFactory()
    assert elsewhere.district_id != case.district_id
    CasePartyFactory(case=elsewhere, person__last_name="Okonkwo-Reyes", description="")
    queue, rows = _search_rows(coordinator, "okonkwo")
    assert (queue.count, rows) == (1, [case.pk])
