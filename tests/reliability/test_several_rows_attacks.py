"""Attacks on the forms that record several records in one save (measures for several people,
measure reviews, offers, parent-notification decisions, notices, sanctions, the external
reports page) and on the stage steps posted from the to-do panel: forged, duplicated, stale,
oversized and unreadable rows, closed cases, roles that may not write, double posts. Each
refusal is clear (never a 500) and leaves every case-data table as it was."""

import pytest
from django.test import Client
from django.urls import reverse

from ncii_cases import choices as c
from ncii_cases.models import CaseMeasure, CaseParty, ExternalReport, PartyNotice
from ncii_cases.obligations import report_key
from tests.access.helpers import login_verified
from tests.factories import CasePartyFactory, UserFactory
from tests.factories_records import DeterminationFactory
from tests.reliability.test_form_fuzzing import changed_tables, snapshot

pytestmark = pytest.mark.django_db


def url(name, case, *args):
    return reverse(f"ncii_cases:{name}", args=[case.pk, *args])


@pytest.fixture
def coordinator_client(coordinator, rich_case, rich_foreign_case):
    client = Client()
    login_verified(client, coordinator)
    return client


def depicted(case):
    return CaseParty.objects.get(case=case, role="depicted")


def measure_of(case):
    return CaseMeasure.objects.filter(case=case).order_by("pk").first()


def measure_data(parties, **extra):
    from tests.factories_workflow import measure

    return {
        "kind": "supportive",
        "measure": measure("counseling").pk,
        "party": [str(p) for p in parties],
        "description": "Weekly check-ins.",
        "status": "planned",
        **extra,
    }


def post_unchanged(client, address, data):
    before = snapshot()
    response = client.post(address, data)
    assert response.status_code != 500
    return response, changed_tables(before, snapshot())


# --- Rows naming what the form may not name --------------------------------------------------


def test_a_party_of_another_case_of_the_same_district_is_refused(
    coordinator_client, rich_case, other_school_case
):
    other = CasePartyFactory(case=other_school_case, role=c.PartyRole.DEPICTED)
    response, changed = post_unchanged(
        coordinator_client,
        url("case_measure_add", rich_case),
        measure_data([depicted(rich_case).pk, other.pk]),
    )
    assert response.status_code == 200
    assert "party" in response.context["form"].errors
    assert changed == []


def test_the_same_person_named_twice_gets_one_measure(coordinator_client, rich_case):
    person = depicted(rich_case)
    before = CaseMeasure.objects.filter(party=person).count()
    response = coordinator_client.post(
        url("case_measure_add", rich_case), measure_data([person.pk, person.pk])
    )
    assert response.status_code == 302
    assert CaseMeasure.objects.filter(party=person).count() == before + 1


@pytest.mark.parametrize(
    "junk", ["abc", "1.5", "-1", "9223372036854775808", "99999999999999999999999", "\x00"]
)
def test_a_junk_party_id_is_a_field_error(coordinator_client, rich_case, junk):
    response, changed = post_unchanged(
        coordinator_client,
        url("case_measure_add", rich_case),
        measure_data([depicted(rich_case).pk, junk]),
    )
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert "party" in response.context["form"].errors
    assert changed == []


@pytest.mark.parametrize("junk", ["abc", "9223372036854775808", "99999999999999999999999", "-3"])
def test_a_junk_intervention_id_is_a_field_error(coordinator_client, rich_case, junk):
    response, changed = post_unchanged(
        coordinator_client,
        url("case_sanction_add", rich_case),
        {"respondent": CaseParty.objects.get(case=rich_case, role="respondent").pk,
         "interventions": [junk]},
    )  # fmt: skip
    assert response.status_code == 200
    assert "interventions" in response.context["form"].errors
    assert changed == []


def test_a_measure_of_another_district_is_no_review_row(
    coordinator_client, rich_case, rich_foreign_case
):
    foreign = measure_of(rich_foreign_case)
    response, changed = post_unchanged(
        coordinator_client,
        url("case_measure_review", rich_case),
        {f"do_{foreign.pk}": "end", f"version_{foreign.pk}": foreign.version},
    )
    assert response.status_code == 200
    assert changed == []
    assert CaseMeasure.objects.get(pk=foreign.pk).status != "ended"


@pytest.mark.parametrize(
    "key", ["version_abc", "version_-1", "version_1e5", "version_٣", "version_" + "9" * 40]
)
def test_a_junk_review_row_key_is_no_row(coordinator_client, rich_case, key):
    response, changed = post_unchanged(
        coordinator_client, url("case_measure_review", rich_case), {key: "1", "do_x": "end"}
    )
    assert response.status_code == 200
    assert changed == []


def test_a_withdrawn_measure_is_no_review_row(coordinator_client, rich_case):
    m = measure_of(rich_case)
    CaseMeasure.objects.filter(pk=m.pk).update(withdrawn_at="2026-01-01T00:00Z")
    response, changed = post_unchanged(
        coordinator_client,
        url("case_measure_review", rich_case),
        {f"do_{m.pk}": "end", f"version_{m.pk}": m.version},
    )
    assert response.status_code == 200
    assert changed == []


def test_a_non_integer_version_of_a_review_row_is_a_field_error(coordinator_client, rich_case):
    m = measure_of(rich_case)
    response, changed = post_unchanged(
        coordinator_client,
        url("case_measure_review", rich_case),
        {f"do_{m.pk}": "end", f"version_{m.pk}": "x"},
    )
    assert response.status_code == 200
    assert changed == []


def test_an_oversized_version_of_a_review_row_is_stale_not_a_500(coordinator_client, rich_case):
    m = measure_of(rich_case)
    response, changed = post_unchanged(
        coordinator_client,
        url("case_measure_review", rich_case),
        {f"do_{m.pk}": "end", f"version_{m.pk}": "9" * 30},
    )
    assert response.status_code == 200
    assert changed == []


def test_a_review_sent_twice_records_once(coordinator_client, rich_case):
    m = measure_of(rich_case)
    data = {f"do_{m.pk}": "end", f"version_{m.pk}": m.version}
    first = coordinator_client.post(url("case_measure_review", rich_case), data)
    assert first.status_code == 302
    response, changed = post_unchanged(
        coordinator_client, url("case_measure_review", rich_case), data
    )
    assert response.status_code == 200
    assert changed == []


def test_an_unassigned_counselor_cannot_post_the_several_forms(rich_case):
    stranger = UserFactory(district=rich_case.district, role=c.Role.SUPPORT_STAFF)
    client = Client()
    login_verified(client, stranger)
    m = measure_of(rich_case)
    for name, data in [
        ("case_measure_add", measure_data([depicted(rich_case).pk])),
        ("case_measure_review", {f"do_{m.pk}": "end", f"version_{m.pk}": m.version}),
    ]:
        response, changed = post_unchanged(client, url(name, rich_case), data)
        assert response.status_code == 404, name
        assert changed == [], name


def test_an_assigned_counselor_cannot_review_a_measure_they_may_not_read(
    rich_case, counselor, coordinator
):
    from ncii_cases.services.measures import measure_add
    from tests.factories_workflow import measure

    # An interim measure concerns the respondent: the depicted person's counselor never reads it.
    m = measure_add(
        actor=coordinator,
        case=rich_case,
        party=CaseParty.objects.get(case=rich_case, role="respondent"),
        kind=CaseMeasure.Kind.INTERIM,
        measure=measure("removal-from-shared-class"),
        status="active",
    )
    client = Client()
    login_verified(client, counselor)
    response, changed = post_unchanged(
        client,
        url("case_measure_review", rich_case),
        {f"do_{m.pk}": "end", f"version_{m.pk}": m.version},
    )
    assert response.status_code in (200, 404)
    assert changed == []


def test_an_assigned_counselor_cannot_add_a_measure_for_a_person_they_may_not_read(
    rich_case, counselor
):
    from ncii_cases.selectors import cases as selectors

    readable = set(
        selectors.case_parties_for_user(user=counselor, case=rich_case).values_list("pk", flat=True)
    )
    hidden = [p for p in CaseParty.objects.filter(case=rich_case) if p.pk not in readable]
    if not hidden:
        pytest.skip("the counselor may read every person of this case")
    client = Client()
    login_verified(client, counselor)
    response, changed = post_unchanged(
        client, url("case_measure_add", rich_case), measure_data([hidden[0].pk])
    )
    assert response.status_code in (200, 404)
    assert changed == []


# --- Roles that may not write, closed cases ------------------------------------------------

SEVERAL_FORMS = [
    "case_measure_add",
    "case_measure_review",
    "case_offer",
    "case_parent_decision_add",
    "case_notice_add",
    "case_sanction_add",
    "case_report_update",
]


def several_data(case):
    m = measure_of(case)
    person = depicted(case)
    report = ExternalReport.objects.filter(case=case, status="pending").first()
    return {
        "case_measure_add": measure_data([person.pk]),
        "case_measure_review": {f"do_{m.pk}": "end", f"version_{m.pk}": m.version},
        "case_offer": {"option": "restorative", f"choice_{person.pk}": "declined"},
        "case_parent_decision_add": {f"p{person.pk}-decision": "notify_now"},
        "case_notice_add": {
            "kind": PartyNotice.Kind.NOTICE_OF_ALLEGATIONS,
            "method": "letter",
            "summary": "Told.",
            "party": [person.pk],
        },
        "case_sanction_add": {"respondent": CaseParty.objects.get(case=case, role="respondent").pk},
        "case_report_update": {
            "reports-TOTAL_FORMS": "1",
            "reports-INITIAL_FORMS": "1",
            "reports-0-key": report_key(report),
            "reports-0-version": str(report.version),
            "reports-0-outcome": "not_required",
            "reports-0-explanation": "Already reported.",
        },
    }


@pytest.mark.parametrize("persona", ["auditor", "it_admin"])
def test_an_auditor_or_it_administrator_posts_nothing(request, rich_case, persona):
    user = request.getfixturevalue(persona)
    client = Client()
    login_verified(client, user)
    data = several_data(rich_case)
    for name in SEVERAL_FORMS:
        response, changed = post_unchanged(client, url(name, rich_case), data[name])
        assert response.status_code in (403, 404), name
        assert changed == [], name


def test_a_closed_case_takes_no_several_records(coordinator_client, rich_case):
    data = several_data(rich_case)
    rich_case.stage = c.Stage.CLOSED
    rich_case.save()
    # The measure reviews stay open after closure: support can outlive the case
    # (``measures.measure_status_set``), as the one-measure form always allowed.
    for name in [n for n in SEVERAL_FORMS if n != "case_measure_review"]:
        response, changed = post_unchanged(coordinator_client, url(name, rich_case), data[name])
        assert response.status_code in (200, 403, 404), name
        assert changed == [], name


def test_a_get_of_each_several_form_writes_nothing(coordinator_client, rich_case):
    person = depicted(rich_case)
    for name in SEVERAL_FORMS:
        before = snapshot()
        response = coordinator_client.get(url(name, rich_case) + f"?party={person.pk}&kind=x")
        assert response.status_code == 200, name
        assert changed_tables(before, snapshot()) == [], name


# --- The external reports page: many, duplicated and stale rows ------------------------------


def reports_rows(rows):
    data = {"reports-TOTAL_FORMS": str(len(rows)), "reports-INITIAL_FORMS": str(len(rows))}
    for i, row in enumerate(rows):
        for k, v in row.items():
            data[f"reports-{i}-{k}"] = v
    return data


def pending(case):
    return list(ExternalReport.objects.filter(case=case, status="pending").order_by("pk"))


def not_required(report, **extra):
    return {
        "key": report_key(report),
        "version": str(report.version),
        "outcome": "not_required",
        "explanation": "Reported by the police already.",
        **extra,
    }


@pytest.mark.parametrize("total", ["100000", "1000", "51"])
def test_more_report_rows_than_the_page_holds_are_refused_without_building_them(
    coordinator_client, rich_case, monkeypatch, total
):
    """The page holds at most 50 rows (``ReportDecisionFormSet``): a management form claiming
    more builds no more than that (not Django's default of max_num + 1000 forms, a page of
    1.7 MB rendered for one forged number) and says so."""
    from ncii_cases import forms

    built = []
    original = forms.ReportDecisionForm.__init__

    def counted(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(forms.ReportDecisionForm, "__init__", counted)
    data = {"reports-TOTAL_FORMS": total, "reports-INITIAL_FORMS": "0"}
    response, changed = post_unchanged(
        coordinator_client, url("case_report_update", rich_case), data
    )
    assert response.status_code == 200
    assert changed == []
    assert "Please submit at most 50 forms" in response.content.decode()
    assert len(built) <= 50 * 2  # built once for the check, at most once more for the page


def test_the_same_report_named_twice_is_refused_in_words(coordinator_client, rich_case):
    report = pending(rich_case)[0]
    response, changed = post_unchanged(
        coordinator_client,
        url("case_report_update", rich_case),
        reports_rows([not_required(report), not_required(report)]),
    )
    assert response.status_code == 200
    assert "The same report is sent twice" in response.content.decode()
    assert changed == []


def test_a_stale_version_on_one_report_row_of_several_saves_nothing(coordinator_client, rich_case):
    reports = pending(rich_case)
    assert len(reports) >= 2
    rows = [not_required(reports[0]), not_required(reports[1], version=str(reports[1].version + 1))]
    response, changed = post_unchanged(
        coordinator_client, url("case_report_update", rich_case), reports_rows(rows)
    )
    assert response.status_code == 200
    assert changed == []


@pytest.mark.parametrize("version", ["x", "-1", "9" * 30])
def test_a_junk_report_version_is_refused(coordinator_client, rich_case, version):
    report = pending(rich_case)[0]
    response, changed = post_unchanged(
        coordinator_client,
        url("case_report_update", rich_case),
        reports_rows([not_required(report, version=version)]),
    )
    assert response.status_code == 200
    assert changed == []


@pytest.mark.parametrize("key", ["", "x" * 41, "o\x00", "99999999999999999999999", "o1-s9"])
def test_a_junk_report_key_is_refused(coordinator_client, rich_case, key):
    report = pending(rich_case)[0]
    response, changed = post_unchanged(
        coordinator_client,
        url("case_report_update", rich_case),
        reports_rows([not_required(report, key=key)]),
    )
    assert response.status_code in (200, 404)
    assert changed == []


def test_a_report_row_without_a_version_is_refused_when_it_changed(coordinator_client, rich_case):
    """A forged row that leaves out its version must not decide a report blindly."""
    report = pending(rich_case)[0]
    row = not_required(report)
    del row["version"]
    ExternalReport.objects.filter(pk=report.pk).update(version=report.version + 1)
    response, changed = post_unchanged(
        coordinator_client, url("case_report_update", rich_case), reports_rows([row])
    )
    assert response.status_code == 200
    assert changed == []


# --- Several records: duplicated and forged rows ----------------------------------------------


def test_the_same_person_ticked_twice_gets_one_notice(coordinator_client, rich_case):
    person = depicted(rich_case)
    data = several_data(rich_case)["case_notice_add"]
    data["party"] = [person.pk, person.pk]
    response = coordinator_client.post(url("case_notice_add", rich_case), data)
    assert response.status_code == 302, response.context["form"].errors
    assert PartyNotice.objects.filter(party=person).count() == 1


def test_a_foreign_parent_decision_row_is_no_row(coordinator_client, rich_case, rich_foreign_case):
    foreign = depicted(rich_foreign_case)
    response, changed = post_unchanged(
        coordinator_client,
        url("case_parent_decision_add", rich_case),
        {f"p{foreign.pk}-decision": "notify_now", "approved_by": ""},
    )
    assert response.status_code == 200
    assert changed == []


# --- Stage steps posted from the to-do panel ---------------------------------------------------


@pytest.fixture
def step_client(coordinator, case):
    """The coordinator on ``case`` at intake (``step_client`` furnishes it further)."""
    client = Client()
    login_verified(client, coordinator)
    return client


def test_a_step_posted_twice_from_the_panel_moves_the_case_once(step_client, case):
    from ncii_cases.models import CaseEvent

    assert case.stage == c.Stage.INTAKE
    address = url("case_transition", case, "begin_assessment")
    first = step_client.post(address, {"from_stage": c.Stage.INTAKE})
    assert first.status_code == 302
    case.refresh_from_db()
    moved_to = case.stage
    events = CaseEvent.objects.filter(case=case).count()
    response, changed = post_unchanged(step_client, address, {"from_stage": c.Stage.INTAKE})
    assert response.status_code == 200
    assert "Someone else already completed this step" in response.content.decode()
    assert changed == []
    case.refresh_from_db()
    assert case.stage == moved_to
    assert CaseEvent.objects.filter(case=case).count() == events


@pytest.mark.parametrize("stage", ["", "x" * 5000, "\x00", "closed"])
def test_a_junk_from_stage_is_refused_not_a_500(step_client, case, stage):
    response, changed = post_unchanged(
        step_client,
        url("case_transition", case, "begin_assessment"),
        {"from_stage": stage, "reason": "x"} if stage else {"reason": "x"},
    )
    if stage:
        assert response.status_code == 200
        assert changed == []


@pytest.mark.parametrize(
    ("stage", "action"),
    [
        (c.Stage.INFORMAL_RESOLUTION, "informal_resolution_failed"),
        (c.Stage.INFORMAL_RESOLUTION, "informal_agreement_reached"),
        (c.Stage.CLOSED, "reopen"),
    ],
)
def test_a_step_needing_a_reason_posted_without_one_is_refused(step_client, case, stage, action):
    case.stage = stage
    case.save()
    for reason in (None, "", "   "):
        data = {"from_stage": stage} if reason is None else {"from_stage": stage, "reason": reason}
        response, changed = post_unchanged(step_client, url("case_transition", case, action), data)
        assert response.status_code == 200, (action, reason)
        # The step's own guard refuses it, in words, on the step page.
        assert "Give the reason for this step" in response.content.decode(), (action, reason)
        assert changed == [], (action, reason)


def test_a_get_of_a_step_writes_nothing(step_client, case):
    before = snapshot()
    response = step_client.get(
        url("case_transition", case, "begin_assessment") + "?from_stage=intake"
    )
    assert response.status_code == 200
    assert changed_tables(before, snapshot()) == []


@pytest.mark.parametrize("persona", ["auditor", "it_admin"])
def test_an_auditor_or_it_administrator_cannot_step(request, case, persona):
    client = Client()
    login_verified(client, request.getfixturevalue(persona))
    response, changed = post_unchanged(
        client, url("case_transition", case, "begin_assessment"), {"from_stage": c.Stage.INTAKE}
    )
    assert response.status_code in (403, 404)
    assert changed == []


def test_the_panel_post_without_csrf_is_refused(coordinator, case):
    client = Client(enforce_csrf_checks=True)
    login_verified(client, coordinator)
    response, changed = post_unchanged(
        client, url("case_transition", case, "begin_assessment"), {"from_stage": c.Stage.INTAKE}
    )
    assert response.status_code == 403
    assert changed == []


# --- Several sanctions: duplicated, foreign and wrong-track interventions ---------------------


@pytest.fixture
def responsible(rich_case, coordinator):
    import datetime as dt

    from ncii_cases.models import Determination

    respondent = CaseParty.objects.get(case=rich_case, role="respondent")
    rich_case.stage = c.Stage.DETERMINATION
    rich_case.save(update_fields=["stage"])
    DeterminationFactory(
        case=rich_case,
        respondent=respondent,
        finding=Determination.Finding.RESPONSIBLE,
        standard_of_evidence=Determination.Standard.PREPONDERANCE,
        rationale="Shown.",
        decided_by=coordinator,
        decided_at=dt.datetime.now(dt.UTC),
    )
    return respondent


def test_an_intervention_ticked_twice_makes_one_sanction(
    coordinator_client, rich_case, responsible
):
    from ncii_cases.models import Sanction
    from tests.factories_workflow import intervention

    suspension = intervention("student-suspension")
    response = coordinator_client.post(
        url("case_sanction_add", rich_case),
        {"respondent": responsible.pk, "interventions": [suspension.pk, suspension.pk]},
    )
    assert response.status_code == 302, response.context["form"].errors
    assert Sanction.objects.filter(case=rich_case).count() == 1


@pytest.mark.parametrize("which", ["other_district", "employee_track"])
def test_an_intervention_outside_the_cases_catalog_is_refused(
    coordinator_client, rich_case, responsible, other_district, which
):
    from policies.models import Intervention
    from tests.factories_workflow import intervention

    if which == "other_district":
        foreign = Intervention.objects.create(
            district=other_district, slug="far-detention", name="Detention", track="student"
        )
    else:
        foreign = intervention("employee-suspension")
        assert foreign.track == "employee"
    response, changed = post_unchanged(
        coordinator_client,
        url("case_sanction_add", rich_case),
        {
            "respondent": responsible.pk,
            "interventions": [intervention("student-suspension").pk, foreign.pk],
        },
    )
    assert response.status_code == 200
    assert "interventions" in response.context["form"].errors
    assert changed == []


def test_a_respondent_of_another_case_is_refused_for_sanctions(
    coordinator_client, rich_case, responsible, rich_foreign_case, other_school_case
):
    from tests.factories_workflow import intervention

    for other in (
        CaseParty.objects.get(case=rich_foreign_case, role="respondent"),
        CasePartyFactory(case=other_school_case, role=c.PartyRole.RESPONDENT),
    ):
        response, changed = post_unchanged(
            coordinator_client,
            url("case_sanction_add", rich_case),
            {"respondent": other.pk, "interventions": [intervention("student-suspension").pk]},
        )
        assert response.status_code == 200
        assert "respondent" in response.context["form"].errors
        assert changed == []


# --- A counselor on the notice form: only the people they may read --------------------------


def test_a_counselor_cannot_log_a_notice_for_the_respondent(rich_case, counselor):
    client = Client()
    login_verified(client, counselor)
    respondent = CaseParty.objects.get(case=rich_case, role="respondent")
    page = client.get(url("case_notice_add", rich_case))
    if page.status_code == 404:
        return  # the form is not theirs at all
    kinds = [v for v, _ in page.context["form"].fields["kind"].choices]
    response, changed = post_unchanged(
        client,
        url("case_notice_add", rich_case),
        {"kind": kinds[0], "method": "letter", "summary": "Told.", "party": [respondent.pk]},
    )
    assert response.status_code == 200
    assert "party" in response.context["form"].errors
    assert changed == []


def test_a_counselor_cannot_post_the_offer_or_the_reports_page(rich_case, counselor):
    client = Client()
    login_verified(client, counselor)
    data = several_data(rich_case)
    for name in ("case_offer", "case_report_update", "case_sanction_add"):
        response, changed = post_unchanged(client, url(name, rich_case), data[name])
        assert response.status_code in (403, 404), name
        assert changed == [], name


# --- The same page sent again with a fresh token (two tabs): no second record ---------------


def test_a_parent_decision_sent_again_from_another_tab_is_refused(
    coordinator_client, rich_case, coordinator
):
    from ncii_cases.models import ParentNotificationDecision

    person = depicted(rich_case)
    address = url("case_parent_decision_add", rich_case)
    data = {
        "approved_by": coordinator.pk,
        f"p{person.pk}-decision": "notify_now",
        f"p{person.pk}-student_wishes": "Agreed that a parent is told.",
    }
    first = coordinator_client.post(address, data)
    assert first.status_code == 302, first.context["form"].errors
    response, changed = post_unchanged(coordinator_client, address, data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert changed == []
    assert ParentNotificationDecision.objects.filter(party=person).count() == 1


# --- The intake's people rows: the same bound on a forged row count -------------------------


@pytest.mark.parametrize("button", [None, "add_person"])
def test_an_intake_claiming_a_hundred_thousand_people_rows_builds_at_most_its_30(
    client, coordinator, school, monkeypatch, button
):
    from ncii_cases import forms
    from ncii_cases.models import Case

    built = []
    original = forms.PersonRowForm.__init__

    def counted(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(forms.PersonRowForm, "__init__", counted)
    login_verified(client, coordinator)
    data = {"school": school.pk, "people-TOTAL_FORMS": "100000", "people-INITIAL_FORMS": "0"}
    if button:
        data[button] = "1"
    response = client.post(reverse("ncii_cases:intake"), data)
    assert response.status_code == 200
    assert not Case.objects.exists()
    assert len(built) <= 30 * 2 + 2  # the rows checked, then at most the rows shown again


# --- Fields asked once for every row: a forged approver, an oversized row field --------------


@pytest.mark.parametrize("who", ["outsider", "auditor", "counselor"])
def test_a_parent_decision_approved_by_someone_who_may_not_approve_is_refused(
    request, coordinator_client, rich_case, who
):
    person = depicted(rich_case)
    response, changed = post_unchanged(
        coordinator_client,
        url("case_parent_decision_add", rich_case),
        {
            "approved_by": request.getfixturevalue(who).pk,
            f"p{person.pk}-decision": "notify_now",
            f"p{person.pk}-student_wishes": "Agreed that a parent is told.",
        },
    )
    assert response.status_code == 200
    assert "approved_by" in response.context["form"].errors
    assert changed == []


def test_an_oversized_name_in_one_notice_row_is_refused_next_to_it(coordinator_client, rich_case):
    person = depicted(rich_case)
    data = several_data(rich_case)["case_notice_add"]
    data[f"p{person.pk}-recipient_name"] = "A" * 10_000
    response, changed = post_unchanged(coordinator_client, url("case_notice_add", rich_case), data)
    assert response.status_code == 200
    assert f"p{person.pk}-recipient_name" in response.context["form"].errors
    assert changed == []
