"""A case record a district can stand behind: nothing recorded disappears, corrections and
withdrawals carry reasons, stale forms are refused, a form sent twice records once, dates
make sense, documents can be listed and downloaded."""

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ncii_cases import choices as c
from ncii_cases.dates import RULES, date_errors
from ncii_cases.events import EventType
from ncii_cases.models import (
    Case,
    CaseEvent,
    CaseMeasure,
    CaseParty,
    EvidenceItem,
    ExternalReport,
    Person,
    SanctionStatus,
)
from ncii_cases.services import corrections
from ncii_cases.services.cases import case_party_correct
from ncii_cases.services.corrections import StaleRecord, record_correct, record_withdraw
from ncii_cases.services.determinations import case_party_identify
from ncii_cases.services.evidence import evidence_record, evidence_record_with_document
from ncii_cases.services.measures import measure_add
from tests.access.helpers import login_verified
from tests.factories import CasePartyFactory, PersonFactory
from tests.factories_records import DeterminationFactory, SanctionFactory
from tests.factories_workflow import all_obligations
from tests.recorded import Event, records


@pytest.fixture
def obligations(db):
    return all_obligations()


# --- (1) Nothing recorded disappears ---------------------------------------------------------


def test_changing_under_18_through_identify_keeps_the_obligations_marked_no_longer_required(
    case, obligations, investigator, depicted_minor
):
    # The reproduction: 2 pending obligations, then the depicted person is found to be 18.
    from ncii_cases.services.reports import external_reports_sync

    external_reports_sync(actor=investigator, case=case)
    before = set(ExternalReport.objects.filter(case=case).values_list("pk", flat=True))
    assert len(before) >= 2
    adult = PersonFactory(district=case.district)
    case_party_identify(actor=investigator, party=depicted_minor, person=adult, is_minor=False)
    rows = ExternalReport.objects.filter(case=case)
    assert set(rows.values_list("pk", flat=True)) == before
    assert {r.status for r in rows} == {ExternalReport.Status.NO_LONGER_REQUIRED}
    assert all("no longer trigger" in r.explanation for r in rows)
    event = CaseEvent.objects.filter(case=case, event_type=EventType.REPORTS_WITHDRAWN).get()
    assert set(event.detail["report_ids"]) == before
    # The answer changed back: the same rows are pending again, nothing new is created.
    case_party_identify(actor=investigator, party=depicted_minor, person=adult, is_minor=True)
    rows = ExternalReport.objects.filter(case=case)
    assert set(rows.values_list("pk", flat=True)) == before
    assert {r.status for r in rows} == {ExternalReport.Status.PENDING}


PROTECTED = [ExternalReport, CaseMeasure, EvidenceItem, CaseParty]


def _service_functions():
    """Every public function of every service module (enumerated, not listed by hand)."""
    import importlib
    import inspect
    import pkgutil

    import ncii_cases.services as pkg

    found = []
    # Accounts and second factors end sessions and codes, not records of a case.
    skipped = {"accounts", "two_factor"}
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name in skipped:
            continue
        module = importlib.import_module(f"ncii_cases.services.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                found.append(f"{info.name}.{name}")
    return found


def test_no_service_module_deletes_a_case_record():
    # Every service function's source is read: none calls .delete() on a record of a case
    # (the document file cleanup after a failed save removes a file with no row, not a row).
    import importlib
    import inspect

    offenders = []
    for qualified in _service_functions():
        module_name, name = qualified.split(".")
        fn = getattr(importlib.import_module(f"ncii_cases.services.{module_name}"), name)
        source = inspect.getsource(fn)
        if ".delete()" in source:
            offenders.append(qualified)
    assert offenders == []
    assert "reports.reports_sync_internal" in _service_functions()


def test_the_whole_scenario_suite_runs_without_deleting_a_protected_row(
    monkeypatch, case, obligations, investigator, coordinator, counselor, depicted_minor
):
    # Delete is patched on the protected models and their query sets; the services that
    # change what triggers obligations, corrections and withdrawals run under it.
    from django.db.models import QuerySet

    from ncii_cases.models import PartyNotice, Sanction

    deleted = []
    protected = (*PROTECTED, PartyNotice, Sanction)
    original_qs_delete = QuerySet.delete

    def guard_qs(self):
        if self.model in protected:
            deleted.append(self.model.__name__)
        return original_qs_delete(self)

    monkeypatch.setattr(QuerySet, "delete", guard_qs)
    for model in protected:
        monkeypatch.setattr(model, "delete", lambda self, *a, **k: deleted.append(type(self)))

    from ncii_cases.services.cases import case_facts_update
    from ncii_cases.services.reports import external_reports_sync

    Case.objects.filter(pk=case.pk).update(created_by=coordinator)
    external_reports_sync(actor=investigator, case=case)
    case_facts_update(actor=coordinator, case=case, is_intimate_imagery=False, reason="Not.")
    case_facts_update(actor=coordinator, case=case, is_intimate_imagery=True, reason="It is.")
    item = evidence_record(actor=investigator, case=case, description="Post seen in a group")
    record_withdraw(actor=investigator, record=item, version=item.version, reason="Duplicate")
    party = CaseParty.objects.get(pk=depicted_minor.pk)
    record_withdraw(actor=investigator, record=party, version=party.version, reason="Wrong")
    assert deleted == []
    assert ExternalReport.objects.filter(case=case).count() >= 2


# --- Corrections and withdrawals ------------------------------------------------------------


@pytest.fixture
def measure(case, counselor, depicted_minor):
    from policies.models import Measure

    catalog = Measure.objects.for_district(case.district).filter(kind="supportive").first()
    return measure_add(
        actor=counselor,
        case=case,
        party=depicted_minor,
        kind=CaseMeasure.Kind.SUPPORTIVE,
        measure=catalog,
        starts_on=dt.date(2026, 11, 2),
        review_on=dt.date(2026, 12, 2),
    )


def test_a_measure_correction_records_before_and_after_with_the_reason(measure, counselor):
    corrected = record_correct(
        actor=counselor,
        record=measure,
        version=measure.version,
        reason="Typo",
        review_on=dt.date(2026, 12, 20),
    )
    assert corrected.review_on == dt.date(2026, 12, 20) and corrected.version == 2
    event = CaseEvent.objects.filter(event_type=EventType.RECORD_CORRECTED).get()
    assert event.reason == "Typo"
    assert event.detail["changes"] == {"review_on": ["2026-12-02", "2026-12-20"]}
    assert corrected.history.count() == 2


def test_a_correction_needs_a_reason(measure, counselor):
    with pytest.raises(ValidationError) as exc:
        record_correct(actor=counselor, record=measure, version=1, reason=" ", description="x")
    assert "reason" in exc.value.message_dict


def test_a_stale_correction_is_refused_and_does_not_revert_a_newer_change(measure, counselor):
    # Two users open the form at version 1; the first saves a new review date.
    record_correct(
        actor=counselor, record=measure, version=1, reason="Moved", review_on=dt.date(2026, 12, 9)
    )
    with pytest.raises(StaleRecord, match="Someone changed this since you opened it"):
        record_correct(
            actor=counselor,
            record=measure,
            version=1,
            reason="Details",
            description="Check-ins twice a week",
            review_on=dt.date(2026, 12, 2),  # the stale value the second form still shows
        )
    measure.refresh_from_db()
    assert measure.review_on == dt.date(2026, 12, 9) and measure.description == ""


def test_a_withdrawn_evidence_entry_stays_on_the_page_struck_through(
    client, case, coordinator, investigator
):
    item = evidence_record(actor=investigator, case=case, description="Screenshot on a phone")
    record_withdraw(actor=investigator, record=item, version=1, reason="Entered on the wrong case")
    item.refresh_from_db()
    assert item.withdrawn_at is not None and item.withdrawn_by == investigator
    login_verified(client, coordinator)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "<s>Screenshot on a phone</s>" in page
    assert "Entered on the wrong case" in page


def test_a_party_grade_correction_changes_the_person_and_records_it(case, investigator, school):
    person = PersonFactory(district=case.district, school=school, grade="10")
    party = CasePartyFactory(case=case, person=person, role=c.PartyRole.RESPONDENT)
    case_party_correct(
        actor=investigator, party=party, version=1, reason="He is in 11th", grade="11"
    )
    person.refresh_from_db()
    assert person.grade == "11"
    event = CaseEvent.objects.filter(event_type=EventType.RECORD_CORRECTED).get()
    assert event.detail["changes"]["grade"] == ["10", "11"]


def test_a_sanction_cannot_end_before_it_starts(case):
    errors = date_errors(
        "sanction", {"starts_on": dt.date(2026, 12, 10), "ends_on": dt.date(2026, 12, 2)}
    )
    assert errors == {"ends_on": "Ends on cannot be before starts on."}


def test_the_sanction_lifecycle_values():
    assert list(SanctionStatus.values) == ["planned", "in_effect", "completed", "vacated"]


# --- (2) Parties at intake -------------------------------------------------------------------


def _intake_post(school, **extra):
    data = {
        "school": school.pk,
        "title": "Image shared in a server",
        "narrative": "A student told the counselor.",
        "reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "ncii_kind": "authentic",
        "conduct": "distribution",
        "location": "off_campus",
        "timing": "out_of_hours",
        "reach": "group",
        "depicted": "",
        "respondent": "",
        "respondent_affiliation": "unknown",
        "depicted_affiliation": "student",
        "submission_token": str(uuid.uuid4()),
        "people-TOTAL_FORMS": "2",
        "people-INITIAL_FORMS": "0",
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "30",
        "people-0-role": "depicted",
        "people-0-first_name": "Avery",
        "people-0-last_name": "Quill",
        "people-0-affiliations": ["student"],
        "people-0-is_minor": "yes",
        "people-0-school": school.pk,
        "people-0-grade": "10",
        "people-1-role": "respondent",
        "people-1-first_name": "Rowan",
        "people-1-last_name": "Ashdown",
        "people-1-affiliations": ["student", "employee"],
        "people-1-is_minor": "yes",
        "people-1-school": school.pk,
        "people-1-grade": "11",
    }
    data.update(extra)
    return data


def test_intake_makes_named_people_parties_and_the_respondent_is_identified(
    client, coordinator, school, obligations
):
    login_verified(client, coordinator)
    with records(
        Event(
            EventType.CASE_CREATED,
            coordinator,
            {"party_ids", "platform_ids", "reference", "school_id"},
        ),
        Event(
            EventType.REPORTS_TRIGGERED,
            coordinator,
            {"agencies", "obligations", "reopened_ids", "report_ids"},
        ),
        queries=135,
    ):
        client.post(reverse("ncii_cases:intake"), _intake_post(school))
    case = Case.objects.get()
    respondent = case.parties.get(role=c.PartyRole.RESPONDENT)
    assert respondent.person is not None and respondent.person.grade == "11"
    assert respondent.affiliation_values == {"student", "employee"}
    assert respondent.person.school == school
    # At determination the respondent list holds the intake's respondent.
    from ncii_cases.selectors.cases import case_respondents_identified

    assert list(case_respondents_identified(user=coordinator, case=case)) == [respondent]


def test_the_same_intake_sent_twice_makes_one_case(client, coordinator, school, obligations):
    login_verified(client, coordinator)
    data = _intake_post(school)
    with records(
        Event(
            EventType.CASE_CREATED,
            coordinator,
            {"party_ids", "platform_ids", "reference", "school_id"},
        ),
        Event(
            EventType.REPORTS_TRIGGERED,
            coordinator,
            {"agencies", "obligations", "reopened_ids", "report_ids"},
        ),
        queries=135,
    ):
        first = client.post(reverse("ncii_cases:intake"), data)
    reports = ExternalReport.objects.count()
    with records(queries=15):
        second = client.post(reverse("ncii_cases:intake"), data)
    assert Case.objects.count() == 1
    assert first["Location"] == second["Location"] == Case.objects.get().get_absolute_url()
    assert Person.objects.count() == 2
    assert reports >= 2 and ExternalReport.objects.count() == reports


def test_add_another_person_rerenders_without_saving(client, coordinator, school):
    login_verified(client, coordinator)
    with records(queries=16):
        response = client.post(reverse("ncii_cases:intake"), _intake_post(school, add_person="1"))
    assert response.status_code == 200 and Case.objects.count() == 0
    body = response.content.decode()
    assert 'value="Rowan"' in body and "people-2-first_name" in body


def test_one_person_may_be_depicted_and_respondent_with_the_facts_written(case, investigator):
    from ncii_cases.services.cases import PartyInput, case_party_add

    person = PersonFactory(district=case.district)
    CasePartyFactory(case=case, person=person, role=c.PartyRole.DEPICTED)
    row = case_party_add(
        actor=investigator,
        case=case,
        party=PartyInput(
            c.PartyRole.RESPONDENT,
            person,
            notes="Shown in the first image; shared the second image of another student.",
        ),
    )
    assert row.role == c.PartyRole.RESPONDENT and row.person == person


def test_in_scope_needs_facts_reasoning_and_a_reason(case, coordinator):
    from ncii_cases.services.cases import case_facts_update

    with pytest.raises(ValidationError) as exc:
        case_facts_update(actor=coordinator, case=case, jurisdiction=c.Jurisdiction.IN_SCOPE)
    assert set(exc.value.message_dict) == {"jurisdiction_facts", "jurisdiction_reasoning", "reason"}


# --- (3) Dates ------------------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
PAST_FIELDS = sorted({(rule, name) for rule, spec in RULES.items() for name in spec.past})
ORDERED = sorted({(rule, pair) for rule, spec in RULES.items() for pair in spec.ordered})


def _value_for(name, moment):
    return moment.date() if name.endswith("_on") or name == "birth_date" else moment


@pytest.mark.parametrize(("rule", "name"), PAST_FIELDS)
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(offset=st.integers(min_value=-10 * 365 * 24 * 60, max_value=10 * 365 * 24 * 60))
def test_nothing_that_happened_is_in_the_future(rule, name, offset):
    moment = NOW + dt.timedelta(minutes=offset)
    errors = date_errors(rule, {name: _value_for(name, moment)}, now=NOW)
    if isinstance(_value_for(name, moment), dt.datetime):
        assert (name in errors) == (offset > 5)
    else:
        assert (name in errors) == (moment.date() > (NOW + dt.timedelta(minutes=5)).date())
    if name in errors:
        assert "cannot be in the future" in errors[name]


@pytest.mark.parametrize(("rule", "pair"), ORDERED)
@settings(max_examples=40)
@given(
    start=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2026, 11, 1)),
    days=st.integers(min_value=-400, max_value=400),
)
def test_an_end_or_review_is_never_before_its_start(rule, pair, start, days):
    first, last = pair
    end = start + dt.timedelta(days=days)
    values = {first: start, last: end}
    if first.endswith("_at"):
        values[first] = dt.datetime.combine(start, dt.time(9), tzinfo=dt.UTC)
    if last.endswith("_at"):
        values[last] = dt.datetime.combine(end, dt.time(9), tzinfo=dt.UTC)
    errors = date_errors(rule, values, now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert (last in errors) == (days < 0)


DATE_FORMS = {
    "IntakeForm": ("case", "reported_at"),
    "EvidenceAddForm": ("evidence", "seen_at"),
    "NoticeAddForm": ("notice", "sent_at"),
    "ReportDecisionForm": ("report", "reported_at"),
    "MeasureAddForm": ("measure", "review_on"),
    "SanctionAddForm": ("sanction", "ends_on"),
    "PersonRowForm": ("person", "birth_date"),
}


def test_every_form_with_dates_names_its_date_rule():
    # Enumerated from the forms module: a new form with a date field must join a rule.
    from django import forms as djforms

    from ncii_cases import forms as f

    with_dates = {
        name
        for name, cls in vars(f).items()
        if isinstance(cls, type)
        and issubclass(cls, djforms.Form)
        and any(
            isinstance(x, djforms.DateField | djforms.DateTimeField)
            for x in cls.base_fields.values()
        )
    }
    unchecked = {name for name in with_dates if not getattr(vars(f)[name], "date_rule", "")}
    assert unchecked == set()
    assert set(DATE_FORMS) <= with_dates


def test_evidence_seen_next_year_is_refused_by_the_service(case, investigator):
    with pytest.raises(ValidationError) as exc:
        evidence_record(
            actor=investigator,
            case=case,
            description="Seen in a group",
            seen_at=timezone.now() + dt.timedelta(days=365),
        )
    assert "seen_at" in exc.value.message_dict


# --- (5) Documents ---------------------------------------------------------------------------


def test_a_document_is_listed_and_downloaded_with_safe_headers_and_logged(
    client, case, coordinator, investigator, private_root
):
    from ncii_cases.models import AccessEvent

    upload = SimpleUploadedFile("statement.txt", b"Statement of the witness.\n", "text/plain")
    item = evidence_record_with_document(
        actor=investigator,
        case=case,
        description="Written statement",
        uploaded_file=upload,
        document_title="Witness statement",
    )
    document = item.documents.get()
    login_verified(client, coordinator)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Witness statement" in page and document.sha256 in page
    url = reverse("ncii_cases:case_document_download", args=[case.pk, document.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"Statement of the witness.\n"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store, private"
    assert AccessEvent.objects.filter(action="case_document_download", allowed=True).exists()


def test_a_counselor_cannot_download_a_document(
    client, case, counselor, investigator, private_root
):
    upload = SimpleUploadedFile("statement.txt", b"Statement.\n", "text/plain")
    item = evidence_record_with_document(
        actor=investigator, case=case, description="x", uploaded_file=upload, document_title="S"
    )
    login_verified(client, counselor)
    url = reverse("ncii_cases:case_document_download", args=[case.pk, item.documents.get().pk])
    assert client.get(url).status_code == 404


def test_the_supporting_document_admin_page_answers(
    client, case, coordinator, investigator, private_root
):
    upload = SimpleUploadedFile("statement.txt", b"Statement.\n", "text/plain")
    item = evidence_record_with_document(
        actor=investigator, case=case, description="x", uploaded_file=upload, document_title="S"
    )
    document = item.documents.get()
    coordinator.is_staff = True
    coordinator.save()
    login_verified(client, coordinator)
    for url in (
        reverse("admin:ncii_cases_supportingdocument_changelist"),
        reverse("admin:ncii_cases_supportingdocument_change", args=[document.pk]),
    ):
        assert client.get(url).status_code == 200


def test_correction_registry_covers_every_record_kind():
    assert set(corrections.REGISTRY) >= {
        "party",
        "measure",
        "evidence",
        "sanction",
        "takedown",
        "notice",
        "report",
        "harm",
        "document",
    }


# --- Track, school, notices, sanctions -------------------------------------------------------


def test_a_student_who_is_also_an_employee_may_take_the_employee_track(case, coordinator):
    from ncii_cases.services.determinations import case_respondent_track_set, sanction_add
    from tests.factories_workflow import intervention

    aide = PersonFactory(district=case.district, affiliations=["employee"])
    respondent = CasePartyFactory(
        case=case,
        person=aide,
        role=c.PartyRole.RESPONDENT,
        affiliation=c.Affiliation.STUDENT,
        affiliations=[c.Affiliation.EMPLOYEE],
    )
    DeterminationFactory(
        case=case,
        respondent=respondent,
        finding="responsible",
        standard_of_evidence="preponderance",
        rationale="Admitted.",
        decided_by=coordinator,
        decided_at=timezone.now(),
    )
    Case.objects.filter(pk=case.pk).update(stage=c.Stage.DETERMINATION)
    case_respondent_track_set(
        actor=coordinator, case=case, track="employee", reason="Shared it while at work."
    )
    row = sanction_add(
        actor=coordinator,
        case=case,
        respondent=respondent,
        intervention=intervention("written-warning"),
    )
    assert row.intervention.track == "employee"


def test_vacating_a_sanction_needs_a_reason_and_completed_is_final(case, coordinator):
    from ncii_cases.models import Determination
    from ncii_cases.services.determinations import sanction_status_set
    from tests.factories_workflow import intervention

    respondent = CasePartyFactory(case=case, role=c.PartyRole.RESPONDENT)
    row = SanctionFactory(
        case=case,
        respondent=respondent,
        intervention=intervention("detention"),
        decided_by=coordinator,
        decided_at=timezone.now(),
    )
    assert Determination.objects.count() == 0
    with pytest.raises(ValidationError) as exc:
        sanction_status_set(actor=coordinator, sanction=row, status="vacated")
    assert "reason" in exc.value.message_dict
    row = sanction_status_set(actor=coordinator, sanction=row, status="in_effect")
    row = sanction_status_set(actor=coordinator, sanction=row, status="completed")
    with pytest.raises(ValidationError, match="final"):
        sanction_status_set(actor=coordinator, sanction=row, status="vacated", reason="Appeal")


def test_a_named_employee_of_another_school_is_recorded_at_that_school(
    case, investigator, other_school
):
    from ncii_cases.services.cases import case_party_add_named

    row = case_party_add_named(
        actor=investigator,
        case=case,
        role=c.PartyRole.WITNESS,
        affiliation=c.Affiliation.EMPLOYEE,
        first_name="Jordan",
        last_name="Teacher",
        school=other_school,
    )
    assert row.person.school == other_school != case.school


def test_support_staff_see_support_notices_about_their_people_only(
    client, case, investigator, counselor, depicted_minor
):
    from ncii_cases.models import PartyNotice
    from ncii_cases.services.notices import party_notice_record

    respondent = CasePartyFactory(case=case, role=c.PartyRole.RESPONDENT)
    for actor, party, kind, text in (
        (counselor, depicted_minor, PartyNotice.Kind.SUPPORT, "Gave the hotline number."),
        (investigator, respondent, PartyNotice.Kind.NOTICE_OF_ALLEGATIONS, "Explained it."),
    ):
        party_notice_record(
            actor=actor,
            case=case,
            party=party,
            recipient_name="A recipient",
            kind=kind,
            method="in_person",
            summary=text,
        )
    login_verified(client, counselor)
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Gave the hotline number." in page
    assert "Explained it." not in page


def test_moving_the_case_is_a_step_on_the_page_with_its_event(
    client, case, coordinator, other_school
):
    login_verified(client, coordinator)
    url = reverse("ncii_cases:case_move_school", args=[case.pk])
    assert client.get(url).status_code == 200
    with records(
        Event(
            EventType.SCHOOL_CHANGED,
            coordinator,
            {"ended_assignment_ids", "from_school_id", "to_school_id"},
        ),
        queries=27,
    ):
        response = client.post(url, {"school": other_school.pk, "reason": "She changed schools."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.school == other_school
    event = CaseEvent.objects.get(case=case, event_type=EventType.SCHOOL_CHANGED)
    assert event.reason == "She changed schools."


def test_a_stale_correction_page_shows_the_current_values(client, measure, counselor):
    login_verified(client, counselor)
    url = reverse("ncii_cases:case_record_correct", args=[measure.case_id, "measure"])
    form = {
        "record": measure.pk,
        "version": measure.version,
        "reason": "Typo",
        "description": "",
        "starts_on": "2026-11-02",
        "review_on": "2026-12-20",
    }
    with records(
        Event(EventType.RECORD_CORRECTED, counselor, {"changes", "label", "record", "record_id"}),
        queries=31,
    ):
        assert client.post(url, form).status_code == 302
    form.update(reason="Details", description="Weekly", review_on="2026-12-02")
    with records(queries=22):
        response = client.post(url, form)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Someone changed this since you opened it" in body
    assert 'value="2026-12-20"' in body
    measure.refresh_from_db()
    assert measure.review_on == dt.date(2026, 12, 20) and measure.description == ""


def test_a_stale_facts_form_is_refused_and_shows_the_current_values(client, case, coordinator):
    from ncii_cases.services.cases import case_facts_update

    Case.objects.filter(pk=case.pk).update(created_by=coordinator)
    case.refresh_from_db()
    login_verified(client, coordinator)
    url = reverse("ncii_cases:case_facts", args=[case.pk])
    opened = case.version
    # Another user changes the reach estimate meanwhile.
    case_facts_update(actor=coordinator, case=case, reach_estimate=40, reason="Counted")
    form = {
        "ncii_kind": case.ncii_kind,
        "conduct": case.conduct,
        "location": case.location,
        "timing": case.timing,
        "jurisdiction": case.jurisdiction,
        "reach": case.reach,
        "reach_estimate": "",  # the old value this form still shows
        "title": case.title,
        "ncii_kind_other": "",
        "is_intimate_imagery": "yes",
        "version": opened,
        "reason": "Intimate",
    }
    with records(queries=19):
        response = client.post(url, form)
    body = response.content.decode()
    assert response.status_code == 200 and "Someone changed this since you opened it" in body
    assert 'value="40"' in body
    case.refresh_from_db()
    assert case.reach_estimate == 40 and case.is_intimate_imagery is None


def test_an_evidence_form_sent_twice_records_one_entry(client, case, investigator):
    login_verified(client, investigator)
    url = reverse("ncii_cases:case_evidence_add", args=[case.pk])
    form = {"description": "Seen in a group", "submission_token": str(uuid.uuid4())}
    with records(
        Event(
            EventType.EVIDENCE_RECORDED,
            investigator,
            {"evidence_id", "has_pdq", "has_sha256", "platform"},
        ),
        queries=49,
    ):
        first, second = client.post(url, form), client.post(url, form)
    assert first.status_code == second.status_code == 302
    assert EvidenceItem.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case, event_type=EventType.EVIDENCE_RECORDED).count() == 1


SCENARIOS = [
    "test_s1_group_chat_nudify_images_of_four_minors",
    "test_s2_deepfake_of_a_principal_with_unknown_then_identified_senders",
    "test_s3_forwarded_private_photo_of_a_minor",
    "test_s4_teacher_shares_a_colleagues_image_routed_to_process_a",
    "test_s5_sextortion_by_an_unknown_adult_referred_with_support_continuing",
    "test_s6_not_ncii_referred_to_the_bullying_policy_and_closed",
]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_no_scenario_deletes_an_obligation_measure_sanction_evidence_or_notice(
    monkeypatch, scenario, staff, school
):
    # Every scenario of the design notes runs with delete patched on the protected models
    # and their query sets: any service path that deletes one of them is caught.
    from django.db.models import QuerySet

    from ncii_cases.models import PartyNotice, Sanction
    from tests.ncii_cases import test_scenarios

    protected = (ExternalReport, CaseMeasure, EvidenceItem, PartyNotice, Sanction, CaseParty)
    deleted = []
    original = QuerySet.delete

    def guarded(self):
        if self.model in protected:
            deleted.append(self.model.__name__)
        return original(self)

    monkeypatch.setattr(QuerySet, "delete", guarded)
    for model in protected:
        monkeypatch.setattr(model, "delete", lambda self, *a, **k: deleted.append(type(self)))
    getattr(test_scenarios, scenario)(staff, school)
    assert deleted == []


@pytest.fixture
def staff(coordinator, investigator, counselor):
    all_obligations()
    return {"coordinator": coordinator, "investigator": investigator, "counselor": counselor}


def test_the_measure_update_page_carries_the_version_and_refuses_a_stale_save(
    client, measure, counselor
):
    login_verified(client, counselor)
    url = reverse("ncii_cases:case_measure_update", args=[measure.case_id])
    page = client.get(url, {"measure": measure.pk}).content.decode()
    assert f'name="version" value="{measure.version}"' in page
    opened = measure.version
    record_correct(actor=counselor, record=measure, version=opened, reason="Typo", description="x")
    with records(queries=24):
        response = client.post(
            url,
            {
                "measure": measure.pk,
                "op": "choice",
                "choice": "declined",
                "version": opened,
                "version_for": measure.pk,
            },
        )
    assert "Someone changed this since you opened it" in response.content.decode()
    measure.refresh_from_db()
    assert measure.party_choice != "declined"


def _form_of(name, case):
    """Each form with dates, built for the case, as its page builds it."""
    from ncii_cases import forms as f
    from ncii_cases.models import School
    from policies.models import Platform

    parties = CaseParty.objects.filter(case=case)
    kwargs = {
        "IntakeForm": {"schools": School.objects.all(), "platforms": Platform.objects.all()},
        "EvidenceAddForm": {"case": case},
        "NoticeAddForm": {"parties": parties, "kinds": {"support"}},
        "ReportDecisionForm": {},
        "MeasureAddForm": {"case": case, "parties": parties, "kinds": {"supportive"}},
        "SanctionAddForm": {"case": case, "respondents": parties},
        "PersonRowForm": {"schools": School.objects.all()},
    }[name]
    return lambda data: getattr(f, name)(data, **kwargs)


def _as_input(value):
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
    return value.isoformat()


@pytest.mark.parametrize("form_name", sorted(DATE_FORMS))
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(days=st.integers(min_value=-3000, max_value=3000))
def test_every_form_with_dates_refuses_what_its_rule_refuses(form_name, case, days):
    # Given any date for the form's checked field (its end field for ordered pairs, whose
    # start is today), the form flags the field exactly when the shared rule does.
    rule, name = DATE_FORMS[form_name]
    build = _form_of(form_name, case)
    now = timezone.now().replace(second=0, microsecond=0)
    moment = now + dt.timedelta(days=days)
    local = timezone.localtime(moment)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        # A wall time that the autumn change of clocks repeats: a form rightly refuses it as
        # ambiguous (whatever the rule), so this test takes the same day two hours later.
        moment += dt.timedelta(hours=2)
    field = build(None).fields[name]
    value = moment if isinstance(field, djforms_datetime()) else timezone.localdate(moment)
    data = {name: _as_input(value)}
    values = {name: value}
    for first, last in RULES[rule].ordered:
        if last == name:
            data[first] = _as_input(timezone.localdate(now))
            values[first] = timezone.localdate(now)
    form = build(data)
    form.is_valid()
    expected = name in date_errors(rule, values)
    assert (name in form.errors) == expected, form.errors.get(name)


def test_a_wall_time_the_autumn_change_repeats_is_refused_as_ambiguous(case):
    # 1:30 AM happened twice in Chicago on Nov 2, 2025: the form asks again instead of
    # guessing which of the two instants was meant.
    build = _form_of("NoticeAddForm", case)
    with timezone.override("America/Chicago"):
        form = build({"sent_at": "2025-11-02T01:30"})
        form.is_valid()
    assert "ambiguous" in " ".join(form.errors["sent_at"])


def djforms_datetime():
    from django import forms as djforms

    return djforms.DateTimeField
