#!/usr/bin/env python3
"""Counts the clicks and page loads of the walkthrough case (docs/walkthrough.md: scenario S1,
group-chat "nudify" images of four ninth graders) from intake to closure, as the demo
coordinator, in Debian's Chromium against a fresh demo (``seed_demo --size 0``).

Every control is found as a person finds it: case-page links and buttons by their text and
role, form fields by their label (radio and checkbox groups by their legend). Nothing depends
on the case page's layout, so the same script measures the page before and after it is
reorganised, as long as the steps keep their names. On the case page in sections, a step's
link is used as a person uses the page: from the to-do panel when the panel links to the same
form (no tab to choose), otherwise after clicking the tab of the section that holds it (that
click is counted).

What is counted:
- clicks: links, buttons, radio buttons and checkboxes; choosing from a drop-down list counts
  two (open it, pick the option);
- fields typed (text boxes and text areas filled);
- page loads: every document the browser loaded (navigations, form submissions and their
  redirects counted once each as the page that results);
- form submissions: POSTs of a page form;
- of the steps, those opened from the to-do panel, and the tab clicks among the link clicks;
- the same counts for each stage of the walkthrough (``by_stage``) and for each kind of step
  (``by_step``: the step's link name, how many times it was opened), to show where the clicks go.

Usage: ``.venv/bin/python scripts/walkthrough_clicks.py [--json FILE]``; prints the counts and
exits 0 when the case reached "Closed". ``NCII_DEMO_TEMPLATE_DB`` may name an already migrated
SQLite file to copy instead of migrating (faster repeated runs).
"""

import argparse
import datetime as dt
import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_browser import DemoServer, launch, log, sign_in  # noqa: E402

DEPICTED = [
    "Student A (grade 9)",
    "Student B (grade 9)",
    "Student C (grade 9)",
    "Student D (grade 9)",
]
RESPONDENT = "Jordan Example"
TITLE = "Edited images shared in a grade 9 group chat"


def named(text: str) -> re.Pattern:
    """A label or legend as shown: the text, with or without the form's trailing colon."""
    # "/" escaped too: Playwright writes the pattern between slashes in its selector.
    return re.compile(rf"^\s*{re.escape(text).replace('/', chr(92) + '/')}:?\s*$")


@dataclass
class Counts:
    clicks: int = 0
    link_and_button_clicks: int = 0
    dropdown_choices: int = 0
    radio_and_checkbox_ticks: int = 0
    fields_typed: int = 0
    page_loads: int = 0
    form_submissions: int = 0
    steps: int = 0
    steps_from_todo_panel: int = 0
    tab_clicks: int = 0

    def tally(self) -> dict:
        """The counts that are summed per stage and per step (clicks, page loads...)."""
        return {
            "clicks": self.clicks,
            "fields_typed": self.fields_typed,
            "page_loads": self.page_loads,
            "form_submissions": self.form_submissions,
        }


class Walk:
    """The coordinator's hands: every action goes through here and is counted."""

    def __init__(self, page):
        self.page = page
        self.counts = Counts()
        self.case_url = ""
        self.stage = "Start"
        self.step = "(before the first step)"
        self._mark = self.counts.tally()
        self.by_stage: dict[str, dict] = {}
        self.by_step: dict[str, dict] = {}
        # The to-do panel's items followed: (stage, link text, href) of the item whose form is
        # open now, and, per stage, each item followed and whether its save made it go away.
        self._panel_item: tuple[str, str, str] | None = None
        self.panel_items: dict[str, list[dict]] = {}
        page.on("load", lambda _: self._loaded())
        page.on("request", self._request)

    def _loaded(self):
        self.counts.page_loads += 1

    def _request(self, request):
        if request.is_navigation_request() and request.method == "POST":
            self.counts.form_submissions += 1

    # --- Where the clicks go ------------------------------------------------------------------

    def _book(self):
        """Adds what was counted since the last mark to the current stage and step."""
        now = self.counts.tally()
        spent = {k: now[k] - self._mark[k] for k in now}
        self._mark = now
        if not any(spent.values()):
            return
        for table, key in ((self.by_stage, self.stage), (self.by_step, self.step)):
            row = table.setdefault(key, dict.fromkeys(now, 0))
            for k, v in spent.items():
                row[k] += v

    def begin_stage(self, name: str):
        """Counts from here on go to the walkthrough stage ``name`` (``by_stage``)."""
        self._book()
        self.stage = name

    def begin_step(self, name: str):
        """Counts from here on go to the step ``name`` (``by_step``: the step's link name),
        opened once more."""
        self._book()
        self.step = name
        row = self.by_step.setdefault(name, dict.fromkeys(self._mark, 0))
        for key in ("times", "from_todo_panel", "tab_clicks"):
            row.setdefault(key, 0)
        row["times"] += 1

    def breakdown(self) -> dict:
        """``{"by_stage": {stage: counts}, "by_step": {step: counts}, "todo_panel_items":
        {stage: [{"item": words, "gone": bool}]}}``, each ``counts`` the ``Counts.tally`` keys
        (and, per step, ``times``, ``from_todo_panel``, ``tab_clicks``); ``todo_panel_items``
        lists each to-do panel item whose link was followed and whether the form's save made it
        go away from the panel."""
        self._book()
        return {
            "by_stage": self.by_stage,
            "by_step": self.by_step,
            "todo_panel_items": self.panel_items,
        }

    # --- Finding controls by what a person reads -----------------------------------------------

    def field(self, label: str, within=None):
        return (within or self.page).get_by_label(named(label))

    def group(self, legend: str, within=None):
        return (within or self.page).get_by_role("group", name=named(legend))

    def row(self, legend: str) -> "Row":
        """The fieldset ``legend`` (one person's row of a form for several people), whose
        controls are found and counted as the page's are."""
        return Row(self, self.group(legend))

    # --- Counted actions ---------------------------------------------------------------------

    def click(self, locator):
        self.counts.clicks += 1
        self.counts.link_and_button_clicks += 1
        locator.click()
        self.page.wait_for_load_state("load")

    def link(self, name: str | re.Pattern, nth: int = 0):
        self.click(self.page.get_by_role("link", name=name, exact=isinstance(name, str)).nth(nth))

    def button(self, name: str):
        self.click(self.page.get_by_role("button", name=name, exact=True))

    def type(self, label: str, text: str, within=None):
        self.counts.fields_typed += 1
        self.field(label, within).fill(text)

    def pick(self, label: str, option: str | None = None, *, starts_with: str = "", index=None):
        """Chooses in the drop-down list labelled ``label``: the option of that text, the first
        whose text starts with ``starts_with``, or the one at ``index``."""
        self.counts.clicks += 2
        self.counts.dropdown_choices += 1
        select = self.field(label)
        if index is not None:
            select.select_option(index=index)
            return
        if starts_with:
            texts = select.locator("option").all_inner_texts()
            option = next(t for t in texts if t.strip().startswith(starts_with)).strip()
        select.select_option(label=option)

    def choose(self, legend: str, option: str | None = None, within=None, *, index: int = 0):
        """Ticks the radio button (or checkbox) ``option`` of the group ``legend`` (without
        ``option``, the one at ``index``)."""
        self.counts.clicks += 1
        self.counts.radio_and_checkbox_ticks += 1
        group = self.group(legend, within)
        if option is None:
            group.get_by_role("radio").nth(index).check()
            return
        group.get_by_label(named(option)).check()

    def tick(self, label: str, within=None):
        self.counts.clicks += 1
        self.counts.radio_and_checkbox_ticks += 1
        self.field(label, within).check()

    # --- Steps ---------------------------------------------------------------------------------

    def on_case_page(self):
        if self.page.url.split("#")[0] != self.case_url:
            # Back to the case (the form's "Back to" link), as a person would.
            self.link(re.compile(r"^Back to "))

    def open_step(self, name: str | re.Pattern, nth: int = 0):
        """Follows the case page's link to a step's form: the to-do panel's link to the same
        form when the panel has one (a person reads the panel first), otherwise the link in its
        section after clicking that section's tab when the tab is not the one shown."""
        self.on_case_page()
        self.begin_step(name if isinstance(name, str) else name.pattern.lstrip("^"))
        self.counts.steps += 1
        target = self.page.get_by_role(
            "link", name=name, exact=isinstance(name, str), include_hidden=True
        ).nth(nth)
        href = target.get_attribute("href") or ""
        in_panel = [
            a
            for a in self.page.locator("#todo a[href]").all()
            if a.is_visible() and same_form(a.get_attribute("href"), href)
        ]
        if in_panel:
            self.counts.steps_from_todo_panel += 1
            self.by_step[self.step]["from_todo_panel"] += 1
            item = in_panel[0]
            self._panel_item = (self.stage, item.inner_text().strip(), item.get_attribute("href"))
            self.click(item)
            return
        hidden_panel = target.evaluate(
            "el => { const p = el.closest('[role=tabpanel]'); return p && p.hidden ? p.id : ''; }"
        )
        if hidden_panel:
            self.counts.tab_clicks += 1
            self.by_step[self.step]["tab_clicks"] += 1
            self.click(self.page.locator(f"#tab-{hidden_panel}"))
        self.click(target)

    def save(self, button: str = "Save"):
        self.button(button)
        errors = self.page.locator("[role=alert]")
        if errors.count():
            raise RuntimeError(f"Not saved at {self.page.url}: {errors.first.inner_text()}")
        self._panel_item_check()

    def _panel_item_check(self):
        """After the save of a form opened from the to-do panel, back on the case page: is
        the panel's item (the same words linking to the same form) gone? Not counted: reading
        the page is not a click."""
        if self._panel_item is None:
            return
        stage, text, href = self._panel_item
        self._panel_item = None
        still = [
            a
            for a in self.page.locator("#todo a[href]").all()
            if a.get_attribute("href") == href and a.inner_text().strip() == text
        ]
        self.panel_items.setdefault(stage, []).append({"item": text, "gone": not still})

    def transition(self, label: str, reason: str = "", **choices: str):
        """Takes a stage step: with the to-do panel's own button when the step asks nothing
        (no reason, no choice: one click, the case page again), otherwise through its page
        (the reason typed, each choice ``Legend_words=option`` ticked)."""
        self.on_case_page()
        button = self.page.locator("#todo").get_by_role("button", name=label, exact=True)
        if not reason and not choices and button.count():
            self.begin_step(label)
            self.counts.steps += 1
            self.counts.steps_from_todo_panel += 1
            self.by_step[self.step]["from_todo_panel"] += 1
            self.click(button)
            errors = self.page.locator("[role=alert]")
            if errors.count():
                raise RuntimeError(f"Not taken at {self.page.url}: {errors.first.inner_text()}")
            return
        self.open_step(label)
        if reason:
            self.type("Reason (kept in the record)", reason)
        for legend, option in choices.items():
            self.choose(legend.replace("_", " "), option)
        self.save(label)


class Row:
    """One fieldset of a form with a row per person: the Walk's counted actions, with the
    controls found inside the fieldset only (the rows repeat the same labels)."""

    def __init__(self, walk: Walk, scope):
        self.walk, self.scope = walk, scope

    def type(self, label: str, text: str):
        self.walk.type(label, text, within=self.scope)

    def choose(self, legend: str, option: str):
        self.walk.choose(legend, option, within=self.scope)

    def tick(self, label: str):
        self.walk.tick(label, within=self.scope)


def same_form(panel_href: str, step_href: str) -> bool:
    """Whether a to-do panel link (``panel_href``) opens the step link's form: the same path,
    and the panel link's query (such as ``measure=12``) when both have one."""
    panel_path, _, panel_query = panel_href.partition("#")[0].partition("?")
    step_path, _, step_query = step_href.partition("#")[0].partition("?")
    # A step link without a query opens the form blank; the panel's link to the same form
    # may fill it in (``?kind=supportive&party=3``): the same form.
    return panel_path == step_path and (
        not panel_query or not step_query or panel_query == step_query
    )


def walkthrough(walk: Walk, base: str) -> None:
    page = walk.page
    review_on = (dt.date.today() + dt.timedelta(days=14)).isoformat()

    walk.begin_stage("Intake")
    # Intake: the principal forwards a parent's Sunday email
    walk.begin_step("New report")
    walk.link("New report")
    walk.pick("School", "Riverbend High School")
    walk.type("Short label", TITLE)
    walk.type(
        "What was reported",
        "A parent emailed the principal on Sunday: edited images of four classmates were "
        "posted to a Snapchat group of about 30 students on Saturday.",
    )
    walk.type("Who told us (their role or a description)", "A parent, by email to the principal")
    walk.type("How we heard (email, in person, phone...)", "Email")
    walk.choose("Kind of imagery", "Synthetic (made or altered with AI or other tools)")
    walk.choose("What happened", "Distribution (shared with others)")
    walk.choose("Where", "Off campus (including online)")
    walk.choose("When (hours)", "Outside school hours")
    walk.choose("How far it spread", "A group or class (10 to 50)")
    walk.type("About how many people received or saw it", "30")
    walk.choose("Where it was seen", "Snapchat")
    walk.type("People shown who are not known by name, one per line", "\n".join(DEPICTED))
    walk.choose("Are the people shown (described above) under 18 now?", "Yes")
    walk.choose("The people shown (described above) are", "Student")
    walk.button("Record the report")
    walk.case_url = page.url.split("#")[0]

    walk.begin_stage("Initial assessment")
    # Initial assessment: in scope although off campus; the respondent is a known student
    walk.transition("Start the initial assessment")
    walk.open_step("Edit the assessment facts")
    walk.choose("Is the imagery intimate (nude, partly nude or sexual)?", "Yes")
    walk.choose("Did it disrupt learning, school activities or work?", "Yes")
    walk.choose("Jurisdiction", "In scope: the district acts")
    walk.type("Facts relied on", "Four students of the district; school disrupted Monday.")
    walk.type(
        "Reasoning",
        "Off campus and out of hours, but it disrupts school and involves our students.",
    )
    walk.type("Why these facts change (kept in the record)", "Initial assessment.")
    walk.save()
    walk.open_step("Add a person")
    walk.choose("Role in the case", "Respondent")
    walk.type("First name", "Jordan")
    walk.type("Last name", "Example")
    walk.choose("Affiliation (tick each that applies)", "Student")
    walk.choose("Under 18 now?", "Yes")
    walk.save()

    # The mandated child-abuse report, the CyberTipline report and the law-enforcement
    # decision, each made with its reference: one page, a row (a group) per report waiting
    walk.open_step("Check and record external reports")
    rows = page.get_by_role("group").filter(has=walk.group("Decision"))
    for number in range(1, rows.count() + 1):
        row = rows.nth(number - 1)
        walk.choose("Decision", "The report was made", within=row)
        walk.type("Reference number the agency gave", f"REF-S1-{number}", within=row)
    walk.save()
    walk.transition(
        "Route to Process B",
        reason="A known student shared the images: Process B, student discipline.",
        Respondent_track="Student discipline procedures",
    )

    walk.begin_stage("Harm assessment")
    # Harm assessment: wide reach, minors, still circulating
    walk.open_step("Record the harm assessment")
    walk.choose("How far it spread", "A group or class (10 to 50)")
    walk.type("On how many platforms or apps", "1")
    walk.choose("Circulation", "Still circulating")
    walk.choose("Can the people shown be identified?", "Clearly identifiable (face or name shown)")
    walk.save()
    walk.transition("Harm assessment done: interim actions")

    walk.begin_stage("Interim actions")
    # Interim actions: counseling for each depicted student, the respondent out of the class,
    # the takedown request to Snapchat with its 48-hour clock
    # One form for the four students: the to-do panel's link ticks each one still lacking
    # support and chooses the kind; a new measure is "In place" unless changed.
    walk.open_step("Add a measure")
    walk.pick("Measure from the district's list", "Counseling")
    walk.choose("The person's choice", "Accepted")
    walk.type("Review on", review_on)
    walk.save()
    walk.open_step("Add a measure")
    walk.choose("Kind", "Interim measure")
    walk.tick(f"{RESPONDENT} (respondent)")
    walk.pick("Measure from the district's list", "Removal from a shared class")
    walk.save()
    walk.open_step("Add a takedown request")
    walk.pick("Platform", "Snapchat")
    walk.type("Where it was seen", "Snapchat group 'grade 9 chat'")
    walk.choose("Route", "The platform's own NCII report")
    walk.save()
    walk.open_step(re.compile("^Update the Snapchat request"))
    walk.choose("What happened", "Submitted to the platform (starts the 48-hour clock)")
    walk.type("The platform's reference (when submitted)", "SNAP-5521")
    for element in (
        "The request carries a signature (physical or electronic)",
        "The request identifies the content and where to find it",
        "The request states in good faith that it is not consensual",
        "The request gives contact information",
    ):
        walk.tick(element)
    walk.save()
    walk.transition("Start the investigation")

    walk.begin_stage("Investigation")
    # Investigation: evidence without any image; the restorative option declined by each
    walk.open_step("Record evidence")
    walk.type("What was seen", "Four edited images posted in a Snapchat group chat.")
    walk.pick("Platform", "Snapchat")
    walk.type("Group or chat name", "grade 9 chat")
    walk.type("Who holds the device", "School resource officer")
    walk.save()
    # One form: the option once, each student's choice on their row
    walk.open_step("Record an offer and the choice")
    walk.choose("Option", "Restorative resolution")
    for name in DEPICTED:
        walk.choose(f"{name} (depicted person / complainant)", "Declined")
    walk.save()
    walk.transition("Investigation done: determination")

    walk.begin_stage("Determination")
    # Determination: responsible; suspension and the education module (the only respondent is
    # chosen already; both sanctions in one save)
    walk.open_step("Record a determination")
    walk.choose("Finding", "Responsible")
    walk.choose("Standard of evidence", "Preponderance of the evidence")
    walk.type("Rationale", "The student's own account and the group's messages agree.")
    walk.save()
    walk.open_step("Add a sanction")
    for intervention in ("Suspension", "Education on the harm of NCII"):
        walk.choose("Interventions (tick each that applies)", intervention)
    walk.save()
    walk.transition("Sign off the determination")

    walk.begin_stage("Remedies")
    # Remedies: the five students' decisions to tell their parents now in one form (a row
    # each), then the notice of outcome to the five in one form and the notice to their
    # parents in another ("In person" is the default)
    students = [*DEPICTED, RESPONDENT]
    walk.open_step("Record a decision")
    for name in students:
        row = walk.row(name)
        row.choose("Decision", "Notify now")
        row.type("The student's wishes", "Agreed that a parent is told, and asked to be there.")
    walk.choose("Approved by", index=0)
    walk.save()
    for kind in ("Notice of outcome", "Parent or guardian notification"):
        walk.open_step("Log a notice")
        walk.choose("Kind of notice", kind)
        walk.type(
            "What was said or sent", "Met and explained the outcome and the support available."
        )
        for name in students:
            row = walk.row(name)
            row.tick(f"Log this notice for {name}")
            if kind.startswith("Parent"):
                row.type("Given to (name)", f"Parent of {name}")
        walk.save()
    walk.open_step("Assign staff")
    walk.pick("Staff member", starts_with="Morgan Ellery")
    walk.choose("Role on the case", "Support staff")
    walk.save()
    walk.transition("Start monitoring")

    walk.begin_stage("Monitoring and closure")
    # Monitoring: measures reviewed and ended, the images removed, then closure
    # One form: every counseling measure reviewed and ended, a row each
    walk.open_step("Review the measures")
    for name in DEPICTED:
        walk.choose(f"Counseling for {name}", "End it at this review")
        walk.type(
            f"Note on Counseling for {name}",
            "Support no longer needed, by the student's own choice.",
        )
    walk.save()
    walk.open_step(re.compile("^Update the Snapchat request"))
    walk.choose("What happened", "Removed")
    walk.save()
    walk.transition("Close the case", reason="Sanctions served, the images removed, support ended.")
    walk.on_case_page()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="Also write the counts to this file.")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with DemoServer(size=0) as server, sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
        page.set_default_timeout(20000)
        sign_in(page, server, "coordinator")
        walk = Walk(page)  # counting starts on the coordinator's home page
        try:
            walkthrough(walk, server.url)
        except Exception:
            log(f"Stopped at {page.url}")
            raise
        closed = "Closed" in page.locator("main").inner_text()
        browser.close()
    counts = asdict(walk.counts) | walk.breakdown()
    print(json.dumps(counts, indent=2))
    if args.json:
        args.json.write_text(json.dumps(counts, indent=2) + "\n")
    if not closed:
        log("The case did not reach Closed.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
