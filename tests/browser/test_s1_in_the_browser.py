"""Scenario S1 (group-chat "nudify" images of four ninth graders) carried from intake to
closure through the browser only, as the demo coordinator, then seen as the counselor. Every
page visited is checked with axe-core against WCAG 2.1 AA; screenshots of the queue and the
case page are saved for review in test-artifacts/screenshots/."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from ncii_cases import choices as c
from ncii_cases.models import Case
from tests.browser.helpers import AxeChecked, case_page_link, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEPICTED = [
    "Student A (grade 9)",
    "Student B (grade 9)",
    "Student C (grade 9)",
    "Student D (grade 9)",
]
TITLE = "Edited images shared in a grade 9 group chat"


class S1:
    """The coordinator's steps on one case page, each through a link and a form."""

    def __init__(self, page, base, check):
        self.page, self.base, self.check = page, base, check
        self.case_url = ""

    def open_case(self):
        self.page.goto(self.case_url)
        self.check(self.page)

    def follow(self, link_text: str):
        """Opens the case page, follows one of its links and checks the form page."""
        self.open_case()
        case_page_link(self.page, link_text).click()
        self.page.wait_for_load_state("load")
        self.check(self.page)

    def save(self, button="Save"):
        self.page.get_by_role("button", name=button, exact=True).click()
        self.page.wait_for_load_state("load")
        errors = self.page.locator(".form-errors, .error-summary, .errorlist, .notice")
        assert errors.count() == 0, errors.first.inner_text()
        assert self.page.url.split("#")[0] == self.case_url, self.page.url

    def step(self, label: str, reason: str = "", **fields):
        """Takes a stage step: with the to-do panel's own button when it asks nothing (its
        POST returns to the case page), otherwise on its page (reason and radio choices)."""
        if not reason and not fields:
            self.open_case()
            self.page.locator("#todo").get_by_role("button", name=label, exact=True).click()
            self.page.wait_for_load_state("load")
            assert label in self.page.locator(".messages").inner_text()
            assert self.page.url.split("#")[0] == self.case_url, self.page.url
            self.check(self.page)
            return
        self.follow(label)
        if reason:
            self.page.fill("#id_reason", reason)
        for name, value in fields.items():
            self.page.check(f"input[name={name}][value={value}]")
        self.save(button=label)

    def party_option(self, select: str, name: str):
        options = self.page.locator(f"{select} option").all_inner_texts()
        return next(o for o in options if o.startswith(name))


def test_s1_from_intake_to_closure_in_the_browser_then_as_the_counselor(
    live_server, demo, tab, screenshots
):
    page = tab
    base = live_server.url
    check = AxeChecked()
    sign_in(page, base, "coordinator", check)
    check(page)
    page.screenshot(path=str(screenshots / "queue.png"), full_page=True)

    # Intake: the principal forwards a parent's Sunday email
    page.get_by_role("link", name="New report").click()
    check(page)
    page.select_option("#id_school", label="Riverbend High School")
    page.fill("#id_title", TITLE)
    page.fill(
        "#id_narrative",
        "A parent emailed the principal on Sunday: edited images of four classmates were posted "
        "to a Snapchat group of about 30 students on Saturday.",
    )
    page.fill("#id_reported_by_name", "A parent, by email to the principal")
    page.fill("#id_reported_via", "Email")
    page.check("input[name=ncii_kind][value=synthetic]")
    page.check("input[name=conduct][value=distribution]")
    page.check("input[name=location][value=off_campus]")
    page.check("input[name=timing][value=out_of_hours]")
    page.check("input[name=reach][value=group]")
    page.fill("#id_reach_estimate", "30")
    page.get_by_label("Snapchat", exact=True).check()
    page.fill("#id_depicted", "\n".join(DEPICTED))
    page.check("input[name=depicted_minor][value=yes]")
    page.check("input[name=depicted_affiliation][value=student]")
    page.get_by_role("button", name="Record the report").click()
    page.wait_for_load_state("load")
    assert "recorded as" in page.locator(".messages").inner_text()
    flow = S1(page, base, check)
    flow.case_url = page.url.split("#")[0]
    case = Case.objects.get(title=TITLE)
    assert case.stage == c.Stage.INTAKE and case.parties.count() == 4
    check(page)

    # Initial assessment: in scope although off campus; the respondent is a known student
    flow.step("Start the initial assessment")
    flow.follow("Edit the assessment facts")
    page.check("input[name=is_intimate_imagery][value=yes]")
    page.check("input[name=disrupts_school][value=yes]")
    page.check("input[name=jurisdiction][value=in_scope]")
    page.fill("#id_jurisdiction_facts", "Four students of the district; school disrupted Monday.")
    page.fill(
        "#id_jurisdiction_reasoning",
        "Off campus and out of hours, but it disrupts school and involves our students.",
    )
    page.fill("#id_reason", "Initial assessment.")
    flow.save()
    flow.follow("Add a person")
    page.check("input[name=role][value=respondent]")
    page.fill("#id_first_name", "Jordan")
    page.fill("#id_last_name", "Example")
    page.check("input[name=affiliations][value=student]")
    page.check("input[name=is_minor][value=yes]")
    flow.save()

    # The mandated child-abuse report and the CyberTipline report, each with its reference:
    # one page, a row per report waiting for a decision
    flow.follow("Check and record external reports")
    rows = page.locator("fieldset.report-row")
    assert rows.count() >= 2  # at least two reports are required
    for number in range(rows.count()):
        page.check(f"input[name=reports-{number}-outcome][value=made]")
        page.fill(f"#id_reports-{number}-reference_number", f"REF-S1-{number + 1}")
    flow.save()
    flow.step(
        "Route to Process B",
        reason="A known student shared the images: Process B, student discipline.",
        respondent_track="student",
    )

    # Harm assessment: wide reach, minors, still circulating
    flow.follow("Record the harm assessment")
    page.check("input[name=reach][value=group]")
    page.fill("#id_platform_count", "1")
    page.check("input[name=circulation][value=ongoing]")
    page.check("input[name=identifiability][value=clearly]")
    assert page.is_checked("#id_minors_depicted")
    flow.save()
    assert "High" in page.locator("#harm-h + p").inner_text()
    flow.step("Harm assessment done: interim actions")

    # Interim actions: counseling for each depicted student, the respondent out of the class
    review_on = (timezone.localdate() + dt.timedelta(days=14)).isoformat()
    # One form: counseling for the four students at once, each ticked, each accepting
    flow.follow("Add a measure")
    page.check("input[name=kind][value=supportive]")
    for name in DEPICTED:
        page.get_by_label(f"{name} (depicted person / complainant)", exact=True).check()
    page.select_option("#id_measure", label="Counseling")
    assert page.is_checked("input[name=status][value=active]")  # a new measure: in place
    page.check("input[name=party_choice][value=accepted]")
    page.fill("#id_review_on", review_on)
    flow.save()
    assert case.measures.filter(kind="supportive").count() == len(DEPICTED)
    flow.follow("Add a measure")
    page.check("input[name=kind][value=interim]")
    page.get_by_label("Jordan Example (respondent)", exact=True).check()
    page.select_option("#id_measure", label="Removal from a shared class")
    flow.save()
    flow.follow("Add a takedown request")
    page.select_option("#id_platform", label="Snapchat")
    page.fill("#id_location", "Snapchat group 'grade 9 chat'")
    page.check("input[name=route][value=platform]")
    flow.save()
    case_page_link(page, re.compile("^Update the Snapchat request"), exact=False).click()
    check(page)
    page.check("input[name=status][value=submitted]")
    page.fill("#id_platform_reference", "SNAP-5521")
    for element in (
        "has_signature",
        "identifies_content",
        "good_faith_statement",
        "has_contact_information",
    ):
        page.check(f"#id_{element}")
    flow.save()
    assert re.search(r"4[78] h left", page.locator("#takedown-board").inner_text())
    flow.step("Start the investigation")

    # Investigation: evidence without any image; the restorative option declined by each
    flow.follow("Record evidence")
    assert "Pictures and videos are refused" in page.content()
    page.fill("#id_description", "Four edited images posted in a Snapchat group chat.")
    page.select_option("#id_platform", label="Snapchat")
    page.fill("#id_group_name", "grade 9 chat")
    page.fill("#id_device_holder", "School resource officer")
    flow.save()
    # One form: the restorative option, declined by each student (a row each)
    flow.follow("Record an offer and the choice")
    page.check("input[name=option][value=restorative]")
    for name in DEPICTED:
        row = page.get_by_role("group", name=f"{name} (depicted person / complainant)")
        row.get_by_label("Declined", exact=True).check()
    flow.save()
    assert case.resolution_offers.filter(choice="declined").count() == len(DEPICTED)
    flow.step("Investigation done: determination")

    # Determination: responsible; suspension and the education module (the only respondent
    # is chosen already; both sanctions in one save)
    flow.follow("Record a determination")
    assert page.get_by_label(re.compile(r"^\s*Jordan Example")).is_checked()
    page.check("input[name=finding][value=responsible]")
    page.check("input[name=standard_of_evidence][value=preponderance]")
    page.fill("#id_rationale", "The student's own account and the group's messages agree.")
    flow.save()
    flow.follow("Add a sanction")
    offered = page.locator("#id_interventions").inner_text()
    assert "Termination" not in offered  # only the student track is offered
    assert page.get_by_label(re.compile(r"^\s*Jordan Example")).is_checked()
    for intervention in ("Suspension", "Education on the harm of NCII"):
        page.get_by_label(intervention, exact=True).check()
    flow.save()
    flow.step("Sign off the determination")

    # Remedies: the five students' decisions to tell their parents now in one form, then the
    # notice of outcome to the five in one form and the notice to their parents in another;
    # the counselor is assigned
    students = [*DEPICTED, "Jordan Example"]
    flow.follow("Record a decision")
    for name in students:
        row = page.get_by_role("group", name=name, exact=True)
        row.locator("input[value=notify_now]").check()
        row.get_by_label("The student's wishes").fill(
            "Agreed that a parent is told, and asked to be there."
        )
    page.locator("input[name=approved_by]").first.check()
    flow.save()
    for kind in ("outcome", "parent"):
        flow.follow("Log a notice")
        page.check(f"input[name=kind][value={kind}]")
        assert page.is_checked("input[name=method][value=in_person]")  # the default
        page.fill("#id_summary", "Met and explained the outcome and the support available.")
        for name in students:
            row = page.get_by_role("group", name=name, exact=True)
            row.get_by_label(f"Log this notice for {name}", exact=True).check()
            if kind == "parent":
                row.get_by_label("Given to (name)").fill(f"Parent of {name}")
        flow.save()
    flow.follow("Assign staff")
    page.select_option("#id_user", label="Morgan Ellery")
    page.check("input[name=role][value=support]")
    flow.save()
    flow.step("Start monitoring")

    # Monitoring: measures reviewed and ended, the images removed, then closure
    # Counted with the hidden tabs included: the measures' links sit in the support tab.
    measure_links = page.get_by_role(
        "link", name=re.compile("^Update Counseling for"), include_hidden=True
    )
    assert measure_links.count() == len(DEPICTED)
    # One form: every counseling measure reviewed and ended at the student's choice
    flow.follow("Review the measures")
    for name in DEPICTED:
        row = page.get_by_role("group", name=f"Counseling for {name}")
        row.get_by_label("End it at this review", exact=True).check()
        page.get_by_label(f"Note on Counseling for {name}", exact=False).fill(
            "Support no longer needed, by the student's own choice."
        )
    flow.save()
    flow.open_case()
    case_page_link(page, re.compile("^Update the Snapchat request"), exact=False).click()
    check(page)
    page.check("input[name=status][value=removed]")
    flow.save()
    flow.step("Close the case", reason="Sanctions served, the images removed, support ended.")
    flow.open_case()
    assert "Closed" in page.locator("#summary-h + dl").inner_text()
    page.screenshot(path=str(screenshots / "case-page-coordinator.png"), full_page=True)
    case.refresh_from_db()
    assert case.stage == c.Stage.CLOSED
    assert case.harm_assessment.level == c.Level.HIGH
    assert case.external_reports.filter(status="made").count() >= 2
    assert case.sanctions.count() == 2
    assert case.notices.count() == 10 and case.parent_decisions.count() == 5

    # The counselor sees support and resources, never evidence, discipline or other forms
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, "counselor", check)
    page.goto(flow.case_url)
    check(page)
    page.screenshot(path=str(screenshots / "case-page-counselor.png"), full_page=True)
    body = page.locator("main").text_content()  # every tab, shown or not
    assert "Support and measures" in body and "Counseling" in body
    assert "Help and resources" in body and "1-800-843-5678" in body
    hidden_texts = (
        "Evidence log",
        "School resource officer",
        "Suspension",
        "Determination and sanctions",
        "Responsible",
        "Jordan Example",
        "Next steps",
        "Takedowns: platform notices",
        "Routing reasons",
        "Respondent track",
    )
    for hidden in hidden_texts:
        assert hidden not in body, hidden
    hrefs = page.eval_on_selector_all("main a", "els => els.map(e => e.getAttribute('href'))")
    for forbidden in (
        "/evidence/",
        "/sanctions/",
        "/determination/",
        "/facts/",
        "/assign/",
        "/transition/",
        "/takedowns/",
        "/reports/",
        "/parties/",
    ):
        assert not any(forbidden in h for h in hrefs), forbidden
    assert len(check.pages) > 40
