"""A case's newest events are read from the end of the (case, id) index
(``caseevent_case_newest``, migration 0031): the case page's timeline and the case's audit
review read the same few rows however many events the case has, with no sort of them all (a
case of 5,000 events took 8 ms at 100,000 cases; 0.1 ms with the index)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ncii_cases.audit import case_event_record
from ncii_cases.events import EventType
from tests.access.helpers import login_verified

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _newest_event_reads(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT")
        and 'FROM "ncii_cases_caseevent"' in q["sql"]
        and 'ORDER BY "ncii_cases_caseevent"."id" DESC' in q["sql"]
    ]


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        # Few rows: the planner is told to avoid whole-table reads and sorts, so the plan
        # shows whether the index can give the order.
        cursor.execute("ANALYZE ncii_cases_caseevent")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("url_name", ["ncii_cases:case_detail", "reporting:case_audit"])
def test_a_cases_newest_events_are_read_from_the_end_of_its_index(
    client, case, other_school_case, coordinator, url_name
):
    # Most events belong to other cases, as on any installation: reading the whole table
    # backwards by id and skipping them is then no match for the case's own index.
    for i in range(40):
        case_event_record(
            case=other_school_case,
            actor=coordinator,
            event_type=EventType.FACTS_UPDATED,
            reason=f"{i}",
        )
    for i in range(5):
        case_event_record(
            case=case, actor=coordinator, event_type=EventType.FACTS_UPDATED, reason=f"{i}"
        )
    login_verified(client, coordinator)
    reads = _newest_event_reads(client, reverse(url_name, args=[case.pk]))
    assert reads, "the page read no newest events"
    for sql in reads:
        plan = _plan(sql)
        assert "Index Scan Backward using caseevent_case_newest" in plan, plan
        assert "Sort" not in plan.replace("Sort Key", ""), plan
