"""The issue's incident in Chromium: a 16-year-old student's ex-boyfriend (an 11th grader of
the same school) posted a real photo of her to a Discord server of about 40 students; two
Instagram accounts reshared it; a teacher saw it on a phone in class.

The coordinator enters it with both students named (no duplicate person later), corrects the
respondent's grade and a measure's review date on the page, withdraws an evidence entry,
downloads a document, sees a stale correction refused, and closes the case; the notices are in
the PDF summary. Workflow steps the S1 browser test already covers run through the services.
Every page visited is checked with axe-core."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.models import Case, CaseMeasure, Person, User
from ncii_cases.services import determinations as det
from ncii_cases.services import evidence, measures, notices, reports, takedowns
from ncii_cases.services.cases import case_assign, case_facts_update
from ncii_cases.services.harm import HarmAnswers, harm_assessment_record
from ncii_cases.services.parents import parent_decision_record
from ncii_cases.workflow import case_transition
from reporting.summary import case_summary_for_user
from tests.browser.helpers import AxeChecked, case_page_link, sign_in
from tests.factories_workflow import TAKEDOWN_ELEMENTS, intervention, measure, platform

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TITLE = "Photo posted to a student Discord server"


def test_the_discord_incident_in_the_browser(live_server, demo, tab, private_root):
    page, base, check = tab, live_server.url, AxeChecked()
    sign_in(page, base, "coordinator", check)

    # Intake with both students named, one more row added without JavaScript.
    page.get_by_role("link", name="New report").click()
    check(page)
    page.select_option("#id_school", label="Riverbend High School")
    page.fill("#id_title", TITLE)
    page.fill(
        "#id_narrative",
        "A student told the counselor her ex-boyfriend posted a real photo of her to a Discord "
        "server of about 40 students; two Instagram accounts reshared it. A teacher saw it on "
        "a phone in class.",
    )
    page.check("input[name=ncii_kind][value=authentic]")
    page.check("input[name=reach][value=group]")
    page.fill("#id_reach_estimate", "40")
    page.get_by_label("Discord", exact=True).check()
    page.get_by_label("Instagram", exact=True).check()
    page.check("input[name=people-0-role][value=depicted]")
    page.fill("#id_people-0-first_name", "Avery")
    page.fill("#id_people-0-last_name", "Quill")
    page.check("input[name=people-0-affiliations][value=student]")
    page.fill("#id_people-0-birth_date", "2010-03-14")
    page.fill("#id_people-0-grade", "10")
    page.get_by_role("button", name="Add another person").click()
    page.wait_for_load_state("load")
    check(page)
    assert page.input_value("#id_people-0-first_name") == "Avery"
    assert page.locator("#id_people-1-first_name").count() == 1
    page.check("input[name=people-1-role][value=respondent]")
    page.fill("#id_people-1-first_name", "Rowan")
    page.fill("#id_people-1-last_name", "Ashdown")
    page.check("input[name=people-1-affiliations][value=student]")
    page.check("input[name=people-1-is_minor][value=yes]")
    page.fill("#id_people-1-grade", "10")
    page.get_by_role("button", name="Record the report").click()
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    check(page)
    case_url = page.url
    case = Case.objects.get(title=TITLE)
    assert case.parties.count() == 2 and Person.objects.filter(last_name="Quill").count() == 1
    depicted = case.parties.get(role=c.PartyRole.DEPICTED)
    respondent = case.parties.get(role=c.PartyRole.RESPONDENT)
    assert depicted.is_minor is True and respondent.person.school == case.school

    # The respondent's grade is corrected on the page, with the reason.
    case_page_link(page.locator(f"#party-{respondent.pk}"), "Correct").click()
    page.wait_for_load_state("load")
    check(page)
    page.fill("#id_grade", "11")
    page.fill("#id_reason", "He is in 11th grade.")
    page.get_by_role("button", name="Save the correction").click()
    page.wait_for_url(re.compile(r"/cases/\d+/"))
    respondent.person.refresh_from_db()
    assert respondent.person.grade == "11"

    # The steps up to the interim actions, through the services.
    users = {u.username: u for u in User.objects.filter(district=case.district)}
    boss, inv, counselor = users["coordinator"], users["investigator"], users["counselor"]
    case_assign(actor=boss, case=case, user=inv, role=c.AssignmentRole.INVESTIGATOR)
    case_assign(actor=boss, case=case, user=counselor, role=c.AssignmentRole.SUPPORT)
    case = case_transition(actor=boss, case=case, action="begin_assessment", reason="", detail={})
    case = case_facts_update(
        actor=boss,
        case=case,
        is_intimate_imagery=True,
        jurisdiction=c.Jurisdiction.IN_SCOPE,
        jurisdiction_facts="Students of Riverbend High; shown in class.",
        jurisdiction_reasoning="It disrupted a class and involves our students.",
        disrupts_school=True,
        reason="Initial assessment.",
    )
    for n, report in enumerate(reports.external_reports_sync(actor=inv, case=case)):
        reports.external_report_record_made(
            actor=inv, report=report, reported_at=timezone.now(), reference_number=f"REF-{n}"
        )
    case = case_transition(
        actor=boss,
        case=case,
        action="route_process_b",
        reason="Student.",
        detail={"respondent_track": "student"},
    )
    harm_assessment_record(
        actor=inv,
        case=case,
        answers=HarmAnswers(reach="group", minors_depicted=True, identifiability="clearly"),
    )
    case = case_transition(
        actor=inv, case=case, action="complete_harm_assessment", reason="", detail={}
    )
    row = measures.measure_add(
        actor=counselor,
        case=case,
        party=depicted,
        kind=CaseMeasure.Kind.SUPPORTIVE,
        measure=measure("counseling"),
        starts_on=timezone.localdate(),
        review_on=timezone.localdate() + dt.timedelta(days=2),
    )
    measures.measure_choice_record(actor=counselor, measure=row, choice="accepted")
    wrong = evidence.evidence_record(actor=inv, case=case, description="Entered by mistake")
    statement = evidence.evidence_record_with_document(
        actor=inv,
        case=case,
        description="The teacher's written statement",
        uploaded_file=SimpleUploadedFile("s.txt", b"I saw it on a phone.\n", "text/plain"),
        document_title="Teacher statement",
    )

    # Two tabs open the measure's correction; the second save is refused, nothing reverted.
    correct_url = f"{case_url}correct/measure/?record={row.pk}"
    other = page.context.new_page()
    page.goto(correct_url)
    other.goto(correct_url)
    later = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    page.fill("#id_review_on", later)
    page.fill("#id_reason", "Typo in the review date.")
    page.get_by_role("button", name="Save the correction").click()
    page.wait_for_url(re.compile(r"/cases/\d+/"))
    other.fill("#id_description", "Weekly check-ins")
    other.fill("#id_reason", "Details.")
    other.get_by_role("button", name="Save the correction").click()
    other.wait_for_load_state("load")
    assert "Someone changed this since you opened it" in other.content()
    assert other.input_value("#id_review_on") == later  # the current value is shown
    other.close()
    row.refresh_from_db()
    assert row.review_on.isoformat() == later and row.description == ""

    # An evidence entry withdrawn with its reason stays, struck through.
    page.goto(case_url)
    case_page_link(page.locator(f"#evidence-{wrong.pk}"), "Withdraw").click()
    page.wait_for_load_state("load")
    check(page)
    page.fill("#id_reason", "Entered on the wrong case.")
    page.get_by_role("button", name="Withdraw").click()
    page.wait_for_url(re.compile(r"/cases/\d+/"))
    check(page)
    assert page.locator(f"#evidence-{wrong.pk} s").inner_text() == "Entered by mistake"

    # The document downloads as an attachment.
    document = statement.documents.get()
    with page.expect_download() as info:
        case_page_link(page, "Teacher statement (download)").click()
    assert Path(info.value.path()).read_bytes() == b"I saw it on a phone.\n"

    # To closure, through the services.
    for handle in ("@reshare_one", "@reshare_two"):
        t = takedowns.takedown_request_create(
            actor=inv,
            case=case,
            platform=platform("instagram"),
            location=handle,
            depicted_party=depicted,
            route="platform",
        )
        takedowns.takedown_request_submit(**TAKEDOWN_ELEMENTS, actor=inv, takedown=t)
        takedowns.takedown_request_update(actor=inv, takedown=t, status="removed")
    for action, who in (("begin_investigation", inv), ("submit_for_determination", inv)):
        case = case_transition(actor=who, case=case, action=action, reason="", detail={})
    det.determination_record(
        actor=boss,
        case=case,
        respondent=respondent,
        finding="responsible",
        standard_of_evidence="preponderance",
        rationale="He admitted posting it.",
    )
    case = case_transition(
        actor=boss, case=case, action="issue_determination", reason="", detail={}
    )
    det.sanction_add(
        actor=boss,
        case=case,
        respondent=respondent,
        intervention=intervention("student-suspension"),
    )
    case = case_transition(actor=boss, case=case, action="begin_monitoring", reason="", detail={})
    for party, recipient in ((depicted, "Her mother"), (respondent, "His father")):
        if party.is_minor:
            parent_decision_record(
                actor=inv,
                case=case,
                party=party,
                decision="notify_now",
                student_wishes="Agreed that a parent is told.",
                approved_by=boss,
            )
        for kind in ("outcome", "parent"):
            notices.party_notice_record(
                actor=inv,
                case=case,
                party=party,
                recipient_name=recipient,
                kind=kind,
                method="phone",
                summary="Explained the outcome and the support available.",
            )
    measures.measure_review(actor=counselor, measure=row, end=True)
    case = case_transition(actor=boss, case=case, action="close", reason="Done.", detail={})
    assert case.stage == c.Stage.CLOSED

    page.goto(case_url)
    check(page)
    notices_log = page.get_by_role(
        "table", name="Notices to parties and to parents or guardians", include_hidden=True
    )
    assert "Her mother" in notices_log.text_content()
    summary = case_summary_for_user(user=boss, pk=case.pk, profile="internal")
    assert {n.recipient for n in summary.notices} == {"Her mother", "His father"}
    assert document.title in [d.title for d in summary.documents]
