"""An appeal in Chromium: a student found responsible for sharing a classmate's image appeals;
the coordinator records it (the suspension shows as stayed), is refused as the appeal
decision-maker with the reason, names a second coordinator, who modifies the outcome; the
suspension is then vacated on appeal and a restorative meeting planned. Every page visited is
checked with axe-core. The steps before the determination run through the services."""

import importlib
import re

import pytest
from django.apps import apps
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ncii_cases import choices as c
from ncii_cases.models import (
    Appeal,
    Case,
    CaseParty,
    Determination,
    PartyNotice,
    Sanction,
    SanctionStatus,
    School,
    User,
)
from ncii_cases.services import determinations as det
from ncii_cases.workflow import case_transition
from policies.models import AppealGround
from tests.browser.helpers import AxeChecked, case_page_link, current_code, sign_in
from tests.factories import CaseFactory, CasePartyFactory, PersonFactory
from tests.factories_records import DeterminationFactory
from tests.factories_workflow import intervention

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CASE_PAGE = re.compile(r"/cases/\d+/(#[\w-]*)?$")
OFFICER_PASSWORD = "Appeal-officer-2026!"  # noqa: S105  # nosec B105


def responsible_case(coordinator) -> Case:
    """A case of the demo district signed off as responsible, with a planned suspension."""
    school = School.objects.filter(district=coordinator.district).first()
    case = CaseFactory(
        school=school,
        title="Image shared in a class group chat",
        reference="NCII-APPEAL-1",
        respondent_track=c.RespondentTrack.STUDENT,
        stage=c.Stage.DETERMINATION,
    )
    CasePartyFactory(
        case=case,
        role=c.PartyRole.DEPICTED,
        person=PersonFactory(district=case.district, first_name="Kai", last_name="Lindqvist"),
    )
    respondent = CasePartyFactory(
        case=case,
        role=c.PartyRole.RESPONDENT,
        affiliation=c.Affiliation.STUDENT,
        person=PersonFactory(district=case.district, first_name="Noor", last_name="Haddad"),
    )
    DeterminationFactory(
        case=case,
        respondent=respondent,
        finding=Determination.Finding.RESPONSIBLE,
        standard_of_evidence=Determination.Standard.PREPONDERANCE,
        rationale="The messages show the respondent shared the image.",
        decided_by=coordinator,
        decided_at=timezone.now(),
    )
    case = case_transition(actor=coordinator, case=case, action="issue_determination")
    det.sanction_add(
        actor=coordinator,
        case=case,
        respondent=respondent,
        intervention=intervention("student-suspension"),
        details="Three days.",
    )
    return case


def sign_in_officer(page, base, check):
    page.goto(f"{base}/login/")
    page.fill("#id_username", "appealofficer")
    page.fill("#id_password", OFFICER_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/login/verify/**")
    page.fill("#id_token", current_code("appealofficer"))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{base}/")
    check(page)


def test_an_appeal_by_the_respondent_ends_in_a_modified_sanction(live_server, demo, tab):
    if not AppealGround.objects.exists():
        importlib.import_module("policies.migrations.0004_i16appeals_seed_appeal_grounds").seed(
            apps, None
        )
    page, base, check = tab, live_server.url, AxeChecked()
    coordinator = User.objects.get(username="coordinator")
    officer = User.objects.create_user(
        username="appealofficer",
        password=OFFICER_PASSWORD,
        first_name="Jordan",
        last_name="Abernethy",
        district=coordinator.district,
        role=c.Role.COORDINATOR,
    )
    TOTPDevice.objects.create(user=officer, name="Authenticator", confirmed=True)
    case = responsible_case(coordinator)
    respondent = CaseParty.objects.get(case=case, role=c.PartyRole.RESPONDENT)

    # The coordinator records the respondent's appeal
    sign_in(page, base, "coordinator", check)
    page.goto(f"{base}{case.get_absolute_url()}")
    check(page)
    case_page_link(page, "Record an appeal").click()
    check(page)
    page.select_option("#id_appellant", str(respondent.pk))
    page.select_option("#id_determination", index=1)
    page.get_by_label("Procedural irregularity that affected the outcome").check()
    page.fill("#id_statement", "The interview notes were not shared before the decision.")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(CASE_PAGE)
    check(page)
    assert page.get_by_text("Stayed while the appeal is pending", exact=True).count() == 1
    assert Case.objects.get(pk=case.pk).stage == c.Stage.APPEAL

    # The coordinator who made the determination is refused as decision-maker, with the reason
    case_page_link(page, "Name the decision-maker").click()
    check(page)
    page.select_option("#id_decision_maker", str(coordinator.pk))
    page.get_by_role("button", name="Save", exact=True).click()
    check(page)
    assert page.get_by_text(re.compile("made the original determination")).count() >= 1
    page.select_option("#id_decision_maker", str(officer.pk))
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(CASE_PAGE)
    assert Appeal.objects.get(case=case).decision_maker == officer

    # The appeal decision-maker modifies the outcome; both parties are notified together
    page.context.clear_cookies()
    sign_in_officer(page, base, check)
    page.goto(f"{base}{case.get_absolute_url()}")
    case_page_link(page, "Decide the appeal").click()
    check(page)
    page.check("input[name=outcome][value=modify]")
    page.fill("#id_rationale", "The finding stands; a restorative meeting replaces the suspension.")
    page.select_option("#id_notice_method", "letter")
    page.fill("#id_notice_summary", "The appeal decision and its reasons.")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(CASE_PAGE)
    check(page)
    assert page.get_by_text(re.compile("Both parties notified together")).count() == 1
    assert Case.objects.get(pk=case.pk).stage == c.Stage.REMEDIES
    assert PartyNotice.objects.filter(case=case, kind=PartyNotice.Kind.APPEAL).count() == 2

    # The modification: the suspension vacated on appeal, a restorative meeting planned
    suspension = Sanction.objects.get(case=case)
    det.sanction_status_set(
        actor=coordinator,
        sanction=suspension,
        status=SanctionStatus.VACATED,
        reason="Modified on appeal.",
    )
    det.sanction_add(
        actor=coordinator,
        case=case,
        respondent=respondent,
        intervention=intervention("restorative-justice"),
    )
    statuses = dict(Sanction.objects.filter(case=case).values_list("intervention__slug", "status"))
    assert statuses == {
        "student-suspension": SanctionStatus.VACATED,
        "restorative-justice": SanctionStatus.PLANNED,
    }
    assert len(check.pages) >= 8
