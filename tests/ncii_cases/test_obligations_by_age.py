"""Report duties follow the age in the imagery (issue 16): the rules of
``ncii_cases/obligations.py`` over every combination of kind of imagery, age in the imagery,
age now and respondent affiliation; the reproductions of the issue through the services; and
the district's reporting profile (deadlines, two-step reports, its own copy)."""

import datetime as dt
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.events import EventType
from ncii_cases.models import CaseEvent, ExternalReport
from ncii_cases.obligations import obligations_triggered, obligations_undecided
from ncii_cases.services.cases import (
    PartyInput,
    PersonInput,
    case_create,
    case_party_add,
    case_party_correct,
)
from ncii_cases.services.harm import HarmAnswers, harm_assessment_record
from ncii_cases.services.reports import external_report_record_made
from policies.models import ReportingProfile, ReportingProfileLine
from policies.services import reporting_profile_copy_for_district
from tests.access.helpers import login_verified
from tests.factories import CasePartyFactory, DistrictFactory, PersonFactory
from tests.factories_records import HarmAssessmentFactory
from tests.factories_workflow import all_obligations, obligation
from tests.recorded import Event, records

Age = c.AgeInImagery
CHILD = {"child-protection-report", "cybertipline-report"}
LE_AUTHENTIC = "law-enforcement-authentic-minor"
LE_SYNTHETIC = "law-enforcement-synthetic-minor"
LE_ADULT_RESPONDENT = "law-enforcement-adult-respondent-minor"
LICENSING = "licensing-body-report"

# A respondent's affiliation, with their age now as a district would know it.
RESPONDENT_AGE_NOW = {
    c.Affiliation.STUDENT: True,
    c.Affiliation.EMPLOYEE: False,
    c.Affiliation.NON_AFFILIATED: False,
    c.Affiliation.UNKNOWN: None,
}


@pytest.fixture
def obligations(db):
    return all_obligations()


def slugs(case) -> set[str]:
    return {o.slug for o in obligations_triggered(case)}


def expected(kind, age_in_imagery, minor_now, affiliation, harm_says_minor=False) -> set[str]:
    """The rule as the issue states it, written independently of the code under test."""
    shown_minor = age_in_imagery == Age.UNDER_18 or (
        age_in_imagery == Age.UNKNOWN and (minor_now is True or harm_says_minor)
    )
    out = set()
    if shown_minor:
        out |= CHILD
        out.add(LE_AUTHENTIC if kind == c.NciiKind.AUTHENTIC else LE_SYNTHETIC)
        if affiliation == c.Affiliation.EMPLOYEE or RESPONDENT_AGE_NOW[affiliation] is False:
            out.add(LE_ADULT_RESPONDENT)
    if affiliation == c.Affiliation.EMPLOYEE:
        out.add(LICENSING)
    return out


@pytest.mark.parametrize(
    "kind,age_in_imagery,minor_now,affiliation",
    list(
        itertools.product(
            [c.NciiKind.AUTHENTIC, c.NciiKind.SYNTHETIC],
            [Age.UNDER_18, Age.ADULT, Age.UNKNOWN],
            [True, False, None],
            list(RESPONDENT_AGE_NOW),
        )
    ),
)
def test_obligations_follow_the_age_in_the_imagery(
    case, obligations, kind, age_in_imagery, minor_now, affiliation
):
    # Given a depicted person with an age now and an age in the imagery, and a respondent
    case.ncii_kind = kind
    CasePartyFactory(
        case=case, role=c.PartyRole.DEPICTED, is_minor=minor_now, age_in_imagery=age_in_imagery
    )
    CasePartyFactory(
        case=case,
        role=c.PartyRole.RESPONDENT,
        person=PersonFactory(district=case.district, affiliation=affiliation),
        affiliation=affiliation,
        is_minor=RESPONDENT_AGE_NOW[affiliation],
    )
    # Then the triggered obligations are the rule's, authentic and synthetic alike
    assert slugs(case) == expected(kind, age_in_imagery, minor_now, affiliation)


@pytest.mark.parametrize("harm_says_minor", [True, False])
@pytest.mark.parametrize("age_in_imagery", [Age.UNDER_18, Age.ADULT, Age.UNKNOWN])
@pytest.mark.parametrize("kind", [c.NciiKind.AUTHENTIC, c.NciiKind.SYNTHETIC])
def test_the_harm_assessments_answer_counts_when_the_age_in_the_imagery_is_not_known(
    case, obligations, kind, age_in_imagery, harm_says_minor
):
    case.ncii_kind = kind
    CasePartyFactory(
        case=case, role=c.PartyRole.DEPICTED, is_minor=False, age_in_imagery=age_in_imagery
    )
    HarmAssessmentFactory(case=case, minors_depicted=harm_says_minor)
    assert slugs(case) == expected(
        kind, age_in_imagery, False, c.Affiliation.UNKNOWN, harm_says_minor=harm_says_minor
    )


def test_with_nobody_depicted_recorded_the_harm_assessment_decides(case, obligations):
    case.ncii_kind = c.NciiKind.SYNTHETIC
    assert slugs(case) == set()
    HarmAssessmentFactory(case=case, minors_depicted=True)
    assert slugs(case) == CHILD | {LE_SYNTHETIC}


# --- The reproductions of the issue, through the services ------------------------------------


def test_a_person_17_in_the_imagery_and_18_now_triggers_the_child_reports(
    case, obligations, investigator
):
    # Given a person who is 18 now ("under 18" = No) and was 17 when the imagery was made
    with_party = case_party_add(
        actor=investigator,
        case=case,
        party=PartyInput(
            c.PartyRole.DEPICTED,
            affiliation=c.Affiliation.STUDENT,
            is_minor=False,
            description="A senior",
            age_in_imagery=Age.UNDER_18,
        ),
    )
    # Then the child-protection report and the CyberTipline are due, each with its clock
    rows = ExternalReport.objects.filter(case=case)
    assert {r.obligation.slug for r in rows} >= CHILD
    assert all(r.status == "pending" and r.due_at is not None for r in rows)
    event = CaseEvent.objects.get(case=case, event_type=EventType.REPORTS_TRIGGERED)
    assert set(event.detail["obligations"]) >= CHILD
    assert with_party.is_minor is False


def test_a_date_of_birth_sets_the_age_now_and_the_age_in_the_imagery(school, coordinator):
    all_obligations()
    # Given a person who turned 18 after the imagery was shared
    shared = timezone.now() - dt.timedelta(days=60)
    born = (timezone.localdate() - dt.timedelta(days=18 * 365 + 20)).replace(day=1)
    case = case_create(
        actor=coordinator,
        school=school,
        title="t",
        narrative="n",
        reported_at=shared,
        occurred_at=shared,
        parties=[
            PartyInput(
                c.PartyRole.DEPICTED,
                new_person=PersonInput(
                    "Jordan", "Example", (c.Affiliation.STUDENT,), birth_date=born
                ),
            )
        ],
    )
    party = case.parties.get()
    # Then they are 18 now, under 18 in the imagery, and the child reports are due
    assert party.is_minor is False
    assert party.age_in_imagery == Age.UNDER_18
    assert {r.obligation.slug for r in ExternalReport.objects.filter(case=case)} >= CHILD


def test_an_unknown_age_and_a_harm_assessment_that_shows_a_minor_trigger_the_child_reports(
    case, obligations, investigator
):
    # Given a depicted person whose age in the imagery is not known
    CasePartyFactory(case=case, role=c.PartyRole.DEPICTED, is_minor=None)
    assert not ExternalReport.objects.filter(case=case).exists()
    # When the harm assessment records that a person under 18 is shown
    harm_assessment_record(actor=investigator, case=case, answers=HarmAnswers(minors_depicted=True))
    # Then the child reports are triggered at once
    assert (
        set(ExternalReport.objects.filter(case=case).values_list("obligation__slug", flat=True))
        >= CHILD
    )
    assert CaseEvent.objects.filter(case=case, event_type=EventType.REPORTS_TRIGGERED).exists()


def test_ai_imagery_of_a_minor_needs_a_law_enforcement_decision(case, obligations, investigator):
    case.ncii_kind = c.NciiKind.SYNTHETIC
    case.save()
    case_party_add(
        actor=investigator,
        case=case,
        party=PartyInput(c.PartyRole.DEPICTED, is_minor=True, description="A 9th-grade student"),
    )
    row = ExternalReport.objects.get(case=case, obligation__slug=LE_SYNTHETIC)
    assert row.agency_kind == "law_enforcement" and row.status == "pending"
    # and the initial assessment cannot end before it is decided
    assert obligation(LE_SYNTHETIC) in obligations_undecided(case, minors_only=True)


@pytest.mark.parametrize(
    "affiliation,minor_now",
    [(c.Affiliation.EMPLOYEE, None), (c.Affiliation.NON_AFFILIATED, False)],
)
def test_an_adult_or_employee_respondent_with_a_minor_depicted_needs_a_law_enforcement_decision(
    case, obligations, investigator, depicted_minor, affiliation, minor_now
):
    case.ncii_kind = c.NciiKind.AUTHENTIC
    case.save()
    case_party_add(
        actor=investigator,
        case=case,
        party=PartyInput(
            c.PartyRole.RESPONDENT,
            affiliation=affiliation,
            is_minor=minor_now,
            description="The sender",
        ),
    )
    assert ExternalReport.objects.filter(case=case, obligation__slug=LE_ADULT_RESPONDENT).exists()


def test_a_corrected_age_in_the_imagery_marks_the_reports_no_longer_required_and_back(
    case, obligations, investigator
):
    # Given a person recorded as under 18 in the imagery, with the child reports pending
    party = case_party_add(
        actor=investigator,
        case=case,
        party=PartyInput(
            c.PartyRole.DEPICTED, is_minor=False, description="A", age_in_imagery=Age.UNDER_18
        ),
    )
    before = set(ExternalReport.objects.filter(case=case).values_list("pk", flat=True))
    assert before
    # When the answer is corrected to 18 or over
    party = case_party_correct(
        actor=investigator,
        party=party,
        version=party.version,
        reason="The photo was taken at 19.",
        age_in_imagery=Age.ADULT,
    )
    # Then nothing is deleted: every row is "no longer required", with the reason
    rows = ExternalReport.objects.filter(case=case)
    assert set(rows.values_list("pk", flat=True)) == before
    assert {r.status for r in rows} == {ExternalReport.Status.NO_LONGER_REQUIRED}
    assert CaseEvent.objects.filter(case=case, event_type=EventType.REPORTS_WITHDRAWN).exists()
    # And corrected back, the same rows are pending again
    case_party_correct(
        actor=investigator,
        party=party,
        version=party.version,
        reason="Corrected: the date was wrong.",
        age_in_imagery=Age.UNDER_18,
    )
    assert {r.status for r in ExternalReport.objects.filter(case=case)} == {"pending"}


# --- The district's reporting profile --------------------------------------------------------


def _own_profile(district, **line_changes):
    profile = reporting_profile_copy_for_district(district=district)
    for slug, changes in line_changes.items():
        ReportingProfileLine.objects.filter(profile=profile, obligation__slug=slug).update(
            **changes
        )
    return profile


def test_a_new_district_gets_its_own_copy_of_the_generic_profile(obligations):
    district = DistrictFactory()
    profile = reporting_profile_copy_for_district(district=district)
    default = ReportingProfile.objects.get(district__isnull=True)
    assert profile.district == district and profile.pk != default.pk
    assert {(ln.obligation_id, ln.deadline_hours) for ln in profile.lines.all()} == {
        (ln.obligation_id, ln.deadline_hours) for ln in default.lines.all()
    }
    # Asked again, it keeps the one it has
    assert reporting_profile_copy_for_district(district=district) == profile


def test_the_deadline_is_the_districts_profiles(case, obligations, investigator, depicted_minor):
    _own_profile(case.district, **{"child-protection-report": {"deadline_hours": 36}})
    case_party_add(
        actor=investigator, case=case, party=PartyInput(c.PartyRole.WITNESS, description="W")
    )
    row = ExternalReport.objects.get(case=case, obligation__slug="child-protection-report")
    assert row.due_at == case.reported_at + dt.timedelta(hours=36)


def test_an_obligation_the_profile_leaves_out_is_not_triggered(case, obligations, depicted_minor):
    _own_profile(case.district, **{"cybertipline-report": {"active": False}})
    assert "cybertipline-report" not in slugs(case)
    assert "child-protection-report" in slugs(case)


def test_a_two_step_report_has_an_oral_and_a_written_clock(
    case, obligations, investigator, depicted_minor
):
    # Given a profile whose child-abuse report is oral within 12 hours, written within 48
    _own_profile(
        case.district,
        **{
            "child-protection-report": {
                "two_step": True,
                "oral_deadline_hours": 12,
                "deadline_hours": 48,
            }
        },
    )
    case_party_add(
        actor=investigator, case=case, party=PartyInput(c.PartyRole.WITNESS, description="W")
    )
    # Then two rows, each with its own clock
    rows = {
        r.step: r
        for r in ExternalReport.objects.filter(
            case=case, obligation__slug="child-protection-report"
        )
    }
    assert set(rows) == {c.ReportStep.ORAL, c.ReportStep.WRITTEN}
    assert rows["oral"].due_at == case.reported_at + dt.timedelta(hours=12)
    assert rows["written"].due_at == case.reported_at + dt.timedelta(hours=48)
    assert rows["oral"].clock.label.endswith("oral report")
    # The oral report made, the obligation still waits for the written one
    external_report_record_made(
        actor=investigator,
        report=rows["oral"],
        reported_at=timezone.now(),
        reference_number="CPS-1",
    )
    assert obligation("child-protection-report") in obligations_undecided(case)
    external_report_record_made(
        actor=investigator,
        report=rows["written"],
        reported_at=timezone.now(),
        reference_number="CPS-1-W",
    )
    assert obligation("child-protection-report") not in obligations_undecided(case)


def test_a_two_step_line_needs_its_oral_deadline(obligations):
    from django.core.exceptions import ValidationError

    line = ReportingProfileLine(
        profile=ReportingProfile.objects.get(district__isnull=True),
        obligation=obligation("child-protection-report"),
        deadline_hours=48,
        two_step=True,
    )
    with pytest.raises(ValidationError) as err:
        line.clean()
    assert "oral_deadline_hours" in err.value.message_dict


# --- Forms and pages show the answer ---------------------------------------------------------


def test_the_party_correction_form_records_the_age_in_the_imagery(
    client, case, obligations, investigator
):
    party = CasePartyFactory(case=case, role=c.PartyRole.DEPICTED, is_minor=False)
    login_verified(client, investigator)
    url = reverse("ncii_cases:case_record_correct", args=[case.pk, "party"])
    page = client.get(url, {"record": party.pk})
    assert "does the imagery show them under 18" in page.content.decode()
    data = {
        "record": party.pk,
        "version": party.version,
        "first_name": party.person.first_name,
        "last_name": party.person.last_name,
        "affiliations": ["student"],
        "is_minor": "no",
        "age_in_imagery": Age.UNDER_18,
        "reason": "The imagery was made when they were 17.",
    }
    with records(
        Event(
            EventType.RECORD_CORRECTED, investigator, {"changes", "label", "record", "record_id"}
        ),
        Event(
            EventType.REPORTS_TRIGGERED,
            investigator,
            {"agencies", "obligations", "reopened_ids", "report_ids"},
        ),
        queries=73,
    ):
        response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    party.refresh_from_db()
    assert party.age_in_imagery == Age.UNDER_18
    event = CaseEvent.objects.get(case=case, event_type=EventType.RECORD_CORRECTED)
    assert event.detail["changes"]["age_in_imagery"] == ["unknown", "under_18"]
    assert CaseEvent.objects.filter(case=case, event_type=EventType.REPORTS_TRIGGERED).exists()
    # The case page shows both answers
    page = client.get(case.get_absolute_url()).content.decode()
    assert "18 or over now, under 18 in the imagery" in page


def test_another_districts_user_cannot_reach_the_correction_form(client, case, outsider):
    party = CasePartyFactory(case=case, role=c.PartyRole.DEPICTED)
    login_verified(client, outsider)
    url = reverse("ncii_cases:case_record_correct", args=[case.pk, "party"])
    assert client.get(url, {"record": party.pk}).status_code == 404


def test_the_pdf_summary_shows_the_age_now_and_the_age_in_the_imagery(case, coordinator):
    from reporting.pdf import summary_pdf_build
    from reporting.summary import case_summary_for_user
    from tests.reporting.pdftext import pdf_pages_text

    CasePartyFactory(
        case=case, role=c.PartyRole.DEPICTED, is_minor=False, age_in_imagery=Age.UNDER_18
    )
    summary = case_summary_for_user(user=coordinator, pk=case.pk, profile="internal")
    assert [p.minor for p in summary.parties] == ["18 or over now; under 18 in the imagery"]
    rendered = summary_pdf_build(summary, generated_by=coordinator, generated_at=timezone.now())
    text = " ".join(" ".join(pdf_pages_text(rendered.content)).split())
    assert "under 18 in the imagery" in text


def test_intake_records_both_answers_and_triggers_the_child_reports(client, coordinator, school):
    all_obligations()
    login_verified(client, coordinator)
    data = {
        "school": school.pk,
        "title": "Photo from last year shared",
        "narrative": "A photo taken when the student was 17 was shared after their birthday.",
        "reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "ncii_kind": "authentic",
        "conduct": "distribution",
        "location": "off_campus",
        "timing": "out_of_hours",
        "reach": "few",
        "depicted": "A senior",
        "depicted_minor": "no",
        "depicted_age_in_imagery": Age.UNDER_18,
        "depicted_affiliation": "student",
        "respondent": "",
        "respondent_affiliation": "unknown",
        "people-TOTAL_FORMS": "1",
        "people-INITIAL_FORMS": "0",
        "people-0-role": "depicted",
        "people-0-first_name": "Riley",
        "people-0-last_name": "Example",
        "people-0-affiliations": ["student"],
        "people-0-is_minor": "no",
        "people-0-age_in_imagery": Age.UNDER_18,
    }
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
        queries=104,
    ):
        response = client.post(reverse("ncii_cases:intake"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    parties = list(
        CaseEvent.objects.get(event_type=EventType.CASE_CREATED).case.parties.order_by("pk")
    )
    assert [(p.is_minor, p.age_in_imagery) for p in parties] == [
        (False, Age.UNDER_18),
        (False, Age.UNDER_18),
    ]
    case = parties[0].case
    assert CHILD | {LE_AUTHENTIC} <= set(
        ExternalReport.objects.filter(case=case).values_list("obligation__slug", flat=True)
    )
    assert CaseEvent.objects.filter(case=case, event_type=EventType.REPORTS_TRIGGERED).exists()
