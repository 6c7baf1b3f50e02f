"""The benchmark's seed and run: ``seed_bench`` leaves what the services would have left (rows,
rights, history, intact audit chains, a reference counter the app can continue), and ``bench``
writes a JSON result with every page and every target, pages missing from this build marked."""

import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from ncii_cases.audit import audit_verify
from ncii_cases.benchmark.run import NOT_AVAILABLE, PAGES, PDF_PAGE
from ncii_cases.benchmark.seed import (
    AUDIT_CASE_EVENTS,
    AUDIT_CASE_TITLE,
    BENCH_COORDINATOR,
    BENCH_INVESTIGATOR,
    SUMMARY_CASE_TITLE,
    SeedRefused,
    seed,
)
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

    # And a second seed into the same database is refused
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_bench", "--cases", "10", stdout=io.StringIO())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bench_writes_every_page_and_every_target(tmp_path):
    # Given the test database as both "databases" of two tiny sizes
    name = connection.settings_dict["NAME"]
    path = tmp_path / "bench.json"

    # When the benchmark runs (seeding each size itself)
    out = io.StringIO()
    call_command(
        "bench",
        "--sizes",
        "50,150",
        "--databases",
        f"{name},{name}",
        "--repeat",
        "1",
        "--warmup",
        "0",
        "--json",
        str(path),
        # The roster import's row, at a size a test can afford.
        "--roster-students",
        "200",
        stdout=out,
    )

    # Then the JSON has both sizes with every page, measured or marked not available
    result = json.loads(path.read_text())
    assert result["sizes"] == [50, 150]
    names = {p.name for p in PAGES} | {PDF_PAGE}
    for run, size in zip(result["runs"], (50, 150), strict=True):
        assert run["cases_in_database"] == size
        assert set(run["pages"]) == names
        for page_name, cell in run["pages"].items():
            if cell["available"]:
                assert cell["samples"] >= 1 and cell["p95_ms"] >= cell["p50_ms"] > 0, page_name
            else:
                assert cell["reason"], page_name
        for page in PAGES:
            cell = run["pages"][page.name]
            if page.url_name == "bench_floor" or _resolves(page):
                assert cell["available"], cell
                assert cell["queries"] > 0
            else:
                assert cell == {"available": False, "reason": NOT_AVAILABLE}
                assert NOT_AVAILABLE in out.getvalue()

    # And every target is there, PASS or MISS, and the misses are counted
    targets = Counter(t["target"] for t in result["targets"])
    assert targets["p50 ratio <= 1.5"] == len([p for p in PAGES if p.targets]) + 1
    assert targets["queries do not grow with N"] == len([p for p in PAGES if p.targets])
    assert targets["queue faster than the admin change list"] == 2
    assert targets["PDF under 3 s"] == targets["PDF worker under 300 MB"] == 2
    assert targets["PDF has about 10 pages (8 or more)"] == 2
    assert {t["status"] for t in result["targets"]} <= {"PASS", "MISS"}
    assert result["misses"] == sum(t["status"] == "MISS" for t in result["targets"])
    for t in result["targets"]:
        page_name = t["page"].split(" at ")[0]
        if page_name == "verify_audit" or page_name.startswith("roster import"):
            continue
        cells = [run["pages"][page_name] for run in result["runs"]]
        if not all(cell["available"] for cell in cells):
            assert t["status"] == "MISS"
    assert "Targets:" in out.getvalue()
    # And verify_audit was timed at each size, over every row, and verified
    for run in result["runs"]:
        assert run["verify_audit"]["ok"] and run["verify_audit"]["rows"] > 0
    assert targets["verify_audit under 600 s and verified"] == 2
    # And the roster import was measured once, with its time and memory targets
    assert result["roster_import"]["students"] == 200
    assert targets["roster import under 600 s"] == targets["roster import worker under 400 MB"] == 1


def _resolves(page) -> bool:
    kwargs = {"pk": 1, "action": "begin_assessment"} if page.fresh_case else page.kwargs(_Ids())
    try:
        reverse(page.url_name, kwargs=kwargs or None)
    except NoReverseMatch:
        return False
    return True


class _Ids:
    typical_case_id = audit_case_id = summary_case_id = 1


@pytest.mark.django_db
def test_seed_refuses_a_large_seed_without_postgresql(monkeypatch):
    # On whichever database the suite runs, the seeder sees a database that is not PostgreSQL.
    monkeypatch.setattr(connections["default"], "vendor", "sqlite")
    with pytest.raises(SeedRefused, match="PostgreSQL"):
        seed(cases=100_000)
