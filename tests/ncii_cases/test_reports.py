"""External reports: obligations triggered by the case facts, with deadlines counted from when
staff learned of the case, and who reported, when and the agency's reference."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import CaseEvent, ExternalReport
from ncii_cases.obligations import obligations_triggered
from ncii_cases.services.reports import external_report_record_made, external_reports_sync
from ncii_cases.workflow import TransitionForbidden
from tests.factories import CasePartyFactory, PersonFactory
from tests.factories_workflow import all_obligations


@pytest.fixture
def obligations(db):
    return all_obligations()


def slugs(case):
    return {o.slug for o in obligations_triggered(case)}


def test_ai_imagery_of_a_minor_triggers_child_protection_cybertipline_and_a_police_decision(
    case, obligations, depicted_minor
):
    case.ncii_kind = c.NciiKind.SYNTHETIC
    assert slugs(case) == {
        "child-protection-report",
        "cybertipline-report",
        "law-enforcement-synthetic-minor",
    }


def test_authentic_imagery_of_a_minor_also_triggers_law_enforcement(
    case, obligations, depicted_minor
):
    case.ncii_kind = c.NciiKind.AUTHENTIC
    assert "law-enforcement-authentic-minor" in slugs(case)


def test_sextortion_of_a_minor_triggers_law_enforcement(case, obligations, depicted_minor):
    case.conduct = c.Conduct.SEXTORTION
    assert "law-enforcement-sextortion" in slugs(case)


def test_an_adult_depicted_triggers_no_child_abuse_report(case, obligations):
    CasePartyFactory(case=case, role=c.PartyRole.DEPICTED, is_minor=False)
    assert slugs(case) == set()


def test_an_employee_respondent_triggers_the_licensing_report(case, obligations):
    CasePartyFactory(
        case=case,
        role=c.PartyRole.RESPONDENT,
        person=PersonFactory(district=case.district, affiliation=c.Affiliation.EMPLOYEE),
        affiliation=c.Affiliation.EMPLOYEE,
        is_minor=False,
    )
    assert slugs(case) == {"licensing-body-report"}


def test_imagery_found_not_intimate_triggers_nothing(case, obligations, depicted_minor):
    case.is_intimate_imagery = False
    assert slugs(case) == set()


def test_sync_creates_each_report_once_with_its_deadline(
    case, obligations, depicted_minor, investigator
):
    # Given a case staff learned of at a known moment
    learned = timezone.now() - dt.timedelta(hours=2)
    case.reported_at = learned
    case.save()
    # When the reports are synced twice
    first = external_reports_sync(actor=investigator, case=case)
    second = external_reports_sync(actor=investigator, case=case)
    # Then each triggered obligation has one pending row due 24 hours after staff learned
    assert [r.pk for r in first] == [r.pk for r in second]
    assert len(first) == 3
    assert all(
        r.status == "pending" and r.due_at == learned + dt.timedelta(hours=24) for r in first
    )
    assert CaseEvent.objects.filter(case=case, event_type=EventType.REPORTS_TRIGGERED).count() == 1
    assert first[0].history.first().history_user == investigator


def test_recording_a_report_keeps_who_when_and_the_reference(
    case, obligations, depicted_minor, investigator, coordinator
):
    report = external_reports_sync(actor=investigator, case=case)[0]
    when = timezone.now()
    made = external_report_record_made(
        actor=investigator,
        report=report,
        reported_at=when,
        reference_number=" CPS-2026-118 ",
        contact_name="Intake worker",
        reported_by=coordinator,
    )
    assert (made.status, made.reported_by, made.reported_at, made.reference_number) == (
        ExternalReport.Status.MADE,
        coordinator,
        when,
        "CPS-2026-118",
    )
    event = CaseEvent.objects.get(case=case, event_type=EventType.REPORT_MADE)
    assert event.detail["on_time"] is True


def test_a_report_needs_its_reference_number(case, obligations, depicted_minor, investigator):
    report = external_reports_sync(actor=investigator, case=case)[0]
    with pytest.raises(ValidationError):
        external_report_record_made(
            actor=investigator, report=report, reported_at=timezone.now(), reference_number=""
        )


def test_support_staff_cannot_record_reports(case, obligations, depicted_minor, counselor):
    with pytest.raises(TransitionForbidden):
        external_reports_sync(actor=counselor, case=case)
    assert not ExternalReport.objects.exists()


def test_given_a_minor_depicted_at_intake_when_the_case_is_created_then_the_clocks_start_at_once(
    school, coordinator, obligations
):
    from ncii_cases.services.cases import PartyInput, case_create

    # Given staff learned of it two hours ago, with a minor depicted
    learned = timezone.now() - dt.timedelta(hours=2)
    # When the case is created
    case = case_create(
        actor=coordinator,
        school=school,
        title="t",
        narrative="n",
        reported_at=learned,
        parties=[PartyInput(c.PartyRole.DEPICTED, None, c.Affiliation.STUDENT, True, "A student")],
    )
    # Then both child reports exist, pending, due 24 hours after staff learned
    rows = ExternalReport.objects.filter(case=case)
    assert {r.obligation.slug for r in rows} == {
        "child-protection-report",
        "cybertipline-report",
        "law-enforcement-synthetic-minor",  # the kind of imagery is not known yet
    }
    assert all(r.due_at == learned + dt.timedelta(hours=24) for r in rows)


def test_given_an_open_case_when_facts_or_parties_change_then_new_obligations_get_one_row_each(
    school, coordinator, obligations
):
    from ncii_cases.services.cases import (
        PartyInput,
        case_create,
        case_facts_update,
        case_party_add,
    )

    # Given a case with no obligation yet
    case = case_create(
        actor=coordinator, school=school, title="t", narrative="n", reported_at=timezone.now()
    )
    investigator = coordinator
    assert not ExternalReport.objects.filter(case=case).exists()
    # When a depicted minor is added, then the child reports exist at once
    case_party_add(
        actor=investigator,
        case=case,
        party=PartyInput(c.PartyRole.DEPICTED, None, c.Affiliation.STUDENT, True, "A student"),
    )
    assert ExternalReport.objects.filter(case=case).count() == 3
    # When the imagery turns out to be authentic, then the authentic-imagery police report is
    # added, once, and the decision for imagery of unknown kind is no longer required (kept)
    case_facts_update(actor=coordinator, case=case, ncii_kind=c.NciiKind.AUTHENTIC)
    case_facts_update(actor=coordinator, case=case, title="Another title")
    external_reports_sync(actor=investigator, case=case)
    assert sorted(
        ExternalReport.objects.filter(case=case).values_list("obligation__slug", "status")
    ) == [
        ("child-protection-report", "pending"),
        ("cybertipline-report", "pending"),
        ("law-enforcement-authentic-minor", "pending"),
        ("law-enforcement-synthetic-minor", "no_longer_required"),
    ]
