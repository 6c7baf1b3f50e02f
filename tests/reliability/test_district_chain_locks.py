"""Requests of one district never wait on another district's audit chains: with district A's
case-timeline and access-log heads locked by another connection (as a long append of A would
hold them), a logged page view and a workflow transition of district B complete and are
chained, while the same requests of A wait until the lock is released, then complete.

Requests go through the test client, each in a thread of its own (its own database
connection); the test runs on PostgreSQL, whose row locks these are. Every wait is bounded and
the lock is released in ``finally``, so the test cannot hang."""

import threading

import pytest
from django.db import connection, transaction
from django.test import Client

from ncii_cases.audit import (
    ACCESS_EVENT_CHAIN,
    CASE_EVENT_CHAIN,
    audit_verify,
    chain_rows,
    district_chain_name,
)
from ncii_cases.events import EventType
from ncii_cases.models import AuditChainHead
from tests.access.helpers import login_verified

ACTION = "begin_assessment"  # intake -> initial assessment, a coordinator's step
# Far longer than any request takes, and bounded: a test that fails does so in this time.
GENEROUS = 30
# How long the locked district's requests are given to show that they wait.
WAITING = 2


def chains_of(district_id) -> list[str]:
    return [district_chain_name(f, district_id) for f in (CASE_EVENT_CHAIN, ACCESS_EVENT_CHAIN)]


class Holder(threading.Thread):
    """Holds FOR UPDATE locks on the named chain heads in its own connection and transaction
    until ``release`` is set (or ``GENEROUS`` * 2 seconds passed); ``order`` records when the
    lock was taken and let go."""

    def __init__(self, chains: list[str], order: list[str]):
        super().__init__(daemon=True)
        self.chains, self.order = chains, order
        self.held, self.release = threading.Event(), threading.Event()
        self.locked: list[str] = []

    def run(self):
        try:
            with transaction.atomic():
                heads = AuditChainHead.objects.select_for_update().filter(chain__in=self.chains)
                self.locked = sorted(heads.values_list("chain", flat=True))
                self.held.set()
                self.release.wait(GENEROUS * 2)
                self.order.append("released")
        finally:
            connection.close()


def requests_in_thread(client, case, label: str, order: list[str], answers: dict):
    """A thread that views the case page, then moves the case by ``ACTION``; it records the
    two statuses in ``answers[label]`` and appends ``label`` to ``order`` when both are done."""

    def run():
        try:
            page = client.get(f"/cases/{case.pk}/")
            step = client.post(f"/cases/{case.pk}/transition/{ACTION}/", {"reason": ""})
            answers[label] = (page.status_code, step.status_code, step.get("Location"))
            order.append(label)
        except Exception as error:  # shown by the assertion on answers
            answers[label] = repr(error)
        finally:
            connection.close()

    return threading.Thread(target=run, daemon=True)


def head_counts(chains: list[str]) -> dict[str, int]:
    return dict(AuditChainHead.objects.filter(chain__in=chains).values_list("chain", "count"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_district_is_served_while_another_districts_chain_heads_are_locked(
    case, foreign_case, coordinator, outsider
):
    ours, theirs = Client(), Client()
    login_verified(ours, coordinator)
    login_verified(theirs, outsider)
    # Given both districts' heads exist (created by each chain's first append)
    for client, shown in ((ours, case), (theirs, foreign_case)):
        assert client.get(f"/cases/{shown.pk}/").status_code == 200
    locked_chains = chains_of(case.district_id)
    order: list[str] = []
    answers: dict = {}
    holder = Holder(locked_chains, order)
    blocked = requests_in_thread(ours, case, "district A", order, answers)
    other = requests_in_thread(theirs, foreign_case, "district B", order, answers)
    holder.start()
    try:
        assert holder.held.wait(GENEROUS), "the lock on district A's heads was not taken"
        assert holder.locked == sorted(locked_chains)
        # When district B views a case and moves it while A's heads are locked
        before = head_counts(chains_of(foreign_case.district_id))
        other.start()
        other.join(GENEROUS)
        # Then B is answered, and its rows chained, before the lock is let go
        assert not other.is_alive(), "district B waited on district A's chain heads"
        assert order == ["district B"], order
        after = head_counts(chains_of(foreign_case.district_id))
        assert all(after[chain] > before[chain] for chain in before), (before, after)
        # ...while the same requests of district A wait for it
        blocked.start()
        blocked.join(WAITING)
        assert blocked.is_alive() and "district A" not in answers, answers
    finally:
        holder.release.set()
        holder.join(GENEROUS)
        blocked.join(GENEROUS)
        other.join(GENEROUS)
    assert not blocked.is_alive(), "district A's requests never completed"
    # and complete once it is let go
    assert order == ["district B", "released", "district A"], order
    for label, shown in (("district A", case), ("district B", foreign_case)):
        assert answers[label] == (200, 302, f"/cases/{shown.pk}/"), answers
        # Each district's rows are in its own chains: the step's event, and the page views
        # (the warm-up's and the one while A's heads were locked).
        events_chain, access_chain = chains_of(shown.district_id)
        steps = chain_rows(events_chain).filter(case=shown, event_type=EventType.TRANSITION)
        assert [event.detail.get("action") for event in steps] == [ACTION], label
        views = chain_rows(access_chain).filter(case=shown, path=f"/cases/{shown.pk}/")
        assert views.count() == 2, label
    assert all(r.ok for r in audit_verify())
