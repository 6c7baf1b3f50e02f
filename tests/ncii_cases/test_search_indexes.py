"""The queue's search is served by trigram indexes on PostgreSQL: each part of the search
(reference and title, a party's first or last name, a described party) matches the expression
of its index, so the planner can read the few matching rows instead of every row. SQLite keeps
its plain scan."""

import pytest
from django.db import connection

from ncii_cases.models import Case
from ncii_cases.queue import case_queue
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


def test_a_search_can_use_every_trigram_index(case, coordinator):
    needs_postgresql()
    CasePartyFactory(case=case, person__last_name="Searchable", description="tall sender")
    queue = case_queue(user=coordinator, params={"q": "Searchable"})
    sql, params = queue.cases.query.sql_with_params()
    with connection.cursor() as cursor:
        # Tiny tables: without this the planner rightly prefers reading them whole.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    used = {name for name in TRIGRAM_INDEXES if name in plan}
    assert used == TRIGRAM_INDEXES, plan


def test_the_search_finds_a_case_by_reference_title_name_or_description(case, coordinator):
    CasePartyFactory(case=case, person__last_name="Okonkwo-Reyes", description="")
    CasePartyFactory(case=case, person=None, description="sender with a red backpack")
    Case.objects.filter(pk=case.pk).update(title="Photo shared in the gym")
    for term in (case.reference, "gym", "okonkwo", "red backpack"):
        queue = case_queue(user=coordinator, params={"q": term})
        assert list(queue.cases.values_list("pk", flat=True)) == [case.pk], term
        assert queue.count == 1, term
