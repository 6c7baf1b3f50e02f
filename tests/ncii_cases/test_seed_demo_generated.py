"""seed_demo's generated year of cases (``--size``): the scenarios stay, the generated cases
come on top, the same seed and instant give the same cases, they spread over stages, months,
clocks and outcomes, the audit record verifies, and the demo users see only what their role
and assignments open.

The district is seeded once for the module (in a transaction rolled back at the end): 60 cases
go through the real services, which takes a while."""

import datetime as dt
import io
from collections import Counter
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.management import demo_generated
from ncii_cases.models import (
    AccessEvent,
    Case,
    CaseEvent,
    Determination,
    NotificationOutbox,
    Sanction,
    TakedownRequest,
    User,
)
from ncii_cases.permissions import Action, cases_visible_to

SIZE = 60
# The instant the demo year ends at, fixed so that two seedings can be compared.
NOW = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)
SCENARIO_TITLES = {
    "Group chat 'nudify' images of ninth graders",
    "Synthetic video of a principal shared by AirDrop",
    "Private photo forwarded after a breakup",
    "Colleague's image posted in a staff group chat",
    "Sextortion of a seventh grader by an unknown adult",
    "Edited swimsuit photo used as a meme",
}


def _seed(size=SIZE):
    with override_settings(DEBUG=True), mock.patch.object(timezone, "now", lambda: NOW):
        call_command("seed_demo", "--size", str(size), stdout=open("/dev/null", "w"))  # noqa: SIM115


def _fingerprint():
    return list(
        Case.objects.order_by("reference").values_list(
            "reference", "title", "stage", "reported_at", "stage_entered_at", "school__code"
        )
    )


class _Rollback(Exception):
    pass


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seeds twice (the first run rolled back) and returns both runs' fingerprints; the
    second run's rows stay for the module's tests."""
    with django_db_blocker.unblock(), transaction.atomic():
        try:
            with transaction.atomic():
                _seed()
                first = _fingerprint()
                raise _Rollback
        except _Rollback:
            pass
        assert not Case.objects.exists()
        _seed()
        yield first, _fingerprint()
        transaction.set_rollback(True)


def generated():
    return Case.objects.exclude(title__in=SCENARIO_TITLES).exclude(title__startswith="New report")


def test_seed_demo_keeps_the_scenarios_and_adds_the_generated_cases(seeded, db):
    titles = set(Case.objects.values_list("title", flat=True))
    assert titles >= SCENARIO_TITLES
    assert generated().count() == SIZE
    assert set(generated().values_list("title", flat=True)) <= set(demo_generated.TITLES.values())


def test_two_seedings_give_the_same_references_stages_and_dates(seeded, db):
    first, second = seeded
    assert len(first) == SIZE + 7
    assert first == second


def test_the_plan_is_a_function_of_the_seed_and_the_instant():
    schools = ["rhs", "lms", "hms"]
    one = demo_generated.plan_cases(size=30, seed=7, anchor=NOW, schools=schools)
    two = demo_generated.plan_cases(size=30, seed=7, anchor=NOW, schools=schools)
    other = demo_generated.plan_cases(size=30, seed=8, anchor=NOW, schools=schools)
    assert one == two
    assert [p.reported_at for p in one] != [p.reported_at for p in other]


def test_generated_cases_spread_over_stages_schools_and_the_months_of_a_year(seeded, db):
    cases = generated()
    stages = Counter(cases.values_list("stage", flat=True))
    assert len(stages) >= 8, stages
    assert stages[c.Stage.CLOSED] >= SIZE // 4
    months = {(d.year, d.month) for d in cases.values_list("reported_at", flat=True)}
    assert len(months) >= 8, months
    assert min(cases.values_list("reported_at", flat=True)) < NOW - dt.timedelta(days=250)
    assert max(cases.values_list("reported_at", flat=True)) <= NOW
    assert cases.values("school").distinct().count() >= 5


def test_generated_cases_have_clocks_overdue_due_today_and_met(seeded, db):
    open_cases = generated().exclude(stage__in=[c.Stage.CLOSED, c.Stage.PROCESS_A])
    overdue = open_cases.filter(next_due_at__lte=NOW).count()
    due_today = open_cases.filter(
        next_due_at__gt=NOW, next_due_at__lte=NOW + dt.timedelta(hours=12)
    ).count()
    running = open_cases.filter(next_due_at__gt=NOW + dt.timedelta(hours=12)).count()
    assert overdue and due_today and running, (overdue, due_today, running)
    statuses = Counter(
        TakedownRequest.objects.filter(case__in=generated()).values_list("status", flat=True)
    )
    assert statuses[TakedownRequest.Status.REMOVED] and statuses[TakedownRequest.Status.SUBMITTED]


def test_closed_cases_end_in_every_kind_of_outcome(seeded, db):
    closed = generated().filter(stage=c.Stage.CLOSED)
    findings = set(Determination.objects.filter(case__in=closed).values_list("finding", flat=True))
    assert Determination.Finding.RESPONSIBLE in findings
    assert findings - {Determination.Finding.RESPONSIBLE}
    assert Sanction.objects.filter(case__in=closed).exists()
    assert closed.filter(process=c.Process.REFERRED).exists()
    actions = Counter(
        CaseEvent.objects.filter(case__in=closed, event_type=EventType.TRANSITION).values_list(
            "detail__action", flat=True
        )
    )
    for action in ("close", "refer", "informal_agreement_reached"):
        assert actions[action], (action, actions)
    assert actions["route_process_a"]
    assert actions["dismiss_to_process_b"]


def test_generated_steps_are_dated_over_the_year_in_the_audit_chain_order(seeded, db):
    events = CaseEvent.objects.filter(case__in=generated()).order_by("pk")
    moments = list(events.values_list("created_at", flat=True))
    assert moments == sorted(moments)
    assert moments[0] < NOW - dt.timedelta(days=250)


def test_the_access_log_shows_the_case_pages_opened_before_each_step(seeded, db):
    transitions = CaseEvent.objects.filter(
        case__in=generated(), event_type=EventType.TRANSITION
    ).count()
    views = AccessEvent.objects.filter(case__in=generated(), action="case_detail")
    assert views.count() == transitions
    assert min(views.values_list("created_at", flat=True)) < NOW - dt.timedelta(days=250)


def test_the_audit_record_verifies_after_seeding(seeded, db):
    out = io.StringIO()
    call_command("verify_audit", stdout=out)  # raises CommandError when a chain is broken
    assert "CHAIN BROKEN" not in out.getvalue()
    assert f"{CaseEvent.objects.count()} rows, chain intact" in out.getvalue()


def test_the_past_years_staff_notices_are_not_sent(seeded, db):
    pending = NotificationOutbox.objects.filter(
        relayed_at__isnull=True, case__in=generated()
    ).count()
    assert pending == 0
    assert NotificationOutbox.objects.filter(
        case__in=generated(), last_error=demo_generated.GENERATED_NOT_SENT
    ).exists()


def test_demo_users_see_what_their_role_and_assignments_open(seeded, db, outsider):
    everything = Case.objects.count()
    coordinator = User.objects.get(username="coordinator")
    assert cases_visible_to(coordinator).count() == everything
    for username in ("investigator", "counselor"):
        user = User.objects.get(username=username)
        visible = cases_visible_to(user)
        assert 0 < visible.count() < everything
        assert not visible.exclude(assignments__user=user).exists()
    school_admin = User.objects.get(username="schooladmin")
    assert set(cases_visible_to(school_admin).values_list("school__code", flat=True)) == {"rhs"}
    for username in ("teacher", "itadmin", "auditor", "operator"):
        user = User.objects.get(username=username)
        assert not cases_visible_to(user).exists(), username
    assert not cases_visible_to(outsider, Action.VIEW_METADATA).exists()


def test_a_rerun_adds_no_generated_case_twice(seeded, db):
    before = Case.objects.count()
    _seed()
    assert Case.objects.count() == before


def test_a_negative_size_is_refused_with_what_to_give(db):
    with pytest.raises(CommandError, match="0 or more"):
        _seed(size=-1)
