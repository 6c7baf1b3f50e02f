"""Need-to-know: support staff see the complainant's supportive measures and the resources,
never the respondent's discipline nor the evidence log; the auditor sees audit trails and case
metadata, never the narrative or names. Enforced by the selectors (and so in every page and
admin form built on them), checked here on the selectors and on the rendered pages."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.models import (
    AccessEvent,
)
from ncii_cases.permissions import Action, actions_for
from ncii_cases.selectors import cases as selectors
from policies.models import Intervention, Measure, Resource
from tests.access.helpers import login_verified
from tests.factories import CasePartyFactory
from tests.factories_records import (
    CaseMeasureFactory,
    DeterminationFactory,
    EvidenceItemFactory,
    SanctionFactory,
)

NARRATIVE = "NARRATIVE-SENTINEL a classmate forwarded the photo"
SANCTION_TEXT = "SANCTION-SENTINEL three-day suspension"
INTERIM_TEXT = "INTERIM-SENTINEL schedule change for the respondent"
SUPPORT_TEXT = "SUPPORT-SENTINEL weekly check-in with the counselor"
EVIDENCE_TEXT = "EVIDENCE-SENTINEL screenshot described by the reporter"
RATIONALE = "RATIONALE-SENTINEL the respondent admitted sharing"
REASON = "REASON-SENTINEL the respondent was interviewed"
RESPONDENT = "RESPONDENTSENTINEL"
DEPICTED = "DEPICTEDSENTINEL"
RESOURCE = "RESOURCE-SENTINEL hotline"


@pytest.fixture
def full_case(case, coordinator):
    """The personas' case with everything a case gathers: parties, measures of both kinds,
    evidence, a determination, a sanction and a timeline entry with a reason."""
    from ncii_cases.audit import case_event_record

    case.narrative = NARRATIVE
    case.save(update_fields=["narrative"])
    depicted = CasePartyFactory(case=case, role=c.PartyRole.DEPICTED, person__last_name=DEPICTED)
    respondent = CasePartyFactory(
        case=case, role=c.PartyRole.RESPONDENT, person__last_name=RESPONDENT
    )
    support = Measure.objects.create(name=SUPPORT_TEXT, slug="check-in", kind="supportive")
    interim = Measure.objects.create(name=INTERIM_TEXT, slug="schedule", kind="interim")
    CaseMeasureFactory(case=case, party=depicted, kind="supportive", measure=support)
    CaseMeasureFactory(case=case, party=respondent, kind="interim", measure=interim)
    EvidenceItemFactory(case=case, description=EVIDENCE_TEXT, recorded_by=coordinator)
    now = timezone.now()
    DeterminationFactory(
        case=case,
        respondent=respondent,
        finding="responsible",
        standard_of_evidence="preponderance",
        rationale=RATIONALE,
        decided_by=coordinator,
        decided_at=now,
    )
    intervention = Intervention.objects.create(name=SANCTION_TEXT, slug="susp", track="student")
    SanctionFactory(
        case=case,
        respondent=respondent,
        intervention=intervention,
        details="details",
        decided_by=coordinator,
        decided_at=now,
        starts_on=dt.date.today(),
    )
    Resource.objects.create(name=RESOURCE, slug="hotline", kind="hotline", phone="1-800-000")
    case_event_record(case=case, actor=coordinator, event_type="interviewed", reason=REASON)
    return case


DISCIPLINE = [SANCTION_TEXT, INTERIM_TEXT, RATIONALE, RESPONDENT, REASON]
EVIDENCE = [EVIDENCE_TEXT]
CONTENT = [NARRATIVE, DEPICTED, RESPONDENT, SUPPORT_TEXT, SANCTION_TEXT, EVIDENCE_TEXT]


def page(client, user, name, case):
    login_verified(client, user)
    response = client.get(reverse(name, args=[case.pk]))
    return response, response.content.decode()


def test_counselor_actions_on_the_assigned_case(full_case, counselor):
    assert actions_for(counselor, full_case) == {Action.VIEW, Action.VIEW_METADATA, Action.SUPPORT}


def test_counselor_selectors_return_no_evidence_and_no_discipline(full_case, counselor):
    assert list(selectors.case_evidence_for_user(user=counselor, case=full_case)) == []
    assert list(selectors.case_sanctions_for_user(user=counselor, case=full_case)) == []
    assert list(selectors.case_determinations_for_user(user=counselor, case=full_case)) == []
    measures = selectors.case_measures_for_user(user=counselor, case=full_case)
    assert [m.measure.name for m in measures] == [SUPPORT_TEXT]
    parties = selectors.case_parties_for_user(user=counselor, case=full_case)
    assert {p.role for p in parties} == {c.PartyRole.DEPICTED}


def test_counselor_page_shows_support_and_resources_but_no_discipline_or_evidence(
    client, full_case, counselor
):
    response, body = page(client, counselor, "ncii_cases:case_detail", full_case)
    assert response.status_code == 200
    assert NARRATIVE in body and SUPPORT_TEXT in body and RESOURCE in body and DEPICTED in body
    for text in DISCIPLINE + EVIDENCE:
        assert text not in body, text
    assert "Evidence log" not in body and "Determinations and sanctions" not in body


def test_counselor_admin_forms_offer_no_case_records(client, full_case, counselor):
    # Support staff have no model rights on case records: the admin is closed to them, so no
    # admin form can list a sanction or an evidence entry either.
    login_verified(client, counselor)
    for name in ("admin:ncii_cases_sanction_add", "admin:ncii_cases_evidenceitem_changelist"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert SANCTION_TEXT not in response.content.decode()


def test_case_admin_choice_lists_offer_only_visible_cases(
    client, full_case, other_school_case, school_admin
):
    from ncii_cases.admin import case_scoped_queryset
    from ncii_cases.models import Case, CaseParty

    request = type("R", (), {"user": school_admin})()
    assert list(case_scoped_queryset(request, Case)) == [full_case]
    assert set(case_scoped_queryset(request, CaseParty)) == set(full_case.parties.all())
    assert case_scoped_queryset(request, Intervention) is None


def test_auditor_sees_metadata_and_the_trail_never_the_narrative_or_names(
    client, full_case, auditor
):
    for name in ("ncii_cases:case_detail", "reporting:case_audit"):
        response, body = page(client, auditor, name, full_case)
        assert response.status_code == 200
        assert full_case.reference in body
        for text in CONTENT + [full_case.title, REASON]:
            assert text not in body, (name, text)
    _, trail = page(client, auditor, "reporting:case_audit", full_case)
    assert "Interviewed" in trail  # the event type in words, without its reason
    assert list(selectors.case_parties_for_user(user=auditor, case=full_case)) == []
    assert list(selectors.case_measures_for_user(user=auditor, case=full_case)) == []


def test_auditor_access_log_page_names_no_one_in_the_case(client, full_case, auditor, counselor):
    login_verified(client, counselor)
    client.get(reverse("ncii_cases:case_detail", args=[full_case.pk]))
    login_verified(client, auditor)
    body = client.get(reverse("reporting:audit_review")).content.decode()
    assert "counselor" in body and full_case.reference in body
    for text in CONTENT:
        assert text not in body


def test_investigator_sees_everything_of_the_assigned_case(client, full_case, investigator):
    response, body = page(client, investigator, "ncii_cases:case_detail", full_case)
    assert response.status_code == 200
    for text in CONTENT + [RATIONALE, INTERIM_TEXT, REASON]:
        assert text in body, text


def test_case_detail_stays_within_a_fixed_number_of_queries(
    client, full_case, coordinator, django_assert_max_num_queries
):
    login_verified(client, coordinator)
    url = reverse("ncii_cases:case_detail", args=[full_case.pk])
    client.get(url)
    # The full case page reads one query per section (harm, assignments, takedowns, reports,
    # notices, offers and resources were added to it; then supporting documents, and the
    # names of assigned staff for the timeline's sentences); tests/ncii_cases/
    # test_queue_and_case_page_queries.py shows the count does not grow with the case.
    # 30: one more for the deadline extensions section, two more for the documents section
    # and the staff named in the timeline. 32: the parent-notification decisions and the
    # reasons no supportive measure was offered (one query each). 34: with the appeals, the
    # steps of Process A and the people's earlier cases (one query each; the takedown notices
    # are read with the takedowns). 35: the timeline shows only the newest 20 events, so the
    # events linking incoming reports (promoted, merged) are read apart (one query). 22: one
    # query says which sections the case holds, and those it holds none of are not read; the
    # people's schools are read with them.
    with django_assert_max_num_queries(22):
        response = client.get(url)
    assert response.status_code == 200
    assert AccessEvent.objects.filter(path=url, allowed=True).count() == 2


def test_counselor_timeline_shows_no_discipline_or_evidence_entries(
    client, full_case, counselor, coordinator
):
    from ncii_cases.audit import case_event_record

    case_event_record(case=full_case, actor=coordinator, event_type="sanction_added")
    case_event_record(case=full_case, actor=coordinator, event_type="evidence_recorded")
    timeline = selectors.case_timeline_for_user(user=counselor, case=full_case)
    types = set(timeline.values_list("event_type", flat=True))
    assert "sanction_added" not in types and "evidence_recorded" not in types
    assert "assigned" in types
    _, body = page(client, counselor, "ncii_cases:case_detail", full_case)
    assert "sanction_added" not in body and "evidence_recorded" not in body


def test_auditor_finds_district_cases_on_the_list_by_reference_not_by_title(
    client, full_case, auditor
):
    login_verified(client, auditor)
    listing = client.get(reverse("ncii_cases:home")).content.decode()
    assert full_case.reference in listing and full_case.title not in listing
    found = client.get(reverse("ncii_cases:home"), {"q": full_case.reference}).content.decode()
    assert "1 case matches" in found
    by_title = client.get(reverse("ncii_cases:home"), {"q": full_case.title}).content.decode()
    assert "0 cases match" in by_title
