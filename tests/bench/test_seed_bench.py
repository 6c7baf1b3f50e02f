"""The benchmark's seed: ``seed_bench`` leaves what the services would have left (rows, rights,
history, intact audit chains, a reference counter the app can continue). The run is tested in
``test_bench_run`` and ``test_bench_harness``."""

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bench.seed import (
    AUDIT_CASE_EVENTS,
    AUDIT_CASE_TITLE,
    BENCH_COORDINATOR,
    BENCH_INVESTIGATOR,
    SUMMARY_CASE_TITLE,
    SeedRefused,
    seed,
)
from bench.sites import mark_read, seed_mark
from ncii_cases.audit import audit_verify
from ncii_cases.models import (
    AccessEvent,
    Case,
    CaseAssignment,
    CaseEvent,
    CaseParty,
    CaseUserObjectPermission,
    HarmAssessment,
    Person,
    School,
    TakedownRequest,
    User,
)
from ncii_cases.permissions import ASSIGNMENT_GRANTS, cases_visible_to
from ncii_cases.services.cases import case_create
from tests.access.helpers import login_verified
from tests.ncii_cases.test_next_due import computed_next_due

CASES = 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_seed_bench_leaves_what_the_services_would_have_left():
    # When 200 cases are seeded
    out = io.StringIO()
    call_command("seed_bench", "--cases", str(CASES), stdout=out)

    # Then the volume is there: cases, 500 users, four parties a case (the summary case more)
    assert "Seeded 200 cases" in out.getvalue()
    assert Case.objects.count() == CASES
    assert User.objects.count() == 500
    summary = Case.objects.get(title=SUMMARY_CASE_TITLE)
    parties = Counter(CaseParty.objects.values_list("case_id", flat=True))
    assert set(parties) == set(Case.objects.values_list("pk", flat=True))
    assert {n for pk, n in parties.items() if pk != summary.pk} == {4}
    assert parties[summary.pk] > 4
    assert Case.objects.values("school").distinct().count() > 10
    assert Case.objects.values("stage").distinct().count() >= 8
    assert Case.objects.values("district").distinct().count() == 2
    assert TakedownRequest.objects.exists() and AccessEvent.objects.exists()

    # And every active assignment carries exactly the per-case rights it implies
    expected = {
        (a.user_id, a.case_id, codename)
        for a in CaseAssignment.objects.filter(ended_at__isnull=True)
        for codename in ASSIGNMENT_GRANTS[a.role]
    }
    held = set(
        CaseUserObjectPermission.objects.values_list(
            "user_id", "content_object_id", "permission__codename"
        )
    )
    assert held == expected
    investigator = User.objects.get(username=BENCH_INVESTIGATOR)
    assigned = set(
        CaseAssignment.objects.filter(user=investigator).values_list("case_id", flat=True)
    )
    assert len(assigned) > 10
    assert set(cases_visible_to(investigator).values_list("pk", flat=True)) == assigned

    # And every bulk-written row has its "created" history row
    for model in (Case, CaseParty, CaseAssignment, Person, TakedownRequest, HarmAssessment):
        assert model.history.filter(history_type="+").count() == model.objects.count(), model
    assert School.history.count() == School.objects.count()
    assert User.history.count() == 500

    # And each case's stored next due time is the one the application would have computed
    stored = dict(Case.objects.values_list("pk", "next_due_at"))
    assert any(stored.values())
    assert stored == {pk: computed_next_due(pk) for pk in stored}

    # And the audit chains verify, the long audit trail has its 5,000 events
    assert [r.problems for r in audit_verify() if r.problems] == []
    call_command("verify_audit", stdout=io.StringIO())
    audit_case = Case.objects.get(title=AUDIT_CASE_TITLE)
    assert CaseEvent.objects.filter(case=audit_case).count() == AUDIT_CASE_EVENTS

    # When the app then opens a case through the intake service
    coordinator = User.objects.get(username=BENCH_COORDINATOR)
    school = School.objects.filter(district=coordinator.district).first()
    year = timezone.localdate().year
    before = Case.objects.filter(
        district=coordinator.district, reference__startswith=f"BA-{year}-"
    ).count()
    case = case_create(
        actor=coordinator,
        school=school,
        title="A new report after the seed",
        narrative="Reported at the front office.",
        reported_at=timezone.now(),
    )

    # Then it gets the next free reference and the chains still verify
    assert case.reference == f"BA-{year}-{before + 1:04d}"
    assert all(r.ok for r in audit_verify())

    # And a seeded coordinator's queue renders with seeded cases
    client = Client()
    login_verified(client, coordinator)
    response = client.get(reverse("ncii_cases:home"))
    assert response.status_code == 200
    assert Case.objects.filter(district=coordinator.district).first().reference in (
        response.content.decode()
    )

    # And the database carries the seed's mark, so "bench" reuses it for this size and seed
    assert mark_read(connection) == seed_mark(cases=CASES, seed_value=2026)

    # And a second seed into the same database is refused
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_bench", "--cases", "10", stdout=io.StringIO())


@pytest.mark.django_db
def test_seed_refuses_a_large_seed_without_postgresql(monkeypatch):
    # On whichever database the suite runs, the seeder sees a database that is not PostgreSQL.
    monkeypatch.setattr(connections["default"], "vendor", "sqlite")
    with pytest.raises(SeedRefused, match="PostgreSQL"):
        seed(cases=100_000)
