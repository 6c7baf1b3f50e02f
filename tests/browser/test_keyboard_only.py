"""Keyboard only: the intake form and a workflow step completed with Tab, Shift+Tab, arrow
keys, typing, Space and Enter; no mouse, no click."""

import re

import pytest

from ncii_cases import choices as c
from ncii_cases.models import Case
from tests.browser.helpers import AxeChecked, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACTIVE = """() => {
  const el = document.activeElement;
  return {id: el.id || "", text: (el.innerText || el.value || "").trim(), tag: el.tagName};
}"""


def tab_to(page, *, id: str = "", text: str = "", limit: int = 200) -> None:
    """Presses Tab until the element with that id (or that text) has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        active = page.evaluate(ACTIVE)
        if (id and active["id"] == id) or (text and active["text"] == text):
            return
    raise AssertionError(f"Tab never reached {id or text!r}")


def test_intake_and_a_transition_can_be_completed_without_a_mouse(live_server, demo, tab):
    page = tab
    check = AxeChecked()
    sign_in(page, live_server.url, "coordinator", check)

    # From the queue to the intake form by keyboard
    tab_to(page, text="New report")
    page.keyboard.press("Enter")
    page.wait_for_url("**/cases/new/")
    check(page)

    tab_to(page, id="id_school")
    page.keyboard.type("Riverbend High")
    tab_to(page, id="id_title")
    page.keyboard.type("Keyboard-entered report")
    page.keyboard.press("Tab")
    page.keyboard.type("A student told a teacher that an edited image is being passed around.")
    tab_to(page, id="id_reported_by_name")
    page.keyboard.type("A teacher")
    # Back one field and forward again: Shift+Tab works as expected
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(ACTIVE)["id"] == "id_reported_by_name"
    # The kind of imagery: a radio group, moved through with the arrow keys
    tab_to(page, id="id_ncii_kind_2")  # the checked "not yet determined"
    page.keyboard.press("ArrowUp")
    assert page.is_checked("input[name=ncii_kind][value=synthetic]")
    snapchat_id = page.get_by_label("Snapchat", exact=True).get_attribute("id")
    tab_to(page, id=snapchat_id)
    page.keyboard.press("Space")
    tab_to(page, id="id_depicted")
    page.keyboard.type("A grade 7 student")
    tab_to(page, id="id_depicted_minor_0")
    page.keyboard.press("ArrowDown")
    assert page.is_checked("input[name=depicted_minor][value=yes]")
    tab_to(page, text="Record the report")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    check(page)

    case = Case.objects.get(title="Keyboard-entered report")
    assert case.ncii_kind == c.NciiKind.SYNTHETIC
    assert case.school.name == "Riverbend High School"
    assert list(case.platforms.values_list("slug", flat=True)) == ["snapchat"]
    assert case.parties.get().is_minor is True

    # A workflow step that asks nothing more: the to-do panel's own button takes it
    tab_to(page, text="Start the initial assessment")
    with page.expect_navigation(url=f"**/cases/{case.pk}/"):
        page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    check(page)
    assert "The case is now at Initial assessment" in page.locator(".messages").inner_text()
    case.refresh_from_db()
    assert case.stage == c.Stage.INITIAL_ASSESSMENT
