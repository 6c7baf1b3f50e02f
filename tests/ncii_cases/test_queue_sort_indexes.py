"""Every sort of the queue has an index that stores its whole order (tiebreak included) after
the district: on PostgreSQL a page of ids, at any depth, is read from that index alone (an
index-only scan, no sort), and the rows are then fetched by primary key (``IdsFirstList``).
The nightly recount of the kept counts per school and stage can group in an index's order."""

import pytest
from django.db import connection
from django.http import QueryDict

from ncii_cases.models import Case
from ncii_cases.selectors.queue import case_queue
from tests.factories import CaseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

SORT_INDEX = {
    "reported": "case_q_reported",
    "-reported": "case_q_reported",
    "reference": "case_q_reference",
    "-reference": "case_q_reference",
    "stage": "case_q_stage",
    "-stage": "case_q_stage",
    "due": "case_q_due",
    "-due": "case_q_due",
    "-harm": "case_q_harm",
    "harm": "case_q_harm",
    "": "case_q_due",  # the default order: soonest due first
}


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # Few rows: tell the planner what a district's table is like, and show whether the
        # order can come from the index (a plan needing a sort would still show one).
        cursor.execute("ANALYZE ncii_cases_case")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        # An incremental sort (a sort of the rows presorted by a first column, such as the
        # district's own index gives) is a sort too.
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("sort", list(SORT_INDEX))
def test_page_50_of_each_sort_reads_its_ids_from_the_index_alone(school, coordinator, sort):
    for _ in range(3):
        CaseFactory(school=school)
    queue = case_queue(user=coordinator, params=QueryDict(f"sort={sort}" if sort else ""))
    ids = queue.rows.ids[49 * 25 : 50 * 25]
    plan = _plan(ids)
    assert f"Index Only Scan Backward using {SORT_INDEX[sort]}" in plan or (
        f"Index Only Scan using {SORT_INDEX[sort]}" in plan
    ), plan
    assert "Sort" not in plan.replace("Sort Key", ""), plan


def test_the_recount_of_the_kept_counts_groups_in_the_order_of_an_index(school, coordinator):
    """The nightly recount (``stage_counts.case_stage_counts_reconcile``) groups every case by
    district, school and stage; ``case_q_school_stage`` stores exactly that order, so the
    groups can be read off the index with no sort and no hash table of the whole case table.
    (Which of the two plans the planner picks on a real table depends on its statistics; this
    shows the sort-free one exists.) The queue itself reads the kept counts
    (tests/ncii_cases/test_case_stage_counts.py)."""
    CaseFactory(school=school)
    from django.db.models import Count

    counts = (
        Case.objects.order_by()
        .values_list("district_id", "school_id", "stage")
        .annotate(n=Count("*"))
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_hashagg = off")
    plan = _plan(counts)
    assert "GroupAggregate" in plan, plan
    assert "using case_q_school_stage" in plan, plan
    assert "Sort" not in plan.replace("Sort Key", "").replace("Presorted Key", ""), plan
    assert Case.objects.count() == 1
