"""The external reports on one page: every report the case requires that waits for a decision
is a row (made, with its reference; or not required, with the explanation); which reports are
required is read without writing for the page and checked again within the save, in one
transaction with the decisions."""

import pytest
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.dates import moment_text
from ncii_cases.events import EventType
from ncii_cases.models import ExternalReport
from ncii_cases.obligations import report_key
from ncii_cases.selectors.cases import case_reports_to_decide_for_user
from ncii_cases.services.reports import external_report_record_made, external_reports_sync
from tests.access.helpers import login_verified
from tests.factories_records import ExternalReportFactory
from tests.factories_workflow import all_obligations
from tests.recorded import Event, records


@pytest.fixture
def minor_case(case, depicted_minor):
    all_obligations()
    case.ncii_kind = c.NciiKind.SYNTHETIC
    case.save()
    return case


def _url(case):
    return reverse("ncii_cases:case_report_update", args=[case.pk])


def _rows(page: str) -> list[str]:
    return page.split('class="report-row"')[1:]


def _post_data(rows: list[dict]) -> dict:
    """The page's POST: the management form and each row (``key``, ``version`` and the
    decision fields)."""
    data = {
        "reports-TOTAL_FORMS": str(len(rows)),
        "reports-INITIAL_FORMS": str(len(rows)),
        "reports-MIN_NUM_FORMS": "0",
        "reports-MAX_NUM_FORMS": "50",
    }
    for i, row in enumerate(rows):
        for name, value in row.items():
            data[f"reports-{i}-{name}"] = "" if value is None else value
    return data


def _shown(user, case) -> list[dict]:
    """The rows the page shows (the selector it reads), as key and version to post back."""
    return [
        {"key": r.key, "version": r.version}
        for r in case_reports_to_decide_for_user(user=user, case=case)
    ]


def _made(row: dict, ref: str) -> dict:
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    return {**row, "outcome": "made", "reported_at": when, "reference_number": ref}


def test_the_page_shows_every_report_waiting_without_writing(
    client, coordinator, minor_case, django_assert_max_num_queries
):
    login_verified(client, coordinator)
    events = minor_case.events.count()
    with django_assert_max_num_queries(40):
        response = client.get(_url(minor_case))
    page = response.content.decode()
    assert response.status_code == 200
    rows = _rows(page)
    assert len(rows) == 3
    for row in rows:
        assert "<legend>" in row and 'name="reports-' in row
        assert "The report was made" in row and "Not required (explain why)" in row
    assert "Check which reports are required" not in page
    assert not ExternalReport.objects.filter(case=minor_case).exists()
    assert minor_case.events.count() == events
    # Each due time in the one format of an instant (dates.moment_text), as on the case page.
    dues = [r.due_at for r in case_reports_to_decide_for_user(user=coordinator, case=minor_case)]
    assert any(dues)
    for due in filter(None, dues):
        assert f"Due {moment_text(due)}" in page


def test_one_save_creates_the_rows_and_records_each_decision(client, coordinator, minor_case):
    login_verified(client, coordinator)
    shown = _shown(coordinator, minor_case)
    assert len(shown) == 3 and all(r["version"] is None for r in shown)
    posted = [
        _made(shown[0], "REF-1"),
        _made(shown[1], "REF-2"),
        {**shown[2], "outcome": "not_required", "explanation": "Police already involved."},
    ]
    with records(
        Event(
            EventType.REPORTS_TRIGGERED,
            coordinator,
            {"agencies", "obligations", "reopened_ids", "report_ids"},
        ),
        Event(
            EventType.REPORT_MADE,
            coordinator,
            {"agency_kind", "on_time", "report_id", "reported_at"},
            times=2,
        ),
        Event(EventType.REPORT_NOT_REQUIRED, coordinator, {"agency_kind", "report_id"}),
        queries=99,
    ):
        response = client.post(_url(minor_case), _post_data(posted))
    assert response.status_code == 302
    assert response["Location"] == minor_case.get_absolute_url() + "#reports-h"
    reports = {
        report_key(obligation_id=r.obligation_id, step=r.step): r
        for r in ExternalReport.objects.filter(case=minor_case)
    }
    assert reports[shown[0]["key"]].status == ExternalReport.Status.MADE
    assert reports[shown[0]["key"]].reference_number == "REF-1"
    assert reports[shown[1]["key"]].reference_number == "REF-2"
    assert reports[shown[2]["key"]].status == ExternalReport.Status.NOT_REQUIRED
    kinds = list(minor_case.events.values_list("event_type", flat=True))
    assert kinds.count(EventType.REPORTS_TRIGGERED) == 1
    assert kinds.count(EventType.REPORT_MADE) == 2
    assert kinds.count(EventType.REPORT_NOT_REQUIRED) == 1
    made = minor_case.events.filter(event_type=EventType.REPORT_MADE).first()
    assert made.actor == coordinator


def test_a_row_left_undecided_is_skipped(client, coordinator, minor_case):
    login_verified(client, coordinator)
    shown = _shown(coordinator, minor_case)
    with records(
        Event(
            EventType.REPORTS_TRIGGERED,
            coordinator,
            {"agencies", "obligations", "reopened_ids", "report_ids"},
        ),
        Event(
            EventType.REPORT_MADE,
            coordinator,
            {"agency_kind", "on_time", "report_id", "reported_at"},
        ),
        queries=69,
    ):
        response = client.post(
            _url(minor_case), _post_data([_made(shown[0], "REF-1"), shown[1], shown[2]])
        )
    assert response.status_code == 302
    statuses = sorted(
        ExternalReport.objects.filter(case=minor_case).values_list("status", flat=True)
    )
    assert statuses == ["made", "pending", "pending"]
    # And the page now shows the two reports still waiting, with their versions
    assert len(_rows(client.get(_url(minor_case)).content.decode())) == 2


def test_a_decision_without_its_reference_is_refused_and_nothing_is_saved(
    client, coordinator, minor_case
):
    login_verified(client, coordinator)
    shown = _shown(coordinator, minor_case)
    row = {**_made(shown[0], ""), "reference_number": ""}
    with records(queries=16):
        response = client.post(_url(minor_case), _post_data([row, shown[1], shown[2]]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter the reference number the agency gave." in page
    assert not ExternalReport.objects.filter(case=minor_case).exists()
    # The script that moves the focus to the error summary is on the refused page.
    assert "js/case_page.js" in page


def test_a_row_changed_since_the_page_showed_it_is_refused_and_nothing_is_saved(
    client, coordinator, minor_case
):
    # Given the page opened on existing rows, then one of them recorded elsewhere
    login_verified(client, coordinator)
    external_reports_sync(actor=coordinator, case=minor_case)
    shown = _shown(coordinator, minor_case)
    assert shown
    assert all(r["version"] is not None for r in shown)
    first = next(
        r
        for r in ExternalReport.objects.filter(case=minor_case)
        if report_key(r) == shown[0]["key"]
    )
    external_report_record_made(
        actor=coordinator, report=first, reported_at=timezone.now(), reference_number="OTHER"
    )
    events = minor_case.events.count()
    # When the page is sent with its old versions
    with records(queries=36):
        response = client.post(
            _url(minor_case),
            _post_data([_made(shown[0], "MINE"), _made(shown[1], "REF-2"), shown[2]]),
        )
    # Then it is refused, and nothing of it is saved
    assert response.status_code == 200
    assert "Someone changed this since you opened it" in response.content.decode()
    first.refresh_from_db()
    assert first.reference_number == "OTHER"
    assert ExternalReport.objects.filter(case=minor_case, status="made").count() == 1
    assert minor_case.events.count() == events


def test_the_same_page_sent_twice_records_once(client, coordinator, minor_case):
    login_verified(client, coordinator)
    shown = _shown(coordinator, minor_case)
    data = _post_data([_made(shown[0], "REF-1"), shown[1], shown[2]])
    with records(
        Event(
            EventType.REPORTS_TRIGGERED,
            coordinator,
            {"agencies", "obligations", "reopened_ids", "report_ids"},
        ),
        Event(
            EventType.REPORT_MADE,
            coordinator,
            {"agency_kind", "on_time", "report_id", "reported_at"},
        ),
        queries=69,
    ):
        assert client.post(_url(minor_case), data).status_code == 302
    with records(queries=36):
        again = client.post(_url(minor_case), data)
    assert again.status_code == 200
    assert minor_case.events.filter(event_type=EventType.REPORT_MADE).count() == 1


def test_another_districts_report_is_refused(
    client, coordinator, outsider, minor_case, foreign_case
):
    # Given a report of another district's case
    foreign = ExternalReportFactory(
        case=foreign_case,
        agency="Police",
        agency_kind="law_enforcement",
        triggered_at=timezone.now(),
    )
    login_verified(client, coordinator)
    events = minor_case.events.count()
    # When its id is sent as a row of this case's page
    row = _made({"key": str(foreign.pk), "version": foreign.version}, "FORGED")
    with records(queries=52):
        response = client.post(_url(minor_case), _post_data([row]))
    # Then the page answers 404 and nothing is saved
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == ExternalReport.Status.PENDING and foreign.reference_number == ""
    assert not ExternalReport.objects.filter(case=minor_case).exists()
    assert minor_case.events.count() == events


def test_the_to_do_panel_links_to_the_reports_page(client, coordinator, minor_case):
    from tests.ncii_cases.conftest import place

    login_verified(client, coordinator)
    place(minor_case, c.Stage.INITIAL_ASSESSMENT)
    page = client.get(minor_case.get_absolute_url()).content.decode()
    panel = page.split('id="todo"', 1)[1].split("</section>", 1)[0]
    assert f'href="{_url(minor_case)}"' in panel
