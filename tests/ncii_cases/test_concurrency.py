"""Two people press the same button at once: the locked row lets exactly one through."""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import Case, CaseEvent
from ncii_cases.tasks import deadlines_remind
from ncii_cases.workflow import TransitionNotAllowed, case_transition


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_transition_fired_twice_at_once_applies_exactly_once(case, coordinator):
    # Given a case at intake and two threads ready to start its assessment together
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def fire():
        try:
            barrier.wait(timeout=10)
            case_transition(actor=coordinator, case_id=case.pk, action="begin_assessment")
            result = "applied"
        except TransitionNotAllowed:
            result = "not_allowed"
        except Exception as exc:  # pragma: no cover - shown in the assertion
            result = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=fire) for _ in range(2)]
    # When both fire
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # Then one applied, the other was told the stage had moved, and one event was written
    assert sorted(outcomes) == ["applied", "not_allowed"]
    assert Case.objects.get(pk=case.pk).stage == c.Stage.INITIAL_ASSESSMENT
    assert CaseEvent.objects.filter(case=case, event_type=EventType.TRANSITION).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reminder_runs_at_once_send_each_overdue_notice_once(case):
    # Given an overdue stage and two workers starting the reminder task together
    Case.objects.filter(pk=case.pk).update(stage_due_at=timezone.now() - dt.timedelta(hours=1))
    barrier = threading.Barrier(2)
    sent: list[int] = []

    def run():
        try:
            barrier.wait(timeout=10)
            sent.append(deadlines_remind()["stage"])
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # Then one of them claimed the item and one email went out
    assert sorted(sent) == [0, 1]
    assert len(mail.outbox) == 1
