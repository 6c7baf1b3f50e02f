"""The queue and the case page read a constant number of queries, however many cases there are
and however much each case holds."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.models import CaseMeasure, TakedownRequest
from ncii_cases.services import evidence, measures, notices, takedowns
from ncii_cases.services.cases import case_assign
from tests.access.helpers import login_verified
from tests.factories import CaseFactory, CasePartyFactory
from tests.factories_records import ExternalReportFactory
from tests.factories_workflow import measure, platform


def fill_case(case, coordinator, *, size: int):
    """Gives the case ``size`` depicted parties, each with a measure, a takedown request, a
    notice and an evidence entry, and a pending external report with a due time."""
    for i in range(size):
        party = CasePartyFactory(case=case, role=c.PartyRole.DEPICTED, is_minor=True)
        measures.measure_add(
            actor=coordinator,
            case=case,
            party=party,
            kind=CaseMeasure.Kind.SUPPORTIVE,
            measure=measure("counseling"),
            review_on=timezone.localdate() + dt.timedelta(days=7),
        )
        request = takedowns.takedown_request_create(
            actor=coordinator,
            case=case,
            platform=platform("snapchat"),
            location=f"group {case.pk}-{i}",
            depicted_party=party,
        )
        takedowns.takedown_request_submit(actor=coordinator, takedown=request)
        notices.party_notice_record(
            actor=coordinator,
            case=case,
            party=party,
            recipient_name="A parent",
            kind="parent",
            method="phone",
            summary="Explained what happens next.",
        )
        evidence.evidence_record(actor=coordinator, case=case, description=f"Post {i}")
    ExternalReportFactory(
        case=case,
        obligation=None,
        agency="NCMEC CyberTipline",
        agency_kind="cybertipline",
        triggered_at=timezone.now(),
        due_at=timezone.now() + dt.timedelta(hours=20),
    )


def add_cases(school, coordinator, investigator, n: int):
    for _ in range(n):
        case = CaseFactory(school=school)
        fill_case(case, coordinator, size=1)
        case_assign(actor=coordinator, case=case, user=investigator, role="investigator")


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["coordinator", "investigator", "auditor"])
def test_the_queue_reads_the_same_number_of_queries_for_3_or_9_cases(
    client, request, persona, school, coordinator, investigator
):
    user = request.getfixturevalue(persona)
    login_verified(client, user)
    url = reverse("ncii_cases:home") + "?sort=due"
    add_cases(school, coordinator, investigator, 3)
    few = count_queries(client, url)
    add_cases(school, coordinator, investigator, 6)
    many = count_queries(client, url)
    assert few == many
    assert TakedownRequest.objects.count() == 9


def test_filtered_queue_reads_the_same_number_of_queries_for_3_or_9_cases(
    client, school, coordinator, investigator
):
    login_verified(client, coordinator)
    url = reverse("ncii_cases:home") + "?stage=intake&overdue=&harm_level=&q=NCII&sort=-harm"
    add_cases(school, coordinator, investigator, 3)
    few = count_queries(client, url)
    add_cases(school, coordinator, investigator, 6)
    assert count_queries(client, url) == few


@pytest.mark.parametrize("persona", ["coordinator", "investigator", "counselor"])
def test_the_case_page_reads_the_same_number_of_queries_for_a_small_or_a_large_case(
    client, request, persona, case, coordinator, monkeypatch
):
    # Every event shown, so that only the records change (the newest-events window has its
    # own test: tests/ncii_cases/test_case_todo.py).
    monkeypatch.setattr("ncii_cases.views.TIMELINE_NEWEST", 1000)
    user = request.getfixturevalue(persona)
    login_verified(client, user)
    url = reverse("ncii_cases:case_detail", args=[case.pk])
    fill_case(case, coordinator, size=1)
    few = count_queries(client, url)
    fill_case(case, coordinator, size=4)
    many = count_queries(client, url)
    assert few == many
    assert case.parties.count() == 5
