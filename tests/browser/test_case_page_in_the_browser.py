"""The case page in Chromium: the to-do panel of the stage leads to the form that satisfies
each open item and the item goes away once it is saved; a refused save moves the focus to the
error summary; a step that asks nothing more is taken with the panel's own button, and a
second click after someone else moved the case says so in the coordinator's words; the
sections become keyboard tabs; at 360 and 390 px nothing is wider than the screen. Every page
visited is checked with axe-core."""

import re

import pytest

from ncii_cases import choices as c
from ncii_cases.models import Case, HarmAssessment, User
from tests.browser.helpers import AxeChecked, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HARM_STEP = "Harm assessment done: interim actions"
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"
# What sticks out on the right, to say why when the page is too wide.
WIDE = """() => Array.from(document.querySelectorAll('main *'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 8).map(e => e.tagName + '.' + e.className + '#' + e.id + ' '
    + Math.round(e.getBoundingClientRect().right))"""


def a_case_at_harm_assessment() -> Case:
    coordinator = User.objects.get(username="coordinator")
    case = (
        Case.objects.filter(school__district=coordinator.district)
        .exclude(stage=c.Stage.CLOSED)
        .order_by("pk")
        .first()
    )
    Case.objects.filter(pk=case.pk).update(stage=c.Stage.HARM_ASSESSMENT)
    HarmAssessment.objects.filter(case=case).update(completed_at=None)
    return case


def test_the_to_do_panel_leads_to_each_form_and_a_lost_race_is_told_plainly(live_server, demo, tab):
    page, base, check = tab, live_server.url, AxeChecked()
    check.watch(page)
    sign_in(page, base, "coordinator", check)
    case = a_case_at_harm_assessment()
    case_url = f"{base}/cases/{case.pk}/"

    # The panel of the stage: the step and its one open item, linking to the harm form
    page.goto(case_url)
    check(page)
    panel = page.locator("#todo")
    assert "To do at Harm assessment" in panel.inner_text()
    item = panel.get_by_role("link", name="Complete the harm assessment first.")
    assert item.is_visible()
    item.click()
    page.wait_for_url("**/harm/")
    check(page)

    # A refused save: the focus is on the error summary, which links to the field
    page.fill("#id_platform_count", "")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state("load")
    check(page)
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    summary.get_by_role("link").first.click()
    assert page.evaluate("() => document.activeElement.id") == "id_platform_count"

    # Filled in and saved: back on the case page, the item is done and the step is ready
    page.fill("#id_platform_count", "2")
    for name in ("circulation", "identifiability"):
        page.locator(f"input[name={name}]").first.check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/"))
    check(page)
    panel = page.locator("#todo")
    assert panel.get_by_role("link", name="Complete the harm assessment first.").count() == 0
    assert "Done:" in panel.locator("li.done").first.inner_text()

    # The step asks nothing more: the panel's own button takes it. Two case pages open on
    # the same step; both buttons are pressed
    other = check.watch(page.context.new_page())
    for p in (page, other):
        p.goto(case_url)
        check(p)
    assert page.locator("#todo").get_by_role("link", name=HARM_STEP).count() == 0
    page.locator("#todo").get_by_role("button", name=HARM_STEP).click()
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/"))
    check(page)
    assert "The case is now at Interim actions." in page.locator(".messages").inner_text()
    other.locator("#todo").get_by_role("button", name=HARM_STEP).click()
    other.wait_for_load_state("load")
    check(other)
    text = other.locator("main").inner_text()
    assert "Someone else already completed this step; the case is now at Interim actions." in text
    assert "complete_harm_assessment" not in text and "The case is at" not in text
    assert other.evaluate("() => document.activeElement.hasAttribute('data-error-summary')")
    assert Case.objects.get(pk=case.pk).stage == c.Stage.INTERIM_ACTIONS
    other.close()

    # The next stage's panel: its items, each open one linking to a form
    page.goto(case_url)
    check(page)
    panel = page.locator("#todo")
    assert "To do at Interim actions" in panel.inner_text()
    step = panel.get_by_role("link", name="Start the investigation")
    assert step.count() + panel.get_by_role("button", name="Start the investigation").count() == 1
    assert check.unchecked() == []


def test_the_sections_are_keyboard_tabs_and_the_page_fits_a_phone(live_server, demo, chromium):
    check = AxeChecked()
    case = a_case_at_harm_assessment()
    signed_in = None  # one sign-in (a second-factor code is accepted once), both widths
    for width in (360, 390):
        context = chromium.new_context(
            viewport={"width": width, "height": 780}, storage_state=signed_in
        )
        page = check.watch(context.new_page())
        page.set_default_timeout(15000)
        if signed_in is None:
            sign_in(page, live_server.url, "coordinator", check)
            signed_in = context.storage_state()
        case_url = f"{live_server.url}/cases/{case.pk}/"
        page.goto(case_url)
        check(page)
        assert page.evaluate(NO_SIDEWAYS_SCROLL), width

        # The tabs: Summary first; the arrow keys move to the next section and show it alone
        summary_tab = page.get_by_role("tab", name="Summary")
        assert summary_tab.get_attribute("aria-selected") == "true"
        assert page.locator("#people").is_hidden()
        summary_tab.focus()
        page.keyboard.press("ArrowRight")
        people_tab = page.get_by_role("tab", name="People")
        assert people_tab.get_attribute("aria-selected") == "true"
        assert page.evaluate("() => document.activeElement.textContent") == "People"
        assert page.locator("#people").is_visible() and page.locator("#summary").is_hidden()
        check(page)
        # Every section fits the screen too (tables scroll inside their own box)
        for tab_name in ("Support", "Takedowns", "Reports", "Evidence", "Decisions"):
            page.get_by_role("tab", name=tab_name).click()
            check(page)
            assert page.evaluate(NO_SIDEWAYS_SCROLL), (width, tab_name, page.evaluate(WIDE))
        page.get_by_role("tab", name="Notices & letters").click()
        check(page)
        assert page.evaluate(NO_SIDEWAYS_SCROLL), (width, "notices")
        # A link to a record's anchor opens its section
        page.goto(case_url + "#timeline")
        assert page.locator("#timeline").is_visible()
        check(page)

        # The case's forms fit too: a step, a record form, a correction
        for path in (
            f"transition/{'complete_harm_assessment'}/",
            "harm/",
            "measures/new/",
            "notices/new/",
        ):
            page.goto(case_url + path)
            check(page)
            assert page.evaluate(NO_SIDEWAYS_SCROLL), (width, path)
        context.close()
    assert check.unchecked() == []
