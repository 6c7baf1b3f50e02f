"""The district analytics page in a real browser: axe-core finds no WCAG 2.1 AA violation,
with figures and with a filter error shown."""

import pytest

from tests.browser.helpers import AxeChecked, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_analytics_page_passes_axe(live_server, demo, tab):
    page = tab
    check = AxeChecked()
    sign_in(page, live_server.url, "coordinator", check)
    page.get_by_role("link", name="Analytics").click()
    page.wait_for_url("**/reporting/analytics/")
    check(page)
    assert page.locator("svg[role=img]").count() == 8
    page.fill("#id_date_from", "2026-05-02")
    page.fill("#id_date_to", "2026-05-01")
    page.get_by_role("button", name="Show figures").click()
    page.wait_for_load_state("load")
    assert "The end date must be on or after the start date." in page.content()
    check(page)
