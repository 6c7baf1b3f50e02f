"""The district's public policy page in Chromium: axe-core finds no WCAG 2.1 AA violation in
English or in Spanish, and the language switch works from the keyboard with JavaScript off."""

import pytest

from tests.browser.helpers import AxeChecked

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_policy_page_passes_axe_in_english_and_spanish(live_server, demo, chromium):
    for language, heading in (("en", "How to report"), ("es", "Cómo reportar")):
        context = chromium.new_context(locale=language, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{live_server.url}/policy/riverbend/")
        assert page.locator("html").get_attribute("lang") == language
        assert page.get_by_role("heading", name=heading).is_visible()
        AxeChecked()(page)
        context.close()


def test_the_language_switch_works_from_the_keyboard_without_javascript(
    live_server, demo, chromium
):
    context = chromium.new_context(
        locale="en-US", java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/policy/riverbend/")
    assert page.get_by_role("heading", name="How to report").is_visible()
    page.get_by_role("button", name="Español").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/policy/riverbend/"
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("heading", name="Cómo reportar").is_visible()
    assert page.get_by_role("button", name="Español").get_attribute("aria-pressed") == "true"
    # The choice stays for the next page, whatever the browser's language.
    page.goto(f"{live_server.url}/login/")
    assert page.locator("html").get_attribute("lang") == "es"
    context.close()
