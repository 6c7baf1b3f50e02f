"""What a request to a record view wrote, asserted in one line (STYLE.md, "Tests": every view
test asserts the event row it should write and the number of queries).

    with records(Event(EventType.PARTY_ADDED, coordinator, {"party_id", "role"}), queries=31):
        response = client.post(url, data)

    with records(queries=12):  # a refused POST: nothing on any case's timeline
        response = client.post(url, data)

The bound is the count measured on SQLite and on PostgreSQL (the larger of the two), not a
padded guess: a change that adds a query per request fails here and says how many it ran.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection
from django.test.utils import CaptureQueriesContext

from ncii_cases.models import CaseEvent


@dataclass(frozen=True)
class Event:
    """A ``CaseEvent`` a request should write: its type, its actor (a user, or ``None`` for a
    row written by no one signed in) and the exact set of keys of its JSON detail; ``times``
    such rows one after the other (one per person of a form for several people)."""

    event_type: str
    actor: object
    detail_keys: frozenset = field(default_factory=frozenset)
    times: int = 1

    def __post_init__(self):
        object.__setattr__(self, "detail_keys", frozenset(self.detail_keys))


def _shape(event):
    return (event.event_type, event.actor_id, frozenset(event.detail))


@contextmanager
def records(*events, queries, case=None):
    """Asserts that the block ran at most ``queries`` database queries and wrote exactly the
    ``CaseEvent`` rows ``events`` describe, in that order (none given: it wrote none). With
    ``case``, every row written must belong to that case. Yields the list of rows written
    (filled in when the block ends), for tests that go on to check the detail's values."""
    last = CaseEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    written = []
    with CaptureQueriesContext(connection) as captured:
        yield written
    ran = len(captured.captured_queries)
    assert ran <= queries, f"{ran} queries ran, at most {queries} expected:\n" + "\n".join(
        f"{i}. {q['sql']}" for i, q in enumerate(captured.captured_queries, start=1)
    )
    written.extend(CaseEvent.objects.filter(pk__gt=last).order_by("pk"))
    expected = [
        (e.event_type, getattr(e.actor, "pk", None), e.detail_keys)
        for e in events
        for _ in range(e.times)
    ]
    assert [_shape(e) for e in written] == expected
    if case is not None:
        assert {e.case_id for e in written} <= {case.pk}
